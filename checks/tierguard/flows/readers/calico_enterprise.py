"""Calico Enterprise / Cloud flow logs: felix `flows.log` JSON lines and Elasticsearch documents.

Accepts the three `policies` shapes (legacy `all_policies`, current enforced/pending/transit, and
the Linseed document with all four) and both hit-string formats (flow-formats.md (a)).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
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
    PolicyHit,
    Protocol,
    Reporter,
    ServiceRef,
    SourceFormat,
)
from tierguard.flows.readers.base import Built, Item, ReadOptions, json_lines
from tierguard.flows.source import FlowInput

# (enforced raw, pending raw, enforced hits, pending hits, hit-string problems)
_Trace = tuple[tuple[str, ...], tuple[str, ...] | None, tuple[PolicyHit, ...],
               tuple[PolicyHit, ...], tuple[str, ...]]
_REPORTERS: Mapping[str, Reporter] = MappingProxyType({m.value: m for m in Reporter})
_ACTIONS: Mapping[str, Action] = MappingProxyType({m.value: m for m in Action
                                                   if m is not Action.UNKNOWN})
_NOT_REPORTED = (None, "", "-")
# Counts fields, in Counts order.
_COUNT_FIELDS = ("num_flows", "packets_in", "packets_out", "bytes_in", "bytes_out")
_PEER_FIELDS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    side: tuple(f"{side}_{name}" for name in ("type", "namespace", "name", "name_aggr", "ip",
                                              "labels", "workload", "resolved_by"))
    for side in ("source", "dest")})
# Entries per memo table before it is emptied: bounds memory when values hardly repeat (e.g.
# source ports reported at aggregation level 0 make every source peer distinct).
CACHE_LIMIT = 50_000


class Caches:
    """Per-read memo tables. Peers, policy traces, Services and protocols repeat heavily in
    flow logs, so each distinct raw value is validated once and the immutable result shared
    (which also interns the strings and label tuples across records).

    Only successful results are remembered, keyed by the raw JSON values. A key can only equal
    an earlier one when the values are equal strings or None (ports: exact ints or strings),
    so a hit returns exactly what the checked path would have built for this record.
    """

    __slots__ = ("hits", "partial", "peers", "protocols", "services", "traces")

    def __init__(self, partial: bool = False) -> None:
        self.partial = partial
        self.hits: HitCache = {}
        self.peers: dict[tuple[object, ...], Peer] = {}
        self.traces: dict[tuple[object, ...], _Trace] = {}
        self.services: dict[tuple[object, ...], ServiceRef | None] = {}
        self.protocols: dict[object, Protocol] = {}

    def build(self, obj: dict[str, Any], label: str, line: int) -> Built:
        return build(obj, label, line, self)


def read(source: FlowInput, options: ReadOptions) -> Iterator[Item]:
    return json_lines(source, Caches(options.partial).build)


def build(obj: dict[str, Any], label: str, line: int, caches: Caches | None = None) -> Built:
    """One record. Fields are checked in a fixed order, so the first problem is the one
    reported; `caches` only skips re-checking values seen before."""
    caches = caches or Caches()
    doc = obj.get("_source", obj)
    if type(doc) is not dict:
        raise FieldError(codes.BAD_FIELD, "_source is not an object")
    get = doc.get
    enforced_raw, pending_raw, enforced, pending, problems = _trace(get("policies"), caches)
    start, end = get("start_time"), get("end_time")
    if caches.partial:
        start, end = (0 if start is None else start), (0 if end is None else end)
    start_ms = start * 1000 if type(start) is int else unix_seconds_ms(doc["start_time"],
                                                                       "start_time")
    end_ms = end * 1000 if type(end) is int else unix_seconds_ms(doc["end_time"], "end_time")
    reporter, action = get("reporter"), get("action")
    if caches.partial:
        reporter = Reporter.UNKNOWN.value if reporter is None else reporter
        action = Action.UNKNOWN if action is None else action
    source = _cached_peer(doc, "source", caches)
    dest = _cached_peer(doc, "dest", caches)
    dest_port = get("dest_port")
    if dest_port is not None and type(dest_port) is not int:
        dest_port = port_or_none(dest_port, "dest_port")
    elif dest_port is not None and not 0 <= dest_port <= 65535:
        dest_port = port_or_none(dest_port, "dest_port")  # raises the range error
    record = FlowRecord(  # positional: the fields in order (FlowRecord has a fast __init__)
        start_ms, end_ms, source, dest, dest_port, _protocol(get("proto"), caches),
        _REPORTERS[reporter] if type(reporter) is str and reporter in _REPORTERS
        else _enum(Reporter, reporter, "reporter"),
        _ACTIONS[action] if type(action) is str and action in _ACTIONS
        else action if action is Action.UNKNOWN
        else _enum(Action, action, "action", exclude=Action.UNKNOWN),
        enforced, pending, enforced_raw, pending_raw,
        Counts(*[value if type(value := get(field)) is int else integer(value, field, 0)
                 for field in _COUNT_FIELDS]),
        SourceFormat.CALICO_ENTERPRISE, label, line, _cached_service(doc, caches),
        host if type(host := get("host")) is str else text(host, "host"), _attributes(doc))
    return record, list(problems)


def _trace(value: object, caches: Caches) -> _Trace:
    """The policy lists and their parsed hits, memoized by the lists' content."""
    key: tuple[object, ...] | None = None
    if value is None:
        key = ()
    elif type(value) is dict:
        # Only these lists decide the trace (transit_policies go to the attributes); a
        # missing key and null read the same.
        every, enforced, pending = (value.get("all_policies"), value.get("enforced_policies"),
                                    value.get("pending_policies"))
        key = (tuple(every) if type(every) is list else every,
               tuple(enforced) if type(enforced) is list else enforced,
               tuple(pending) if type(pending) is list else pending)
    try:
        found = caches.traces.get(key) if key is not None else None
    except TypeError:  # an unhashable value (nested object): check it the slow way
        key, found = None, None
    if found is None:
        enforced_raw, pending_raw = policy_lists(value)
        enforced, problems = parse_hits(enforced_raw, caches.hits)
        pending, pending_problems = parse_hits(pending_raw or (), caches.hits)
        found = (enforced_raw, pending_raw, enforced, pending,
                 tuple(problems + pending_problems))
        if key is not None:
            if len(caches.traces) >= CACHE_LIMIT:
                caches.traces.clear()
                caches.hits.clear()
            caches.traces[key] = found
    return found


