"""Flow records -> observations per namespace (calico-semantics §8 "Input flows").

A namespace learns from allowed flows reported by its own workload endpoints: egress from
records with reporter=src, ingress from records with reporter=dst. Optionally (Calico's own
choice) only flows that no real policy decided, i.e. whose trace ends in a profile allow.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tierguard.diagnostics import Diagnostic, Severity, Span
from tierguard.engine.ir import Direction
from tierguard.flows.model import Action, EndpointType, FlowRecord, HitAction, HitKind, Reporter
from tierguard.flows.model import Peer as FlowPeer
from tierguard.inventory.model import Endpoint, EndpointKind
from tierguard.recommend import codes
from tierguard.recommend.model import (
    DNS_PORT,
    EXCLUDED_PREFIXES,
    PRIVATE_NETS,
    Observation,
    Options,
    Scope,
)
from tierguard.recommend.names import is_namespace_name, is_object_name

_PRIVATE = tuple(ipaddress.ip_network(n) for n in PRIVATE_NETS)
_TCP, _UDP = 6, 17


def default_namespaces(endpoints: Iterable[Endpoint]) -> tuple[str, ...]:
    """Namespaces with at least one pod, minus kube-*, calico-*, tigera-*, openshift-* (§8)."""
    found = {ep.namespace for ep in endpoints if ep.kind is EndpointKind.WORKLOAD and ep.namespace}
    return tuple(sorted(ns for ns in found if not ns.startswith(EXCLUDED_PREFIXES)))


@dataclass(slots=True)
class Collected:
    """Every allowed observation per namespace (all are replayed by the proof), plus what was
    skipped and why."""

    by_namespace: dict[str, list[Observation]] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    records: int = 0

    def add(self, observation: Observation) -> None:
        self.by_namespace.setdefault(observation.namespace, []).append(observation)

    def learnt(self, options: Options) -> dict[str, list[Observation]]:
        """What recommendations are learnt from: all, or only undecided flows (--only-undecided)."""
        if not options.only_undecided:
            return self.by_namespace
        return {ns: [o for o in found if o.undecided] for ns, found in self.by_namespace.items()}


def _text(value: str) -> str:
    return "" if value == "-" else value


def _span(record: FlowRecord) -> Span:
    return Span(record.file, record.line, 1)


def _in_window(record: FlowRecord, options: Options) -> bool:
    if options.since_ms is not None and record.end_ms < options.since_ms:
        return False
    return options.until_ms is None or record.start_ms <= options.until_ms


def undecided(record: FlowRecord) -> bool:
    """True when the reporter's trace ends in a profile allow: no real policy decided (§8).

    Uses the pending trace, or the enforced one when the source has none (Calico falls back to
    `all_policies`).
    """
    hits = record.pending if record.pending_raw is not None else record.enforced
    return any(h.kind is HitKind.PROFILE and h.action is HitAction.ALLOW for h in hits)


def _ip_scope(text: str | None) -> Scope | None:
    if not text:
        return None
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    private = any(address.version == n.version and address in n for n in _PRIVATE)
    return Scope.PRIVATE if private else Scope.PUBLIC


class _Skip(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _peer_fields(peer: FlowPeer, direction: Direction, protocol: int,
                 port: int | None) -> tuple[Scope, str, str]:
    """(scope, peer namespace, peer name) of a flow peer; raises _Skip when it has no rule form."""
    kind = peer.type
    namespace, name = _text(peer.namespace), _text(peer.name) or _text(peer.name_aggr)
    if kind is EndpointType.WORKLOAD:
        if not is_namespace_name(namespace):
            raise _Skip(codes.NAME_REJECTED, f"peer namespace {namespace!r} is not a valid "
                                             "namespace name; record skipped")
        dns = direction is Direction.EGRESS and port == DNS_PORT and protocol in (_TCP, _UDP)
        return (Scope.DNS if dns else Scope.NAMESPACE), namespace, ""
    if kind is EndpointType.NETWORK_SET:
        if not is_object_name(name) or (namespace and not is_namespace_name(namespace)):
            raise _Skip(codes.NAME_REJECTED, f"network set {namespace + '/' if namespace else ''}"
                                             f"{name!r} is not a valid name; record skipped")
        return Scope.NETWORK_SET, namespace, name
    if kind is EndpointType.NETWORK:
        aggregate = _text(peer.name_aggr)
        scope = _ip_scope(peer.ip) or {"pvt": Scope.PRIVATE, "pub": Scope.PUBLIC}.get(aggregate)
        if scope is None:
            raise _Skip(codes.PEER_UNSUPPORTED, f"network peer {aggregate or '-'!r} without an IP "
                                                "is neither pub nor pvt; record skipped")
        return scope, "", ""
    if kind is EndpointType.HOST:
        scope = _ip_scope(peer.ip)
        if scope is None:
            raise _Skip(codes.PEER_UNSUPPORTED, "host endpoint peer without an IP; record skipped")
        return scope, "", ""
    raise _Skip(codes.PEER_UNSUPPORTED, f"peer of type {kind.value!r} (not resolved to a workload) "
                                        "cannot be written as a rule; record skipped")


def observe(record: FlowRecord, namespaces: frozenset[str]) -> tuple[Observation | None, _Skip | None]:
    """The observation a record gives a selected namespace, or None (not ours / not allowed)."""
    if record.action is not Action.ALLOW:
        return None, None
    if record.reporter is Reporter.SRC and record.source.type is EndpointType.WORKLOAD:
        direction, local, peer = Direction.EGRESS, record.source, record.dest
    elif record.reporter is Reporter.DST and record.dest.type is EndpointType.WORKLOAD:
        direction, local, peer = Direction.INGRESS, record.dest, record.source
    else:
        return None, None
    namespace = _text(local.namespace)
    if namespace not in namespaces:
        return None, None
    if record.protocol.number is None:
        return None, _Skip(codes.PEER_UNSUPPORTED, f"protocol {record.protocol.name!r} has no "
                                                   "number; record skipped")
    protocol = record.protocol.number
    try:
        scope, peer_ns, peer_name = _peer_fields(peer, direction, protocol, record.dest_port)
    except _Skip as skip:
        return None, skip
    return Observation(namespace, direction, scope, protocol, record.dest_port, peer_ns, peer_name,
                       peer.labels, record, undecided(record)), None


def collect(records: Iterable[FlowRecord], namespaces: Iterable[str], options: Options) -> Collected:
    """Observations for every selected namespace; skipped records become diagnostics."""
    wanted = frozenset(namespaces)
    out = Collected()
    # The same problem usually repeats on thousands of records: report it once, with a count.
    skipped: dict[tuple[str, str], tuple[FlowRecord, int]] = {}
    for record in records:
        out.records += 1
        if not _in_window(record, options):
            continue
        observation, skip = observe(record, wanted)
        if skip is not None:
            first, count = skipped.get((skip.code, skip.message), (record, 0))
            skipped[(skip.code, skip.message)] = (first, count + 1)
        elif observation is not None:
            out.add(observation)
    for (code, message), (first, count) in skipped.items():
        more = f" ({count} records like this)" if count > 1 else ""
        out.diagnostics.append(Diagnostic(code, Severity.WARNING, message + more, _span(first)))
    return out


def peer_labels(observations: Iterable[Observation]) -> Mapping[str, str]:
    """Labels every observation's peer reported (intersection); {} when any reported none."""
    common: dict[str, str] | None = None
    for observation in observations:
        labels = dict(text.partition("=")[::2] for text in observation.peer_labels)
        common = labels if common is None else {k: v for k, v in common.items() if labels.get(k) == v}
    return common or {}
