"""Fidelity on recorded flows: addresses aggregated away (pvt/pub), pods gone from the inventory,
mixed address families, and id()-keyed caches (calico-semantics §3.5, §3.6, §6.2, §9.3)."""

from __future__ import annotations

import gc
import ipaddress

from engine_factory import ent, evaluator, netset, packet, pod, policy, rule, traces
from tierguard.engine.evaluate import HOST_TO_LOCAL_NOTE, Evaluator
from tierguard.engine.explain import render
from tierguard.engine.ir import Action, Direction, PolicyKind
from tierguard.engine.match import RuleMatcher, Why
from tierguard.engine.packet import AddressSpace, Packet
from tierguard.engine.resolve import (
    Resolver,
    controller_prefix,
    make_packet,
    resolve_by_labels,
    resolve_flow_peer,
)
from tierguard.engine.topology import Topology
from tierguard.engine.trace import FlowResult, Mode
from tierguard.inventory.model import Endpoint, EndpointKind, NamedPort, Node

A = pod("web-5c6b7f-aaaaa", "ns", {"app": "web"}, "10.0.0.1", sa="web", node="node-1",
        ns_labels={"team": "shop"}, ports=[NamedPort("http", 8080, 6)])
B = pod("db-1a2b3c-bbbbb", "ns", {"app": "db"}, "10.0.0.2", node="node-2",
        ns_labels={"team": "shop"})
NODES = [Node("node-1", (ipaddress.ip_address("192.168.0.1"),)),
         Node("node-2", (ipaddress.ip_address("192.168.0.2"),))]
ALL = "projectcalico.org/namespace == 'ns'"
DENY_INGRESS = policy(PolicyKind.NETWORK_POLICY, "no-ingress", ALL, namespace="ns",
                      ingress=[rule(Action.DENY)])
OTHER_ENVS = netset("other-envs", "", {"zone": "other"}, "10.20.0.0/16")
PARTNER = netset("partner", "", {"zone": "partner"}, "198.51.100.0/24")
HOST_DOUBT = ("source is a private (pvt) address the record does not carry: if it is an address "
              "of node node-1 (192.168.0.1), where ns/web-5c6b7f-aaaaa (10.0.0.1) runs (e.g. a "
              "kubelet probe), Calico does not police host -> local workload traffic and the "
              "connection is allowed (calico-semantics §3.6); evaluated as a non-host peer")


def _net(ev: Evaluator, name_aggr: str, ip: str | None = None) -> Packet:
    src = resolve_flow_peer(ev.topology, "net", "", "", name_aggr, ip)
    assert src.peer is not None and src.error == "" and src.note == ""
    return make_packet(src.peer, ev.topology.peer_for_endpoint(A), "tcp", 8080)


def _whys(result: FlowResult) -> list[tuple[str, int, Why]]:
    assert result.enforced is not None and result.enforced.dst is not None
    return [(u.policy.name if u.policy else u.profile, u.rule_index, u.why)
            for u in result.enforced.dst.uncertain]


# 1. Kubelet probes / node-originated traffic with the IP aggregated away ---------------------

def test_pvt_without_ip_denied_is_uncertain_because_it_may_be_the_pods_node() -> None:
    ev = evaluator([DENY_INGRESS], [A, B], nodes=NODES)
    result = ev.evaluate(_net(ev, "pvt"))
    assert result.enforced is not None and result.enforced.verdict.value == "deny"
    assert result.enforced.dst is not None
    assert result.enforced.dst.strings(ev.trace_format) == ["0|default|np:ns/no-ingress|deny|0"]
    assert (result.doubts, result.uncertain, result.notes) == ((HOST_DOUBT,), True, ())


def test_pvt_without_ip_allowed_carries_no_host_doubt() -> None:
    ev = evaluator([], [A, B], nodes=NODES)
    result = ev.evaluate(_net(ev, "pvt"))
    assert result.enforced is not None and result.enforced.verdict.value == "allow"
    assert (result.doubts, result.uncertain) == ((), False)


def test_pub_without_ip_cannot_be_a_private_node_so_deny_is_definite() -> None:
    ev = evaluator([DENY_INGRESS], [A, B], nodes=NODES)
    result = ev.evaluate(_net(ev, "pub"))
    assert result.enforced is not None and result.enforced.verdict.value == "deny"
    assert (result.doubts, result.uncertain) == ((), False)


