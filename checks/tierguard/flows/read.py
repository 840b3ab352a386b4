"""`read_flows`: the one entry point from files, globs, stdin or a flow store to records."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from types import ModuleType

from tierguard.flows import codes
from tierguard.flows.detect import detect
from tierguard.flows.model import FlowError, FlowRecord, SourceFormat
from tierguard.flows.readers import (
    calico_enterprise,
    eks_agent,
    goldmane,
    hubble,
    vpc,
    vpc_parquet,
    whisker,
)
from tierguard.flows.readers.base import Item, ReadOptions
from tierguard.flows.source import FlowInput, expand_inputs, problem, sniff

# Records ending more than this after the read started are reported as clock skew.
FUTURE_TOLERANCE_MS = 24 * 3600 * 1000
STORE_SUFFIXES = (".duckdb", ".ddb")
DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file


def _readers() -> dict[SourceFormat, ModuleType]:
    return {SourceFormat.CALICO_ENTERPRISE: calico_enterprise, SourceFormat.GOLDMANE: goldmane,
            SourceFormat.WHISKER: whisker, SourceFormat.HUBBLE: hubble, SourceFormat.VPC: vpc,
            SourceFormat.VPC_PARQUET: vpc_parquet, SourceFormat.EKS_AGENT: eks_agent}


def read_flows(paths: str | Path | Sequence[str | Path], format: str | SourceFormat | None = None,
               *, options: ReadOptions | None = None, dedupe: bool = True,
               now_ms: int | None = None) -> Iterator[FlowRecord | FlowError]:
    """Yield normalized records and FlowErrors (with file and line) from every input, in order.

    `paths`: a path, glob, `-` (stdin), a flow store (`*.duckdb` file or `s3://` URL of one), or
    a list of these. `format`: a SourceFormat (or its value) to skip detection. Duplicate
    records (same content, any file) are reported (FLW507) and skipped when `dedupe`.
    Raises `InputError` only for paths that do not exist or match nothing.
    """
    chosen = SourceFormat(format) if isinstance(format, str) else format
    options = options or ReadOptions()
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    seen: set[int] = set()
    items = [paths] if isinstance(paths, (str, Path)) else list(paths)
    for item in items:
        if is_store_location(item):
            from tierguard.flows.store import read_store  # the store imports readers; no cycle

            yield from read_store(str(item))
            continue
        for source in expand_inputs(item):
            try:
                yield from check_records(read_input(source, chosen, options),
                                         seen if dedupe else None, now)
            finally:
                source.release()


def read_flow_slice(path: str | Path, start: int, end: int, first_line: int,
                    format: str | SourceFormat | None = None, *,
                    options: ReadOptions | None = None,
                    now_ms: int | None = None) -> Iterator[FlowRecord | FlowError]:
    """`read_flows` over bytes [start, end) of one plain (not gzip) line-based file, whose
    first line is line `first_line` (both at line starts). Lets workers split one large file;
    no duplicate check (a duplicate may sit in another slice). The format is detected from
    the whole file's head when not given."""
    chosen = SourceFormat(format) if isinstance(format, str) else format
    source = FlowInput(Path(path), str(path), start, end, first_line)
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    yield from check_records(read_input(source, chosen, options or ReadOptions()), None, now)


def is_store_location(item: str | Path) -> bool:
    """A flow store: an s3:// URL, a *.duckdb/*.ddb path, or a file with DuckDB's header."""
    text = str(item)
    if text.startswith("s3://") or text.endswith(STORE_SUFFIXES):
        return True
    try:
        with open(text, "rb") as handle:
            return handle.read(12)[8:12] == DUCKDB_MAGIC
    except OSError:
        return False


def read_input(source: FlowInput, chosen: SourceFormat | None,
               options: ReadOptions) -> Iterator[Item]:
    fmt = chosen or detect(sniff(source.path))
    if fmt is None or fmt is SourceFormat.STORE:
        yield problem(codes.UNKNOWN_FORMAT, source.label, 1,
                      "content matches no supported flow-log format",
                      hint="pass --format (calico-enterprise, goldmane, whisker, hubble, vpc, "
                           "vpc-parquet, eks-agent)")
        return
    yield from _readers()[fmt].read(source, options)


def check_records(items: Iterator[Item], seen: set[int] | None, now_ms: int) -> Iterator[Item]:
    """Reader output plus the format-independent checks: duplicates (when `seen` is given)
    and clock skew."""
    latest = now_ms + FUTURE_TOLERANCE_MS
    for item in items:
        if type(item) is not FlowRecord:
            yield item
            continue
        if seen is not None:
            key = record_key(item)
            if key in seen:
                yield problem(codes.DUPLICATE_RECORD, item.file, item.line,
                              "duplicate of an earlier record; skipped")
                continue
            seen.add(key)
        if item.start_ms <= item.end_ms <= latest:
            yield item  # the common case, without a generator per record
        else:
            yield from _clock(item, now_ms)


def _clock(record: FlowRecord, now_ms: int) -> Iterator[Item]:
    if record.end_ms < record.start_ms:
        yield problem(codes.CLOCK_SKEW, record.file, record.line,
                      f"ends {(record.start_ms - record.end_ms) / 1000:g} s before it starts; "
                      "start and end swapped")
        record = replace(record, start_ms=record.end_ms, end_ms=record.start_ms)
    elif record.end_ms > now_ms + FUTURE_TOLERANCE_MS:
        yield problem(codes.CLOCK_SKEW, record.file, record.line,
                      f"ends {(record.end_ms - now_ms) / 3_600_000:.1f} h in the future; kept")
    yield record


def record_key(record: FlowRecord) -> int:
    """A content hash of a record that ignores where it was read from (64-bit, per process;
    a collision would only report a record as a duplicate, never drop one silently)."""
    return hash((record.start_ms, record.end_ms, record.source, record.dest, record.dest_port,
                 record.protocol, record.reporter, record.action, record.enforced_raw,
                 record.pending_raw, record.counts, record.dest_service, record.observer,
                 record.attributes, record.format))
