"""End-to-end reviews in a temporary git clone of the bundled example (prod environment), with small
synthetic flows between the example's real workloads. Each test asserts the exact gate result and
the exact flows and locations reported. Also runs the README's main job (`review --example`)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from review_repo import commit_all, git
from tierguard.cli.main import main
from tierguard.review.example import copy_example

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[2]
DANA = ("Dana Kim", "dana.kim@example.com")  # team sockshop: application tier in sock-shop only
SAM = ("Sam Okafor", "sam.okafor@example.com")  # team security
END = 1_795_000_000  # 2026-11-18T11:06:40Z
USER_FILE = "policies/application/sock-shop/user.yaml"
ORDERS_RULE = ("    - action: Allow\n      protocol: TCP\n      source:\n        selector: name == 'orders'\n"
               "      destination:\n        ports:\n          - 80\n")


def _pods(clone: Path) -> dict[str, tuple[str, str, str]]:
    """sock-shop workload label `name` -> (pod name, name_aggr, IP) of its first pod in prod."""
    data = yaml.safe_load((clone / "inventory/prod/cluster.yaml").read_text(encoding="utf-8"))
    found: dict[str, tuple[str, str, str]] = {}
    for item in sorted(data["items"], key=lambda i: i["metadata"]["name"]):
        meta = item["metadata"]
        if item["kind"] == "Pod" and meta.get("namespace") == "sock-shop":
            found.setdefault(meta["labels"]["name"], (meta["name"], meta["generateName"] + "*",
                                                      item["status"]["podIP"]))
    return found


def _record(src: tuple[str, str, str], dst: tuple[str, str, str] | str, port: int, reporter: str,
            flows: int, action: str = "allow") -> dict[str, Any]:
    record: dict[str, Any] = {
        "start_time": END - 600, "end_time": END, "source_type": "wep", "source_namespace": "sock-shop",
        "source_name": src[0], "source_name_aggr": src[1], "source_ip": src[2], "dest_port": port,
        "proto": "tcp", "reporter": reporter, "action": action, "num_flows": flows,
        "bytes_in": 1000 * flows, "bytes_out": 1000 * flows, "packets_in": flows, "packets_out": flows,
        "policies": {"enforced_policies": [], "pending_policies": []}}
    if isinstance(dst, str):  # an address outside the cluster
        record.update({"dest_type": "net", "dest_namespace": "-", "dest_name": "-", "dest_name_aggr": "pvt",
                       "dest_ip": dst})
    else:
        record.update({"dest_type": "wep", "dest_namespace": "sock-shop", "dest_name": dst[0],
                       "dest_name_aggr": dst[1], "dest_ip": dst[2]})
    return record


@pytest.fixture(scope="module")
def base_clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("example-base") / "repo"
    root.mkdir()
    copy_example(PROJECT, root)
    pods = _pods(root)
    records = [
        _record(pods["front-end"], pods["user"], 80, "src", 30), _record(pods["front-end"], pods["user"], 80, "dst", 30),
        _record(pods["orders"], pods["user"], 80, "src", 12), _record(pods["orders"], pods["user"], 80, "dst", 12),
        _record(pods["front-end"], pods["catalogue"], 80, "src", 20),
        _record(pods["shipping"], "169.254.169.254", 80, "src", 3, action="deny"),
    ]
    for old in (root / "flows/prod").iterdir():
        old.unlink()
    with gzip.open(root / "flows/prod/synthetic.jsonl.gz", "wt", encoding="utf-8") as stream:
        stream.writelines(json.dumps(r) + "\n" for r in records)
    git(root, "init", "--quiet", "--initial-branch=main")
    commit_all(root, "example", SAM)
    return root


@pytest.fixture()
def clone(base_clone: Path, tmp_path: Path) -> Path:
    target = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(base_clone), str(target))
    return target


def _review(clone: Path, tmp: Path) -> tuple[int, dict[str, Any]]:
    out = tmp / "review.json"
    code = main(["review", "-C", str(clone), "--base", "HEAD~1", "--head", "HEAD", "--env", "prod",
                 "--format", "json", "-o", str(out), "--sarif-out", str(tmp / "review.sarif")])
    return code, json.loads(out.read_text(encoding="utf-8"))


def _line_of(clone: Path, file: str, text: str) -> int:
    return (clone / file).read_text(encoding="utf-8").splitlines().index(text) + 1


def _edit(clone: Path, file: str, old: str, new: str) -> None:
    path = clone / file
    content = path.read_text(encoding="utf-8")
    assert old in content, f"{file} no longer contains the text this test edits"
    path.write_text(content.replace(old, new, 1), encoding="utf-8")


def _changes(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(i["source"], i["destination"], i["port"], i["flows"], i["bytes"], i["responsible"]["rule"],
             i["responsible"]["location"]["file"], i["responsible"]["location"]["line"]) for i in items]


def test_example_harmless_change_passes(clone: Path, tmp_path: Path) -> None:
    _edit(clone, USER_FILE, "# Accounts, addresses and cards:", "# Accounts, addresses, cards:")
    commit_all(clone, "comment only", DANA)
    code, report = _review(clone, tmp_path)
    env = report["environments"]["prod"]
    assert (code, report["gate"]["reasons"]) == (0, [])
    assert env["newly_denied"] == env["newly_allowed"] == env["staged_impact"] == env["connectivity_diff"] == []
    assert env["coverage"]["flow_groups_reevaluated"] == 0
    assert env["coverage"]["changed_policies"] == []
    assert [t["name"] for t in env["tests"] if t["newly_failing"]] == []


def test_example_breaking_change_fails_on_the_observed_flow(clone: Path, tmp_path: Path) -> None:
    _edit(clone, USER_FILE, ORDERS_RULE, "")
    commit_all(clone, "user only serves the front-end", DANA)
    code, report = _review(clone, tmp_path)
    env = report["environments"]["prod"]
    pods = _pods(clone)
    line = _line_of(clone, USER_FILE, "apiVersion: projectcalico.org/v3")
    assert code == 1
    assert _changes(env["newly_denied"]) == [
        (f"sock-shop/{pods['orders'][1]}", f"sock-shop/{pods['user'][1]}", 80, 12, 24000,
         "end of tier application (no rule matched)", USER_FILE, line)]
    assert env["newly_denied"][0]["last_seen"] == "2026-11-18T11:06:40Z"
    assert [(t["name"], t["actual"]) for t in env["tests"] if t["newly_failing"]] == [
        ("orders reads addresses and cards from user", "deny")]
    assert [r["kind"] for r in report["gate"]["reasons"]] == ["newly-denied", "test-failed"]
    assert [(r["allowed"], r["message"]) for r in env["rbac"] if r["check"] == "change"] == [
        (True, "may update NetworkPolicy sock-shop/application.user as a member (groups team-sockshop)")]
    sarif = json.loads((tmp_path / "review.sarif").read_text(encoding="utf-8"))
    first = sarif["runs"][0]["results"][0]
    assert (first["ruleId"], first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            first["locations"][0]["physicalLocation"]["region"]["startLine"]) == ("REV701", USER_FILE, line)


def test_example_break_acknowledged_by_a_connectivity_test(clone: Path, tmp_path: Path) -> None:
    _edit(clone, USER_FILE, ORDERS_RULE, "")
    _edit(clone, "tests/connectivity/sock-shop.yaml",
          "  - name: orders reads addresses and cards from user\n",
          "  - name: orders no longer reads from user\n")
    tests = (clone / "tests/connectivity/sock-shop.yaml").read_text(encoding="utf-8")
    start = tests.index("  - name: orders no longer reads from user\n")
    block_end = tests.index("expect: allow", start)
    (clone / "tests/connectivity/sock-shop.yaml").write_text(
        tests[:block_end] + "expect: deny" + tests[block_end + len("expect: allow"):], encoding="utf-8")
    commit_all(clone, "user only serves the front-end (intended)", DANA)
    code, report = _review(clone, tmp_path)
    env = report["environments"]["prod"]
    test_line = _line_of(clone, "tests/connectivity/sock-shop.yaml", "  - name: orders no longer reads from user")
    assert code == 0
    assert [(d["source"].split("/")[1].split("-")[0], d["acknowledged_by"]) for d in env["newly_denied"]] == [
        ("orders", f"connectivity test 'orders no longer reads from user' "
                   f"(tests/connectivity/sock-shop.yaml:{test_line})")]
    assert report["gate"] == {"passed": True, "reasons": []}


def test_example_staged_only_change_reports_impact(clone: Path, tmp_path: Path) -> None:
    (clone / "policies/application/sock-shop/catalogue-preview.yaml").write_text(
        "apiVersion: projectcalico.org/v3\n"
        "kind: StagedNetworkPolicy\n"
        "metadata:\n"
        "  name: application.catalogue-preview\n"
        "  namespace: sock-shop\n"
        "spec:\n"
        "  tier: application\n"
        "  order: 50\n"
        "  selector: name == 'catalogue'\n"
        "  types: [Ingress]\n"
        "  ingress:\n"
        "    - action: Deny\n"
        "      source:\n"
        "        selector: name == 'front-end'\n", encoding="utf-8")
    _edit(clone, "policies/kustomization.yaml", "  - application/sock-shop/catalogue.yaml\n",
          "  - application/sock-shop/catalogue.yaml\n  - application/sock-shop/catalogue-preview.yaml\n")
    commit_all(clone, "preview: catalogue only from orders", DANA)
    code, report = _review(clone, tmp_path)
    env = report["environments"]["prod"]
    pods = _pods(clone)
    assert code == 0
    assert env["newly_denied"] == [] and env["newly_allowed"] == []
    impact = [(s["source"], s["destination"], s["port"], s["flows"], s["enforced"], s["pending"], s["base_pending"],
               s["responsible"]["rule"], s["responsible"]["location"]["file"], s["responsible"]["location"]["line"])
              for s in env["staged_impact"] if s["destination"].startswith("sock-shop/catalogue")]
    assert impact == [(f"sock-shop/{pods['front-end'][1]}", f"sock-shop/{pods['catalogue'][1]}", 80, 20,
                       "allow", "deny", "allow", "ingress[0]",
                       "policies/application/sock-shop/catalogue-preview.yaml", 12)]
    assert [(r["allowed"], r["message"]) for r in env["rbac"] if r["check"] == "change"] == [
        (True, "may create StagedNetworkPolicy sock-shop/application.catalogue-preview as a member "
               "(groups team-sockshop)")]


def test_example_unauthorized_change_fails(clone: Path, tmp_path: Path) -> None:
    file = "policies/security/block-instance-metadata.yaml"
    _edit(clone, file, "  name: security.block-instance-metadata\n",
          "  name: security.block-instance-metadata\n  labels:\n    reviewed-by: dana\n")
    commit_all(clone, "label the guardrail", DANA)
    code, report = _review(clone, tmp_path)
    env = report["environments"]["prod"]
    denied = [r for r in env["rbac"] if not r["allowed"]]
    assert code == 1
    assert [(r["check"], r["subject"], r["location"]["file"], r["location"]["line"]) for r in denied] == [
        ("change", "Dana Kim <dana.kim@example.com>", file, _line_of(clone, file, "apiVersion: projectcalico.org/v3"))]
    assert denied[0]["message"].startswith(
        "dana.kim@example.com as a member (groups team-sockshop) may not update GlobalNetworkPolicy "
        "security.block-instance-metadata: missing ")
    assert [r["kind"] for r in report["gate"]["reasons"]] == ["unauthorized"]
    assert env["newly_denied"] == env["newly_allowed"] == []


def test_main_job_reviews_the_bundled_example_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(["review", "--example", "-C", str(PROJECT), "--out-dir", str(out)])
    text = capsys.readouterr().out
    assert code == 1
    assert sorted(p.name for p in out.iterdir()) == [
        "connectivity-tests.xml", "review.json", "review.md", "review.sarif", "summary.md"]
    report = json.loads((out / "review.json").read_text(encoding="utf-8"))
    assert report["author"] == "Dana Kim <dana.kim@example.com>"
    for name, env in report["environments"].items():
        kinds = sorted({r["kind"] for r in env["gate"]["reasons"]})
        assert kinds == ["newly-denied", "test-failed", "unauthorized"], name
        assert [(d["source"].split("/")[1].rsplit("-", 2)[0], d["destination"].split("/")[1].rsplit("-", 2)[0],
                 d["port"]) for d in env["newly_denied"]] == [("orders", "user", 80)], name
        assert [(a["source"].split("/")[1].rsplit("-", 2)[0], a["destination"], a["port"],
                 a["responsible"]["policy"], a["responsible"]["rule"], a["responsible"]["action"],
                 a["responsible"]["location"]["file"]) for a in env["newly_allowed"]] == [
            ("shipping", "169.254.169.254", 80, "gnp:security.block-instance-metadata", "egress[1]", "pass",
             "policies/security/block-instance-metadata.yaml")], name
        assert sorted(t["name"] for t in env["tests"] if t["newly_failing"]) == [
            "application pods cannot read instance metadata", "orders reads addresses and cards from user"], name
    assert "GATE FAILED" in text
