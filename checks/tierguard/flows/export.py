"""Write normalized records as Calico Enterprise JSON lines, the form `read_flows` reads back.

Empty model values become Calico's `-`; IPs/ports that were aggregated away stay null. Two
tierguard extensions keep what resolution learned: `*_workload` and `*_resolved_by`, and the
peer type `unknown` for IPs that could not be placed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from tierguard.flows.model import FlowRecord, Peer


def _dash(value: str) -> str:
    return value or "-"


def _peer(side: str, peer: Peer) -> dict[str, Any]:
    fields: dict[str, Any] = {
        f"{side}_ip": peer.ip, f"{side}_name": _dash(peer.name),
        f"{side}_name_aggr": _dash(peer.name_aggr), f"{side}_namespace": _dash(peer.namespace),
        f"{side}_type": peer.type.value,
        f"{side}_labels": {"labels": list(peer.labels)} if peer.labels else None}
    if side == "source":
        fields["source_port"] = peer.port
    if peer.workload:
        fields[f"{side}_workload"] = peer.workload
    if peer.resolved_by:
        fields[f"{side}_resolved_by"] = peer.resolved_by
    return fields


def to_enterprise(record: FlowRecord) -> dict[str, Any]:
    service = record.dest_service
    policies: dict[str, Any] = {"enforced_policies": list(record.enforced_raw)}
    if record.pending_raw is not None:
        policies["pending_policies"] = list(record.pending_raw)
    doc: dict[str, Any] = {
        # Unix seconds as Enterprise writes them; sub-second times are rounded outwards.
        "start_time": record.start_ms // 1000, "end_time": -(-record.end_ms // 1000),
        **_peer("source", record.source), **_peer("dest", record.dest),
        "dest_port": record.dest_port,
        "dest_service_namespace": _dash(service.namespace) if service else "-",
        "dest_service_name": _dash(service.name) if service else "-",
        "dest_service_port": _dash(service.port_name) if service else "-",
        "dest_service_port_num": service.port if service else None,
        "proto": record.protocol.name, "action": record.action.value,
        "reporter": record.reporter.value, "policies": policies,
        "num_flows": record.counts.flows, "packets_in": record.counts.packets_in,
        "packets_out": record.counts.packets_out, "bytes_in": record.counts.bytes_in,
        "bytes_out": record.counts.bytes_out}
    if record.observer:
        doc["host"] = record.observer
    return doc


def write_enterprise(records: Iterable[FlowRecord], out: TextIO) -> int:
    count = 0
    for record in records:
        out.write(json.dumps(to_enterprise(record), separators=(",", ":")))
        out.write("\n")
        count += 1
    return count
