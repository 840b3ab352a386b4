"""`tierguard simulate --flows` reads every input through `tierguard.flows.read_flows`:
Calico Enterprise JSON lines (golden output), flow stores (local .duckdb and s3://), and
records whose peers workload resolution could not place (type `unknown`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from tierguard.cli.main import main

FIXTURES = Path(__file__).parent / "fixtures"
POLICIES = str(FIXTURES / "app" / "policies")
INVENTORY = str(FIXTURES / "app" / "inventory.yaml")

# One Enterprise record per line: client -> db by IP (allowed), web -> db by name (denied),
# an unresolved IP-only source (as `flows export` writes it), and a public peer.
_BASE = {"start_time": 1764100000, "end_time": 1764100300, "proto": "tcp", "reporter": "dst",
         "action": "allow", "num_flows": 1, "dest_type": "wep", "dest_namespace": "app",
         "dest_name": "-", "dest_name_aggr": "db-5c6b7f-*", "dest_ip": "10.0.0.30",
         "dest_port": 5432}
RECORDS = [
    {**_BASE, "source_type": "wep", "source_namespace": "app", "source_name": "-",
     "source_name_aggr": "client-7d9f8b-*", "source_ip": "10.0.0.10"},
    {**_BASE, "source_type": "wep", "source_namespace": "app", "source_name": "-",
     "source_name_aggr": "web-5c6b7f-*", "source_ip": None, "action": "deny",
     "start_time": 1764103700, "end_time": 1764104000},
    {**_BASE, "source_type": "unknown", "source_namespace": "-", "source_name": "-",
     "source_name_aggr": "-", "source_ip": "10.9.9.9", "start_time": 1764107300,
     "end_time": 1764107600},
]


def _write(path: Path, records: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return path


def _simulate(capsys: pytest.CaptureFixture[str], flows: str, *extra: str
              ) -> tuple[int, list[dict[str, object]], str]:
    code = main(["simulate", "--policies", POLICIES, "--inventory", INVENTORY, "--flows", flows,
                 *extra])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def _brief(rows: list[dict[str, object]]) -> list[tuple[object, ...]]:
    return [(r["src"], r["dst"], r.get("port"), r["verdict"], r.get("recorded"), r.get("error"))
            for r in rows]


_UNKNOWN_ERROR = ("10.9.9.9 is an IP-only peer that workload resolution could not place "
                  "(type unknown)")
EXPECTED = [
    ("app/client-7d9f8b-* (10.0.0.10)", "app/db-5c6b7f-* (10.0.0.30)", 5432, "allow",
     {"reporter": "dst", "action": "allow"}, None),
    ("app/web-5c6b7f-*", "app/db-5c6b7f-* (10.0.0.30)", 5432, "deny",
     {"reporter": "dst", "action": "deny"}, None),
    ("10.9.9.9", "app/db-5c6b7f-* (10.0.0.30)", None, None,
     {"reporter": "dst", "action": "allow"}, _UNKNOWN_ERROR),
]


def test_calico_lines_output_matches_the_golden_file(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Byte-identical to the output of the former private decoder of simulate (the only
    change: a malformed line's message now comes from the flows reader, FLW501)."""
    monkeypatch.chdir(FIXTURES)
    code = main(["simulate", "--policies", "app/policies", "--inventory", "app/inventory.yaml",
                 "--flows", "golden/calico-flows.jsonl"])
    out, err = capsys.readouterr()
    assert code == 1  # line 9 is malformed
    assert out == (FIXTURES / "golden" / "calico-flows.expected.jsonl").read_text()
    assert err.splitlines() == [
        ("golden/calico-flows.jsonl:5:1: ENG601 warning: no endpoint in the inventory matches "
         "pod app/ghost-1234-*"),
        ("golden/calico-flows.jsonl:9:1: ENG602 error: not valid JSON at column 35: unexpected "
         "end of data")]


def test_golden_output_is_the_same_with_jobs(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)
    main(["simulate", "--policies", "app/policies", "--inventory", "app/inventory.yaml",
          "--flows", "golden/calico-flows.jsonl", "--jobs", "3"])
    out = capsys.readouterr().out
    assert out == (FIXTURES / "golden" / "calico-flows.expected.jsonl").read_text()


def test_unknown_peer_type_is_an_unresolved_record_not_dropped(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    flows = _write(tmp_path / "export.jsonl", RECORDS)
    code, rows, err = _simulate(capsys, str(flows))
    assert code == 0  # unresolved records are warnings; the simulation ran
    assert _brief(rows) == EXPECTED
    assert err.splitlines() == [f"{flows}:3:1: ENG601 warning: {_UNKNOWN_ERROR}"]


def test_store_made_by_flows_import(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    flows = _write(tmp_path / "flows.jsonl", RECORDS)
    store = tmp_path / "prod.duckdb"
    assert main(["flows", "import", "--store", str(store), str(flows)]) == 0
    capsys.readouterr()
    code, rows, err = _simulate(capsys, str(store))
    assert code == 0
    # one record per flow key, ordered by first seen: the input order here
    assert _brief(rows) == EXPECTED
    assert [(r["file"], r["line"]) for r in rows] == [(str(store), 1), (str(store), 2),
                                                      (str(store), 3)]
    assert err.splitlines() == [f"{store}:3:1: ENG601 warning: {_UNKNOWN_ERROR}"]


def test_store_without_duckdb_suffix_is_recognised_by_its_header(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    store = tmp_path / "flows.duckdb"
    assert main(["flows", "import", "--store", str(store),
                 str(_write(tmp_path / "f.jsonl", RECORDS[:1]))]) == 0
    renamed = store.rename(tmp_path / "flows.db")
    capsys.readouterr()
    code, rows, _ = _simulate(capsys, str(renamed))
    assert (code, _brief(rows)) == (0, EXPECTED[:1])


def test_missing_store_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                        tmp_path: Path) -> None:
    code, rows, err = _simulate(capsys, str(tmp_path / "none.duckdb"))
    assert (code, rows) == (2, [])
    assert f"no flow store at {tmp_path / 'none.duckdb'}" in err


@pytest.mark.slow
def test_store_from_a_local_s3_compatible_server(
        capsys: pytest.CaptureFixture[str], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's server mode is a real S3-compatible HTTP server on 127.0.0.1; boto3 talks HTTP
    to it as it would to S3."""
    boto3 = pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server")
    store = tmp_path / "prod.duckdb"
    assert main(["flows", "import", "--store", str(store),
                 str(_write(tmp_path / "flows.jsonl", RECORDS))]) == 0
    capsys.readouterr()
    server = server_module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        for key, value in {"AWS_ENDPOINT_URL": f"http://{host}:{port}",
                           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                           "AWS_DEFAULT_REGION": "us-east-1"}.items():
            monkeypatch.setenv(key, value)
        client = boto3.client("s3")
        client.create_bucket(Bucket="flows")
        client.upload_file(str(store), "flows", "prod/flows.duckdb")
        code, rows, _ = _simulate(capsys, "s3://flows/prod/flows.duckdb")
        assert (code, _brief(rows)) == (0, EXPECTED)
        code, rows, err = _simulate(capsys, "s3://flows/prod/missing.duckdb")
        assert (code, rows) == (2, [])
        assert "cannot download s3://flows/prod/missing.duckdb" in err
    finally:
        server.stop()
    shutil.rmtree(tmp_path, ignore_errors=True)
