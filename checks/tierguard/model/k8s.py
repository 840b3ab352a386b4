"""Kubernetes networking.k8s.io/v1 NetworkPolicy and Calico's StagedKubernetesNetworkPolicy.

Also the Kubernetes LabelSelector, shared with the admin kinds (`model.admin`).
"""

from __future__ import annotations

from dataclasses import dataclass

from tierguard.diagnostics import Span
from tierguard.fastinit import fast_init
from tierguard.loader.nodes import LMap, LScalar, Node
from tierguard.model.located import (
    Integer,
    IntOrText,
    Text,
    int_or_text,
    integer,
    mapping,
    sequence,
    text,
    text_of,
    text_pairs,
    texts,
)
from tierguard.model.meta import Meta, read_meta

K8S_NETWORKING_API_VERSION = "networking.k8s.io/v1"


@fast_init
@dataclass(frozen=True, slots=True)
class LabelSelectorRequirement:
    key: Text | None
    operator: Text | None
    values: tuple[Text, ...]
    span: Span


@fast_init
@dataclass(frozen=True, slots=True)
class LabelSelector:
    """A Kubernetes LabelSelector; an empty one (`{}`) selects everything."""

    match_labels: tuple[tuple[Text, Text], ...]
    match_expressions: tuple[LabelSelectorRequirement, ...]
    span: Span
    path: str = ""

    @property
    def is_empty(self) -> bool:
        return not self.match_labels and not self.match_expressions


@fast_init
@dataclass(frozen=True, slots=True)
class IPBlock:
    cidr: Text | None
    except_: tuple[Text, ...]
    span: Span


@fast_init
@dataclass(frozen=True, slots=True)
class K8sPeer:
    pod_selector: LabelSelector | None
    namespace_selector: LabelSelector | None
    ip_block: IPBlock | None
    span: Span
    path: str


@fast_init
@dataclass(frozen=True, slots=True)
class K8sPort:
    protocol: Text | None
    port: IntOrText | None
    end_port: Integer | None
    span: Span
    path: str


@fast_init
@dataclass(frozen=True, slots=True)
class K8sRule:
    """One ingress (`from`) or egress (`to`) rule; empty `peers` means all peers."""

    index: int
    path: str
    span: Span
    ports: tuple[K8sPort, ...]
    peers: tuple[K8sPeer, ...]


@fast_init
@dataclass(frozen=True, slots=True)
class K8sNetworkPolicy:
    """networking.k8s.io/v1 NetworkPolicy, or StagedKubernetesNetworkPolicy (meta.kind tells)."""

    meta: Meta
    pod_selector: LabelSelector | None
    policy_types: tuple[Text, ...] | None  # None when absent
    ingress: tuple[K8sRule, ...]
    egress: tuple[K8sRule, ...]
    staged_action: Text | None = None
    spec_span: Span | None = None
    spec_keys: tuple[str, ...] = ()

    @property
    def is_staged(self) -> bool:
        return self.meta.kind == "StagedKubernetesNetworkPolicy"


def read_label_selector(node: Node | None, path: str) -> LabelSelector | None:
    selector = mapping(node)
    if selector is None:
        return None
    requirements = []
    for item in sequence(selector.get("matchExpressions")):
        requirement = mapping(item)
        if requirement is not None:
            requirements.append(LabelSelectorRequirement(text(requirement, "key"), text(requirement, "operator"),
                                                         texts(requirement, "values"), requirement.span))
    return LabelSelector(text_pairs(selector, "matchLabels"), tuple(requirements), selector.span, path)


def _peer(node: Node, path: str) -> K8sPeer | None:
    peer = mapping(node)
    if peer is None:
        return None
    block = mapping(peer.get("ipBlock"))
    ip_block = IPBlock(text(block, "cidr"), texts(block, "except"), block.span) if block is not None else None
    return K8sPeer(read_label_selector(peer.get("podSelector"), f"{path}.podSelector"),
                   read_label_selector(peer.get("namespaceSelector"), f"{path}.namespaceSelector"),
                   ip_block, peer.span, path)


def _port(node: Node, path: str) -> K8sPort | None:
    port = mapping(node)
    if port is None:
        return None
    return K8sPort(text(port, "protocol"), int_or_text(port, "port"), integer(port, "endPort"), port.span, path)


def _rules(spec: LMap | None, key: str, peer_key: str) -> tuple[K8sRule, ...]:
    rules = []
    for index, item in enumerate(sequence(spec.get(key)) if spec is not None else ()):
        rule = mapping(item)
        path = f"spec.{key}[{index}]"
        if rule is None:
            if isinstance(item, LScalar) and item.value is None:
                rule_span = item.span  # `- {}` written as a bare `-`: allow-all rule
                rules.append(K8sRule(index, path, rule_span, (), ()))
            continue
        ports = (_port(p, f"{path}.ports[{i}]") for i, p in enumerate(sequence(rule.get("ports"))))
        peers = (_peer(p, f"{path}.{peer_key}[{i}]") for i, p in enumerate(sequence(rule.get(peer_key))))
        rules.append(K8sRule(index, path, rule.span, tuple(p for p in ports if p is not None),
                             tuple(p for p in peers if p is not None)))
    return tuple(rules)


def read_k8s_network_policy(root: LMap) -> K8sNetworkPolicy:
    spec = mapping(root.get("spec"))
    types_node = spec.get("policyTypes") if spec is not None else None
    policy_types = None
    if types_node is not None and not (isinstance(types_node, LScalar) and types_node.value is None):
        policy_types = tuple(t for t in (text_of(item) for item in sequence(types_node)) if t is not None)
    return K8sNetworkPolicy(
        meta=read_meta(root),
        pod_selector=read_label_selector(spec.get("podSelector") if spec is not None else None, "spec.podSelector"),
        policy_types=policy_types,
        ingress=_rules(spec, "ingress", "from"), egress=_rules(spec, "egress", "to"),
        staged_action=text(spec, "stagedAction"),
        spec_span=spec.span if spec is not None else None,
        spec_keys=tuple(spec.keys()) if spec is not None else (),
    )
