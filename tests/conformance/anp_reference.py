"""An independent model of the network-policy-api admin layers on top of NetworkPolicy.

Written from the network-policy-api specs: AdminNetworkPolicy / BaselineAdminNetworkPolicy
(policy.networking.k8s.io/v1alpha1) and ClusterNetworkPolicy (v1alpha2, tiers Admin/Baseline).
Per pod and direction:

1. admin layer: policies whose subject selects the pod, by ascending priority; the first rule
   whose peers and ports match decides: Allow/Accept -> allowed, Deny -> denied, Pass -> skip the
   rest of the admin layer. No match -> continue.
2. NetworkPolicy layer (k8s_reference): if a NetworkPolicy isolates the pod for the direction,
   it decides.
3. baseline layer: like the admin layer (BANP: one policy; Baseline CNPs: by priority); Pass or no
   match -> allowed (the Kubernetes default).

Equal priorities are left undefined by the upstream spec, so the cases never rely on them.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .cluster import Cluster, Pod
from .k8s_reference import Policy, direction_allows, policy_types, selector_matches


@dataclass(frozen=True)
class Port:
    protocol: str
    first: int | None = None  # None with no name: every port of the protocol
    last: int | None = None
    name: str | None = None


@dataclass(frozen=True)
class Rule:
    action: str  # Allow | Deny | Pass
    peers: tuple[Mapping[str, Any], ...]
    ports: tuple[Port, ...] | None  # None: every port and protocol


@dataclass(frozen=True)
class AdminPolicy:
    priority: int
    subject: Mapping[str, Any]
    ingress: tuple[Rule, ...]
    egress: tuple[Rule, ...]


def _v1alpha1_ports(entries: Sequence[Mapping[str, Any]] | None) -> tuple[Port, ...] | None:
    if not entries:
        return None
    out = []
    for entry in entries:
        if "portNumber" in entry:
            number = entry["portNumber"]
            out.append(Port(number.get("protocol", "TCP"), number["port"], number["port"]))
        elif "portRange" in entry:
            rng = entry["portRange"]
            out.append(Port(rng.get("protocol", "TCP"), rng["start"], rng["end"]))
        else:
            out.append(Port("", name=entry["namedPort"]))
    return tuple(out)


def _v1alpha2_ports(entries: Sequence[Mapping[str, Any]] | None) -> tuple[Port, ...] | None:
    if not entries:
        return None
    out = []
    for entry in entries:
        if "destinationNamedPort" in entry:
            out.append(Port("", name=entry["destinationNamedPort"]))
            continue
        for proto in ("tcp", "udp", "sctp"):
            if proto in entry:
                dest = (entry[proto] or {}).get("destinationPort")
                if dest is None:
                    out.append(Port(proto.upper()))
                elif "number" in dest:
                    out.append(Port(proto.upper(), dest["number"], dest["number"]))
                else:
                    out.append(Port(proto.upper(), dest["range"]["start"], dest["range"]["end"]))
    return tuple(out)


def from_document(doc: Mapping[str, Any]) -> AdminPolicy:
    """ANP, BANP or CNP as written in YAML -> the normalized form."""
    spec = doc["spec"]
    v2 = doc["kind"] == "ClusterNetworkPolicy"
    ports = _v1alpha2_ports if v2 else _v1alpha1_ports
    ports_key = "protocols" if v2 else "ports"

    def rules(key: str, peers_key: str) -> tuple[Rule, ...]:
        return tuple(Rule("Allow" if r["action"] == "Accept" else r["action"],
                          tuple(r.get(peers_key) or ()), ports(r.get(ports_key)))
                     for r in spec.get(key) or [])

    return AdminPolicy(int(spec.get("priority", 0)), spec["subject"],
                       rules("ingress", "from"), rules("egress", "to"))


def _pods_selector_matches(sel: Mapping[str, Any], pod: Pod, cluster: Cluster) -> bool:
    return (selector_matches(sel.get("namespaceSelector") or {},
                             cluster.namespace(pod.namespace).labels)
            and selector_matches(sel.get("podSelector") or {}, pod.labels))


def subject_matches(subject: Mapping[str, Any], pod: Pod, cluster: Cluster) -> bool:
    if "namespaces" in subject:
        return selector_matches(subject["namespaces"] or {}, cluster.namespace(pod.namespace).labels)
    return _pods_selector_matches(subject["pods"], pod, cluster)


def _peer_matches(peer: Mapping[str, Any], ip: str, pod: Pod | None, cluster: Cluster) -> bool:
    if "networks" in peer:
        address = ipaddress.ip_address(ip)
        return any(address in ipaddress.ip_network(c, strict=False) for c in peer["networks"])
    if pod is None:
        return False
    if "namespaces" in peer:
        return selector_matches(peer["namespaces"] or {}, cluster.namespace(pod.namespace).labels)
    if "pods" in peer:
        return _pods_selector_matches(peer["pods"], pod, cluster)
    return False


def _port_matches(spec: Port, port: int | None, protocol: str, dest_pod: Pod | None) -> bool:
    if port is None:  # ICMP and other portless protocols never match a port clause
        return False
    if spec.name is not None:
        return dest_pod is not None and any(
            cp.name == spec.name and cp.port == port and cp.protocol == protocol
            for cp in dest_pod.ports)
    if spec.protocol != protocol:
        return False
    return spec.first is None or spec.first <= port <= (spec.last or spec.first)


def _rule_matches(rule: Rule, peer_ip: str, peer_pod: Pod | None, port: int | None, protocol: str,
                  dest_pod: Pod | None, cluster: Cluster) -> bool:
    if rule.ports is not None and not any(_port_matches(p, port, protocol, dest_pod)
                                          for p in rule.ports):
        return False
    return any(_peer_matches(p, peer_ip, peer_pod, cluster) for p in rule.peers)


def _layer(policies: Sequence[AdminPolicy], pod: Pod, direction: str, peer_ip: str,
           peer_pod: Pod | None, port: int | None, protocol: str, dest_pod: Pod | None,
           cluster: Cluster) -> str | None:
    """'Allow', 'Deny', 'Pass' or None (no rule matched) for one layer."""
    for policy in sorted(policies, key=lambda p: p.priority):
        if not subject_matches(policy.subject, pod, cluster):
            continue
        for rule in policy.ingress if direction == "Ingress" else policy.egress:
            if _rule_matches(rule, peer_ip, peer_pod, port, protocol, dest_pod, cluster):
                return rule.action
    return None


@dataclass(frozen=True)
class Layers:
    admin: tuple[AdminPolicy, ...]
    network_policies: tuple[Policy, ...]
    baseline: tuple[AdminPolicy, ...]


def layers_from(documents: Sequence[Mapping[str, Any]]) -> Layers:
    admin, knps, baseline = [], [], []
    for doc in documents:
        kind = doc["kind"]
        if kind == "NetworkPolicy":
            knps.append(doc)
        elif kind == "AdminNetworkPolicy" or (kind == "ClusterNetworkPolicy"
                                              and doc["spec"]["tier"] == "Admin"):
            admin.append(from_document(doc))
        else:
            baseline.append(from_document(doc))
    return Layers(tuple(admin), tuple(knps), tuple(baseline))


def _isolated(knps: Sequence[Policy], pod: Pod, direction: str) -> bool:
    return any(p["metadata"]["namespace"] == pod.namespace and direction in policy_types(p)
               and selector_matches(p["spec"].get("podSelector") or {}, pod.labels) for p in knps)


def _direction(layers: Layers, pod: Pod, direction: str, peer_ip: str, peer_pod: Pod | None,
               port: int | None, protocol: str, dest_pod: Pod | None, cluster: Cluster) -> bool:
    verdict = _layer(layers.admin, pod, direction, peer_ip, peer_pod, port, protocol, dest_pod,
                     cluster)
    if verdict in ("Allow", "Deny"):
        return verdict == "Allow"
    if _isolated(layers.network_policies, pod, direction):
        return direction_allows(pod, direction, layers.network_policies, peer_ip, peer_pod,
                                    port, protocol, dest_pod, cluster)
    verdict = _layer(layers.baseline, pod, direction, peer_ip, peer_pod, port, protocol, dest_pod,
                     cluster)
    return verdict != "Deny"


def allowed(cluster: Cluster, documents: Sequence[Mapping[str, Any]], source: str, dest: str,
            port: int | None, protocol: str = "TCP") -> bool:
    layers = layers_from(documents)
    src = next((p for p in cluster.pods if p.key == source), None) if "/" in source \
        else cluster.pod_by_ip(source)
    dst = next((p for p in cluster.pods if p.key == dest), None) if "/" in dest \
        else cluster.pod_by_ip(dest)
    src_ip = src.ip if src else source
    dst_ip = dst.ip if dst else dest
    if src is not None and not _direction(layers, src, "Egress", dst_ip, dst, port, protocol, dst,
                                          cluster):
        return False
    return dst is None or _direction(layers, dst, "Ingress", src_ip, src, port, protocol, dst,
                                     cluster)


def reference_matrix(cluster: Cluster, documents: Sequence[Mapping[str, Any]], port: int,
                     protocol: str = "TCP") -> dict[tuple[str, str], bool]:
    return {(s.key, d.key): allowed(cluster, documents, s.key, d.key, port, protocol)
            for s in cluster.pods for d in cluster.pods}
