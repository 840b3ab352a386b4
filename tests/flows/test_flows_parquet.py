"""VPC Flow Logs in Parquet (written here with pyarrow; read by tierguard through DuckDB)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flows_testlib import brief, read
from tierguard.flows.detect import detect
from tierguard.flows.model import (
    Action,
    Counts,
    EndpointType,
    Peer,
    Protocol,
    Reporter,
    SourceFormat,
)
from tierguard.flows.source import sniff

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def _write(path: Path) -> None:
    table = pa.table({
        "version": pa.array([5, 5, 5], pa.int32()),
        "interface_id": ["eni-0bb0000000000002b"] * 3,
        "srcaddr": ["10.1.0.5", None, "10.1.0.5"],
        "dstaddr": ["10.1.0.6", None, "10.1.0.6"],
        "srcport": pa.array([51000, None, 51001], pa.int32()),
        "dstport": pa.array([8080, None, 8080], pa.int32()),
        "protocol": pa.array([6, None, 6], pa.int32()),
        "packets": pa.array([52, None, 3], pa.int64()),
        "bytes": pa.array([9100, None, 180], pa.int64()),
        "start": pa.array([1_760_000_000] * 3, pa.int64()),
        "end": pa.array([1_760_000_060] * 3, pa.int64()),
        "action": ["ACCEPT", None, "DROP"],
        "log_status": ["OK", "NODATA", "OK"],
        "pkt_srcaddr": ["10.1.0.11", None, "10.1.0.11"],
        "pkt_dstaddr": ["10.1.0.22", None, "10.1.0.22"],
        "flow_direction": ["ingress", None, "ingress"],
    })
    pq.write_table(table, path, compression="gzip")


def test_vpc_parquet(tmp_path: Path) -> None:
    path = tmp_path / "flows.parquet"
    _write(path)
    assert detect(sniff(path)) is SourceFormat.VPC_PARQUET
    records, errors = read(str(path))
    assert brief(errors) == [("FLW503", 3, "error"), ("FLW513", 0, "note")]
    assert errors[0].message == "action 'DROP' is not ACCEPT or REJECT"
    (record,) = records
    assert record.source == Peer(EndpointType.UNKNOWN, ip="10.1.0.11", port=51000)
    assert record.dest == Peer(EndpointType.UNKNOWN, ip="10.1.0.22")
    assert (record.dest_port, record.protocol, record.reporter, record.action) == (
        8080, Protocol(6, "tcp"), Reporter.DST, Action.ALLOW)
    assert record.counts == Counts(flows=1, packets_out=52, bytes_out=9100)
    assert (record.format, record.line, record.attribute("srcaddr")) == (
        SourceFormat.VPC_PARQUET, 1, "10.1.0.5")
