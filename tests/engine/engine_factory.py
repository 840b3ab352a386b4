"""Builders for engine tests: IR objects and inventory endpoints written by hand (no compiler)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence

from tierguard.diagnostics import Span
from tierguard.engine.evaluate import Evaluator
from tierguard.engine.ir import (
    Action,
    CalicoVersion,
    CompiledPolicy,
    CompiledRule,
    CompiledTier,
    Direction,
    Edition,
    EntityMatch,
    PolicyKind,
    PolicySet,
    PortMatch,
    PortRange,
    StagedAction,
)
from tierguard.engine.packet import Packet
from tierguard.engine.resolve import make_packet
from tierguard.engine.topology import Topology
from tierguard.inventory.model import Endpoint, EndpointKind, NamedPort, Node, Service
from tierguard.selector import parse

DEFAULT_TIER = CompiledTier("default", 1_000_000.0, Action.DENY)


def pod(name: str, namespace: str, labels: Mapping[str, str], ip: str, sa: str = "default",
        ns_labels: Mapping[str, str] | None = None, ports: Sequence[NamedPort] = (),
        node: str = "node-1") -> Endpoint:
    """A WorkloadEndpoint with the effective labels of calico-semantics §1.8."""
    effective: dict[str, str] = {}
    for key, value in (ns_labels or {}).items():
        effective[f"pcns.{key}"] = value
    effective["pcns.projectcalico.org/name"] = namespace
    effective["pcsa.projectcalico.org/name"] = sa
    effective.update({"projectcalico.org/namespace": namespace,
                      "projectcalico.org/orchestrator": "k8s",
                      "projectcalico.org/serviceaccount": sa})
    effective.update(labels)
    return Endpoint(EndpointKind.WORKLOAD, name, namespace, effective,
                    ips=(ipaddress.ip_address(ip),), ports=tuple(ports),
                    profiles=(f"kns.{namespace}", f"ksa.{namespace}.{sa}"), service_account=sa,
                    node=node, workload=name.rsplit("-", 1)[0] + "-*")


def hep(name: str, labels: Mapping[str, str], ip: str, node: str = "node-1",
        profiles: Sequence[str] = ()) -> Endpoint:
    return Endpoint(EndpointKind.HOST, name, "", dict(labels), ips=(ipaddress.ip_address(ip),),
                    profiles=tuple(profiles), node=node)


def netset(name: str, namespace: str, labels: Mapping[str, str], *nets: str) -> Endpoint:
    kind = EndpointKind.NETWORK_SET if namespace else EndpointKind.GLOBAL_NETWORK_SET
    effective = dict(labels)
    if namespace:
        effective["projectcalico.org/namespace"] = namespace
    return Endpoint(kind, name, namespace, effective,
                    nets=tuple(ipaddress.ip_network(n) for n in nets))


def sel(text: str):  # type: ignore[no-untyped-def]
    return parse(text)


def ent(nets: Sequence[str] | None = None, not_nets: Sequence[str] | None = None,
        selector: str | None = None, not_selector: str | None = None,
        **kwargs: object) -> EntityMatch:
    return EntityMatch(
        nets=tuple(ipaddress.ip_network(n) for n in nets) if nets is not None else None,
        not_nets=tuple(ipaddress.ip_network(n) for n in not_nets) if not_nets is not None else None,
        selector=parse(selector) if selector is not None else None,
        not_selector=parse(not_selector) if not_selector is not None else None,
        **kwargs)  # type: ignore[arg-type]


def rule(action: Action, index: int = 0, line: int = 0, **kwargs: object) -> CompiledRule:
    span = Span("policies.yaml", line, 7) if line else None
    return CompiledRule(action, index, span=span, **kwargs)  # type: ignore[arg-type]


def rules(*items: CompiledRule) -> tuple[CompiledRule, ...]:
    """Renumber rules 0..n-1 in the given order."""
    from dataclasses import replace
    return tuple(replace(r, index=i) for i, r in enumerate(items))


def policy(kind: PolicyKind, name: str, selector: str, *, namespace: str = "",
           tier: str = "default", order: float | None = None,
           types: Sequence[Direction] = (Direction.INGRESS,),
           ingress: Sequence[CompiledRule] = (), egress: Sequence[CompiledRule] = (),
           staged_action: StagedAction | None = None, line: int = 1) -> CompiledPolicy:
    if kind.is_staged and staged_action is None:
        staged_action = StagedAction.SET
    return CompiledPolicy(kind, name, namespace, tier, order, parse(selector), frozenset(types),
                          ingress=rules(*ingress), egress=rules(*egress),
                          staged_action=staged_action, span=Span("policies.yaml", line, 1))


def policy_set(policies: Sequence[CompiledPolicy], tiers: Sequence[CompiledTier] = (),
               version: str = "3.32", edition: Edition = Edition.OSS) -> PolicySet:
    all_tiers = list(tiers)
    if not any(t.name == "default" for t in all_tiers):
        all_tiers.append(DEFAULT_TIER)
    return PolicySet(CalicoVersion.parse(version), edition, tuple(all_tiers), tuple(policies))


def evaluator(policies: Sequence[CompiledPolicy], endpoints: Sequence[Endpoint],
              tiers: Sequence[CompiledTier] = (), version: str = "3.32",
              edition: Edition = Edition.OSS, services: Sequence[Service] = (),
              nodes: Sequence[Node] = ()) -> Evaluator:
    return Evaluator(policy_set(policies, tiers, version, edition),
                     Topology(endpoints, services, nodes))


def packet(ev: Evaluator, src: str | Endpoint, dst: str | Endpoint, port: int | None = None,
           protocol: str = "TCP", **kwargs: object) -> Packet:
    def peer(x: str | Endpoint):  # type: ignore[no-untyped-def]
        if isinstance(x, str):
            return ev.topology.peer_for_ip(ipaddress.ip_address(x))
        return ev.topology.peer_for_endpoint(x)
    return make_packet(peer(src), peer(dst), protocol, port, **kwargs)  # type: ignore[arg-type]


def traces(ev: Evaluator, pkt: Packet, mode: str = "enforced") -> tuple[list[str] | None, list[str] | None, str]:
    """(src hit strings, dst hit strings, verdict) for one mode; None = no record for that side."""
    result = ev.evaluate(pkt, with_replace=True)
    assert result.error is None, result.error
    chosen = {"enforced": result.enforced, "pending": result.pending,
              "replace": result.replace}[mode]
    assert chosen is not None
    fmt = ev.trace_format
    src = chosen.src.strings(fmt) if chosen.src is not None else None
    dst = chosen.dst.strings(fmt) if chosen.dst is not None else None
    return src, dst, chosen.verdict.value


def ports(*items: int | str | tuple[int, int]) -> PortMatch:
    """ports(80, (8000, 8080), "http") -> PortMatch."""
    ranges = tuple(PortRange(i, i) if isinstance(i, int) else PortRange(*i)
                   for i in items if not isinstance(i, str))
    return PortMatch(ranges, tuple(i for i in items if isinstance(i, str)))
