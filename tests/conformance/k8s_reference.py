"""An independent, deliberately plain model of Kubernetes networking.k8s.io/v1 NetworkPolicy.

Written from the Kubernetes API reference, not from tierguard: a connection is allowed iff the
source pod's egress allows it and the destination pod's ingress allows it (external ends have no
side). A pod is isolated for a direction iff some policy in its namespace selects it and has that
direction in its (API-server defaulted) policyTypes; an isolated pod admits exactly the union of
what the selecting policies' rules allow. Policies are plain dicts as written in YAML.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from typing import Any

from .cluster import Cluster, Pod

Policy = Mapping[str, Any]


def selector_matches(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    """metav1.LabelSelector: matchLabels AND every matchExpression; `{}` matches everything."""
    if selector is None:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and key in labels and labels[key] in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def policy_types(policy: Policy) -> set[str]:
    """The API server's defaulting: Ingress always, Egress iff egress rules are present."""
    spec = policy.get("spec") or {}
    given = spec.get("policyTypes")
    if given:
        return set(given)
    types = {"Ingress"}
    if spec.get("egress"):
        types.add("Egress")
    return types


def _namespace_of(policy: Policy) -> str:
    return str(policy["metadata"].get("namespace", "default"))


def _ip_in(ip: str, cidr: str) -> bool:
    address = ipaddress.ip_address(ip)
    network = ipaddress.ip_network(cidr, strict=False)
    return address.version == network.version and address in network


def _peer_matches(peer: Mapping[str, Any], policy_ns: str, ip: str, pod: Pod | None,
                  cluster: Cluster) -> bool:
    block = peer.get("ipBlock")
    if block is not None:
        return _ip_in(ip, block["cidr"]) and not any(_ip_in(ip, e) for e in block.get("except") or [])
    if pod is None:  # selectors only ever select pods
        return False
    pod_selector = peer.get("podSelector")
    ns_selector = peer.get("namespaceSelector")
    if ns_selector is not None:
        if not selector_matches(ns_selector, cluster.namespace(pod.namespace).labels):
            return False
    elif pod.namespace != policy_ns:
        return False
    return pod_selector is None or selector_matches(pod_selector, pod.labels)


def _port_matches(entry: Mapping[str, Any], port: int | None, protocol: str,
                  port_owner: Pod | None) -> bool:
    if str(entry.get("protocol", "TCP")).upper() != protocol.upper():
        return False
    wanted = entry.get("port")
    if wanted is None:
        return True
    if port is None:
        return False
    if isinstance(wanted, str):  # a named port of the destination pod
        if port_owner is None:
            return False
        return any(cp.name == wanted and cp.port == port and cp.protocol.upper() == protocol.upper()
                   for cp in port_owner.ports)
    end = entry.get("endPort")
    return int(wanted) <= port <= int(end if end is not None else wanted)


def _rule_allows(rule: Mapping[str, Any], peers_key: str, policy_ns: str, peer_ip: str,
                 peer_pod: Pod | None, port: int | None, protocol: str, dest_pod: Pod | None,
                 cluster: Cluster) -> bool:
    ports = rule.get("ports")
    if ports and not any(_port_matches(e, port, protocol, dest_pod) for e in ports):
        return False
    peers = rule.get(peers_key)
    if not peers:  # missing or empty: every peer
        return True
    return any(_peer_matches(p, policy_ns, peer_ip, peer_pod, cluster) for p in peers)


def direction_allows(pod: Pod, direction: str, policies: Sequence[Policy], peer_ip: str,
                      peer_pod: Pod | None, port: int | None, protocol: str, dest_pod: Pod | None,
                      cluster: Cluster) -> bool:
    rules_key, peers_key = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
    isolated = False
    for policy in policies:
        if _namespace_of(policy) != pod.namespace or direction not in policy_types(policy):
            continue
        spec = policy.get("spec") or {}
        if not selector_matches(spec.get("podSelector") or {}, pod.labels):
            continue
        isolated = True
        for rule in spec.get(rules_key) or []:
            if _rule_allows(rule, peers_key, pod.namespace, peer_ip, peer_pod, port, protocol,
                            dest_pod, cluster):
                return True
    return not isolated


def allowed(cluster: Cluster, policies: Sequence[Policy], source: str, dest: str, port: int | None,
            protocol: str) -> bool:
    """`source`/`dest` are `ns/pod` keys or IPs; both enforcing sides must allow."""
    src_pod = _lookup(cluster, source)
    dst_pod = _lookup(cluster, dest)
    src_ip = src_pod.ip if src_pod else source
    dst_ip = dst_pod.ip if dst_pod else dest
    if src_pod is not None and not direction_allows(src_pod, "Egress", policies, dst_ip, dst_pod,
                                                     port, protocol, dst_pod, cluster):
        return False
    return dst_pod is None or direction_allows(dst_pod, "Ingress", policies, src_ip, src_pod,
                                               port, protocol, dst_pod, cluster)


def _lookup(cluster: Cluster, spec: str) -> Pod | None:
    if "/" in spec:
        return next(p for p in cluster.pods if p.key == spec)
    return cluster.pod_by_ip(spec)


def reference_matrix(cluster: Cluster, policies: Sequence[Policy], port: int | None,
                     protocol: str = "TCP") -> dict[tuple[str, str], bool]:
    return {(s.key, d.key): allowed(cluster, policies, s.key, d.key, port, protocol)
            for s in cluster.pods for d in cluster.pods}
