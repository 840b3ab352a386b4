"""The DuckDB flow store: idempotent incremental import, aggregation, retention, read-back."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from flows_testlib import NOW_MS, fixture, read
from tierguard.flows import ReadOptions, read_flows
from tierguard.flows.export import write_enterprise
from tierguard.flows.model import FlowError, FlowRecord
from tierguard.flows.store import FlowStore, StoreError, open_store


def _import(store: FlowStore, *names: str, **kwargs: object):  # type: ignore[no-untyped-def]
    return store.import_files([fixture(n) if "/" not in n else n for n in names],
                              now_ms=NOW_MS, **kwargs)  # type: ignore[arg-type]


def _rows(store: FlowStore) -> list[tuple[object, ...]]:
    return store.connection.execute(
        "SELECT src_name_aggr, dst_name_aggr, dest_port, action, reporter, records, num_flows, "
        "packets_in, packets_out, bytes_in, bytes_out, first_seen_ms, last_seen_ms FROM flows "
        "ORDER BY ALL").fetchall()


def test_import_is_idempotent(tmp_path: Path) -> None:
    with FlowStore(tmp_path / "s.duckdb") as store:
        first = _import(store, "ce.jsonl")
        before = _rows(store)
        again = _import(store, "ce.jsonl")
        assert [(f.status, f.records, f.new_records) for f in first.files] == [
            ("imported", 4, 4)]
        assert [(f.status, f.records, f.new_records) for f in again.files] == [
            ("already-imported", 0, 0)]
        assert [d.code for d in again.diagnostics] == ["FLW530"]
        # the same records in a file with other content (a copy with one extra record)
        bigger = tmp_path / "bigger.jsonl"
        bigger.write_bytes(Path(fixture("ce.jsonl")).read_bytes()
                           + Path(fixture("ce-es.jsonl")).read_bytes())
        third = _import(store, str(bigger))
        assert [(f.records, f.new_records) for f in third.files] == [(5, 1)]
        assert [(d.code, d.message) for d in third.diagnostics] == [
            ("FLW531", "4 of 5 records were already in the store; not counted again")]
        assert _rows(store)[:len(before)] != [] and sum(r[5] for r in _rows(store)) == 5
        assert store.summary().records == 5


def test_fast_path_and_python_reader_store_the_same(tmp_path: Path) -> None:
    with FlowStore(tmp_path / "fast.duckdb") as fast, FlowStore(tmp_path / "py.duckdb") as slow:
        fast_report = _import(fast, "ce.jsonl", "ce-es.jsonl")
        slow_report = _import(slow, "ce.jsonl", "ce-es.jsonl", fast_path=False)
        assert [f.fast_path for f in fast_report.files] == [True, True]
        assert [f.fast_path for f in slow_report.files] == [False, False]
        query = "SELECT * EXCLUDE (key_hash) FROM flows ORDER BY ALL"
        assert fast.connection.execute(query).fetchall() == slow.connection.execute(
            query).fetchall()
        seen = "SELECT record_hash FROM seen ORDER BY 1"
        assert fast.connection.execute(seen).fetchall() == slow.connection.execute(
            seen).fetchall()


def test_malformed_file_falls_back_and_reports_lines(tmp_path: Path) -> None:
    with FlowStore(tmp_path / "s.duckdb") as store:
        report = _import(store, "ce-malformed.jsonl")
        (file_report,) = report.files
        assert (file_report.fast_path, file_report.records, file_report.problems) == (False, 3, 7)
        assert [(d.code, d.span.line if d.span else 0) for d in report.diagnostics] == [
            ("FLW503", 2), ("FLW507", 3), ("FLW501", 4), ("FLW508", 5), ("FLW503", 6),
            ("FLW506", 7), ("FLW501", 8)]


def test_aggregation_per_key_and_hour(tmp_path: Path) -> None:
    line = Path(fixture("ce.jsonl")).read_text().splitlines()[0]
    later = line.replace('"start_time":1760000000,"end_time":1760000300',
                         '"start_time":1760000600,"end_time":1760000900')
    other_node = line.replace('"host":"node-a"', '"host":"node-c"')
    path = tmp_path / "three.jsonl"
    path.write_text(f"{line}\n{later}\n{other_node}\n")
    with FlowStore(tmp_path / "s.duckdb") as store:
        _import(store, str(path))
        # two records (two nodes) in the hour starting 1759996800, one in the next hour
        assert _rows(store) == [
            ("web-7d4b9c8f6d-*", "api-5c7f9d8b4c-*", 8080, "allow", "dst", 1, 3, 40, 52, 4200,
             9100, 1_760_000_600_000, 1_760_000_900_000),
            ("web-7d4b9c8f6d-*", "api-5c7f9d8b4c-*", 8080, "allow", "dst", 2, 6, 80, 104, 8400,
             18200, 1_760_000_000_000, 1_760_000_300_000)]
        (record,) = list(store.records())
        assert (record.counts.flows, record.counts.bytes, record.start_ms, record.end_ms) == (
            9, 39900, 1_760_000_000_000, 1_760_000_900_000)


def test_retention_keeps_days_before_newest_flow(tmp_path: Path) -> None:
    line = Path(fixture("ce.jsonl")).read_text().splitlines()[0]
    old = line.replace('"start_time":1760000000,"end_time":1760000300',
                       '"start_time":1759000000,"end_time":1759000300')
    path = tmp_path / "two.jsonl"
    path.write_text(old + "\n" + line + "\n")
    with FlowStore(tmp_path / "s.duckdb") as store:
        report = _import(store, str(path), retention_days=7)
        assert report.retention_dropped == 1
        assert [d.code for d in report.diagnostics] == ["FLW532"]
        assert [r[11] for r in _rows(store)] == [1_760_000_000_000]
        assert store.connection.execute("SELECT count(*) FROM seen").fetchone() == (1,)
        assert store.apply_retention(30) == 0


def test_summary(tmp_path: Path) -> None:
    with FlowStore(tmp_path / "s.duckdb") as store:
        _import(store, "ce.jsonl", "vpc-v2.txt", "eks-cloudwatch.log",
                options=ReadOptions(default_time_ms=1_760_000_100_000))
        summary = store.summary(top=3)
    assert (summary.records, summary.flow_keys, summary.imported_files) == (9, 9, 3)
    assert (summary.first_seen_ms, summary.last_seen_ms) == (1_760_000_000_000,
                                                            1_760_000_330_000)
    assert (summary.hours_covered, summary.hours_spanned) == (1, 1)
    assert summary.by_format == (("calico-enterprise", 4), ("eks-agent", 3), ("vpc", 2))
    assert [(t.source, t.dest, t.bytes) for t in summary.top_talkers] == [
        ("shop/web-7d4b9c8f6d-*", "shop/api-5c7f9d8b4c-*", 13300),
        ("10.1.0.11", "10.1.0.22", 9100),
        ("shop/web-7d4b9c8f6d-*", "pub", 5700)]
    assert [(t.source, t.dest, t.action) for t in summary.denied] == [
        ("ops/debug-shell", "shop/api-5c7f9d8b4c-*", "deny"),
        ("10.1.0.99", "10.1.0.22", "deny"), ("10.1.0.11", "172.30.0.40", "deny")]
    assert [(u.ip, u.side, u.records) for u in summary.unresolved] == [
        ("10.1.0.22", "destination", 4), ("10.1.0.11", "source", 3), ("10.1.0.99", "source", 2)]


def test_store_reads_back_and_exports_for_simulate(tmp_path: Path) -> None:
    store_path = tmp_path / "s.duckdb"
    with FlowStore(store_path) as store:
        _import(store, "ce.jsonl", "goldmane.jsonl")
    from_store = [i for i in read_flows(str(store_path)) if isinstance(i, FlowRecord)]
    assert len(from_store) == 6
    out = tmp_path / "export.jsonl"
    with out.open("w") as handle:
        assert write_enterprise(from_store, handle) == 6
    again, errors = read(str(out))
    assert errors == []
    strip = lambda r: (r.source, r.dest, r.dest_port, r.protocol, r.reporter, r.action,
                       r.enforced_raw, r.pending_raw, r.counts, r.dest_service,
                       r.start_ms, r.end_ms)
    assert [strip(r) for r in again] == [strip(r) for r in from_store]


def test_every_format_exports_and_reads_back(tmp_path: Path) -> None:
    names = ["ce.jsonl", "goldmane.jsonl", "whisker.json", "hubble.jsonl", "vpc-v5.txt",
             "eks-node.log"]
    originals = [r for name in names for r in read(name)[0]]
    out = tmp_path / "export.jsonl"
    with out.open("w") as handle:
        write_enterprise(originals, handle)
    again, errors = read(str(out), dedupe=False)
    assert errors == []
    assert [(r.source.type, r.source.ip, r.source.name_aggr, r.source.labels, r.dest.ip,
             r.dest.name_aggr, r.dest_port, r.reporter, r.action, r.enforced_raw)
            for r in again] == [
        (r.source.type, r.source.ip, r.source.name_aggr, r.source.labels, r.dest.ip,
         r.dest.name_aggr, r.dest_port, r.reporter, r.action, r.enforced_raw)
        for r in originals]


def test_missing_store_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no flow store at"):
        open_store(tmp_path / "none.duckdb")
    import duckdb

    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    with pytest.raises(StoreError, match="is a DuckDB file but not a tierguard flow store"):
        list(read_flows(str(other)))
    text = tmp_path / "text.duckdb"
    text.write_text("not a database")
    with pytest.raises(StoreError, match="cannot open flow store"):
        list(read_flows(str(text)))
    items = list(read_flows([fixture("vpc-v2.txt")]))
    assert any(isinstance(i, FlowError) for i in items)


@pytest.mark.slow
def test_store_from_a_local_s3_compatible_server(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's server mode is a real S3-compatible HTTP server on 127.0.0.1 (not a stand-in for
    our code: boto3 talks HTTP to it exactly as it would to S3)."""
    boto3 = pytest.importorskip("boto3")
    server_module = pytest.importorskip("moto.server")
    store_path = tmp_path / "prod.duckdb"
    with FlowStore(store_path) as store:
        _import(store, "ce.jsonl")
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
        client.upload_file(str(store_path), "flows", "prod/flows.duckdb")
        records = [i for i in read_flows("s3://flows/prod/flows.duckdb")
                   if isinstance(i, FlowRecord)]
        assert [r.dest.name_aggr for r in records] == [
            "api-5c7f9d8b4c-*", "api-5c7f9d8b4c-*", "cache-0", "pub"]
        with open_store("s3://flows/prod/flows.duckdb") as remote:
            assert remote.summary().records == 4
            downloaded = remote.path
        assert not downloaded.exists()  # the temporary copy is removed on close
        with pytest.raises(StoreError, match="cannot download s3://flows/missing.duckdb"):
            open_store("s3://flows/missing.duckdb")
    finally:
        server.stop()
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_gzip_fast_path_and_truncated_gzip_fallback(tmp_path: Path) -> None:
    import gzip

    body = Path(fixture("ce.jsonl")).read_bytes()
    whole = tmp_path / "whole.jsonl.gz"
    whole.write_bytes(gzip.compress(body))
    cut = tmp_path / "cut.log"  # no .gz suffix: gzip is detected by its magic bytes
    many = b"".join(body.replace(b'"node-a"', f'"node-{n}"'.encode()) for n in range(40))
    packed = gzip.compress(many)
    cut.write_bytes(packed[: len(packed) - 30])
    with FlowStore(tmp_path / "s.duckdb") as store:
        report = _import(store, str(whole), str(cut))
    assert [(f.fast_path, f.status) for f in report.files] == [(True, "imported"),
                                                               (False, "imported")]
    assert report.files[0].records == 4
    (truncated,) = [d for d in report.diagnostics if d.code == "FLW505"]
    assert truncated.span is not None and truncated.span.file == str(cut)
    assert truncated.span.line > 1  # the lines before the cut were imported


def test_second_import_adds_to_existing_hourly_aggregate(tmp_path: Path) -> None:
    line = Path(fixture("ce.jsonl")).read_text().splitlines()[0]
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text(line + "\n")
    second.write_text(line.replace('"host":"node-a"', '"host":"node-c"')
                      .replace('"start_time":1760000000', '"start_time":1759999000') + "\n")
    with FlowStore(tmp_path / "s.duckdb") as store:
        _import(store, str(first))
        report = _import(store, str(second))
        assert [(f.records, f.new_records) for f in report.files] == [(1, 1)]
        assert _rows(store) == [("web-7d4b9c8f6d-*", "api-5c7f9d8b4c-*", 8080, "allow", "dst",
                                 2, 6, 80, 104, 8400, 18200, 1_759_999_000_000,
                                 1_760_000_300_000)]
