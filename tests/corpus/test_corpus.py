"""The bad-input corpus: every file holds exactly one problem, reported once, precisely, with exit 1.

Large and binary inputs are generated at test time (a 50 MB file, NUL bytes, invalid UTF-8).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tierguard.cli.main import main

CORPUS = Path(__file__).parent
FILES = CORPUS / "files"

# file -> (code, line, column): the one diagnostic each file must produce.
EXPECTED: dict[str, tuple[str, int, int]] = {
    "yml001_syntax.yaml": ("YML001", 4, 1),
    "yml001_tabs.yaml": ("YML001", 4, 1),
    "yml002_duplicate_key.yaml": ("YML002", 7, 3),
    "yml003_billion_laughs.yaml": ("YML003", 12, 6),
    "yml005_not_mapping.yaml": ("YML005", 1, 1),
    "yml005_list_item.yaml": ("YML005", 8, 5),
    "yml006_empty.yaml": ("YML006", 1, 1),
    "yml009_missing_kind.yaml": ("YML009", 1, 1),
    "sch101_wrong_type.yaml": ("SCH101", 7, 10),
    "sch101_argo_wrong_type.yaml": ("SCH101", 14, 18),
    "sch102_flux_missing_prune.yaml": ("SCH102", 7, 3),
    "sch103_unknown_field.yaml": ("SCH103", 8, 3),
    "sch180_unknown_kind.yaml": ("SCH180", 2, 7),
    "sch181_crd_v1.yaml": ("SCH181", 1, 13),
    "sch182_k8s_schema.yaml": ("SCH182", 9, 3),
    "sch182_rbac_role.yaml": ("SCH182", 9, 5),
    "sch101_anp_wrong_type.yaml": ("SCH101", 6, 13),
    "sch101_hostendpoint_wrong_type.yaml": ("SCH101", 8, 16),
    "sch102_banp_missing_subject.yaml": ("SCH102", 6, 3),
    "sch102_gitrepository_missing_url.yaml": ("SCH102", 7, 3),
    "sch103_cnp_unknown_field.yaml": ("SCH103", 10, 3),
    "sch103_networkset_unknown_field.yaml": ("SCH103", 7, 3),
    "sch104_tier_bad_enum.yaml": ("SCH104", 7, 18),
    "cal201_ports_without_protocol.yaml": ("CAL201", 11, 17),
    "cal202_icmp_code_without_type.yaml": ("CAL202", 12, 15),
    "cal203_mixed_ip_versions.yaml": ("CAL203", 11, 30),
    "cal204_services_with_selector.yaml": ("CAL204", 13, 9),
    "cal205_global_in_policy_selector.yaml": ("CAL205", 7, 31),
    "cal206_staged_delete_with_spec.yaml": ("CAL206", 8, 3),
    "cal207_invalid_cidr.yaml": ("CAL207", 10, 7),
    "cal208_port_out_of_range.yaml": ("CAL208", 12, 23),
    "cal208_bad_range.yaml": ("CAL208", 12, 17),
    "cal209_tier_prefix.yaml": ("CAL209", 4, 9),
    "cal210_undefined_tier.yaml": ("CAL210", 6, 9),
    "cal211_cluster_scoped_namespace.yaml": ("CAL211", 5, 14),
    "cal212_invalid_selector.yaml": ("CAL212", 7, 36),
}
CLEAN = {"tier_security.yaml"}


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, object]], str]:
    code = main(["validate", "-c", str(CORPUS / "tierguard.yaml"), "-f", "json", *args])
    out, err = capsys.readouterr()
    return code, json.loads(out)["diagnostics"], err


def test_every_corpus_file_is_listed() -> None:
    assert {p.name for p in FILES.iterdir()} == set(EXPECTED) | CLEAN


def test_corpus_gives_one_precise_diagnostic_per_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, diagnostics, err = _run([str(FILES)], capsys)
    found = {(d["file"], d["code"], d["line"], d["column"]) for d in diagnostics}
    expected = {(f"files/{name}", c, line, col) for name, (c, line, col) in EXPECTED.items()}
    assert found == expected
    assert len(diagnostics) == len(EXPECTED)
    assert code == 1
    assert "Traceback" not in err


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_file_alone(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, diagnostics, _ = _run([str(FILES / name), str(FILES / "tier_security.yaml")], capsys)
    assert [(d["code"], d["line"], d["column"]) for d in diagnostics] == [EXPECTED[name]]
    # An empty file is only a warning: exit 1 needs --fail-on warning.
    assert code == (0 if name == "yml006_empty.yaml" else 1)


def test_fifty_megabyte_file_is_refused_fast(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:
        handle.truncate(50 * 1024 * 1024)  # sparse: 50 MB of NUL bytes, written instantly
    started = time.perf_counter()
    code, diagnostics, _ = _run([str(huge)], capsys)
    assert time.perf_counter() - started < 2.0
    assert [(d["code"], d["line"], d["column"]) for d in diagnostics] == [("YML004", 1, 1)]
    assert "52,428,800 bytes" in str(diagnostics[0]["message"])
    assert code == 1


def test_binary_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    binary = tmp_path / "image.yaml"
    binary.write_bytes(b"apiVersion: v1\n\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    code, diagnostics, _ = _run([str(binary)], capsys)
    assert [(d["code"], d["line"], d["column"]) for d in diagnostics] == [("YML007", 4, 1)]
    assert code == 1


def test_invalid_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: caf\xe9\n".encode("latin-1"))
    code, diagnostics, _ = _run([str(latin1)], capsys)
    assert [(d["code"], d["line"], d["column"]) for d in diagnostics] == [("YML007", 4, 1)]
    assert code == 1
