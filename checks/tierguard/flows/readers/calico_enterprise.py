"""Calico Enterprise / Cloud flow logs: felix `flows.log` JSON lines and Elasticsearch documents.

Accepts the three `policies` shapes (legacy `all_policies`, current enforced/pending/transit, and
the Linseed document with all four) and both hit-string formats (flow-formats.md (a)).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from tierguard.flows import codes
from tierguard.flows.common import (
    FieldError,
    HitCache,
    ce_labels,
    dash_empty,
    endpoint_type,
    integer,
    ip_or_none,
    parse_hits,
    port_or_none,
    protocol,
    text,
    unix_seconds_ms,
)
from tierguard.flows.hits import HitError, parse_hit
from tierguard.flows.model import (
    Action,
    Counts,
    EndpointType,
    FlowRecord,
    Peer,
    Reporter,
    ServiceRef,
    SourceFormat,
)
from tierguard.flows.readers.base import Built, Item, ReadOptions, json_lines
from tierguard.flows.source import FlowInput


def read(source: FlowInput, options: ReadOptions) -> Iterator[Item]:
    cache: HitCache = {}
    return json_lines(source, lambda obj, label, line: build(obj, label, line, cache))


def build(obj: dict[str, Any], label: str, line: int, cache: HitCache | None = None) -> Built:
    doc = obj.get("_source", obj)
    if not isinstance(doc, dict):
        raise FieldError(codes.BAD_FIELD, "_source is not an object")
    enforced_raw, pending_raw = policy_lists(doc.get("policies"))
    enforced, problems = parse_hits(enforced_raw, cache)
    pending, pending_problems = parse_hits(pending_raw or (), cache)
    start_ms = unix_seconds_ms(doc["start_time"], "start_time")
    end_ms = unix_seconds_ms(doc["end_time"], "end_time")
    record = FlowRecord(
        start_ms=start_ms, end_ms=end_ms,
        source=peer(doc, "source"), dest=peer(doc, "dest"),
        dest_port=port_or_none(doc.get("dest_port"), "dest_port"),
        protocol=protocol(doc.get("proto")),
        reporter=_enum(Reporter, doc.get("reporter"), "reporter"),
        action=_enum(Action, doc.get("action"), "action"),
        enforced=enforced, pending=pending,
        enforced_raw=enforced_raw, pending_raw=pending_raw,
        counts=Counts(flows=integer(doc.get("num_flows"), "num_flows", 0),
                      packets_in=integer(doc.get("packets_in"), "packets_in", 0),
                      packets_out=integer(doc.get("packets_out"), "packets_out", 0),
                      bytes_in=integer(doc.get("bytes_in"), "bytes_in", 0),
                      bytes_out=integer(doc.get("bytes_out"), "bytes_out", 0)),
        format=SourceFormat.CALICO_ENTERPRISE, file=label, line=line,
        dest_service=service(doc), observer=text(doc.get("host"), "host"),
        attributes=_attributes(doc))
    return record, problems + pending_problems


def peer(doc: Mapping[str, Any], side: str) -> Peer:
    return Peer(type=_peer_type(doc.get(f"{side}_type"), f"{side}_type"),
                namespace=dash_empty(text(doc.get(f"{side}_namespace"), f"{side}_namespace")),
                name=dash_empty(text(doc.get(f"{side}_name"), f"{side}_name")),
                name_aggr=dash_empty(text(doc.get(f"{side}_name_aggr"), f"{side}_name_aggr")),
                ip=ip_or_none(doc.get(f"{side}_ip"), f"{side}_ip"),
                # the destination port belongs to the record (FlowRecord.dest_port)
                port=port_or_none(doc.get("source_port"), "source_port") if side == "source"
                else None,
                labels=ce_labels(doc.get(f"{side}_labels"), f"{side}_labels"),
                workload=text(doc.get(f"{side}_workload"), f"{side}_workload"),
                resolved_by=text(doc.get(f"{side}_resolved_by"), f"{side}_resolved_by"))


def _peer_type(value: object, field: str) -> EndpointType:
    """wep/hep/ns/net, plus "unknown", which only tierguard's own export writes (an IP-only
    peer that workload resolution could not place)."""
    if value == EndpointType.UNKNOWN.value:
        return EndpointType.UNKNOWN
    return endpoint_type(value, field)


def service(doc: Mapping[str, Any]) -> ServiceRef | None:
    name = dash_empty(text(doc.get("dest_service_name"), "dest_service_name"))
    if not name:
        return None
    return ServiceRef(
        namespace=dash_empty(text(doc.get("dest_service_namespace"), "dest_service_namespace")),
        name=name,
        port_name=dash_empty(text(doc.get("dest_service_port"), "dest_service_port")),
        port=port_or_none(doc.get("dest_service_port_num"), "dest_service_port_num"))


def policy_lists(value: object) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    """(enforced, pending) raw strings. Legacy `all_policies`-only records have no pending
    trace; their enforced trace is all_policies without the staged hits."""
    if value is None:
        return (), None
    if not isinstance(value, dict):
        raise FieldError(codes.BAD_FIELD, "policies is not an object")
    lists = {key: _string_list(value.get(key), f"policies.{key}")
             for key in ("all_policies", "enforced_policies", "pending_policies")}
    if value.get("enforced_policies") is None and value.get("pending_policies") is None:
        legacy = lists["all_policies"]
        return tuple(hit for hit in legacy if not _staged(hit)), None
    pending = None if value.get("pending_policies") is None else lists["pending_policies"]
    return lists["enforced_policies"], pending


def _staged(raw: str) -> bool:
    try:
        return parse_hit(raw).staged
    except HitError:
        return False  # kept, and reported when the enforced list is parsed


def _string_list(value: object, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise FieldError(codes.BAD_FIELD, f"{field} is not a list of strings")
    return tuple(value)


def _enum(kind: Any, value: object, field: str, exclude: object = None) -> Any:
    try:
        member = kind(value)
    except ValueError:
        member = None
    if member is None or member is exclude:
        allowed = ", ".join(m.value for m in kind if m is not exclude)
        raise FieldError(codes.UNKNOWN_ENUM, f"{field} {value!r} is not one of {allowed}")
    return member


def _attributes(doc: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    pairs: list[tuple[str, str]] = []
    domains = doc.get("dest_domains")
    if isinstance(domains, list) and domains:
        pairs.append(("dest_domains", ",".join(str(d) for d in domains)))
    transit = (doc.get("policies") or {}).get("transit_policies") if isinstance(
        doc.get("policies"), dict) else None
    if isinstance(transit, list) and transit:
        pairs.append(("transit_policies", ",".join(str(t) for t in transit)))
    if isinstance(doc.get("cluster"), str) and doc["cluster"]:
        pairs.append(("cluster", doc["cluster"]))
    return tuple(pairs)
