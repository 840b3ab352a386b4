"""Kubernetes NetworkPolicy conformance cases in the style of upstream netpol e2e / cyclonus.

Each case is a set of policies on the xyz cluster plus the (port, protocol) pairs whose full
81-cell matrices are compared with the reference model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .cluster import Cluster, xyz_cluster


def knp(name: str, namespace: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": dict(spec)}


def pod_is(name: str) -> dict[str, Any]:
    return {"matchLabels": {"pod": name}}


def ns_is(name: str) -> dict[str, Any]:
    return {"matchLabels": {"ns": name}}


@dataclass(frozen=True)
class Case:
    name: str
    policies: Sequence[Mapping[str, Any]]
    ports: Sequence[tuple[int, str]] = ((80, "TCP"),)
    cluster: Cluster = field(default_factory=xyz_cluster)


ALL_PROTOCOL_PORTS = tuple((port, proto) for port in (80, 81) for proto in ("TCP", "UDP", "SCTP"))
TCP_80_81 = ((80, "TCP"), (81, "TCP"))

DENY_ALL_INGRESS_X = knp("deny-all-ingress", "x", {"podSelector": {}, "policyTypes": ["Ingress"]})
DENY_ALL_EGRESS_X = knp("deny-all-egress", "x", {"podSelector": {}, "policyTypes": ["Egress"]})

CASES: tuple[Case, ...] = (
    Case("default-deny-ingress", [DENY_ALL_INGRESS_X], ALL_PROTOCOL_PORTS),
    Case("default-deny-egress", [DENY_ALL_EGRESS_X], ALL_PROTOCOL_PORTS),
    Case("deny-all-both-directions", [knp("deny-all", "x", {
        "podSelector": {}, "policyTypes": ["Ingress", "Egress"]})], TCP_80_81),
    Case("allow-all-ingress-over-deny", [DENY_ALL_INGRESS_X, knp("allow-all", "x", {
        "podSelector": {}, "ingress": [{}], "policyTypes": ["Ingress"]})], ALL_PROTOCOL_PORTS),
    Case("allow-all-egress-over-deny", [DENY_ALL_EGRESS_X, knp("allow-all-egress", "x", {
        "podSelector": {}, "egress": [{}], "policyTypes": ["Egress"]})], TCP_80_81),
    Case("ingress-podselector-same-namespace", [knp("allow-b-to-a", "x", {
        "podSelector": pod_is("a"), "ingress": [{"from": [{"podSelector": pod_is("b")}]}],
        "policyTypes": ["Ingress"]})]),
    Case("ingress-namespaceselector", [knp("allow-ns-y", "x", {
        "podSelector": pod_is("a"), "ingress": [{"from": [{"namespaceSelector": ns_is("y")}]}],
        "policyTypes": ["Ingress"]})]),
    Case("ingress-namespace-and-pod-in-one-peer", [knp("one-peer", "x", {
        "podSelector": pod_is("a"),
        "ingress": [{"from": [{"namespaceSelector": ns_is("y"), "podSelector": pod_is("c")}]}],
        "policyTypes": ["Ingress"]})]),
    Case("ingress-namespace-or-pod-two-peers", [knp("two-peers", "x", {
        "podSelector": pod_is("a"),
        "ingress": [{"from": [{"namespaceSelector": ns_is("y")}, {"podSelector": pod_is("c")}]}],
        "policyTypes": ["Ingress"]})]),
    Case("ingress-all-namespaces-pod-c", [knp("any-ns-pod-c", "x", {
        "podSelector": pod_is("a"),
        "ingress": [{"from": [{"namespaceSelector": {}, "podSelector": pod_is("c")}]}],
        "policyTypes": ["Ingress"]})]),
    Case("peer-empty-podselector-and-empty-namespaceselector", [
        knp("same-ns", "x", {"podSelector": pod_is("a"), "ingress": [{"from": [{"podSelector": {}}]}],
                             "policyTypes": ["Ingress"]}),
        knp("all-ns", "y", {"podSelector": pod_is("b"),
                            "ingress": [{"from": [{"namespaceSelector": {}}]}],
                            "policyTypes": ["Ingress"]})]),
    Case("match-expressions-in-notin", [knp("exprs", "x", {
        "podSelector": {"matchExpressions": [{"key": "pod", "operator": "NotIn", "values": ["a"]}]},
        "ingress": [{"from": [{
            "namespaceSelector": {"matchExpressions": [
                {"key": "ns", "operator": "In", "values": ["x", "z"]}]},
            "podSelector": {"matchExpressions": [
                {"key": "pod", "operator": "In", "values": ["a", "b"]}]}}]}],
        "policyTypes": ["Ingress"]})]),
    Case("match-expressions-exists-doesnotexist", [knp("exists", "y", {
        "podSelector": {"matchExpressions": [{"key": "tier", "operator": "Exists"}]},
        "ingress": [{"from": [{
            "namespaceSelector": {"matchExpressions": [{"key": "team", "operator": "DoesNotExist"}]},
            "podSelector": {"matchExpressions": [{"key": "role", "operator": "Exists"}]}}]}],
        "policyTypes": ["Ingress"]})],
        cluster=xyz_cluster({"y/a": {"tier": "web"}, "y/c": {"tier": "db"},
                             "x/b": {"role": "client"}, "z/b": {"role": "client"},
                             "z/c": {"role": "client"}, "y/b": {"role": "client"}},
                            {"z": {"team": "blue"}})),
    Case("ingress-named-port", [knp("named-81", "x", {
        "podSelector": {}, "ingress": [{"ports": [{"port": "serve-81-tcp"}]}],
        "policyTypes": ["Ingress"]})], ((80, "TCP"), (81, "TCP"), (81, "UDP"))),
    Case("ingress-named-port-udp", [knp("named-80-udp", "y", {
        "podSelector": pod_is("b"),
        "ingress": [{"from": [{"namespaceSelector": {}}],
                     "ports": [{"port": "serve-80-udp", "protocol": "UDP"}]}],
        "policyTypes": ["Ingress"]})], ((80, "TCP"), (80, "UDP"), (81, "UDP"))),
    Case("egress-named-port", [knp("egress-named", "x", {
        "podSelector": pod_is("a"), "egress": [{"ports": [{"port": "serve-80-tcp"}]}],
        "policyTypes": ["Egress"]})], TCP_80_81),
    Case("ingress-port-range-endport", [knp("range", "x", {
        "podSelector": {}, "ingress": [{"ports": [{"port": 81, "endPort": 82}]}],
        "policyTypes": ["Ingress"]})], ((80, "TCP"), (81, "TCP"), (82, "TCP"), (83, "TCP"),
                                        (81, "UDP"))),
    Case("egress-port-range-udp", [knp("egress-range", "z", {
        "podSelector": pod_is("c"),
        "egress": [{"to": [{"namespaceSelector": ns_is("x")}],
                    "ports": [{"protocol": "UDP", "port": 79, "endPort": 80}]}],
        "policyTypes": ["Egress"]})], ((80, "UDP"), (81, "UDP"), (80, "TCP"))),
    Case("ingress-ipblock-except", [knp("ipblock", "x", {
        "podSelector": pod_is("a"),
        "ingress": [{"from": [{"ipBlock": {"cidr": "10.2.0.0/16", "except": ["10.2.0.2/32"]}}]}],
        "policyTypes": ["Ingress"]})]),
    Case("egress-ipblock-except", [knp("egress-ipblock", "x", {
        "podSelector": pod_is("b"),
        "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.3.0.0/16",
                                                                           "10.1.0.3/32"]}}]}],
        "policyTypes": ["Egress"]})], TCP_80_81),
    Case("ipblock-and-podselector-union", [knp("mixed-peers", "y", {
        "podSelector": {},
        "ingress": [{"from": [{"ipBlock": {"cidr": "10.3.0.1/32"}}, {"podSelector": pod_is("a")}],
                     "ports": [{"port": 80}]}],
        "policyTypes": ["Ingress"]})], TCP_80_81),
    Case("multiple-policies-union", [
        knp("from-b", "x", {"podSelector": pod_is("a"),
                            "ingress": [{"from": [{"podSelector": pod_is("b")}]}]}),
        knp("from-ns-y-81", "x", {"podSelector": pod_is("a"),
                                  "ingress": [{"from": [{"namespaceSelector": ns_is("y")}],
                                               "ports": [{"port": 81}]}]})], TCP_80_81),
    Case("multiple-rules-union", [knp("rules", "z", {
        "podSelector": pod_is("b"),
        "ingress": [{"from": [{"podSelector": pod_is("a")}], "ports": [{"port": 80}]},
                    {"from": [{"namespaceSelector": ns_is("x"), "podSelector": pod_is("c")}]}],
        "policyTypes": ["Ingress"]})], TCP_80_81),
    Case("egress-dns-not-special", [knp("egress-only-dns", "x", {
        "podSelector": {},
        "egress": [{"ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]}],
        "policyTypes": ["Egress"]})], ((80, "TCP"), (53, "UDP"), (53, "TCP"), (53, "SCTP"))),
    Case("egress-to-namespace-port-81", [knp("egress-y-81", "x", {
        "podSelector": {}, "egress": [{"to": [{"namespaceSelector": ns_is("y")}],
                                       "ports": [{"port": 81}]}],
        "policyTypes": ["Egress"]})], TCP_80_81),
    Case("policytypes-omitted-ingress-only", [knp("no-types", "x", {
        "podSelector": pod_is("a"), "ingress": [{"from": [{"podSelector": pod_is("b")}]}]})]),
    Case("policytypes-omitted-with-egress-rules", [knp("no-types-egress", "x", {
        "podSelector": pod_is("a"),
        "egress": [{"to": [{"namespaceSelector": ns_is("y")}]}]})]),
    Case("policytypes-ingress-ignores-egress-rules", [knp("types-ingress", "x", {
        "podSelector": pod_is("a"), "ingress": [{"from": [{"podSelector": pod_is("b")}]}],
        "egress": [{"to": [{"podSelector": pod_is("c")}]}],
        "policyTypes": ["Ingress"]})]),
    Case("empty-from-list-allows-all", [knp("empty-from", "x", {
        "podSelector": pod_is("a"), "ingress": [{"from": [], "ports": [{"port": 80}]}],
        "policyTypes": ["Ingress"]})], TCP_80_81),
    Case("empty-to-list-allows-all", [knp("empty-to", "x", {
        "podSelector": pod_is("a"), "egress": [{"to": []}],
        "policyTypes": ["Egress"]})], TCP_80_81),
    Case("empty-ingress-list-denies", [knp("empty-ingress", "x", {
        "podSelector": pod_is("a"), "ingress": [], "policyTypes": ["Ingress"]})]),
    Case("protocol-udp-only", [knp("udp-80", "x", {
        "podSelector": {}, "ingress": [{"ports": [{"protocol": "UDP", "port": 80}]}],
        "policyTypes": ["Ingress"]})], ALL_PROTOCOL_PORTS),
    Case("protocol-sctp-only", [knp("sctp-81", "y", {
        "podSelector": {}, "ingress": [{"from": [{"namespaceSelector": ns_is("z")}],
                                        "ports": [{"protocol": "SCTP", "port": 81}]}],
        "policyTypes": ["Ingress"]})], ALL_PROTOCOL_PORTS),
    Case("port-without-protocol-is-tcp", [knp("port-81", "z", {
        "podSelector": pod_is("a"), "ingress": [{"ports": [{"port": 81}]}],
        "policyTypes": ["Ingress"]})], ((81, "TCP"), (81, "UDP"), (81, "SCTP"))),
    Case("protocol-without-port", [knp("any-udp", "z", {
        "podSelector": pod_is("a"), "ingress": [{"ports": [{"protocol": "UDP"}]}],
        "policyTypes": ["Ingress"]})], ((81, "TCP"), (81, "UDP"), (80, "UDP"))),
    Case("ingress-and-egress-both-sides", [
        knp("x-egress-to-y", "x", {"podSelector": {}, "egress": [{"to": [
            {"namespaceSelector": ns_is("y")}]}], "policyTypes": ["Egress"]}),
        knp("y-ingress-from-x-a", "y", {"podSelector": {}, "ingress": [{"from": [
            {"namespaceSelector": ns_is("x"), "podSelector": pod_is("a")}]}],
            "policyTypes": ["Ingress"]})]),
)


def _ports_cluster() -> Cluster:
    """Pods declaring different ports under the same name (named ports resolve per pod)."""
    from .cluster import ContainerPort, Pod

    base = xyz_cluster()
    web = {"y/a": (ContainerPort("web", 80, "TCP"),),
           "y/b": (ContainerPort("web", 81, "TCP"),),
           "y/c": (ContainerPort("web", 80, "UDP"),),
           "z/a": (), "z/b": (ContainerPort("other", 80, "TCP"),), "z/c": ()}
    pods = tuple(Pod(p.namespace, p.name, p.labels, p.ip, web.get(p.key, p.ports))
                 for p in base.pods)
    return Cluster(base.namespaces, pods)


def _twins_cluster() -> Cluster:
    """Two pods per label set in x (same labels, namespace and ports; different IPs)."""
    from .cluster import Pod

    base = xyz_cluster()
    twins = tuple(Pod("x", f"{p.name}2", p.labels, f"10.1.1.{k + 1}", p.ports)
                  for k, p in enumerate(base.pods) if p.namespace == "x")
    return Cluster(base.namespaces, base.pods + twins)


PORTS_CLUSTER = _ports_cluster()
TWINS_CLUSTER = _twins_cluster()

EDGE_CASES: tuple[Case, ...] = (
    Case("named-port-resolves-per-destination-pod-ingress", [knp("web-named", "y", {
        "podSelector": {}, "ingress": [{"ports": [{"port": "web"}]}],
        "policyTypes": ["Ingress"]})], ((80, "TCP"), (81, "TCP"), (80, "UDP")), PORTS_CLUSTER),
    Case("named-port-resolves-per-destination-pod-ingress-udp", [knp("web-named-udp", "y", {
        "podSelector": {}, "ingress": [{"ports": [{"port": "web", "protocol": "UDP"}]}],
        "policyTypes": ["Ingress"]})], ((80, "TCP"), (80, "UDP")), PORTS_CLUSTER),
    Case("named-port-resolves-per-destination-pod-egress", [knp("egress-web", "x", {
        "podSelector": pod_is("a"), "egress": [{"ports": [{"port": "web"}]}],
        "policyTypes": ["Egress"]})], ((80, "TCP"), (81, "TCP"), (80, "UDP")), PORTS_CLUSTER),
    Case("named-port-egress-with-peer", [knp("egress-web-y", "z", {
        "podSelector": {}, "egress": [{"to": [{"namespaceSelector": ns_is("y")}],
                                       "ports": [{"port": "web"}, {"port": 81}]}],
        "policyTypes": ["Egress"]})], ((80, "TCP"), (81, "TCP")), PORTS_CLUSTER),
    Case("twins-ipblock-except-one-twin-ingress", [knp("twins", "y", {
        "podSelector": {}, "ingress": [{"from": [
            {"ipBlock": {"cidr": "10.1.0.0/16", "except": ["10.1.1.0/24"]}}]}],
        "policyTypes": ["Ingress"]})], cluster=TWINS_CLUSTER),
    Case("twins-ipblock-except-one-twin-egress", [knp("twins-egress", "z", {
        "podSelector": {}, "egress": [{"to": [
            {"ipBlock": {"cidr": "10.1.0.0/16", "except": ["10.1.0.2/32", "10.1.1.3/32"]}}]}],
        "policyTypes": ["Egress"]})], cluster=TWINS_CLUSTER),
    Case("twins-egress-from-twins", [knp("twins-x", "x", {
        "podSelector": pod_is("a"), "egress": [{"to": [{"ipBlock": {"cidr": "10.2.0.0/24"}}]}],
        "policyTypes": ["Egress"]})], cluster=TWINS_CLUSTER),
)

PREFIXED_CLUSTER = xyz_cluster(
    {"x/a": {"app.kubernetes.io/name": "web", "app.kubernetes.io/part-of": "shop"},
     "y/b": {"app.kubernetes.io/name": "web"}, "z/c": {"app.kubernetes.io/name": "db.v2"}},
    {"y": {"team.example.com/owner": "blue"}})

MORE_CASES: tuple[Case, ...] = (
    Case("prefixed-label-keys-and-metadata-name", [knp("prefixed", "y", {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "web"}},
        "ingress": [{"from": [
            {"namespaceSelector": {"matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["x", "z"]}]},
             "podSelector": {"matchExpressions": [
                 {"key": "app.kubernetes.io/name", "operator": "In", "values": ["web", "db.v2"]}]}},
            {"namespaceSelector": {"matchLabels": {"team.example.com/owner": "blue"}},
             "podSelector": {"matchExpressions": [
                 {"key": "app.kubernetes.io/part-of", "operator": "DoesNotExist"}]}}]}],
        "policyTypes": ["Ingress"]})], cluster=PREFIXED_CLUSTER),
    Case("egress-internet-only", [knp("internet-only", "z", {
        "podSelector": {}, "egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0",
                                                          "except": ["10.0.0.0/8"]}}]}],
        "policyTypes": ["Egress"]})], TCP_80_81),
    Case("ingress-ipblock-whole-namespace-cidr-and-pod", [knp("cidr-and-pod", "z", {
        "podSelector": {"matchExpressions": [{"key": "pod", "operator": "In", "values": ["a", "c"]}]},
        "ingress": [{"from": [{"ipBlock": {"cidr": "10.1.0.0/16"}},
                              {"namespaceSelector": ns_is("y"), "podSelector": pod_is("b")}],
                     "ports": [{"port": 80}, {"port": "serve-81-tcp"}, {"protocol": "UDP", "port": 81}]}],
        "policyTypes": ["Ingress"]})], ((80, "TCP"), (81, "TCP"), (81, "UDP"), (80, "UDP"))),
    Case("ingress-and-egress-policy-same-pods", [knp("both", "y", {
        "podSelector": pod_is("c"),
        "ingress": [{"from": [{"podSelector": pod_is("a")}]}],
        "egress": [{"to": [{"namespaceSelector": ns_is("x")}], "ports": [{"port": 81}]}],
        "policyTypes": ["Ingress", "Egress"]})], TCP_80_81),
)

UPSTREAM_E2E_CASES: tuple[Case, ...] = (
    Case("e2e-ip-in-both-cidr-and-except-is-allowed", [knp("overlap", "x", {
        "podSelector": pod_is("a"),
        "egress": [{"to": [{"ipBlock": {"cidr": "10.2.0.0/16", "except": ["10.2.0.2/32"]}}]},
                   {"to": [{"ipBlock": {"cidr": "10.2.0.2/32"}}]}],
        "policyTypes": ["Egress"]})]),
    Case("e2e-named-port-protocol-mismatch", [knp("mismatch", "x", {
        "podSelector": {}, "ingress": [{"ports": [{"port": "serve-80-udp", "protocol": "TCP"},
                                                  {"port": "serve-81-tcp", "protocol": "UDP"}]}],
        "policyTypes": ["Ingress"]})], ((80, "TCP"), (80, "UDP"), (81, "TCP"), (81, "UDP"))),
    Case("e2e-multiple-podselectors-and-namespaceselectors", [knp("multi", "x", {
        "podSelector": pod_is("a"),
        "ingress": [{"from": [{"namespaceSelector": {"matchExpressions": [
            {"key": "ns", "operator": "NotIn", "values": ["x"]}]},
            "podSelector": {"matchExpressions": [
                {"key": "pod", "operator": "In", "values": ["b", "c"]}]}}]}],
        "policyTypes": ["Ingress"]})]),
    Case("e2e-ingress-and-egress-controlled-independently", [
        knp("allow-egress-from-a", "x", {"podSelector": pod_is("a"), "egress": [{}],
                                         "policyTypes": ["Egress"]}),
        knp("deny-all", "x", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})]),
    Case("e2e-client-egress-deny-beats-server-allow", [
        knp("server-allows-all", "y", {"podSelector": {}, "ingress": [{}],
                                       "policyTypes": ["Ingress"]}),
        knp("client-egress-only-z", "x", {"podSelector": pod_is("a"),
                                          "egress": [{"to": [{"namespaceSelector": ns_is("z")}]}],
                                          "policyTypes": ["Egress"]})]),
    Case("e2e-any-port-on-specific-protocol", [knp("udp-any", "y", {
        "podSelector": pod_is("a"), "ingress": [{"ports": [{"protocol": "UDP"}]}],
        "policyTypes": ["Ingress"]})], ((80, "UDP"), (81, "UDP"), (80, "TCP"), (81, "SCTP"))),
)
