"""Semantic connectivity diff over the inventory, beyond observed traffic.

For every workload pair where the change touches the source's egress or the destination's
ingress, and every port the destination serves (container ports, plus Service target ports of
Services backed by it), compare the enforced verdict under base and head. Evaluation is per label
class: pods that share labels, namespace, ports and profiles are evaluated once.

Pure: inventory endpoints, services and the two trees in; changes out.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tierguard.engine.packet import Packet, protocol_name
from tierguard.engine.resolve import make_packet
from tierguard.inventory.model import Endpoint, EndpointKind, Service
from tierguard.review.model import FlowKey, ReachabilityChange, Verdict
from tierguard.review.replay import Outcome, Tree, enforced_unchanged, outcome, workload_name
from tierguard.review.touch import Touched

Port = tuple[int, int]  # (port, protocol number)


def served_ports(endpoint: Endpoint, services: Iterable[Service]) -> tuple[Port, ...]:
    """Container ports of the endpoint, plus target ports of Services whose backends include it."""
    ports = {(p.port, p.protocol) for p in endpoint.ports}
    ips = set(endpoint.ips)
    for service in services:
        for ip, _name, number, protocol in service.backends:
            if ip in ips:
                ports.add((number, protocol))
    return tuple(sorted(ports))


def representatives(endpoints: Sequence[Endpoint], tree: Tree) -> list[Endpoint]:
    """One workload endpoint per (workload, label class), in a stable order."""
    chosen: dict[tuple[str, int], Endpoint] = {}
    for ep in endpoints:
        if ep.kind is not EndpointKind.WORKLOAD:
            continue
        key = (workload_name(ep), tree.topology.class_of(ep))
        if key not in chosen or ep.name < chosen[key].name:
            chosen[key] = ep
    return sorted(chosen.values(), key=lambda e: (workload_name(e), e.name))


def reachability_diff(endpoints: Sequence[Endpoint], services: Sequence[Service], base: Tree,
                      head: Tree, touched: Touched, observed: frozenset[FlowKey],
                      max_pairs: int = 200_000) -> tuple[tuple[ReachabilityChange, ...], int]:
    """Changed (workload pair, port) verdicts, and the number of pair-ports evaluated."""
    reps = representatives(endpoints, head)
    ports = {id(ep): served_ports(ep, services) for ep in reps}
    cache: dict[tuple[int, int, int, int], tuple[Outcome, Outcome] | None] = {}
    changes: dict[FlowKey, ReachabilityChange] = {}
    evaluated = 0
    for src in reps:
        src_touched = id(src) in touched.egress
        for dst in reps:
            if workload_name(src) == workload_name(dst):
                continue
            if not src_touched and id(dst) not in touched.ingress:
                continue
            for port, protocol in ports[id(dst)]:
                if evaluated >= max_pairs:
                    break
                cache_key = (head.topology.class_of(src), head.topology.class_of(dst), port, protocol)
                found = cache.get(cache_key)
                if found is None:
                    evaluated += 1
                    found = cache[cache_key] = _compare(base, head, src, dst, protocol, port,
                                                        src_touched, id(dst) in touched.ingress)
                if found is None:
                    continue
                before, after = found
                if before.enforced is after.enforced or Verdict.UNKNOWN in (before.enforced,
                                                                           after.enforced):
                    continue
                key = FlowKey(workload_name(src), workload_name(dst), port, protocol_name(protocol))
                changes.setdefault(key, ReachabilityChange(key, before.enforced, after.enforced,
                                                           key in observed, after.enforced_rule))
    ordered = sorted(changes.values(), key=lambda c: (c.observed, c.after.value, c.key))
    return tuple(ordered), evaluated


def _compare(base: Tree, head: Tree, src: Endpoint, dst: Endpoint, protocol: int, port: int,
             egress: bool, ingress: bool) -> tuple[Outcome, Outcome] | None:
    """Both outcomes, or None when the touched sides prove the verdict unchanged."""
    before, after = _packet(base, src, dst, protocol, port), _packet(head, src, dst, protocol, port)
    if enforced_unchanged(base, head, before, after, egress, ingress):
        return None
    return outcome(base, before), outcome(head, after)


def _packet(tree: Tree, src: Endpoint, dst: Endpoint, protocol: int, port: int) -> Packet:
    topology = tree.topology
    return make_packet(topology.peer_for_endpoint(tree.own(src)),
                       topology.peer_for_endpoint(tree.own(dst)), protocol, port)
