"""Calico OSS Whisker backend `/flows` JSON (flow-formats.md (b)).

A list response `{"total": ..., "items": [...]}`, or one FlowResponse per line (also as
server-sent events `data: {...}`). Enums are strings, times RFC 3339, labels joined with " | ",
networks are named "PUBLIC NETWORK"/"PRIVATE NETWORK" and global peers have namespace "Global".
The JSON has no endpoint types; namespaced peers are taken as workloads.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from tierguard.flows import codes
from tierguard.flows.common import FieldError, integer, port_or_none, protocol, rfc3339_ms, text
from tierguard.flows.hits import format_hit_b
from tierguard.flows.model import (
    Action,
    Counts,
    EndpointType,
    FlowRecord,
    HitAction,
    HitKind,
    Peer,
    Reporter,
    SourceFormat,
)
from tierguard.flows.readers.base import Built, Item, ReadOptions, build_one
from tierguard.flows.readers.goldmane import EnumPair, hits, lookup
from tierguard.flows.source import FlowInput, iter_lines, problem, read_text

REPORTERS = {"Src": Reporter.SRC, "Dst": Reporter.DST}
ACTIONS = {"Allow": Action.ALLOW, "Deny": Action.DENY}
HIT_ACTIONS = {"Allow": HitAction.ALLOW, "Deny": HitAction.DENY, "Pass": HitAction.PASS}
POLICY_KINDS = {"CalicoNetworkPolicy": HitKind.NETWORK_POLICY,
                "GlobalNetworkPolicy": HitKind.GLOBAL_NETWORK_POLICY,
                "StagedNetworkPolicy": HitKind.STAGED_NETWORK_POLICY,
                "StagedGlobalNetworkPolicy": HitKind.STAGED_GLOBAL_NETWORK_POLICY,
                "StagedKubernetesNetworkPolicy": HitKind.STAGED_K8S_NETWORK_POLICY,
                "NetworkPolicy": HitKind.K8S_NETWORK_POLICY,
                "AdminNetworkPolicy": HitKind.ADMIN_NETWORK_POLICY,
                "BaselineAdminNetworkPolicy": HitKind.BASELINE_ADMIN_NETWORK_POLICY,
                "Profile": HitKind.PROFILE,
                "ClusterNetworkPolicy": HitKind.CLUSTER_NETWORK_POLICY}
NETWORK_NAMES = {"PUBLIC NETWORK": "pub", "PRIVATE NETWORK": "pvt"}
GLOBAL_NAMESPACE = "Global"


def read(source: FlowInput, options: ReadOptions) -> Iterator[Item]:
    content, error = read_text(source)
    stripped = content.lstrip()
    if stripped.startswith("{") and '"items"' in stripped[:4096] or stripped.startswith("["):
        yield from _document(content, source.label)
    else:
        yield from _lines(source)
    if error is not None:
        yield error


def _lines(source: FlowInput) -> Iterator[Item]:
    for item in iter_lines(source):
        if not isinstance(item, tuple):
            yield item
            continue
        number, line = item
        body = line.strip()
        if body.startswith(("event:", "id:", "retry:", ":")):
            continue  # SSE framing, not data
        body = body[len("data:"):].strip() if body.startswith("data:") else body
        try:
            obj = json.loads(body)
        except json.JSONDecodeError as exc:
            yield problem(codes.MALFORMED_LINE, source.label, number,
                          f"not valid JSON at column {exc.colno}: {exc.msg}")
            continue
        if not isinstance(obj, dict):
            yield problem(codes.MALFORMED_LINE, source.label, number, "expected a JSON object")
            continue
        yield from build_one(build, obj, source.label, number)


def _document(content: str, label: str) -> Iterator[Item]:
    """Decode item by item so each record and each error carries its own line number."""
    decoder = json.JSONDecoder()
    start = content.find("[")
    if start < 0:
        yield problem(codes.MALFORMED_LINE, label, 1, "no items array found")
        return
    position = start + 1
    while True:
        position = _skip(content, position)
        if position >= len(content):
            yield problem(codes.MALFORMED_LINE, label, content.count("\n", 0, position) + 1,
                          "document ends inside the items array (truncated?)")
            return
        if content[position] == "]":
            return
        line = content.count("\n", 0, position) + 1
        try:
            obj, position = decoder.raw_decode(content, position)
        except json.JSONDecodeError as exc:
            yield problem(codes.MALFORMED_LINE, label, exc.lineno,
                          f"not valid JSON at column {exc.colno}: {exc.msg}; rest of file skipped")
            return
        if isinstance(obj, dict):
            yield from build_one(build, obj, label, line)
        else:
            yield problem(codes.MALFORMED_LINE, label, line, "items entry is not an object")


def _skip(content: str, position: int) -> int:
    while position < len(content) and content[position] in " \t\r\n,":
        position += 1
    return position


def _str_kind(value: object, field: str) -> HitKind | None:
    if value == "EndOfTier":
        return None
    return lookup(POLICY_KINDS, value, field)  # type: ignore[no-any-return]


def _str_action(value: object, field: str) -> HitAction:
    return lookup(HIT_ACTIONS, value, field)  # type: ignore[no-any-return]


_str_enums: EnumPair = (_str_kind, _str_action)


def build(obj: dict[str, Any], label: str, line: int) -> Built:
    policies = obj.get("policies") or {}
    if not isinstance(policies, dict):
        raise FieldError(codes.BAD_FIELD, "policies is not an object")
    enforced = hits(policies.get("enforced"), "policies.enforced", _str_enums)
    pending = hits(policies.get("pending"), "policies.pending", _str_enums)
    record = FlowRecord(
        start_ms=rfc3339_ms(obj.get("start_time"), "start_time"),
        end_ms=rfc3339_ms(obj.get("end_time"), "end_time"),
        source=peer(obj, "source"), dest=peer(obj, "dest"),
        dest_port=port_or_none(obj.get("dest_port"), "dest_port"),
        protocol=protocol(obj.get("protocol")),
        reporter=lookup(REPORTERS, obj.get("reporter"), "reporter"),
        action=lookup(ACTIONS, obj.get("action"), "action"),
        enforced=enforced, pending=pending,
        enforced_raw=tuple(format_hit_b(h) for h in enforced),
        pending_raw=tuple(format_hit_b(h) for h in pending),
        counts=Counts(packets_in=integer(obj.get("packets_in"), "packets_in", 0),
                      packets_out=integer(obj.get("packets_out"), "packets_out", 0),
                      bytes_in=integer(obj.get("bytes_in"), "bytes_in", 0),
                      bytes_out=integer(obj.get("bytes_out"), "bytes_out", 0)),
        format=SourceFormat.WHISKER, file=label, line=line)
    return record, []


def peer(obj: Mapping[str, Any], side: str) -> Peer:
    name = text(obj.get(f"{side}_name"), f"{side}_name")
    namespace = text(obj.get(f"{side}_namespace"), f"{side}_namespace")
    namespace = "" if namespace == GLOBAL_NAMESPACE else namespace
    joined = text(obj.get(f"{side}_labels"), f"{side}_labels")
    labels = tuple(sorted(part.strip() for part in joined.split(" | ") if part.strip()))
    if name in NETWORK_NAMES:
        return Peer(type=EndpointType.NETWORK, name_aggr=NETWORK_NAMES[name], labels=labels)
    kind = EndpointType.WORKLOAD if namespace else EndpointType.UNKNOWN
    return Peer(type=kind, namespace=namespace, name_aggr=name, labels=labels)
