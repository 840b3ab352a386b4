"""`python -m tierguard.examplegen`: outputs, caps and clean errors (exit 2, no traceback)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from examplegen_paths import TOPOLOGY_FILE
from tierguard.examplegen.cli import main


def test_flows_with_a_record_cap_writes_exactly_that_many(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "flows"
    (out).mkdir()
    (out / "flows-1999-01-01.jsonl.gz").write_bytes(b"stale")
    code = main(["flows", "--topology", str(TOPOLOGY_FILE), "--env", "dev", "--seed", "3", "--records", "500",
                 "--out", str(out)])
    assert code == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == ["flows-2026-11-18.jsonl.gz"]  # the stale file is gone
    lines = gzip.decompress((out / files[0]).read_bytes()).decode().splitlines()
    assert len(lines) == 500
    assert json.loads(lines[0])["cluster"] == "eks-dev-euw1"
    assert capsys.readouterr().out.startswith(f"{out}: 1 files, 500 records, ")


def test_inventory_command_writes_a_list(tmp_path: Path) -> None:
    target = tmp_path / "inv" / "cluster.yaml"
    assert main(["inventory", "--topology", str(TOPOLOGY_FILE), "--env", "staging", "--out", str(target)]) == 0
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Inventory snapshot of eks-staging-euw1 (staging) at 2026-11-25T00:00:00Z, as\n")
    assert "\nkind: List\n" in text


def test_unknown_environment_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["flows", "--topology", str(TOPOLOGY_FILE), "--env", "qa", "--out", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert err == "examplegen: error: no environment 'qa' in the topology (known: dev, staging, prod)\n"


def test_missing_topology_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.yaml"
    assert main(["inventory", "--topology", str(missing), "--env", "dev", "--out", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err == f"examplegen: error: {missing}: No such file or directory\n"


def test_bad_numbers_are_rejected_by_argparse(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["flows", "--env", "dev", "--records", "0", "--out", str(tmp_path)])
    assert exit_.value.code == 2