def test_unknown_node_makes_the_doubt_say_so() -> None:
    lost = pod("web-5c6b7f-ccccc", "ns", {"app": "web"}, "10.0.0.3", node="")
    ev = evaluator([DENY_INGRESS], [lost], nodes=NODES)
    src = resolve_flow_peer(ev.topology, "net", "", "", "pvt", None)
    assert src.peer is not None
    result = ev.evaluate(make_packet(src.peer, ev.topology.peer_for_endpoint(lost), "tcp", 80))
    assert result.doubts == (
        "source is a private (pvt) address the record does not carry: if it is an address of "
        "its node (the pod's node is not in the inventory), where ns/web-5c6b7f-ccccc "
        "(10.0.0.3) runs (e.g. a kubelet probe), Calico does not police host -> local workload "
        "traffic and the connection is allowed (calico-semantics §3.6); evaluated as a "
        "non-host peer",)


def test_net_record_with_the_pods_node_ip_is_host_to_local_allow() -> None:
    ev = evaluator([DENY_INGRESS], [A, B], nodes=NODES)
    result = ev.evaluate(_net(ev, "pvt", "192.168.0.1"))
    assert result.enforced is not None and result.enforced.verdict.value == "allow"
    assert (result.enforced.src, result.enforced.dst) == (None, None)
    assert (result.notes, result.doubts) == ((HOST_TO_LOCAL_NOTE,), ())


def test_net_record_with_another_nodes_ip_gets_pod_ingress_policy() -> None:
    ev = evaluator([DENY_INGRESS], [A, B], nodes=NODES)
    assert traces(ev, _net(ev, "pvt", "192.168.0.2")) == (
        None, ["0|default|np:ns/no-ingress|deny|0"], "deny")
    assert ev.evaluate(_net(ev, "pvt", "192.168.0.2")).uncertain is False


def _nets_policy(**source: object) -> Evaluator:
    allow = policy(PolicyKind.NETWORK_POLICY, "from-nets", ALL, namespace="ns",
                   ingress=[rule(Action.ALLOW, source=ent(**source))])  # type: ignore[arg-type]
    return evaluator([allow], [A, B, OTHER_ENVS, PARTNER], nodes=NODES)


