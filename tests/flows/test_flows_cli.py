"""`tierguard flows import|summary|export` end to end through the real CLI entry point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flows_testlib import fixture
from tierguard.cli.main import main


def test_import_summary_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    store = str(tmp_path / "flows.duckdb")
    code = main(["flows", "import", "--store", store, "--progress", "never",
                 "--inventory", fixture("inventory.yaml"), fixture("ce.jsonl"),
                 fixture("vpc-v2.txt")])
    out, err = capsys.readouterr()
    assert code == 0  # notes only (NODATA) and one unresolved-IP warning
    assert "6 new records of 6 read into" in out
    vpc = fixture("vpc-v2.txt")
    assert err.splitlines() == [
        f"{vpc}: note FLW513: 1 NODATA records (no traffic on the ENI) counted and skipped",
        (f"{vpc}:2: warning FLW520: 10.1.0.99 matches no pod, node or Service in the inventory "
         f"(1 records; e.g. {vpc}:2)")]
    assert main(["flows", "import", "--store", store, "--progress", "never",
                 fixture("ce.jsonl")]) == 0
    out, err = capsys.readouterr()
    assert "already-imported" in out and "FLW530" in err

    assert main(["flows", "summary", "--store", store, "--output", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert (summary["records"], summary["by_format"]) == (6, {"calico-enterprise": 4, "vpc": 2})
    assert summary["unresolved"] == [{"ip": "10.1.0.99", "side": "source", "records": 1,
                                      "first_seen": "2025-10-09T08:53:20Z",
                                      "last_seen": "2025-10-09T08:54:20Z"}]
    # the resolved VPC record and the Enterprise record are the same talkers
    assert summary["top_talkers"][0] == {
        "source": "shop/web-7d4b9c8f6d-*", "dest": "shop/api-5c7f9d8b4c-*", "dest_port": 8080,
        "protocol": "tcp", "action": "allow", "records": 2, "flows": 4, "bytes": 22400}

    assert main(["flows", "summary", "--store", store]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[0] == "Time coverage"
    assert "  hours with flows  1 of 1" in table

    exported = tmp_path / "out.jsonl"
    assert main(["flows", "export", "--store", store, "-o", str(exported)]) == 0
    assert capsys.readouterr().err == "6 records exported\n"
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    resolved = [line for line in lines if line.get("source_resolved_by") == "pod-ip"]
    assert [(r["source_name_aggr"], r["dest_name_aggr"], r["reporter"]) for r in resolved] == [
        ("web-7d4b9c8f6d-*", "api-5c7f9d8b4c-*", "unknown")]


def test_malformed_input_exit_code_and_lines(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["flows", "import", "--store", str(tmp_path / "s.duckdb"), "--progress",
                 "never", fixture("ce-malformed.jsonl")])
    out, err = capsys.readouterr()
    assert code == 1
    assert [line.split(": ")[0].rsplit(":", 1)[1] for line in err.splitlines()] == [
        "2", "3", "4", "5", "6", "7", "8"]
    assert "3 new records of 3 read into" in out


def test_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["flows", "summary"]) == 2
    assert "give --store PATH or --env NAME" in capsys.readouterr().err
    assert main(["flows", "summary", "--store", str(tmp_path / "none.duckdb")]) == 2
    assert "no flow store at" in capsys.readouterr().err
    assert main(["flows", "import", "--store", str(tmp_path / "s.duckdb"),
                 str(tmp_path / "missing.jsonl")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_store_location_from_tierguard_yaml(tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "tierguard.yaml"
    config.write_text("environments:\n  - name: prod\n    overlay: clusters/prod\n"
                      "    cluster: prod\n    calicoVersion: '3.30'\n    flows: data/prod.duckdb\n")
    code = main(["flows", "import", "--config", str(config), "--env", "prod", "--progress",
                 "never", fixture("goldmane.jsonl")])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    assert (tmp_path / "data" / "prod.duckdb").is_file()
    assert f"2 new records of 2 read into {tmp_path / 'data' / 'prod.duckdb'}" in out


def test_import_from_stdin(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(
        Path(fixture("goldmane.jsonl")).read_bytes())))
    before = set(Path(__import__("tempfile").gettempdir()).glob("tierguard-stdin-*"))
    assert main(["flows", "import", "--store", str(tmp_path / "s.duckdb"), "--progress",
                 "never", "-"]) == 0
    out = capsys.readouterr().out
    assert "<stdin>" in out and "2 new records of 2 read into" in out
    after = set(Path(__import__("tempfile").gettempdir()).glob("tierguard-stdin-*"))
    assert after <= before  # the spooled copy of stdin is removed
