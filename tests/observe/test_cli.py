"""`tierguard observe` end to end: explicit paths, an environment of tierguard.yaml, bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tierguard.cli.main import main

from tests.observe import scenario


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["observe", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _explicit(files: scenario.Files) -> list[str]:
    return ["--policies", str(files.policies), "--inventory", str(files.inventory),
            "--flows", str(files.flows)]


def test_json_from_explicit_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = scenario.write(tmp_path)
    code, out, err = _run(capsys, *_explicit(files), "-f", "json")
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert document["summary"] == {
        "records": 9, "evaluated": 9, "unresolved": 0, "nodes": 6, "edges": 6,
        "edgesDifferingFromRecorded": 0,
        "edgesByStatus": {"allowed": 3, "denied": 1, "would-be-denied": 1, "would-be-allowed": 1}}
    assert [(e["source"], e["destination"], e["port"], e["status"]) for e in document["edges"]] == [
        ("workload:shop/api-6b8d4f-*", "workload:shop/db-0", 5432, "allowed"),
        ("workload:shop/web-5f7c9d-*", "external:external/pub", 443, "allowed"),
        ("workload:shop/web-5f7c9d-*", "workload:shop/api-6b8d4f-*", 8080, "allowed"),
        ("workload:tools/debug", "workload:shop/api-6b8d4f-*", 8080, "denied"),
        ("workload:shop/web-5f7c9d-*", "workload:shop/db-0", 5432, "would-be-denied"),
        ("workload:tools/debug", "workload:shop/web-5f7c9d-*", 80, "would-be-allowed"),
    ]
    assert document["edges"][3]["decidedBy"] == [{
        "mode": "enforced", "side": "egress", "tier": "app", "policy": "np:tools/app.debug-egress",
        "action": "deny", "ruleIndex": -1, "file": str(files.policies),
        "line": scenario.document_line("app.debug-egress")}]
    assert document["edges"][3]["lastSeen"] == "2026-11-18T01:00:00Z"
    assert document["gaps"]["quietWorkloads"] == ["workload:shop/idle-0"]


def test_text_is_the_default_on_stdout(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(capsys, *_explicit(scenario.write(tmp_path)))
    assert code == 0
    assert out.splitlines()[:3] == [
        "tierguard observe: explicit inputs (Calico 3.32 oss)",
        "records: 9 read, 9 evaluated, 0 unresolved",
        ("graph: 6 nodes, 6 edges (3 allowed, 1 denied, 1 would-be-denied, 1 would-be-allowed), "
         "0 differing from the recorded action"),
    ]


def test_html_file_format_comes_from_the_suffix(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "out" / "report.html"
    code, out, err = _run(capsys, *_explicit(scenario.write(tmp_path)), "-o", str(target))
    assert (code, out) == (0, "")
    assert err == f"tierguard observe: wrote {target} (html)\n"
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count('<g class="link ') == 6 and page.count('<tr class="edge-row"') == 6


@pytest.mark.parametrize("argv, message", [
    ([], "give --env NAME, or all of --policies PATH, --inventory FILE and --flows PATH"),
    (["--policies", "nowhere.yaml", "--inventory", "x", "--flows", "y"], "nowhere.yaml"),
])
def test_usage_errors_exit_2(argv: list[str], message: str, tmp_path: Path,
                             monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, *argv)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_missing_inventory_and_flows_exit_2(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    files = scenario.write(tmp_path)
    code, _, err = _run(capsys, "--policies", str(files.policies), "--inventory",
                        str(tmp_path / "none.yaml"), "--flows", str(files.flows))
    assert code == 2 and f"{tmp_path / 'none.yaml'}: no such inventory file" in err
    code, _, err = _run(capsys, *_explicit(files)[:4], "--flows", str(tmp_path / "none.jsonl"))
    assert code == 2 and "none.jsonl" in err


def test_truncated_flow_line_is_reported_with_file_and_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = scenario.write(tmp_path)
    with files.flows.open("a", encoding="utf-8") as handle:
        handle.write('{"start_time": 1794960000, "source_type": "wep"\n')
    code, out, err = _run(capsys, *_explicit(files), "-f", "json")
    assert code == 1
    assert json.loads(out)["summary"]["records"] == 9
    assert f"{files.flows}:10:" in err
    assert "1 malformed flow record(s) were skipped (listed on stderr)" in json.loads(out)["notes"]


def _repository(root: Path) -> Path:
    files = scenario.write(root / "data")
    (root / "policies").mkdir()
    shutil.copy(files.policies, root / "policies" / "shop.yaml")
    (root / "policies" / "kustomization.yaml").write_text("resources:\n  - shop.yaml\n")
    (root / "overlays" / "dev").mkdir(parents=True)
    (root / "overlays" / "dev" / "kustomization.yaml").write_text(
        "resources:\n  - ../../policies\n")
    config = root / "tierguard.yaml"
    config.write_text(
        "environments:\n"
        "  - name: dev\n    overlay: overlays/dev\n    calicoVersion: \"3.32\"\n"
        "    edition: oss\n    inventory: data/inventory.json\n    flows: data/*.jsonl\n")
    return config


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("kubectl") is None and shutil.which("kustomize") is None,
                    reason="needs kubectl or kustomize to render the overlay")
def test_environment_renders_the_overlay_and_points_at_source_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    config = _repository(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, out, err = _run(capsys, "--env", "dev", "-c", str(config), "-f", "json")
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert document["environment"] == "dev"
    assert document["inputs"] == ["overlays/dev", "data/inventory.json", "data/*.jsonl"]
    assert document["summary"]["edgesByStatus"] == {
        "allowed": 3, "denied": 1, "would-be-denied": 1, "would-be-allowed": 1}
    decided = document["edges"][5]["decidedBy"][1]
    assert (decided["policy"], decided["file"], decided["line"]) == (
        "snp:tools/app.debug-web", "policies/shop.yaml",
        scenario.line_of("- action: Allow", after="name: app.debug-web"))


def test_unknown_environment_exits_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    config = _repository(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, _, err = _run(capsys, "--env", "prod", "-c", str(config))
    assert code == 2 and "no environment named 'prod'" in err
