"""Cilium Hubble `hubble observe -o json` (flow-formats.md (d)).

One event per line, either a GetFlowsResponse `{"flow": {...}, "node_name": ...}` or a bare Flow.
Hubble does not aggregate: each event becomes a one-flow record with a zero-length window and no
byte counts. Reply events (`is_reply: true`) are not new flows; they are counted and skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from tierguard.flows import codes
from tierguard.flows.common import (
    FieldError,
    ip_or_none,
    network_aggr,
    port_or_none,
    protocol,
    rfc3339_ms,
    text,
)
from tierguard.flows.model import (
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
from tierguard.flows.source import FlowInput, problem

VERDICTS = {"FORWARDED": Action.ALLOW, "REDIRECTED": Action.ALLOW, "TRANSLATED": Action.ALLOW,
            "TRACED": Action.ALLOW, "AUDIT": Action.ALLOW, "DROPPED": Action.DENY}
DIRECTIONS = {"EGRESS": Reporter.SRC, "INGRESS": Reporter.DST,
              "TRAFFIC_DIRECTION_UNKNOWN": Reporter.UNKNOWN}
L4_PROTOCOLS = {"TCP": 6, "UDP": 17, "ICMPv4": 1, "ICMPv6": 58, "SCTP": 132}
POLICY_LISTS = (("egress_allowed_by", HitAction.ALLOW), ("ingress_allowed_by", HitAction.ALLOW),
                ("egress_denied_by", HitAction.DENY), ("ingress_denied_by", HitAction.DENY))


def read(source: FlowInput, options: ReadOptions) -> Iterator[Item]:
    replies = [0]

    def counting(obj: dict[str, Any], label: str, line: int) -> Built:
        flow = obj.get("flow", obj)
        if isinstance(flow, dict) and flow.get("is_reply") is True:
            replies[0] += 1
            return None, []
        return build(obj, label, line)

    yield from json_lines(source, counting)
    if replies[0]:
        yield problem(codes.SKIPPED_EVENTS, source.label, 0,
                      f"{replies[0]} reply events (is_reply: true) counted and skipped")


def build(obj: dict[str, Any], label: str, line: int) -> Built:
    flow = obj.get("flow", obj)
    if not isinstance(flow, dict):
        raise FieldError(codes.BAD_FIELD, "flow is not an object")
    verdict = flow.get("verdict")
    if verdict not in VERDICTS:
        raise FieldError(codes.UNKNOWN_ENUM, f"verdict {verdict!r} is not one of "
                                             f"{', '.join(VERDICTS)}")
    direction = flow.get("traffic_direction", "TRAFFIC_DIRECTION_UNKNOWN")
    if direction not in DIRECTIONS:
        raise FieldError(codes.UNKNOWN_ENUM, f"traffic_direction {direction!r} is not known")
    when = rfc3339_ms(flow.get("time") or obj.get("time"), "time")
    ip = flow.get("IP") or {}
    proto_name, ports = _l4(flow.get("l4"))
    action = VERDICTS[verdict]
    enforced = _hits(flow)
    record = FlowRecord(
        start_ms=when, end_ms=when,
        source=peer(flow.get("source") or {}, ip_or_none(ip.get("source"), "IP.source"),
                    ports[0]),
        dest=peer(flow.get("destination") or {}, ip_or_none(ip.get("destination"),
                                                            "IP.destination"), None),
        dest_port=ports[1], protocol=protocol(proto_name),
        reporter=DIRECTIONS[direction], action=action,
        enforced=enforced, pending=(), enforced_raw=tuple(h.raw for h in enforced),
        pending_raw=None, counts=Counts(flows=1),
        format=SourceFormat.HUBBLE, file=label, line=line,
        dest_service=_service(flow.get("destination_service")),
        observer=text(flow.get("node_name") or obj.get("node_name"), "node_name"),
        attributes=_attributes(flow, verdict))
    return record, []


def _l4(l4: object) -> tuple[object, tuple[int | None, int | None]]:
    if not isinstance(l4, dict) or not l4:
        raise FieldError(codes.BAD_FIELD, "l4 is missing")
    name, body = next(iter(l4.items()))
    if name not in L4_PROTOCOLS:
        raise FieldError(codes.UNKNOWN_ENUM, f"l4 protocol {name!r} is not known")
    body = body if isinstance(body, dict) else {}
    return (L4_PROTOCOLS[name], (port_or_none(body.get("source_port"), "source_port"),
                                 port_or_none(body.get("destination_port"), "destination_port")))


def peer(endpoint: Mapping[str, Any], ip: str | None, port: int | None) -> Peer:
    raw_labels = endpoint.get("labels") or []
    labels = tuple(sorted(str(label).removeprefix("k8s:") for label in raw_labels))
    workloads = endpoint.get("workloads") or []
    workload = ""
    if workloads and isinstance(workloads[0], dict):
        workload = f"{workloads[0].get('kind', '')}/{workloads[0].get('name', '')}"
    pod = text(endpoint.get("pod_name"), "pod_name")
    if pod:
        aggr = aggregated_pod_name(pod)
        return Peer(type=EndpointType.WORKLOAD, namespace=text(endpoint.get("namespace"),
                                                                "namespace"),
                    name=pod, name_aggr=aggr, ip=ip, port=port, labels=labels,
                    workload=workload)
    if "reserved:host" in labels or "reserved:remote-node" in labels:
        return Peer(type=EndpointType.HOST, ip=ip, port=port, labels=labels)
    return Peer(type=EndpointType.NETWORK, name_aggr=network_aggr(ip), ip=ip, port=port,
                labels=labels)


# Kubernetes generateName suffixes use this alphabet (no vowels, no confusable digits).
_GENERATED_SUFFIX = re.compile(r"^(.+-)[bcdfghjklmnpqrstvwxz2456789]{5}$")


def aggregated_pod_name(pod: str) -> str:
    """Calico's `name_aggr` for a pod: its generateName plus `*` (frontend-6b8c7d9f4b-*)."""
    match = _GENERATED_SUFFIX.match(pod)
    return match.group(1) + "*" if match else pod


def _hits(flow: Mapping[str, Any]) -> tuple[PolicyHit, ...]:
    """Cilium policies are not tiered; each becomes a hit in tier "" with rule index unknown."""
    result: list[PolicyHit] = []
    for key, action in POLICY_LISTS:
        for policy in flow.get(key) or []:
            if not isinstance(policy, dict):
                continue
            kind = (HitKind.K8S_NETWORK_POLICY if policy.get("kind") == "NetworkPolicy"
                    else HitKind.OTHER)
            namespace = str(policy.get("namespace") or "")
            name = str(policy.get("name") or "")
            index = len(result)
            scope = f"{namespace}/" if namespace else ""
            label = kind.value if kind is not HitKind.OTHER else str(policy.get("kind", "other"))
            raw = f"{index}||{label}:{scope}{name}|{action.value}|-2"
            result.append(PolicyHit(index=index, tier="", kind=kind,
                                    namespace=namespace,
                                    name=name, action=action, rule_index=-2, raw=raw,
                                    format=HitFormat.EXPLICIT_KIND))
    return tuple(result)


def _service(value: object) -> ServiceRef | None:
    if isinstance(value, dict) and value.get("name"):
        return ServiceRef(namespace=str(value.get("namespace", "")), name=str(value["name"]))
    return None


def _attributes(flow: Mapping[str, Any], verdict: str) -> tuple[tuple[str, str], ...]:
    pairs = [("verdict", verdict)]
    if flow.get("drop_reason_desc"):
        pairs.append(("drop_reason", str(flow["drop_reason_desc"])))
    return tuple(pairs)