def test_nets_decided_where_every_address_of_the_space_agrees() -> None:
    rfc1918 = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]
    cases = [  # (name_aggr, source fields, verdict, uncertain rule reasons)
        ("pvt", {"nets": rfc1918}, "allow", []),
        ("pvt", {"nets": ["198.51.100.0/24"]}, "deny", []),
        ("pvt", {"nets": ["10.0.0.0/8"]}, "deny", [("from-nets", 0, Why.SRC_IP_UNKNOWN)]),
        ("pub", {"nets": ["10.0.0.0/8"]}, "deny", []),
        ("pub", {"nets": ["0.0.0.0/0"]}, "deny", [("from-nets", 0, Why.SRC_IP_UNKNOWN)]),
        ("pvt", {"not_nets": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"]}, "deny", []),
        ("pvt", {"not_nets": ["198.51.100.0/24"]}, "allow", []),
        ("pub", {"not_nets": rfc1918}, "allow", []),
        ("", {"nets": rfc1918}, "deny", [("from-nets", 0, Why.SRC_IP_UNKNOWN)]),
    ]
    for name_aggr, fields, verdict, whys in cases:
        ev = _nets_policy(**fields)
        result = ev.evaluate(_net(ev, name_aggr))
        assert result.enforced is not None
        assert (result.enforced.verdict.value, _whys(result)) == (verdict, whys), (name_aggr, fields)


def test_selectors_uncertain_only_through_a_network_set_that_may_hold_the_address() -> None:
    cases = [  # (name_aggr, source fields, verdict, uncertain rule reasons)
        ("pvt", {"selector": "zone == 'other'"}, "deny",
         [("from-nets", 0, Why.SRC_SELECTOR_UNKNOWN)]),
        ("pvt", {"selector": "zone == 'partner'"}, "deny", []),  # 198.51.100/24 is not pvt
        ("pub", {"selector": "zone == 'partner'"}, "deny",
         [("from-nets", 0, Why.SRC_SELECTOR_UNKNOWN)]),
        ("pvt", {"not_selector": "zone == 'other'"}, "deny",
         [("from-nets", 0, Why.SRC_NOT_SELECTOR_UNKNOWN)]),
        ("pvt", {"not_selector": "zone == 'partner'"}, "allow", []),
    ]
    for name_aggr, fields, verdict, whys in cases:
        ev = _nets_policy(**fields)
        result = ev.evaluate(_net(ev, name_aggr))
        assert result.enforced is not None
        assert (result.enforced.verdict.value, _whys(result)) == (verdict, whys), (name_aggr, fields)


def test_space_is_part_of_the_memo_key() -> None:
    ev = _nets_policy(nets=["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"])
    verdicts = [ev.evaluate(_net(ev, aggr)).enforced.verdict.value  # type: ignore[union-attr]
                for aggr in ("pvt", "pub", "pvt", "pub")]
    assert verdicts == ["allow", "deny", "allow", "deny"]


def test_explain_names_the_unknown_address_and_lists_every_doubt() -> None:
    ev = _nets_policy(selector="zone == 'other'")
    deny = policy(PolicyKind.NETWORK_POLICY, "zz-deny", ALL, namespace="ns",
                  ingress=[rule(Action.DENY)])
    ev = evaluator([*ev.policy_set.policies, deny], [A, B, OTHER_ENVS, PARTNER], nodes=NODES)
    text = render(ev.evaluate(_net(ev, "pvt"), explain=True), ev.trace_format, ())
    lines = text.splitlines()
    assert lines[0] == ("Flow: a private (pvt) address the record does not carry -> "
                        "ns/web-5c6b7f-aaaaa (10.0.0.1) TCP port 8080")
    assert "UNCERTAIN: the verdict may differ; this flow lacks what some rules need:" in lines
    assert f"  - {HOST_DOUBT}" in lines
    assert "  - np:ns/from-nets rule 0: source-selector-ip-unknown" in lines
    assert ("      rule 0 Allow: source selector zone == \"other\" matches a network set or host "
            "endpoint that may contain a private (pvt) address the record does not carry "
            "(uncertain; treated as no match)") in lines


# 2. Pods gone from the inventory: rebuilt from the record's labels --------------------------

def test_controller_prefix() -> None:
    assert [controller_prefix(n) for n in (
        "orders-6f9c8d7b5-*", "orders-6f9c8d7b5-x2k4q", "ledger-backup-29916120-*", "web-*",
        "db-0", "single")] == ["orders", "orders", "ledger-backup", "", "", ""]


def test_gone_pod_rebuilt_from_labels_with_a_current_siblings_account_and_ports() -> None:
    topology = Topology([A, B], (), NODES)
    found = resolve_by_labels(topology, "ns", "web-9x8y7z-*",
                              ("app=web", "pod-template-hash=9x8y7z"))
    assert found.peer is not None and found.peer.endpoint is not None
    assert (found.error, found.resolution) == ("", "labels")
    assert found.note == ("resolved by labels: ns/web-9x8y7z-* not in inventory (recorded labels, "
                          "service account web of web-5c6b7f-aaaaa, container ports of "
                          "web-5c6b7f-aaaaa)")
    ep = found.peer.endpoint
    assert (ep.kind, ep.name, ep.namespace, ep.ips, ep.node) == (
        EndpointKind.WORKLOAD, "web-9x8y7z-*", "ns", (), "")
    assert dict(ep.labels) == {
        "app": "web", "pod-template-hash": "9x8y7z", "projectcalico.org/namespace": "ns",
        "projectcalico.org/orchestrator": "k8s", "projectcalico.org/serviceaccount": "web",
        "pcns.team": "shop", "pcns.projectcalico.org/name": "ns",
        "pcsa.projectcalico.org/name": "web"}
    assert (ep.profiles, ep.service_account, ep.ports) == (
        ("kns.ns", "ksa.ns.web"), "web", (NamedPort("http", 8080, 6),))
    again = resolve_by_labels(topology, "ns", "web-9x8y7z-*", ("app=web", "pod-template-hash=9x8y7z"))
    assert again.peer is not None and again.peer.endpoint is ep  # one object per rebuild


def test_gone_pod_without_a_matching_sibling_gets_the_namespace_profile_only() -> None:
    topology = Topology([A, B], (), NODES)
    found = resolve_by_labels(topology, "ns", "backup-29916120-*",
                              ("app=backup", "job-name=backup-29916120"))
    assert found.peer is not None and found.peer.endpoint is not None
    assert found.note == ("resolved by labels: ns/backup-29916120-* not in inventory (recorded "
                          "labels, service account unknown (namespace profile only), no "
                          "container ports)")
    ep = found.peer.endpoint
    assert dict(ep.labels) == {
        "app": "backup", "job-name": "backup-29916120", "projectcalico.org/namespace": "ns",
        "projectcalico.org/orchestrator": "k8s", "pcns.team": "shop",
        "pcns.projectcalico.org/name": "ns"}
    assert (ep.profiles, ep.service_account) == (("kns.ns",), "")


def test_gone_pod_with_recorded_service_account_label() -> None:
    topology = Topology([A, B], (), NODES)
    found = resolve_by_labels(topology, "ns", "db-7k7k7k-*",
                              ("app=db", "projectcalico.org/serviceaccount=default"))
    assert found.peer is not None and found.peer.endpoint is not None
    assert found.note == ("resolved by labels: ns/db-7k7k7k-* not in inventory (recorded labels, "
                          "service account default (recorded), no container ports)")
    assert found.peer.endpoint.labels["pcsa.projectcalico.org/name"] == "default"


def test_gone_pod_cannot_be_rebuilt_without_labels_or_namespace() -> None:
    topology = Topology([A, B], (), NODES)
    assert resolve_by_labels(topology, "ns", "x-1-*", ()).error == (
        "pod ns/x-1-* is not in the inventory and cannot be rebuilt from the record: it carries "
        "no labels")
    assert resolve_by_labels(topology, "gone", "x-1-*", ("app=x",)).error == (
        "pod gone/x-1-* is not in the inventory and cannot be rebuilt from the record: namespace "
        "gone has no pod in the inventory, so its labels are unknown")


def test_resolver_falls_back_to_labels_only_for_missing_workloads() -> None:
    resolver = Resolver(Topology([A, B], (), NODES))
    found = resolver.flow_peer_labelled("wep", "ns", "", "web-9x8y7z-*", None, ("app=web",))
    assert (found.resolution, found.error) == ("labels", "")
    current = resolver.flow_peer_labelled("wep", "ns", "", "web-5c6b7f-*", None, ("app=web",))
    assert (current.resolution, current.peer is not None) == ("", True)
    failed = resolver.flow_peer_labelled("wep", "gone", "", "x-1-*", None, ("app=x",))
    assert failed.error == (
        "no endpoint in the inventory matches pod gone/x-1-*; pod gone/x-1-* is not in the "
        "inventory and cannot be rebuilt from the record: namespace gone has no pod in the "
        "inventory, so its labels are unknown")


def test_rebuilt_pod_is_evaluated_with_its_recorded_labels() -> None:
    only_web = policy(PolicyKind.NETWORK_POLICY, "db-from-web", "app == 'db'", namespace="ns",
                      ingress=[rule(Action.ALLOW, source=ent(selector="app == 'web'"))])
    ev = evaluator([only_web], [A, B], nodes=NODES)
    resolver = Resolver(ev.topology)
    db = ev.topology.peer_for_endpoint(B)
    for labels, verdict in ((("app=web",), "allow"), (("app=batch",), "deny")):
        src = resolver.flow_peer_labelled("wep", "ns", "", "web-9x8y7z-*", None, labels)
        assert src.peer is not None
        result = ev.evaluate(make_packet(src.peer, db, "tcp", 5432))
        assert result.enforced is not None and result.enforced.verdict.value == verdict


# 3. Mixed address families ------------------------------------------------------------------

def test_ipv6_source_to_ipv4_destination_is_a_precise_error() -> None:
    ev = evaluator([DENY_INGRESS], [A, B], nodes=NODES)
    result = ev.evaluate(packet(ev, "fd00::1", A, 80))
    assert (result.enforced, result.pending) == (None, None)
    assert result.error == ("source fd00::1 is IPv6 but destination 10.0.0.1 is IPv4: one "
                            "connection cannot mix address families, so no policy can be "
                            "evaluated")


# 4. id()-keyed caches must not answer for a recycled id --------------------------------------

def test_rule_family_cache_survives_recycled_ids() -> None:
    """The recommender checks temporary rules; CPython reuses a freed object's id at once."""
    ev = evaluator([], [A, B], nodes=NODES)
    matcher = RuleMatcher(ev.topology)
    pkt = packet(ev, A, B, 80)
    for i in range(200):
        nets = ["10.0.0.0/8"] if i % 2 else ["fd00::/8"]
        why = matcher.check(rule(Action.ALLOW, destination=ent(nets=nets)), pkt, "ns")
        assert why is (None if i % 2 else Why.FAMILY), i
        gc.collect()


def test_chain_and_class_caches_survive_recycled_endpoint_ids() -> None:
    web_only = policy(PolicyKind.NETWORK_POLICY, "web-deny", "app == 'web'", namespace="ns",
                      types=[Direction.EGRESS], egress=[rule(Action.DENY)])
    ev = evaluator([web_only], [A, B], nodes=NODES)
    for i in range(200):
        app = "web" if i % 2 else "db"
        temporary = Endpoint(EndpointKind.WORKLOAD, f"t-{i}", "ns",
                             {"app": app, "projectcalico.org/namespace": "ns"},
                             profiles=("kns.ns",))
        chain = ev.chain(temporary, Direction.EGRESS, Mode.ENFORCED)
        assert [p.name for _, ps in chain.tiers for p in ps] == (
            ["web-deny"] if app == "web" else []), i
        del temporary, chain
        gc.collect()


def test_address_space_of_name_aggr() -> None:
    assert [AddressSpace.from_name_aggr(n) for n in ("pvt", "pub", "", "other")] == [
        AddressSpace.PRIVATE, AddressSpace.PUBLIC, AddressSpace.ANY, AddressSpace.ANY]
