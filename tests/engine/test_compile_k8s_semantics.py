"""Property test: Kubernetes NetworkPolicy semantics survive compilation.

Random NetworkPolicies (ingress only, TCP) over a small two-namespace cluster are compiled and
evaluated; every (source, destination, port) verdict must equal the Kubernetes semantics,
written out independently below.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from engine_factory import packet
from hypothesis import given, settings
from hypothesis import strategies as st
from tierguard.engine.compile import compile_policy_set, profiles_for
from tierguard.engine.evaluate import Evaluator
from tierguard.engine.ir import CalicoVersion, Edition
from tierguard.engine.topology import Topology
from tierguard.inventory.build import build_inventory
from tierguard.loader.nodes import LMap
from tierguard.loader.yaml_source import load_yaml_text
from tierguard.model.build import build_resource

NAMESPACES = {"ns-a": {"team": "a"}, "ns-b": {"team": "b"}}
PODS = [("ns-a", "a-x", {"app": "x"}, "10.0.0.1"), ("ns-a", "a-y", {"app": "y"}, "10.0.0.2"),
        ("ns-b", "b-x", {"app": "x"}, "10.0.1.1"), ("ns-b", "b-y", {"app": "y"}, "10.0.1.2")]
EXTERNAL = "203.0.113.9"


@dataclass(frozen=True)
class Peer:
    pods: str | None  # app label value, "" = {} (all pods), None = absent
    namespaces: str | None  # team label value, "" = {} (all namespaces), None = absent
    cidr: str | None = None


@dataclass(frozen=True)
class Rule:
    peers: tuple[Peer, ...]
    ports: tuple[tuple[int, int | None], ...]  # (port, endPort)


@dataclass(frozen=True)
class Policy:
    namespace: str
    app: str | None  # podSelector matchLabels app, None = {}
    rules: tuple[Rule, ...]


def _selector(key: str, value: str | None) -> str:
    return "{}" if not value else f"{{matchLabels: {{{key}: {value}}}}}"


def to_yaml(index: int, policy: Policy) -> str:
    rules = []
    for rule in policy.rules:
        peers = []
        for peer in rule.peers:
            if peer.cidr is not None:
                peers.append(f"{{ipBlock: {{cidr: {peer.cidr}}}}}")
                continue
            fields = []
            if peer.pods is not None:
                fields.append(f"podSelector: {_selector('app', peer.pods)}")
            if peer.namespaces is not None:
                fields.append(f"namespaceSelector: {_selector('team', peer.namespaces)}")
            peers.append("{" + ", ".join(fields) + "}")
        ports = [f"{{port: {p}" + (f", endPort: {e}" if e else "") + "}" for p, e in rule.ports]
        rules.append(f"{{from: [{', '.join(peers)}], ports: [{', '.join(ports)}]}}")
    return (f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            f"metadata: {{name: p{index}, namespace: {policy.namespace}}}\n"
            f"spec:\n  podSelector: {_selector('app', policy.app)}\n  policyTypes: [Ingress]\n"
            f"  ingress: [{', '.join(rules)}]\n")


def peer_matches(peer: Peer, policy_ns: str, source: tuple[str, dict[str, str], str] | None, ip: str) -> bool:
    if peer.cidr is not None:
        return ipaddress.ip_address(ip) in ipaddress.ip_network(peer.cidr)
    if source is None:
        return False  # selector peers select pods only
    ns, labels, _ = source
    if peer.namespaces is None:
        ns_ok = ns == policy_ns
    else:
        ns_ok = not peer.namespaces or NAMESPACES[ns].get("team") == peer.namespaces
    pods_ok = not peer.pods or labels.get("app") == peer.pods
    return ns_ok and pods_ok


def k8s_allows(policies: list[Policy], dst: tuple[str, str, dict[str, str], str],
               source: tuple[str, dict[str, str], str] | None, ip: str, port: int) -> bool:
    dst_ns, _, dst_labels, _ = dst
    selecting = [p for p in policies if p.namespace == dst_ns and (p.app is None or dst_labels.get("app") == p.app)]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy.rules:
            peers_ok = not rule.peers or any(peer_matches(x, policy.namespace, source, ip) for x in rule.peers)
            ports_ok = not rule.ports or any(p == port or (e is not None and p <= port <= e) for p, e in rule.ports)
            if peers_ok and ports_ok:
                return True
    return False


PEERS = st.one_of(
    st.builds(Peer, st.sampled_from([None, "", "x", "y"]), st.sampled_from([None, "", "a", "b"])),
    st.builds(Peer, st.none(), st.none(), st.sampled_from(["10.0.0.0/24", "10.0.0.0/8", "203.0.113.0/24"])))
PORTS = st.tuples(st.sampled_from([80, 81, 443]), st.sampled_from([None, 81, 443]))
RULES = st.builds(Rule, st.lists(PEERS, max_size=2).map(tuple), st.lists(PORTS, max_size=2).map(tuple))
POLICIES = st.builds(Policy, st.sampled_from(["ns-a", "ns-b"]), st.sampled_from([None, "x", "y"]),
                     st.lists(RULES, max_size=2).map(tuple))


def _valid(policy: Policy) -> bool:
    # endPort below port is rejected by the API server; keep inputs Kubernetes would accept.
    return all(e is None or e >= p for rule in policy.rules for p, e in rule.ports)


@settings(max_examples=60, deadline=None)
@given(st.lists(POLICIES.filter(_valid), min_size=1, max_size=3), st.sampled_from([80, 81, 443]))
def test_compiled_k8s_policies_agree_with_kubernetes(policies: list[Policy], port: int) -> None:
    objects: list[dict[str, object]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": labels}}
        for n, labels in NAMESPACES.items()]
    objects += [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": labels},
                 "spec": {"nodeName": "n1"}, "status": {"phase": "Running", "podIP": ip}}
                for ns, name, labels, ip in PODS]
    inventory, problems = build_inventory(objects)
    assert problems == []
    models = []
    for index, policy in enumerate(policies):
        root = load_yaml_text(to_yaml(index, policy), "p.yaml").documents[0].root
        assert isinstance(root, LMap)
        model, diagnostics = build_resource(root)
        assert diagnostics == []
        models.append(model)
    policy_set, diagnostics = compile_policy_set(models, CalicoVersion(3, 32), Edition.OSS)
    assert diagnostics == []
    profiles = {p.name: p for e in inventory.endpoints for p in profiles_for(e)}
    ev = Evaluator(policy_set, Topology(inventory.endpoints, inventory.services, inventory.nodes), profiles.values())
    for dst in PODS:
        target = inventory.pod(dst[0], dst[1])
        assert target is not None
        sources: list[tuple[tuple[str, dict[str, str], str] | None, str]] = [
            ((ns, labels, ip), ip) for ns, _, labels, ip in PODS if ip != dst[3]] + [(None, EXTERNAL)]
        for source, ip in sources:
            origin = inventory.endpoint_by_ip(ipaddress.ip_address(ip)) if source is not None else None
            result = ev.evaluate(packet(ev, origin or ip, target, port))
            assert result.enforced is not None
            expected = k8s_allows(policies, dst, source, ip, port)
            assert (result.enforced.verdict.value == "allow") is expected, (dst, ip, port)
