"""AdminNetworkPolicy / BaselineAdminNetworkPolicy (3.29-3.31) and ClusterNetworkPolicy (3.32+) -> IR (§1.10).

Each becomes a GlobalNetworkPolicy-like policy: subject -> selector + namespaceSelector; one
rule per (protocol x peer); a rule that cannot be converted fails closed (a bare Deny when its
action was Deny or Pass, dropped when it was Allow/Accept).
"""

from __future__ import annotations

from dataclasses import dataclass

from tierguard.diagnostics import Diagnostic, Severity
from tierguard.engine import compile_codes as codes
from tierguard.engine.compile_k8s import label_selector_text, simplify_ports
from tierguard.engine.compile_rules import CompileError, network_of, selector_of
from tierguard.engine.compile_selectors import (
    ORCHESTRATOR_CLAUSE,
    entity_selector_text,
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
from tierguard.model.admin import AdminPeer, AdminPolicy, AdminPort, AdminRule
from tierguard.model.located import Text
from tierguard.model.protocol import protocol_name, protocol_number

ANP_TIER = "adminnetworkpolicy"
BANP_TIER = "baselineadminnetworkpolicy"
CNP_TIERS = {"Admin": "kube-admin", "Baseline": "kube-baseline"}
BANP_ORDER = 1000.0
ANP_NAME_PREFIX = "kanp.adminnetworkpolicy."
BANP_NAME_PREFIX = "kbanp.baselineadminnetworkpolicy."
_ACTIONS = {"Allow": Action.ALLOW, "Accept": Action.ALLOW, "Deny": Action.DENY, "Pass": Action.PASS}


class _Unconvertible(Exception):
    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.message = message
        self.path = path


@dataclass(frozen=True, slots=True)
class _Peer:
    selector: str
    namespace_selector: str
    nets: tuple[Text, ...] = ()
    path: str = ""


def subject_selector_text(policy: AdminPolicy) -> str:
    """Effective applies-to selector: orchestrator/pod selector AND pcns.-prefixed namespace selector."""
    subject = policy.subject
    if subject is None:
        raise CompileError("spec.subject is required", policy.meta.span, "spec.subject")
    if subject.namespaces is not None:
        pods, namespaces = ORCHESTRATOR_CLAUSE, label_selector_text(subject.namespaces, pods=False)
    elif subject.pods is not None:
        pods = label_selector_text(subject.pods.pod_selector, pods=True) if subject.pods.pod_selector \
            else label_selector_text(None, pods=True)
        namespaces = label_selector_text(subject.pods.namespace_selector, pods=False) \
            if subject.pods.namespace_selector else "all()"
    else:
        raise CompileError("spec.subject needs namespaces or pods", subject.span, "spec.subject")
    return policy_selector_text(pods, "", namespace_selector=namespaces)


def _peer(peer: AdminPeer) -> _Peer:
    if peer.namespaces is not None:
        return _Peer("", label_selector_text(peer.namespaces, pods=False))
    if peer.pods is not None:
        pods = label_selector_text(peer.pods.pod_selector, pods=True)
        namespaces = label_selector_text(peer.pods.namespace_selector, pods=False) \
            if peer.pods.namespace_selector else "all()"
        return _Peer(pods, namespaces)
    if peer.networks:
        return _Peer("", "", peer.networks, peer.path)
    if peer.nodes is not None:
        raise _Unconvertible("`nodes` peers are not supported by Calico's conversion", f"{peer.path}.nodes")
    if peer.domain_names:
        raise _Unconvertible("`domainNames` peers are not supported by Calico's conversion",
                             f"{peer.path}.domainNames")
    raise _Unconvertible("peer selects nothing", peer.path)


def _port_groups(policy: AdminPolicy, ports: tuple[AdminPort, ...] | None,
                 warnings: list[Diagnostic]) -> list[tuple[int | None, PortMatch | None]]:
    """(protocol, ports) groups sorted by protocol name; [(None, None)] means any port."""
    if not ports:
        return [(None, None)]
    groups: dict[int | None, PortMatch | None] = {}
    for port in ports:
        if port.named_port is not None and policy.meta.kind != "ClusterNetworkPolicy":
            # ANP namedPort yields neither port nor protocol, which Calico reads as all ports
            # (calico-semantics §1.10, code observation).
            warnings.append(Diagnostic(codes.RULE_NOT_CONVERTED, Severity.WARNING,
                                       f"{port.path}: Calico 3.29-3.31 converts an AdminNetworkPolicy namedPort "
                                       "to 'all ports and protocols'", port.span, policy.meta.ref, port.path))
            return [(None, None)]
        protocol = protocol_number(port.protocol) if port.protocol else None
        match = _port_match(port)
        if protocol in groups and groups[protocol] is None:
            continue
        existing = groups.get(protocol)
        if match is None:
            groups[protocol] = None
        else:
            groups[protocol] = PortMatch(existing.ranges + match.ranges, existing.names + match.names) \
                if existing is not None else match
    ordered = sorted(groups, key=lambda p: protocol_name(p) if p is not None else "")
    return [(p, simplify_ports(m) if m is not None else None) for p in ordered for m in (groups[p],)]


def _port_match(port: AdminPort) -> PortMatch | None:
    if port.named_port is not None:
        return PortMatch(names=(port.named_port.value,))
    if port.port is not None:
        first = last = port.port.value
    elif port.range_start is not None and port.range_end is not None:
        first, last = port.range_start.value, port.range_end.value
    else:
        return None  # a protocol with no port: every port of it
    if not 1 <= first <= last <= 65535:
        raise _Unconvertible(f"port range {first}:{last} is invalid", port.path)
    return PortMatch(ranges=(PortRange(first, last),))


def _remote(peer: _Peer, path: str) -> EntityMatch:
    nets = tuple(network_of(net.value, net.span, f"{peer.path}.networks[{i}]")
                 for i, net in enumerate(peer.nets)) or None
    effective = entity_selector_text(
        selector=peer.selector, not_selector="", namespace_selector=peer.namespace_selector,
        service_account_names=(), service_account_selector="", policy_namespace="")
    return EntityMatch(nets=nets, selector=selector_of(effective, None, path) if effective else None)


def _convert(policy: AdminPolicy, rule: AdminRule, action: Action, direction: Direction, first_index: int,
             warnings: list[Diagnostic]) -> list[CompiledRule]:
    rule_name = rule.name.value if rule.name is not None else ""
    try:
        peers = [_peer(peer) for peer in rule.peers] or [_Peer("", "")]
        remotes = [_remote(peer, rule.path) for peer in peers]
        groups = _port_groups(policy, rule.ports, warnings)
    except (_Unconvertible, CompileError) as error:
        path = error.path if isinstance(error, _Unconvertible) else error.field_path
        fail_closed = action is not Action.ALLOW
        outcome = "replaced by a bare Deny (fail-closed)" if fail_closed else "dropped"
        warnings.append(Diagnostic(codes.RULE_NOT_CONVERTED, Severity.WARNING,
                                   f"{path}: {error.message}; Calico converts this rule to nothing: it is {outcome}",
                                   rule.span, policy.meta.ref, path))
        return [CompiledRule(Action.DENY, first_index, span=rule.span, name=rule_name)] if fail_closed else []
    compiled: list[CompiledRule] = []
    for protocol, ports in groups:
        for remote in remotes:
            if direction is Direction.INGRESS:
                source, destination = remote, EntityMatch(ports=ports)
            else:
                source = EntityMatch()
                destination = EntityMatch(nets=remote.nets, selector=remote.selector, ports=ports)
            compiled.append(CompiledRule(action, first_index + len(compiled), source, destination,
                                         protocol=protocol, span=rule.span, name=rule_name))
    return compiled


def _rules(policy: AdminPolicy, direction: Direction, warnings: list[Diagnostic]) -> tuple[CompiledRule, ...]:
    compiled: list[CompiledRule] = []
    for rule in policy.ingress if direction is Direction.INGRESS else policy.egress:
        action = _ACTIONS.get(rule.action.value) if rule.action is not None else None
        if action is None:
            raise CompileError(f"{rule.path}.action: missing or unknown action", rule.span, f"{rule.path}.action")
        compiled.extend(_convert(policy, rule, action, direction, len(compiled), warnings))
    return tuple(compiled)


def _types(policy: AdminPolicy) -> frozenset[Direction]:
    types = set()
    if policy.ingress:
        types.add(Direction.INGRESS)
    if policy.egress:
        types.add(Direction.EGRESS)
    # An empty types list means both directions in felix's model (§1.12, §3.2).
    return frozenset(types) or frozenset({Direction.INGRESS, Direction.EGRESS})


def _identity(policy: AdminPolicy) -> tuple[PolicyKind, str, str, float | None]:
    """(kind, name, tier, order) per §1.10."""
    kind, name = policy.meta.kind, policy.meta.name
    priority = float(policy.priority.value) if policy.priority is not None else None
    if kind == "AdminNetworkPolicy":
        return PolicyKind.ADMIN_NETWORK_POLICY, ANP_NAME_PREFIX + name, ANP_TIER, priority
    if kind == "BaselineAdminNetworkPolicy":
        return PolicyKind.BASELINE_ADMIN_NETWORK_POLICY, BANP_NAME_PREFIX + name, BANP_TIER, BANP_ORDER
    tier = CNP_TIERS.get(policy.tier.value) if policy.tier is not None else None
    if tier is None:
        raise CompileError("spec.tier must be Admin or Baseline; Calico ignores this ClusterNetworkPolicy",
                           policy.tier.span if policy.tier else policy.meta.span, "spec.tier")
    return PolicyKind.KUBERNETES_CLUSTER_NETWORK_POLICY, name, tier, priority


def compile_admin_policy(policy: AdminPolicy) -> tuple[CompiledPolicy, list[Diagnostic]]:
    """Raises CompileError when the policy as a whole cannot be converted."""
    kind, name, tier, order = _identity(policy)
    selector_text = subject_selector_text(policy)
    warnings: list[Diagnostic] = []
    compiled = CompiledPolicy(
        kind=kind, name=name, namespace="", tier=tier, order=order,
        selector=selector_of(selector_text, policy.meta.span, "spec.subject"), selector_text=selector_text,
        types=_types(policy),
        ingress=_rules(policy, Direction.INGRESS, warnings), egress=_rules(policy, Direction.EGRESS, warnings),
        span=policy.meta.span, v1_name=name)
    return compiled, warnings
