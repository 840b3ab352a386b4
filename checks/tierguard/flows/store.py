"""The embedded flow store (DuckDB): incremental, idempotent import; hourly flow-key aggregates.

Tables (see docs/flow-store.md): `imports` (one row per imported file content hash), `seen`
(record hashes, for dedupe across overlapping files), `flows` (aggregates per flow key and hour
bucket with first/last seen and totals). Retention keeps the N days before the newest flow.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

import duckdb
import orjson

from tierguard.diagnostics import Diagnostic
from tierguard.flows import codes, fastpath
from tierguard.flows.common import parse_hits
from tierguard.flows.detect import detect
from tierguard.flows.model import (
    Action,
    Counts,
    EndpointType,
    FlowError,
    FlowRecord,
    Peer,
    PolicyHit,
    Protocol,
    Reporter,
    ServiceRef,
    SourceFormat,
)
from tierguard.flows.read import read_input
from tierguard.flows.readers.base import ReadOptions
from tierguard.flows.source import (
    FlowInput,
    InputError,
    expand_inputs,
    is_gzip,
    problem,
    sniff,
)
from tierguard.flows.store_schema import (
    BUCKET_MS,
    KEY_NAMES,
    SCHEMA_VERSION,
    TOTALS,
    columns_spec,
    create_statements,
    hashed_select,
    staging_row,
)

DAY_MS = 86_400_000
SAMPLES_PER_CODE = 20  # diagnostics kept per code and file; the rest are counted
PYTHON_BATCH = 50_000
DEFAULT_MEMORY_LIMIT = "1GB"

# (records read so far in this file, file index, file count, file label)
Progress = Callable[[int, int, int, str], None]
# Rewrites records before they are stored (workload resolution).
Transform = Callable[[Iterable[FlowRecord]], Iterator[FlowRecord]]


class StoreError(InputError):
    """The store cannot be opened or downloaded, or is not a flow store. An InputError, so
    callers of `read_flows` (and the CLI) report it as a usage error."""


@dataclass(slots=True)
class FileReport:
    label: str
    format: str = ""
    status: str = "imported"  # imported | already-imported | unreadable
    records: int = 0  # records read (after in-file dedupe)
    new_records: int = 0  # records not already in the store
    problems: int = 0
    fast_path: bool = False
    seconds: float = 0.0


@dataclass(slots=True)
class ImportReport:
    files: list[FileReport] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    problem_counts: Counter[str] = field(default_factory=Counter)
    retention_dropped: int = 0

    @property
    def records(self) -> int:
        return sum(f.records for f in self.files)

    @property
    def new_records(self) -> int:
        return sum(f.new_records for f in self.files)


@dataclass(frozen=True, slots=True)
class Talker:
    source: str
    dest: str
    dest_port: int | None
    protocol: str
    action: str
    records: int
    flows: int
    bytes: int


@dataclass(frozen=True, slots=True)
class Unresolved:
    ip: str
    side: str
    records: int
    first_seen_ms: int
    last_seen_ms: int


@dataclass(frozen=True, slots=True)
class StoreSummary:
    flow_keys: int
    records: int
    first_seen_ms: int | None
    last_seen_ms: int | None
    hours_covered: int
    hours_spanned: int
    imported_files: int
    by_format: tuple[tuple[str, int], ...]
    top_talkers: tuple[Talker, ...]
    denied: tuple[Talker, ...]
    unresolved: tuple[Unresolved, ...]


def content_hash(path: Path) -> str:
    with path.open("rb") as stream:
        return hashlib.file_digest(stream, "sha1").hexdigest()


class FlowStore:
    """An open store. Use as a context manager; `open_store` handles s3:// URLs."""

    def __init__(self, path: Path, read_only: bool = False,
                 memory_limit: str = DEFAULT_MEMORY_LIMIT, temporary: bool = False) -> None:
        self.path = path
        self.temporary = temporary  # a downloaded copy, deleted on close
        self.read_only = read_only
        try:
            if not read_only:
                path.parent.mkdir(parents=True, exist_ok=True)
            self.connection = duckdb.connect(str(path), read_only=read_only)
        except (duckdb.Error, OSError) as exc:
            raise StoreError(f"cannot open flow store {path}: {exc}") from None
        self.connection.execute(f"SET memory_limit = '{memory_limit}'")
        self.connection.execute("SET preserve_insertion_order = false")
        self.connection.execute("SET enable_progress_bar = false")
        if read_only and not self._has_flows_table():
            self.connection.close()
            raise StoreError(f"{path} is a DuckDB file but not a tierguard flow store")
        if not read_only:
            for statement in create_statements():
                self.connection.execute(statement)
            self.connection.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)",
                                    [SCHEMA_VERSION])

    def _has_flows_table(self) -> bool:
        row = self.connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name IN "
            "('flows', 'imports', 'seen')").fetchone()
        return bool(row and row[0] == 3)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.connection.close()
        if self.temporary:
            self.path.unlink(missing_ok=True)

    # -- import ---------------------------------------------------------------------------

    def import_files(self, paths: str | Path | Sequence[str | Path],
                     format: SourceFormat | None = None, *,
                     options: ReadOptions | None = None, transform: Transform | None = None,
                     retention_days: float | None = None, fast_path: bool = True,
                     progress: Progress | None = None,
                     now_ms: int | None = None) -> ImportReport:
        """Import every input once (by content hash); return what happened per file."""
        report = ImportReport()
        inputs = expand_inputs(paths)
        now = now_ms if now_ms is not None else int(time.time() * 1000)
        for index, source in enumerate(inputs):
            started = time.monotonic()
            try:
                file_report = self._import_one(source, format, options or ReadOptions(),
                                               transform, fast_path, report, now,
                                               _file_progress(progress, index, len(inputs),
                                                              source.label))
            finally:
                source.release()
            file_report.seconds = time.monotonic() - started
            report.files.append(file_report)
        if retention_days is not None:
            report.retention_dropped = self.apply_retention(retention_days)
            if report.retention_dropped:
                report.diagnostics.append(problem(
                    codes.RETENTION_DROPPED, str(self.path), 0,
                    f"{report.retention_dropped} hourly flow aggregates older than "
                    f"{retention_days:g} days removed").diagnostic)
        return report

    def _import_one(self, source: FlowInput, chosen: SourceFormat | None, options: ReadOptions,
                    transform: Transform | None, use_fast_path: bool, report: ImportReport,
                    now_ms: int, progress: Callable[[int], None]) -> FileReport:
        digest = content_hash(source.path)
        file_report = FileReport(source.label)
        known = self.connection.execute("SELECT path FROM imports WHERE content_hash = ?",
                                        [digest]).fetchone()
        if known:
            file_report.status = "already-imported"
            report.diagnostics.append(problem(
                codes.ALREADY_IMPORTED, source.label, 0,
                f"same content as {known[0]}, imported before; skipped").diagnostic)
            return file_report
        fmt = chosen or detect(sniff(source.path))
        file_report.format = fmt.value if fmt else ""
        count = None
        # Enterprise records name their peers, so resolution (`transform`) has nothing to add.
        if use_fast_path and fmt is SourceFormat.CALICO_ENTERPRISE:
            count = fastpath.load(self.connection, source.path, is_gzip(source.path),
                                  _is_es_document(source.path), now_ms)
        file_report.fast_path = count is not None
        if count is None:
            count = self._python_staging(source, fmt, options, transform, report, file_report,
                                         progress, now_ms)
        else:
            progress(count)
        file_report.records = count
        self.connection.execute("BEGIN TRANSACTION")
        try:
            file_report.new_records = self._merge_staging()
            self._record_import(digest, source, file_report)
            self.connection.execute("COMMIT")
        except BaseException:
            self.connection.execute("ROLLBACK")
            raise
        if file_report.records > file_report.new_records:
            report.diagnostics.append(problem(
                codes.DUPLICATES_IN_STORE, source.label, 0,
                f"{file_report.records - file_report.new_records} of {file_report.records} "
                "records were already in the store; not counted again").diagnostic)
        return file_report

    def _python_staging(self, source: FlowInput, fmt: SourceFormat | None, options: ReadOptions,
                        transform: Transform | None, report: ImportReport,
                        file_report: FileReport, progress: Callable[[int], None],
                        now_ms: int) -> int:
        from tierguard.flows.read import check_records

        seen: set[int] = set()
        items = check_records(read_input(source, fmt, options), seen, now_ms)
        records = _collect_problems(items, report, file_report)
        if transform is not None:
            records = transform(records)
        self.connection.execute("DROP TABLE IF EXISTS staging")
        empty = f"read_json('/dev/null', columns={columns_spec()})"
        self.connection.execute(f"CREATE TEMP TABLE staging AS {hashed_select(empty)} LIMIT 0")
        count = 0
        for batch_file, batch_count in _spooled_batches(records):
            count += batch_count
            try:
                batch = (f"read_json('{batch_file}', format='newline_delimited', "
                         f"columns={columns_spec()})")
                self.connection.execute(f"INSERT INTO staging {hashed_select(batch)}")
            finally:
                os.unlink(batch_file)
            progress(count)
        return count

    def _merge_staging(self) -> int:
        """Merge the staging rows not yet in `seen` into the hourly `flows` aggregates."""
        con = self.connection
        overlap = _scalar(con, "SELECT count(*) FROM staging SEMI JOIN seen USING (record_hash)")
        fresh = ("staging" if overlap == 0 else
                 "(SELECT * FROM staging ANTI JOIN seen USING (record_hash))")
        # Aggregate numbers per (key, hour), then attach one row of key columns per key: cheaper
        # than any_value() over the list columns.
        keys = ", ".join(KEY_NAMES)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE batch AS WITH totals AS (SELECT key_hash, "
            f"(start_ms // {BUCKET_MS}) * {BUCKET_MS} AS bucket_ms, "
            "min(start_ms) AS first_seen_ms, max(end_ms) AS last_seen_ms, "
            "count(*)::BIGINT AS records, sum(num_flows)::BIGINT AS num_flows, "
            "sum(packets_in)::BIGINT AS packets_in, sum(packets_out)::BIGINT AS packets_out, "
            "sum(bytes_in)::BIGINT AS bytes_in, sum(bytes_out)::BIGINT AS bytes_out "
            f"FROM {fresh} GROUP BY ALL), "
            f"representative AS (SELECT DISTINCT ON (key_hash) key_hash, {keys} FROM {fresh}) "
            "SELECT * FROM totals JOIN representative USING (key_hash)")
        added = _scalar(con, "SELECT coalesce(sum(records), 0) FROM batch")
        con.execute(f"INSERT INTO seen SELECT record_hash, end_ms FROM {fresh}")
        # Existing (key, hour) aggregates are updated in place; the rest are appended.
        sums = ", ".join(f"{t} = flows.{t} + b.{t}" for t in TOTALS)
        con.execute(
            f"UPDATE flows SET first_seen_ms = least(flows.first_seen_ms, b.first_seen_ms), "
            f"last_seen_ms = greatest(flows.last_seen_ms, b.last_seen_ms), {sums} "
            "FROM batch b WHERE flows.key_hash = b.key_hash AND flows.bucket_ms = b.bucket_ms")
        con.execute("INSERT INTO flows BY NAME SELECT * FROM batch "
                    "ANTI JOIN flows USING (key_hash, bucket_ms)")
        for table in ("staging", "batch"):
            con.execute(f"DROP TABLE IF EXISTS {table}")
        return added

    def _record_import(self, digest: str, source: FlowInput, file_report: FileReport) -> None:
        self.connection.execute(
            "INSERT INTO imports VALUES (?, ?, ?, ?, ?, ?, ?, ?, now())",
            [digest, source.label, file_report.format, source.path.stat().st_size,
             file_report.records, file_report.new_records, file_report.problems,
             file_report.fast_path])

    def apply_retention(self, days: float) -> int:
        """Drop aggregates (and dedupe hashes) ending before newest flow minus `days`."""
        row = self.connection.execute("SELECT max(last_seen_ms) FROM flows").fetchone()
        if not row or row[0] is None:
            return 0
        cutoff = int(row[0] - days * DAY_MS)
        dropped = self.connection.execute("SELECT count(*) FROM flows WHERE last_seen_ms < ?",
                                          [cutoff]).fetchone()
        self.connection.execute("DELETE FROM flows WHERE last_seen_ms < ?", [cutoff])
        self.connection.execute("DELETE FROM seen WHERE end_ms < ?", [cutoff])
        return int(dropped[0]) if dropped else 0

    # -- queries --------------------------------------------------------------------------

    def summary(self, top: int = 10) -> StoreSummary:
        con = self.connection
        totals = con.execute(
            "SELECT count(DISTINCT key_hash), coalesce(sum(records), 0), min(first_seen_ms), "
            "max(last_seen_ms), count(DISTINCT bucket_ms) FROM flows").fetchone()
        assert totals is not None
        files = con.execute("SELECT count(*) FROM imports").fetchone()
        by_format = con.execute("SELECT source_format, sum(records)::BIGINT FROM flows "
                                "GROUP BY 1 ORDER BY 2 DESC").fetchall()
        first, last = totals[2], totals[3]
        spanned = 0 if first is None else int((last - first) // BUCKET_MS) + 1
        return StoreSummary(
            flow_keys=int(totals[0]), records=int(totals[1]), first_seen_ms=first,
            last_seen_ms=last, hours_covered=int(totals[4]), hours_spanned=spanned,
            imported_files=int(files[0]) if files else 0,
            by_format=tuple((str(f), int(n)) for f, n in by_format),
            top_talkers=self._talkers("true", top), denied=self._talkers("action = 'deny'", top),
            unresolved=self._unresolved(top))

    def _talkers(self, where: str, top: int) -> tuple[Talker, ...]:
        # Collapse hour buckets per key first (an integer GROUP BY), then label the few keys.
        peer_columns = [f"{p}_{c}" for p in ("src", "dst")
                        for c in ("type", "namespace", "name", "name_aggr", "ip")]
        picked = ", ".join(f"any_value({c}) AS {c}" for c in
                           (*peer_columns, "dest_port", "proto_name", "action"))
        rows = self.connection.execute(
            f"WITH per_key AS (SELECT key_hash, {picked}, sum(records) AS records, "
            "sum(num_flows) AS num_flows, sum(bytes_in + bytes_out) AS bytes FROM flows "
            f"WHERE {where} GROUP BY key_hash) "
            f"SELECT {_peer_label('src')} AS s, {_peer_label('dst')} AS d, dest_port, "
            "proto_name, action, sum(records)::BIGINT, sum(num_flows)::BIGINT, "
            "sum(bytes)::BIGINT AS b FROM per_key "
            f"GROUP BY ALL ORDER BY b DESC, 6 DESC, s, d LIMIT {int(top)}").fetchall()
        return tuple(Talker(*row) for row in rows)

    def _unresolved(self, top: int) -> tuple[Unresolved, ...]:
        rows = self.connection.execute(
            "SELECT ip, side, sum(records)::BIGINT AS n, min(first_seen_ms), max(last_seen_ms) "
            "FROM (SELECT src_ip AS ip, 'source' AS side, * FROM flows WHERE src_type = 'unknown' "
            "UNION ALL BY NAME SELECT dst_ip AS ip, 'destination' AS side, * FROM flows "
            "WHERE dst_type = 'unknown') WHERE ip IS NOT NULL "
            f"GROUP BY ip, side ORDER BY n DESC, ip LIMIT {int(top)}").fetchall()
        return tuple(Unresolved(str(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4]))
                     for r in rows)

    def records(self) -> Iterator[FlowRecord]:
        """One record per flow key over the whole retention window (hour buckets combined)."""
        values = ", ".join(f"any_value({k})" for k in KEY_NAMES)
        query = (f"SELECT {values}, min(first_seen_ms), max(last_seen_ms), "
                 "sum(num_flows)::BIGINT, sum(packets_in)::BIGINT, sum(packets_out)::BIGINT, "
                 "sum(bytes_in)::BIGINT, sum(bytes_out)::BIGINT FROM flows GROUP BY key_hash "
                 "ORDER BY min(first_seen_ms), key_hash")
        result = self.connection.execute(query)
        names = (*KEY_NAMES, "first", "last", "num_flows", "packets_in", "packets_out",
                 "bytes_in", "bytes_out")
        hits: dict[tuple[str, ...], tuple[PolicyHit, ...]] = {}  # traces repeat a lot
        number = 0
        while rows := result.fetchmany(10_000):
            for row in rows:
                number += 1
                yield _record_from_row(dict(zip(names, row)), str(self.path), number, hits)


