"""Kubernetes NetworkPolicy and StagedKubernetesNetworkPolicy -> IR, as Calico converts them (§1.9).

Tier `default`, order 1000, selector `projectcalico.org/orchestrator == 'k8s'` AND the
podSelector (then the namespace clause of §3.2); one Allow rule per (protocol x peer), with
protocols sorted by name and peers in source order.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tierguard.diagnostics import Diagnostic, Severity
from tierguard.engine import compile_codes as codes
from tierguard.engine.compile_rules import CompileError, network_of, selector_of, staged_action_of
from tierguard.engine.compile_selectors import (
    entity_selector_text,
    k8s_label_selector_text,
    policy_selector_text,
)
from tierguard.engine.ir import (
    Action,
    CompiledPolicy,
    CompiledRule,
    Direction,
    EntityMatch,
    PolicyKind,
    PortMatch,
    PortRange,
)
from tierguard.model.k8s import K8sNetworkPolicy, K8sPeer, K8sPort, K8sRule, LabelSelector
from tierguard.model.protocol import protocol_name, protocol_number
from tierguard.selector import LabelSelectorError

K8S_POLICY_ORDER = 1000.0
DEFAULT_TIER = "default"


def label_selector_text(selector: LabelSelector | None, *, pods: bool) -> str:
    """A model LabelSelector -> Calico selector text (k8sSelectorToCalico). Raises CompileError."""
    if selector is None:
        return k8s_label_selector_text(None, pods=pods)
    plain: dict[str, object] = {
        "matchLabels": {key.value: value.value for key, value in selector.match_labels},
        "matchExpressions": [
            {"key": r.key.value if r.key else None, "operator": r.operator.value if r.operator else None,
             "values": [value.value for value in r.values]} for r in selector.match_expressions],
    }
    try:
        text = k8s_label_selector_text(plain, pods=pods)
    except LabelSelectorError as error:
        path = f"{selector.path}.{error.field_path}" if error.field_path else selector.path
        raise CompileError(f"{path}: {error.reason}", selector.span, path) from error
    selector_of(text, selector.span, selector.path)  # keys or values Calico cannot parse
    return text


@dataclass(frozen=True, slots=True)
class _PortGroup:
    """Ports of one protocol; `ports` None means all ports of it."""

    protocol: int | None
    ports: PortMatch | None


def _port(port: K8sPort) -> tuple[int, PortMatch | None]:
    protocol = protocol_number(port.protocol.value) if port.protocol else 6  # no protocol means TCP
    if protocol is None:
        raise CompileError(f"{port.path}.protocol: unknown protocol", port.span, f"{port.path}.protocol")
    if port.port is None:
        return protocol, None
    value = port.port.value
    if isinstance(value, str) and not value.isdigit():
        if port.end_port is not None:
            raise CompileError(f"{port.path}: endPort cannot be used with a named port", port.span, port.path)
        return protocol, PortMatch(names=(value,))
    first = int(value)
    last = port.end_port.value if port.end_port is not None else first
    if not 1 <= first <= last <= 65535:
        raise CompileError(f"{port.path}: port range {first}:{last} is invalid", port.span, port.path)
    return protocol, PortMatch(ranges=(PortRange(first, last),))


def _merge(match: PortMatch, more: PortMatch) -> PortMatch:
    return PortMatch(match.ranges + more.ranges, match.names + more.names)


def simplify_ports(match: PortMatch) -> PortMatch:
    """SimplifyPorts: sort numeric ranges and coalesce overlapping or adjacent ones."""
    merged: list[PortRange] = []
    for port_range in sorted(match.ranges, key=lambda r: (r.first, r.last)):
        if merged and port_range.first <= merged[-1].last + 1:
            last = merged[-1]
            merged[-1] = PortRange(last.first, max(last.last, port_range.last))
        else:
            merged.append(port_range)
    return PortMatch(tuple(merged), tuple(dict.fromkeys(match.names)))


def port_groups(ports: tuple[K8sPort, ...]) -> list[_PortGroup]:
    """Group a k8s rule's ports by protocol, sorted by protocol name ("" = no ports = all)."""
    if not ports:
        return [_PortGroup(None, None)]
    by_protocol: dict[int, PortMatch | None] = {}
    for port in ports:
        protocol, match = _port(port)
        if protocol in by_protocol and by_protocol[protocol] is None:
            continue  # this protocol already allows all ports
        if match is None:
            by_protocol[protocol] = None
        else:
            existing = by_protocol.get(protocol)
            by_protocol[protocol] = _merge(existing, match) if existing is not None else match
    ordered = sorted(by_protocol, key=protocol_name)
    return [_PortGroup(p, simplify_ports(m) if m is not None else None) for p in ordered
            for m in (by_protocol[p],)]