def _cached_peer(doc: dict[str, Any], side: str, caches: Caches) -> Peer:
    get = doc.get
    f_kind, f_ns, f_name, f_aggr, f_ip, f_labels, f_workload, f_by = _PEER_FIELDS[side]
    labels = get(f_labels)
    port = get("source_port") if side == "source" else None
    if type(labels) is dict:
        labels = labels.get("labels")
    if type(labels) is list:
        labels = tuple(labels)
    elif labels is not None or not (port is None or type(port) in (int, str)):
        return peer(doc, side, caches.partial)  # unusual value: the checked path reports it
    key = (side, get(f_kind), get(f_ns), get(f_name), get(f_aggr), get(f_ip), port, labels,
           get(f_workload), get(f_by))
    try:
        found = caches.peers.get(key)
    except TypeError:
        return peer(doc, side, caches.partial)
    if found is None:
        if len(caches.peers) >= CACHE_LIMIT:
            caches.peers.clear()
        found = caches.peers[key] = peer(doc, side, caches.partial)
    return found


def _cached_service(doc: dict[str, Any], caches: Caches) -> ServiceRef | None:
    get = doc.get
    number = get("dest_service_port_num")
    key = (get("dest_service_name"), get("dest_service_namespace"), get("dest_service_port"),
           number)
    if not (number is None or type(number) in (int, str)):
        return service(doc)
    try:
        if key in caches.services:
            return caches.services[key]
    except TypeError:
        return service(doc)
    if len(caches.services) >= CACHE_LIMIT:
        caches.services.clear()
    found = caches.services[key] = service(doc)
    return found


def _protocol(value: object, caches: Caches) -> Protocol:
    if type(value) is not str and type(value) is not int:
        return protocol(value)  # raises the precise error
    found = caches.protocols.get(value)
    if found is None:
        found = caches.protocols[value] = protocol(value)
    return found


def peer(doc: Mapping[str, Any], side: str, partial: bool = False) -> Peer:
    kind = doc.get(f"{side}_type")
    if partial and kind in _NOT_REPORTED:
        kind = EndpointType.NETWORK.value
    return Peer(type=_peer_type(kind, f"{side}_type"),
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
    policies = doc.get("policies")
    if not doc.get("dest_domains") and not doc.get("cluster") and (
            type(policies) is not dict or not policies.get("transit_policies")):
        return ()
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