def _scalar(connection: Any, query: str) -> int:
    row = connection.execute(query).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _peer_label(prefix: str) -> str:
    return (f"CASE WHEN {prefix}_type = 'unknown' THEN coalesce({prefix}_ip, '?') "
            f"WHEN {prefix}_namespace = '' THEN coalesce(nullif({prefix}_name_aggr, ''), "
            f"{prefix}_ip, {prefix}_type) "
            f"ELSE {prefix}_namespace || '/' || coalesce(nullif({prefix}_name_aggr, ''), "
            f"{prefix}_name) END")


def _parsed(raw: tuple[str, ...], cache: dict[tuple[str, ...], tuple[PolicyHit, ...]]
            ) -> tuple[PolicyHit, ...]:
    if raw not in cache:
        cache[raw] = parse_hits(raw)[0]
    return cache[raw]


def _record_from_row(row: dict[str, Any], label: str, number: int,
                     cache: dict[tuple[str, ...], tuple[PolicyHit, ...]]) -> FlowRecord:
    peers = {prefix: Peer(type=EndpointType(row[f"{prefix}_type"]),
                          namespace=row[f"{prefix}_namespace"], name=row[f"{prefix}_name"],
                          name_aggr=row[f"{prefix}_name_aggr"], ip=row[f"{prefix}_ip"],
                          labels=tuple(row[f"{prefix}_labels"] or ()),
                          workload=row[f"{prefix}_workload"],
                          resolved_by=row[f"{prefix}_resolved_by"])
             for prefix in ("src", "dst")}
    enforced_raw = tuple(row["enforced"] or ())
    pending_raw = None if row["pending"] is None else tuple(row["pending"])
    service = (ServiceRef(row["svc_namespace"], row["svc_name"], row["svc_port_name"],
                          row["svc_port"]) if row["svc_name"] else None)
    return FlowRecord(
        start_ms=int(row["first"]), end_ms=int(row["last"]), source=peers["src"],
        dest=peers["dst"], dest_port=row["dest_port"],
        protocol=Protocol(row["proto_num"], row["proto_name"]),
        reporter=Reporter(row["reporter"]), action=Action(row["action"]),
        enforced=_parsed(enforced_raw, cache), pending=_parsed(pending_raw or (), cache),
        enforced_raw=enforced_raw, pending_raw=pending_raw,
        counts=Counts(int(row["num_flows"]), int(row["packets_in"]), int(row["packets_out"]),
                      int(row["bytes_in"]), int(row["bytes_out"])),
        format=SourceFormat(row["source_format"]), file=label, line=number,
        dest_service=service)