def _remote_entity(peer: K8sPeer | None, namespace: str) -> EntityMatch:
    """A peer as a rule side: ipBlock -> nets/notNets; selectors -> effective selector (§3.5)."""
    if peer is None:
        return EntityMatch()  # no peers: no constraint at all, external IPs included
    if peer.ip_block is not None:
        block = peer.ip_block
        if block.cidr is None:
            raise CompileError(f"{peer.path}.ipBlock: cidr is required", block.span, f"{peer.path}.ipBlock.cidr")
        nets = (network_of(block.cidr.value, block.cidr.span, f"{peer.path}.ipBlock.cidr"),)
        excepts = tuple(network_of(e.value, e.span, f"{peer.path}.ipBlock.except[{i}]")
                        for i, e in enumerate(block.except_))
        return EntityMatch(nets=nets, not_nets=excepts or None)
    selector = label_selector_text(peer.pod_selector, pods=True)
    namespace_selector = label_selector_text(peer.namespace_selector, pods=False)
    effective = entity_selector_text(selector=selector, not_selector="", namespace_selector=namespace_selector,
                                     service_account_names=(), service_account_selector="",
                                     policy_namespace=namespace)
    return EntityMatch(selector=selector_of(effective, peer.span, peer.path) if effective else None)


def _convert_rule(rule: K8sRule, namespace: str, direction: Direction, first_index: int) -> list[CompiledRule]:
    peers: tuple[K8sPeer | None, ...] = rule.peers or (None,)
    compiled: list[CompiledRule] = []
    for group in port_groups(rule.ports):
        for peer in peers:
            remote = _remote_entity(peer, namespace)
            if direction is Direction.INGRESS:
                source, destination = remote, EntityMatch(ports=group.ports)
            else:
                source, destination = EntityMatch(), replace(remote, ports=group.ports)
            compiled.append(CompiledRule(Action.ALLOW, first_index + len(compiled), source, destination,
                                         protocol=group.protocol, span=rule.span))
    return compiled


def _rules(policy: K8sNetworkPolicy, namespace: str, direction: Direction,
           diagnostics: list[Diagnostic]) -> tuple[CompiledRule, ...]:
    compiled: list[CompiledRule] = []
    for rule in policy.ingress if direction is Direction.INGRESS else policy.egress:
        try:
            compiled.extend(_convert_rule(rule, namespace, direction, len(compiled)))
        except CompileError as error:
            diagnostics.append(Diagnostic(
                codes.RULE_NOT_CONVERTED, Severity.WARNING,
                f"{error.message}; Calico drops this rule", error.span, policy.meta.ref, error.field_path))
    return tuple(compiled)


def k8s_policy_types(policy: K8sNetworkPolicy) -> frozenset[Direction]:
    """policyTypes, defaulted the way the Kubernetes API server stores them.

    Calico's converter alone would take a missing policyTypes as [Ingress] (§1.9), but a manifest
    from Git reaches Calico only after the API server has defaulted it: Ingress always, plus Egress
    when the policy has egress rules. Simulating the raw manifest would silently drop those rules.
    """
    if not policy.policy_types:
        if policy.egress:
            return frozenset({Direction.INGRESS, Direction.EGRESS})
        return frozenset({Direction.INGRESS})
    return frozenset(Direction(t.value) for t in policy.policy_types if t.value in ("Ingress", "Egress"))


def k8s_v1_name(policy: K8sNetworkPolicy, namespace: str) -> str:
    staged = "staged:" if policy.is_staged else ""
    return f"{namespace}/{staged}knp.default.{policy.meta.name}"


def compile_k8s_policy(policy: K8sNetworkPolicy) -> tuple[CompiledPolicy, list[Diagnostic]]:
    """Raises CompileError when the policy's own podSelector cannot be converted."""
    namespace = policy.meta.namespace or "default"
    diagnostics: list[Diagnostic] = []
    applies_to = policy_selector_text(label_selector_text(policy.pod_selector, pods=True), namespace)
    staged_action = staged_action_of(policy.staged_action) if policy.is_staged else None
    compiled = CompiledPolicy(
        kind=PolicyKind.STAGED_KUBERNETES_NETWORK_POLICY if policy.is_staged
        else PolicyKind.KUBERNETES_NETWORK_POLICY,
        name=policy.meta.name, namespace=namespace, tier=DEFAULT_TIER, order=K8S_POLICY_ORDER,
        selector=selector_of(applies_to, policy.meta.span, "spec.podSelector"), selector_text=applies_to,
        types=k8s_policy_types(policy),
        ingress=_rules(policy, namespace, Direction.INGRESS, diagnostics),
        egress=_rules(policy, namespace, Direction.EGRESS, diagnostics),
        staged_action=staged_action, span=policy.meta.span, v1_name=k8s_v1_name(policy, namespace))
    return compiled, diagnostics
