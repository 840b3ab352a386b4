"""Calico OSS Goldmane emitter NDJSON: `encoding/json` of proto `Flow` (flow-formats.md (b)).

Enums are integers and zero values are omitted, so a missing `policy_index` means 0 and a
missing namespace means a global peer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

from tierguard.flows import codes
from tierguard.flows.common import (
    FieldError,
    dash_empty,
    integer,
    labels_from,
    port_or_none,
    protocol,
    text,
    unix_seconds_ms,
)
from tierguard.flows.hits import PROFILE_TIER, format_hit_b
from tierguard.flows.model import (
    END_OF_TIER,
    Action,
    Counts,
    EndpointType,
    FlowRecord,
    HitAction,
    HitFormat,
    HitKind,
    Peer,
    PolicyHit,
    Reporter,
    ServiceRef,
    SourceFormat,
)
from tierguard.flows.readers.base import Built, Item, ReadOptions, json_lines
from tierguard.flows.source import FlowInput

ENDPOINT_TYPES = {0: EndpointType.UNKNOWN, 1: EndpointType.WORKLOAD, 2: EndpointType.HOST,
                  3: EndpointType.NETWORK_SET, 4: EndpointType.NETWORK}
REPORTERS = {1: Reporter.SRC, 2: Reporter.DST}
ACTIONS = {1: Action.ALLOW, 2: Action.DENY}
HIT_ACTIONS = {1: HitAction.ALLOW, 2: HitAction.DENY, 3: HitAction.PASS}
# PolicyKind enum numbers; 10 (EndOfTier) is handled through the trigger.
POLICY_KINDS = {1: HitKind.NETWORK_POLICY, 2: HitKind.GLOBAL_NETWORK_POLICY,
                3: HitKind.STAGED_NETWORK_POLICY, 4: HitKind.STAGED_GLOBAL_NETWORK_POLICY,
                5: HitKind.STAGED_K8S_NETWORK_POLICY, 6: HitKind.K8S_NETWORK_POLICY,
                7: HitKind.ADMIN_NETWORK_POLICY, 8: HitKind.BASELINE_ADMIN_NETWORK_POLICY,
                9: HitKind.PROFILE, 11: HitKind.CLUSTER_NETWORK_POLICY}
END_OF_TIER_KIND = 10


def read(source: FlowInput, options: ReadOptions) -> Iterator[Item]:
    return json_lines(source, build)


def lookup(table: Mapping[Any, Any], value: object, field: str) -> Any:
    if isinstance(value, bool) or value not in table:
        raise FieldError(codes.UNKNOWN_ENUM, f"{field} {value!r} is not a known value "
                                             f"({', '.join(str(k) for k in table)})")
    return table[value]


def build(obj: dict[str, Any], label: str, line: int) -> Built:
    key = obj["Key"]
    if not isinstance(key, dict):
        raise FieldError(codes.BAD_FIELD, "Key is not an object")
    policies = key.get("policies") or {}
    enforced = hits(policies.get("enforced_policies"), "enforced_policies", _int_enums)
    pending = hits(policies.get("pending_policies"), "pending_policies", _int_enums)
    record = FlowRecord(
        start_ms=unix_seconds_ms(obj.get("start_time", 0), "start_time"),
        end_ms=unix_seconds_ms(obj.get("end_time", 0), "end_time"),
        source=peer(key, obj, "source", lookup(ENDPOINT_TYPES, key.get("source_type", 0),
                                               "Key.source_type")),
        dest=peer(key, obj, "dest", lookup(ENDPOINT_TYPES, key.get("dest_type", 0),
                                           "Key.dest_type")),
        dest_port=port_or_none(key.get("dest_port"), "Key.dest_port"),
        protocol=protocol(key.get("proto")),
        reporter=lookup(REPORTERS, key.get("reporter", 0), "Key.reporter"),
        action=lookup(ACTIONS, key.get("action", 0), "Key.action"),
        enforced=enforced, pending=pending,
        enforced_raw=tuple(format_hit_b(h) for h in enforced),
        pending_raw=tuple(format_hit_b(h) for h in pending),
        counts=Counts(
            flows=integer(obj.get("num_connections_live") or obj.get("num_connections_started"),
                          "num_connections_live", 0),
            packets_in=integer(obj.get("packets_in"), "packets_in", 0),
            packets_out=integer(obj.get("packets_out"), "packets_out", 0),
            bytes_in=integer(obj.get("bytes_in"), "bytes_in", 0),
            bytes_out=integer(obj.get("bytes_out"), "bytes_out", 0)),
        format=SourceFormat.GOLDMANE, file=label, line=line,
        dest_service=_service(key))
    return record, []


def peer(key: Mapping[str, Any], obj: Mapping[str, Any], side: str,
         kind: EndpointType) -> Peer:
    return Peer(type=kind,
                namespace=dash_empty(text(key.get(f"{side}_namespace"), f"Key.{side}_namespace")),
                name_aggr=text(key.get(f"{side}_name"), f"Key.{side}_name"),
                labels=labels_from(obj.get(f"{side}_labels"), f"{side}_labels"))


def _service(key: Mapping[str, Any]) -> ServiceRef | None:
    name = text(key.get("dest_service_name"), "Key.dest_service_name")
    if not name:
        return None
    return ServiceRef(namespace=text(key.get("dest_service_namespace"), "dest_service_namespace"),
                      name=name,
                      port_name=text(key.get("dest_service_port_name"), "dest_service_port_name"),
                      port=port_or_none(key.get("dest_service_port"), "dest_service_port"))


EnumPair = tuple[Callable[[object, str], HitKind | None], Callable[[object, str], HitAction]]


def _int_kind(value: object, field: str) -> HitKind | None:
    if value == END_OF_TIER_KIND:
        return None
    return lookup(POLICY_KINDS, value, field)  # type: ignore[no-any-return]


def _int_action(value: object, field: str) -> HitAction:
    return lookup(HIT_ACTIONS, value, field)  # type: ignore[no-any-return]


_int_enums: EnumPair = (_int_kind, _int_action)


def hits(value: object, field: str, enums: EnumPair) -> tuple[PolicyHit, ...]:
    """Proto PolicyHit structures -> PolicyHit, sorted by policy_index."""
    if value is None:
        return ()
    if not isinstance(value, list):
        raise FieldError(codes.BAD_FIELD, f"{field} is not a list")
    result = [hit(entry, f"{field}[{n}]", enums) for n, entry in enumerate(value)]
    return tuple(sorted(result, key=lambda h: h.index))


def hit(entry: object, field: str, enums: EnumPair) -> PolicyHit:
    """One hit; an EndOfTier hit is attributed to its trigger policy with rule index -1."""
    if not isinstance(entry, dict):
        raise FieldError(codes.BAD_FIELD, f"{field} is not an object")
    kind_of, action_of = enums
    kind = kind_of(entry.get("kind", 0), f"{field}.kind")
    action = action_of(entry.get("action", 0), f"{field}.action")
    rule_index = integer(entry.get("rule_index"), f"{field}.rule_index", 0)
    named = entry
    if kind is None:  # EndOfTier
        trigger = entry.get("trigger")
        if not isinstance(trigger, dict):
            raise FieldError(codes.BAD_FIELD, f"{field}: EndOfTier hit without a trigger")
        kind = kind_of(trigger.get("kind", 0), f"{field}.trigger.kind")
        if kind is None:
            raise FieldError(codes.BAD_FIELD, f"{field}.trigger is itself EndOfTier")
        named, rule_index = trigger, END_OF_TIER
    tier = text(named.get("tier") or entry.get("tier"), f"{field}.tier")
    if kind is HitKind.PROFILE:
        tier = PROFILE_TIER
    result = PolicyHit(index=integer(entry.get("policy_index"), f"{field}.policy_index", 0),
                       tier=tier, kind=kind,
                       namespace=text(named.get("namespace"), f"{field}.namespace"),
                       name=text(named.get("name"), f"{field}.name"),
                       action=action, rule_index=rule_index, raw="",
                       format=HitFormat.EXPLICIT_KIND)
    return replace(result, raw=format_hit_b(result))