def _collect_problems(items: Iterable[FlowRecord | FlowError], report: ImportReport,
                      file_report: FileReport) -> Iterator[FlowRecord]:
    """Pass records through; keep the first diagnostics per code, count all."""
    per_code: Counter[str] = Counter()
    for item in items:
        if isinstance(item, FlowRecord):
            yield item
            continue
        per_code[item.code] += 1
        file_report.problems += 1
        report.problem_counts[item.code] += 1
        if per_code[item.code] <= SAMPLES_PER_CODE:
            report.diagnostics.append(item.diagnostic)
    for code, count in sorted(per_code.items()):
        if count > SAMPLES_PER_CODE:
            report.diagnostics.append(problem(
                code, file_report.label, 0,
                f"{count - SAMPLES_PER_CODE} more {code} problems in this file (first "
                f"{SAMPLES_PER_CODE} shown)").diagnostic)


def _spooled_batches(records: Iterable[FlowRecord]) -> Iterator[tuple[str, int]]:
    """Write staging rows to temporary NDJSON files of PYTHON_BATCH rows for read_json."""
    batch: list[str] = []
    for record in records:
        batch.append(orjson.dumps(staging_row(record)).decode())
        if len(batch) == PYTHON_BATCH:
            yield _spool(batch), len(batch)
            batch = []
    if batch:
        yield _spool(batch), len(batch)


