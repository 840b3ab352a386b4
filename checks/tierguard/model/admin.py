"""AdminNetworkPolicy and BaselineAdminNetworkPolicy (policy.networking.k8s.io/v1alpha1) and
ClusterNetworkPolicy (policy.networking.k8s.io/v1alpha2), in one model.

ANP/BANP ports (`portNumber`, `portRange`, `namedPort`) and CNP `protocols` entries are both
read into `AdminPort`; `AdminRule.ports` is None when the rule gives none (= all ports).
"""

from __future__ import annotations

from dataclasses import dataclass

from tierguard.diagnostics import Span
from tierguard.fastinit import fast_init
from tierguard.loader.nodes import LMap, Node
from tierguard.model.k8s import LabelSelector, read_label_selector
from tierguard.model.located import Integer, Text, integer, mapping, sequence, text, texts
from tierguard.model.meta import Meta, read_meta

ADMIN_API_VERSION = "policy.networking.k8s.io/v1alpha1"
CLUSTER_NETWORK_POLICY_API_VERSION = "policy.networking.k8s.io/v1alpha2"


@fast_init
@dataclass(frozen=True, slots=True)
class PodsPeer:
    namespace_selector: LabelSelector | None
    pod_selector: LabelSelector | None
    span: Span


@fast_init
@dataclass(frozen=True, slots=True)
class AdminPeer:
    """One `from`/`to` entry, or the policy's `subject` (which has only namespaces/pods)."""

    path: str
    span: Span
    namespaces: LabelSelector | None = None
    pods: PodsPeer | None = None
    nodes: LabelSelector | None = None
    networks: tuple[Text, ...] = ()
    domain_names: tuple[Text, ...] = ()


@fast_init
@dataclass(frozen=True, slots=True)
class AdminPort:
    """A destination port: a number, an inclusive range, or a named port; protocol upper-case."""

    path: str
    span: Span
    protocol: str | None = None  # "TCP" | "UDP" | "SCTP"; None for named ports
    port: Integer | None = None
    range_start: Integer | None = None
    range_end: Integer | None = None
    named_port: Text | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class AdminRule:
    index: int
    path: str
    span: Span
    name: Text | None
    action: Text | None
    peers: tuple[AdminPeer, ...]
    ports: tuple[AdminPort, ...] | None


@fast_init
@dataclass(frozen=True, slots=True)
class AdminPolicy:
    """meta.kind is AdminNetworkPolicy, BaselineAdminNetworkPolicy or ClusterNetworkPolicy."""

    meta: Meta
    priority: Integer | None
    tier: Text | None  # ClusterNetworkPolicy only: Admin | Baseline
    subject: AdminPeer | None
    ingress: tuple[AdminRule, ...]
    egress: tuple[AdminRule, ...]


def _pods(node: Node | None, path: str) -> PodsPeer | None:
    pods = mapping(node)
    if pods is None:
        return None
    return PodsPeer(read_label_selector(pods.get("namespaceSelector"), f"{path}.namespaceSelector"),
                    read_label_selector(pods.get("podSelector"), f"{path}.podSelector"), pods.span)


def read_admin_peer(node: Node | None, path: str) -> AdminPeer | None:
    peer = mapping(node)
    if peer is None:
        return None
    return AdminPeer(path, peer.span,
                     namespaces=read_label_selector(peer.get("namespaces"), f"{path}.namespaces"),
                     pods=_pods(peer.get("pods"), f"{path}.pods"),
                     nodes=read_label_selector(peer.get("nodes"), f"{path}.nodes"),
                     networks=texts(peer, "networks"), domain_names=texts(peer, "domainNames"))


def _anp_port(node: Node, path: str) -> list[AdminPort]:
    port = mapping(node)
    if port is None:
        return []
    found: list[AdminPort] = []
    number = mapping(port.get("portNumber"))
    if number is not None:
        protocol = text(number, "protocol")
        found.append(AdminPort(f"{path}.portNumber", number.span, protocol.value if protocol else "TCP",
                               port=integer(number, "port")))
    ranged = mapping(port.get("portRange"))
    if ranged is not None:
        protocol = text(ranged, "protocol")
        found.append(AdminPort(f"{path}.portRange", ranged.span, protocol.value if protocol else "TCP",
                               range_start=integer(ranged, "start"), range_end=integer(ranged, "end")))
    named = text(port, "namedPort")
    if named is not None:
        found.append(AdminPort(f"{path}.namedPort", named.span, named_port=named))
    return found


def _cnp_protocol(node: Node, path: str) -> list[AdminPort]:
    entry = mapping(node)
    if entry is None:
        return []
    found: list[AdminPort] = []
    for key in ("tcp", "udp", "sctp"):
        proto = mapping(entry.get(key))
        if proto is None:
            continue
        destination = mapping(proto.get("destinationPort"))
        ranged = mapping(destination.get("range")) if destination is not None else None
        where = f"{path}.{key}"
        if destination is None:
            found.append(AdminPort(where, proto.span, key.upper()))  # the protocol, any port
        elif ranged is not None:
            found.append(AdminPort(f"{where}.destinationPort.range", ranged.span, key.upper(),
                                   range_start=integer(ranged, "start"), range_end=integer(ranged, "end")))
        else:
            found.append(AdminPort(f"{where}.destinationPort", destination.span, key.upper(),
                                   port=integer(destination, "number")))
    named = text(entry, "destinationNamedPort")
    if named is not None:
        found.append(AdminPort(f"{path}.destinationNamedPort", named.span, named_port=named))
    return found


def _rules(spec: LMap | None, key: str, peer_key: str, ports_key: str) -> tuple[AdminRule, ...]:
    rules = []
    for index, item in enumerate(sequence(spec.get(key)) if spec is not None else ()):
        rule = mapping(item)
        if rule is None:
            continue
        path = f"spec.{key}[{index}]"
        peers = (read_admin_peer(p, f"{path}.{peer_key}[{i}]") for i, p in enumerate(sequence(rule.get(peer_key))))
        ports: list[AdminPort] | None = None
        if rule.get(ports_key) is not None and sequence(rule.get(ports_key)):
            reader = _anp_port if ports_key == "ports" else _cnp_protocol
            ports = []
            for i, entry in enumerate(sequence(rule.get(ports_key))):
                ports.extend(reader(entry, f"{path}.{ports_key}[{i}]"))
        rules.append(AdminRule(index, path, rule.span, text(rule, "name"), text(rule, "action"),
                               tuple(p for p in peers if p is not None),
                               tuple(ports) if ports is not None else None))
    return tuple(rules)


def read_admin_policy(root: LMap) -> AdminPolicy:
    spec = mapping(root.get("spec"))
    meta = read_meta(root)
    ports_key = "protocols" if meta.kind == "ClusterNetworkPolicy" else "ports"
    return AdminPolicy(
        meta=meta, priority=integer(spec, "priority"), tier=text(spec, "tier"),
        subject=read_admin_peer(spec.get("subject") if spec is not None else None, "spec.subject"),
        ingress=_rules(spec, "ingress", "from", ports_key), egress=_rules(spec, "egress", "to", ports_key),
    )
