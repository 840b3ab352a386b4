"""End-to-end reviews of small changes in a temporary git repository (real git, real kubectl
kustomize, real flow-log reader, engine and RBAC), asserting exact gate results, flows and lines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from review_repo import ALICE, SAM, commit_all, git, make_repo, write_files
from tierguard.cli.main import main

pytestmark = pytest.mark.slow


def _review(root: Path, tmp: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    out = tmp / "review.json"
    code = main(["review", "-C", str(root), "--base", "HEAD~1", "--head", "HEAD", "--format", "json",
                 "-o", str(out), "--markdown-out", str(tmp / "review.md"),
                 "--sarif-out", str(tmp / "review.sarif"), *extra])
    return code, json.loads(out.read_text(encoding="utf-8"))


def _edit(root: Path, name: str, old: str, new: str) -> None:
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


BREAK_DB = ("      source:\n        selector: app == 'api'\n      destination:\n        ports: [5432]",
            "      source:\n        selector: app == 'worker'\n      destination:\n        ports: [5432]")


def _flows(items: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(i["source"], i["destination"], i["port"], i["protocol"], i.get("flows"), i.get("bytes"),
             i["responsible"]["rule"] if i.get("responsible") else None,
             (i["responsible"]["location"]["file"], i["responsible"]["location"]["line"])
             if i.get("responsible") else None) for i in items]


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "repo")


def test_harmless_change_passes_and_evaluates_nothing(repo: Path, tmp_path: Path) -> None:
    _edit(repo, "policies/application/shop.yaml", "  name: db-ingress\n",
          "  name: db-ingress\n  labels:\n    owner: shop\n")
    commit_all(repo, "label db-ingress", ALICE)
    code, report = _review(repo, tmp_path)
    env = report["environments"]["prod"]
    assert code == 0
    assert report["gate"] == {"passed": True, "reasons": []}
    assert env["newly_denied"] == env["newly_allowed"] == env["connectivity_diff"] == []
    assert env["coverage"]["flow_groups"] == 3
    assert env["coverage"]["flow_groups_reevaluated"] == 0
    assert [(r["check"], r["allowed"], r["message"]) for r in env["rbac"]] == [
        ("change", True, "may update NetworkPolicy shop/db-ingress as alice (groups team-shop)")]


def test_breaking_change_fails_with_exact_flows_and_lines(repo: Path, tmp_path: Path) -> None:
    _edit(repo, "policies/application/shop.yaml", *BREAK_DB)
    commit_all(repo, "db only from worker", ALICE)
    code, report = _review(repo, tmp_path)
    env = report["environments"]["prod"]
    assert code == 1
    assert _flows(env["newly_denied"]) == [
        ("shop/api-7d4b9c-*", "shop/db-7d4b9c-*", 5432, "TCP", 7, 7000,
         "end of tier application (no rule matched)", ("policies/application/shop.yaml", 19))]
    assert env["newly_denied"][0]["last_seen"] == "2026-09-21T14:14:20Z"
    assert _flows(env["newly_allowed"]) == [
        ("shop/worker-7d4b9c-*", "shop/db-7d4b9c-*", 5432, "TCP", 3, 300, "ingress[0]",
         ("policies/application/shop.yaml", 30))]
    assert [(c["source"], c["destination"], c["before"], c["after"], c["observed"])
            for c in env["connectivity_diff"]] == [
        ("shop/worker-7d4b9c-*", "shop/db-7d4b9c-*", "deny", "allow", True),
        ("shop/api-7d4b9c-*", "shop/db-7d4b9c-*", "allow", "deny", True)]
    assert [(r["kind"], r["location"]["file"], r["location"]["line"]) for r in report["gate"]["reasons"]] == [
        ("newly-denied", "policies/application/shop.yaml", 19)]
    assert (env["coverage"]["flow_groups"], env["coverage"]["flow_groups_reevaluated"]) == (3, 2)
    sarif = json.loads((tmp_path / "review.sarif").read_text(encoding="utf-8"))
    first = sarif["runs"][0]["results"][0]
    assert (first["ruleId"], first["locations"][0]["physicalLocation"]["region"]["startLine"]) == ("REV701", 19)
    markdown = (tmp_path / "review.md").read_text(encoding="utf-8")
    assert "## ❌ tierguard review: gate failed (1 reasons)" in markdown


def test_break_acknowledged_by_a_connectivity_test_passes(repo: Path, tmp_path: Path) -> None:
    _edit(repo, "policies/application/shop.yaml", *BREAK_DB)
    write_files(repo, {"tests/connectivity/shop.yaml": (
        "tests:\n"
        "  - name: api no longer reaches db\n"
        "    from: shop/app=api\n"
        "    to: shop/app=db\n"
        "    port: 5432\n"
        "    expect: deny\n"
        "  - name: web reaches api\n"
        "    from: shop/web-7d4b9c-aaaaa\n"
        "    to: shop/app=api\n"
        "    port: 8080\n"
        "    expect: allow\n")})
    commit_all(repo, "db only from worker, intended", ALICE)
    code, report = _review(repo, tmp_path)
    env = report["environments"]["prod"]
    assert code == 0
    assert [(d["source"], d["acknowledged_by"]) for d in env["newly_denied"]] == [
        ("shop/api-7d4b9c-*", "connectivity test 'api no longer reaches db' (tests/connectivity/shop.yaml:2)")]
    assert [(t["name"], t["passed"], t["explanation"]) for t in env["tests"]] == [
        ("api no longer reaches db", True,
         "denied by np:shop/db-ingress end of tier application (no rule matched) "
         "(policies/application/shop.yaml:19)"),
        ("web reaches api", True, "allowed by np:shop/api-ingress ingress[0] (policies/application/shop.yaml:12)")]


def test_break_acknowledged_by_file_and_expired_acknowledgement(repo: Path, tmp_path: Path) -> None:
    _edit(repo, "policies/application/shop.yaml", *BREAK_DB)
    write_files(repo, {".tierguard/acknowledged.yaml": (
        "acknowledged:\n"
        "  - from: shop/api-*\n"
        "    to: shop/db-*\n"
        "    port: 5432\n"
        "    reason: db moves behind the worker queue\n"
        "    expires: 2099-12-31\n")})
    commit_all(repo, "db only from worker, acknowledged", ALICE)
    code, report = _review(repo, tmp_path)
    assert code == 0
    assert report["environments"]["prod"]["newly_denied"][0]["acknowledged_by"] == (
        "acknowledged until 2099-12-31: db moves behind the worker queue (.tierguard/acknowledged.yaml:2)")
    _edit(repo, ".tierguard/acknowledged.yaml", "2099-12-31", "2020-01-31")
    commit_all(repo, "expire it", ALICE)
    code, report = _review(repo, tmp_path, "--base", "HEAD~2")
    env = report["environments"]["prod"]
    assert code == 1
    assert env["newly_denied"][0]["acknowledged_by"] is None
    assert [(a["from"], a["expires"], a["location"]["line"]) for a in report["expired_acknowledgements"]] == [
        ("shop/api-*", "2020-01-31", 2)]
    assert [r["kind"] for r in report["gate"]["reasons"]] == ["newly-denied"]
    assert [(f["code"], f["status"]) for f in env["findings"]] == [("REV710", "new")]


def test_staged_only_change_reports_impact_and_passes(repo: Path, tmp_path: Path) -> None:
    write_files(repo, {"policies/application/web-preview.yaml": (
        "apiVersion: projectcalico.org/v3\n"
        "kind: StagedNetworkPolicy\n"
        "metadata:\n"
        "  name: web-egress-preview\n"
        "  namespace: shop\n"
        "spec:\n"
        "  tier: application\n"
        "  order: 50\n"
        "  selector: app == 'web'\n"
        "  types: [Egress]\n"
        "  egress:\n"
        "    - action: Deny\n"
        "      destination:\n"
        "        selector: app == 'api'\n")})
    _edit(repo, "policies/kustomization.yaml", "  - application/shop.yaml\n",
          "  - application/shop.yaml\n  - application/web-preview.yaml\n")
    commit_all(repo, "preview web egress", ALICE)
    code, report = _review(repo, tmp_path)
    env = report["environments"]["prod"]
    assert code == 0
    assert env["newly_denied"] == [] and env["newly_allowed"] == []
    assert [(s["source"], s["destination"], s["port"], s["flows"], s["enforced"], s["pending"],
             s["base_pending"], s["responsible"]["rule"], s["responsible"]["location"]["line"])
            for s in env["staged_impact"]] == [
        ("shop/web-7d4b9c-*", "shop/api-7d4b9c-*", 8080, 42, "allow", "deny", "allow", "egress[0]", 12)]
    assert env["staged_impact"][0]["responsible"]["location"]["file"] == "policies/application/web-preview.yaml"
    assert [(r["allowed"], r["message"]) for r in env["rbac"]] == [
        (True, "may create StagedNetworkPolicy shop/web-egress-preview as alice (groups team-shop)")]


def test_change_outside_the_authors_tier_is_unauthorized(repo: Path, tmp_path: Path) -> None:
    _edit(repo, "policies/security/block-metadata.yaml", "        nets: [169.254.169.254/32]\n",
          "        nets: [169.254.169.254/32, 169.254.170.2/32]\n")
    commit_all(repo, "alice widens the guardrail", ALICE)
    code, report = _review(repo, tmp_path)
    env = report["environments"]["prod"]
    assert code == 1
    denied = [r for r in env["rbac"] if not r["allowed"]]
    assert [(r["check"], r["subject"], r["location"]["file"], r["location"]["line"]) for r in denied] == [
        ("change", "Alice Shop <alice@example.com>", "policies/security/block-metadata.yaml", 1)]
    assert denied[0]["message"].startswith(
        "alice@example.com as alice (groups team-shop) may not update GlobalNetworkPolicy block-metadata")
    assert [r["kind"] for r in report["gate"]["reasons"]] == ["unauthorized"]
    # The same change by the security team is authorized.
    git(repo, "commit", "--quiet", "--amend", "--no-edit", "--reset-author", author=SAM)
    code, report = _review(repo, tmp_path)
    assert code == 0


def test_new_blocking_finding_fails_only_when_new(repo: Path, tmp_path: Path) -> None:
    _edit(repo, "policies/application/shop.yaml", "    - action: Allow\n      protocol: TCP\n      source:\n"
          "        selector: app == 'web'\n", "    - action: Allow\n      source:\n        selector: app == 'web'\n")
    commit_all(repo, "drop the protocol", ALICE)
    code, report = _review(repo, tmp_path)
    env = report["environments"]["prod"]
    new = [(f["code"], f["location"]["file"], f["location"]["line"]) for f in env["findings"]
           if f["status"] == "new"]
    assert code == 1
    assert new and all(file == "policies/application/shop.yaml" for _, file, _ in new)
    assert "new-findings" in [r["kind"] for r in report["gate"]["reasons"]]
    # Reviewing a later harmless change on top keeps the finding as existing, not blocking.
    _edit(repo, "policies/application/shop.yaml", "  name: db-ingress\n", "  name: db-ingress\n  labels: {a: b}\n")
    commit_all(repo, "harmless", ALICE)
    code, report = _review(repo, tmp_path)
    statuses = {f["status"] for f in report["environments"]["prod"]["findings"]}
    assert (code, statuses) == (0, {"existing"})


def test_unknown_environment_and_bad_ref_are_usage_errors(repo: Path, tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["review", "-C", str(repo), "--env", "nope"]) == 2
    assert "no environment named 'nope'" in capsys.readouterr().err
    assert main(["review", "-C", str(repo), "--base", "no-such-ref"]) == 2
    assert "cannot resolve git ref 'no-such-ref'" in capsys.readouterr().err
    assert git(repo, "worktree", "list").count("\n") == 1  # every temporary worktree was removed