def _spool(lines: list[str]) -> str:
    with tempfile.NamedTemporaryFile("w", suffix=".ndjson", prefix="tierguard-", delete=False,
                                     encoding="utf-8") as handle:
        handle.write("\n".join(lines))
        handle.write("\n")
    return handle.name


def _is_es_document(path: Path) -> bool:
    head = sniff(path).split(b"\n", 1)[0]
    try:
        first = json.loads(head)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return False
    return isinstance(first, dict) and "_source" in first


def _file_progress(progress: Progress | None, index: int, total: int,
                   label: str) -> Callable[[int], None]:
    def report(count: int) -> None:
        if progress is not None:
            progress(count, index, total, label)
    return report


def open_store(location: str | Path, read_only: bool = True) -> FlowStore:
    """Open a store file, or download an `s3://bucket/key` store to a temporary file first."""
    text = str(location)
    if text.startswith("s3://"):
        if not read_only:
            raise StoreError("an s3:// store can only be read; import into a local file")
        return FlowStore(download_s3(text), read_only=True, temporary=True)
    path = Path(text)
    if read_only and not path.is_file():
        raise StoreError(f"no flow store at {path}")
    return FlowStore(path, read_only=read_only)


def download_s3(url: str) -> Path:
    """Fetch `s3://bucket/key` with boto3 (endpoint from AWS_ENDPOINT_URL, as boto3 reads it)."""
    try:
        import boto3  # optional: only needed for object-store URLs
        from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]
    except ImportError:
        raise StoreError("reading s3:// stores needs boto3 (pip install boto3)") from None
    bucket, _, key = url[len("s3://"):].partition("/")
    if not bucket or not key:
        raise StoreError(f"{url}: expected s3://bucket/key")
    target = Path(tempfile.mkdtemp(prefix="tierguard-store-")) / Path(key).name
    try:
        boto3.client("s3").download_file(bucket, key, str(target))
    except (BotoCoreError, ClientError) as exc:
        raise StoreError(f"cannot download {url}: {exc}") from None
    return target


def read_store(location: str | Path) -> Iterator[FlowRecord]:
    """Every aggregated flow of a store (local path or s3:// URL) as FlowRecords."""
    with open_store(location) as store:
        yield from store.records()

