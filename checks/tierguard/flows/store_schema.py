"""The flow store's tables and the flat "staging" row every import path produces.

Both import paths (the DuckDB fast path for clean Calico Enterprise files and the Python readers
for everything else) fill the same staging columns, so aggregation, dedupe and retention are one
piece of SQL.
"""

from __future__ import annotations

from typing import Any

from tierguard.flows.model import FlowRecord

SCHEMA_VERSION = "1"
BUCKET_MS = 3_600_000  # flows are aggregated per key and per hour

# (name, DuckDB type, part of the flow key)
STAGING_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("start_ms", "BIGINT", False), ("end_ms", "BIGINT", False),
    ("src_type", "VARCHAR", True), ("src_namespace", "VARCHAR", True),
    ("src_name", "VARCHAR", True), ("src_name_aggr", "VARCHAR", True),
    ("src_ip", "VARCHAR", True), ("src_port", "INTEGER", False),
    ("src_labels", "VARCHAR[]", True), ("src_workload", "VARCHAR", True),
    ("src_resolved_by", "VARCHAR", True),
    ("dst_type", "VARCHAR", True), ("dst_namespace", "VARCHAR", True),
    ("dst_name", "VARCHAR", True), ("dst_name_aggr", "VARCHAR", True),
    ("dst_ip", "VARCHAR", True), ("dst_labels", "VARCHAR[]", True),
    ("dst_workload", "VARCHAR", True), ("dst_resolved_by", "VARCHAR", True),
    ("dest_port", "INTEGER", True), ("proto_num", "INTEGER", True),
    ("proto_name", "VARCHAR", True), ("reporter", "VARCHAR", True), ("action", "VARCHAR", True),
    ("enforced", "VARCHAR[]", True), ("pending", "VARCHAR[]", True),
    ("svc_namespace", "VARCHAR", True), ("svc_name", "VARCHAR", True),
    ("svc_port_name", "VARCHAR", True), ("svc_port", "INTEGER", True),
    ("source_format", "VARCHAR", True), ("observer", "VARCHAR", False),
    ("num_flows", "BIGINT", False), ("packets_in", "BIGINT", False),
    ("packets_out", "BIGINT", False), ("bytes_in", "BIGINT", False),
    ("bytes_out", "BIGINT", False),
)
STAGING_NAMES = tuple(name for name, _, _ in STAGING_COLUMNS)
KEY_NAMES = tuple(name for name, _, key in STAGING_COLUMNS if key)
TOTALS = ("records", "num_flows", "packets_in", "packets_out", "bytes_in", "bytes_out")


def columns_spec() -> str:
    """The `columns={...}` struct literal for read_json."""
    return "{" + ", ".join(f"'{name}': '{kind}'" for name, kind, _ in STAGING_COLUMNS) + "}"


def create_statements() -> tuple[str, ...]:
    key_columns = ", ".join(f"{name} {kind}" for name, kind, key in STAGING_COLUMNS if key)
    return (
        "CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
        ("CREATE TABLE IF NOT EXISTS imports (content_hash VARCHAR PRIMARY KEY, path VARCHAR, "
         "format VARCHAR, bytes BIGINT, records BIGINT, new_records BIGINT, problems BIGINT, "
         "fast_path BOOLEAN, imported_at TIMESTAMP)"),
        "CREATE TABLE IF NOT EXISTS seen (record_hash UBIGINT, end_ms BIGINT)",
        (f"CREATE TABLE IF NOT EXISTS flows (key_hash UBIGINT, bucket_ms BIGINT, {key_columns}, "
         "first_seen_ms BIGINT, last_seen_ms BIGINT, records BIGINT, num_flows BIGINT, "
         "packets_in BIGINT, packets_out BIGINT, bytes_in BIGINT, bytes_out BIGINT)"),
    )


def key_hash_sql() -> str:
    return "hash(" + ", ".join(KEY_NAMES) + ")"


def record_hash_sql(key_hash: str = "key_hash") -> str:
    """Hash of a whole record, built on its key hash so the key columns are hashed once."""
    rest = [name for name in STAGING_NAMES if name not in KEY_NAMES]
    return f"hash({key_hash}, " + ", ".join(rest) + ")"


def hashed_select(source: str, extra: tuple[str, ...] = ()) -> str:
    """SELECT the staging columns of `source` (plus `extra` ones) with key_hash and record_hash."""
    columns = ", ".join((*STAGING_NAMES, *extra))
    return (f"SELECT *, {record_hash_sql()} AS record_hash FROM "
            f"(SELECT {columns}, {key_hash_sql()} AS key_hash FROM {source})")


def staging_row(record: FlowRecord) -> dict[str, Any]:
    """The staging row of a record read by a Python reader (mirrors the fast-path SQL)."""
    service = record.dest_service
    row: dict[str, Any] = {"start_ms": record.start_ms, "end_ms": record.end_ms}
    for prefix, peer in (("src", record.source), ("dst", record.dest)):
        row.update({f"{prefix}_type": peer.type.value, f"{prefix}_namespace": peer.namespace,
                    f"{prefix}_name": peer.name, f"{prefix}_name_aggr": peer.name_aggr,
                    f"{prefix}_ip": peer.ip, f"{prefix}_labels": list(peer.labels),
                    f"{prefix}_workload": peer.workload,
                    f"{prefix}_resolved_by": peer.resolved_by})
    row.update({
        "src_port": record.source.port, "dest_port": record.dest_port,
        "proto_num": record.protocol.number, "proto_name": record.protocol.name,
        "reporter": record.reporter.value, "action": record.action.value,
        "enforced": list(record.enforced_raw),
        "pending": None if record.pending_raw is None else list(record.pending_raw),
        "svc_namespace": service.namespace if service else "",
        "svc_name": service.name if service else "",
        "svc_port_name": service.port_name if service else "",
        "svc_port": service.port if service else None,
        "source_format": record.format.value, "observer": record.observer,
        "num_flows": record.counts.flows, "packets_in": record.counts.packets_in,
        "packets_out": record.counts.packets_out, "bytes_in": record.counts.bytes_in,
        "bytes_out": record.counts.bytes_out})
    return row
