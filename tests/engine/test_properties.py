"""Property tests: explain and simulate agree; memoized results equal fresh ones; the verdict
matrix equals pair-by-pair evaluation. Random policies, endpoints and flows."""

from __future__ import annotations

import ipaddress

from engine_factory import ent, hep, netset, pod, policy, ports, rule
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tierguard.engine.evaluate import Evaluator
from tierguard.engine.ir import (
    Action,
    CalicoVersion,
    CompiledTier,
    Direction,
    Edition,
    PolicyKind,
    PolicySet,
    StagedAction,
)
from tierguard.engine.matrix import verdict_matrix
from tierguard.engine.packet import Packet
from tierguard.engine.resolve import make_packet
from tierguard.engine.topology import Topology
from tierguard.engine.trace import FlowResult
from tierguard.inventory.model import NamedPort

SELECTORS = ["app == 'a'", "has(app)", "!has(app)", "app in {'a', 'b'}", "role == 'x'",
             "projectcalico.org/namespace == 'ns1'", "all()", "app != 'b'"]
ENDPOINTS = [
    pod("a-1a2b3c-00001", "ns1", {"app": "a"}, "10.0.0.1", ports=[NamedPort("http", 8080, 6)]),
    pod("a-1a2b3c-00002", "ns1", {"app": "a"}, "10.0.0.2", ports=[NamedPort("http", 8080, 6)]),
    pod("b-1a2b3c-00003", "ns1", {"app": "b"}, "10.0.0.3"),
    pod("c-1a2b3c-00004", "ns2", {"app": "c", "role": "x"}, "10.0.1.4"),
    pod("n-1a2b3c-00005", "ns2", {}, "10.0.1.5", ports=[NamedPort("http", 80, 6)]),
    hep("host-eth0", {"role": "x"}, "192.168.0.9", node="other",
        profiles=["projectcalico-default-allow"]),
    netset("partners", "ns2", {"role": "x"}, "203.0.113.0/24"),
]
ADDRESSES = [str(e.ips[0]) for e in ENDPOINTS if e.ips] + ["203.0.113.9", "198.51.100.1"]
KINDS = [PolicyKind.NETWORK_POLICY, PolicyKind.GLOBAL_NETWORK_POLICY,
         PolicyKind.KUBERNETES_NETWORK_POLICY, PolicyKind.STAGED_NETWORK_POLICY,
         PolicyKind.STAGED_GLOBAL_NETWORK_POLICY]

entity = st.builds(
    lambda nets, sel, not_sel, port_spec: ent(nets=nets, selector=sel, not_selector=not_sel,
                                              ports=port_spec),
    st.one_of(st.none(), st.sampled_from([["10.0.0.0/30"], ["203.0.113.0/24"], ["10.0.1.0/24"],
                                          ["fd00::/64"]])),
    st.one_of(st.none(), st.sampled_from(SELECTORS)),
    st.one_of(st.none(), st.sampled_from(SELECTORS)),
    st.one_of(st.none(), st.sampled_from([ports(80), ports((79, 81)), ports("http"),
                                          ports(8080, "http")])))
rules_strategy = st.lists(st.builds(
    lambda action, protocol, src, dst: rule(action, protocol=protocol, source=src,
                                            destination=dst),
    st.sampled_from([Action.ALLOW, Action.DENY, Action.PASS, Action.LOG]),
    st.sampled_from([None, 6, 17]), entity, entity), max_size=3)


@st.composite
def policies(draw: st.DrawFn) -> list[object]:
    out = []
    for index in range(draw(st.integers(0, 6))):
        kind = draw(st.sampled_from(KINDS))
        namespace = draw(st.sampled_from(["ns1", "ns2"])) if kind.is_namespaced else ""
        selector = draw(st.sampled_from(SELECTORS))
        if namespace:
            selector = f"({selector}) && projectcalico.org/namespace == '{namespace}'"
        tier = "default" if kind is PolicyKind.KUBERNETES_NETWORK_POLICY else draw(
            st.sampled_from(["default", "t1", "t2"]))
        types = draw(st.sampled_from([[Direction.INGRESS], [Direction.EGRESS],
                                      [Direction.INGRESS, Direction.EGRESS]]))
        staged = draw(st.sampled_from([StagedAction.SET, StagedAction.DELETE])) \
            if kind.is_staged else None
        out.append(policy(kind, f"p{index % 3}", selector, namespace=namespace, tier=tier,
                          order=draw(st.sampled_from([None, 1.0, 2.0])), types=types,
                          ingress=draw(rules_strategy), egress=draw(rules_strategy),
                          staged_action=staged))
    return out


def _evaluator(pols: list[object], t1_action: Action, version: str, edition: Edition) -> Evaluator:
    tiers = (CompiledTier("t1", 10.0, t1_action), CompiledTier("t2", 20.0, Action.DENY),
             CompiledTier("default", 1_000_000.0, Action.DENY))
    return Evaluator(PolicySet(CalicoVersion.parse(version), edition, tiers, tuple(pols)),  # type: ignore[arg-type]
                     Topology(ENDPOINTS))


def _packet(ev: Evaluator, src: str, dst: str, port: int, protocol: int) -> Packet:
    topo = ev.topology
    return make_packet(topo.peer_for_ip(ipaddress.ip_address(src)),
                       topo.peer_for_ip(ipaddress.ip_address(dst)), protocol, port)


def _summary(result: FlowResult, ev: Evaluator) -> object:
    out = [result.error]
    for mode in (result.enforced, result.pending, result.replace):
        if mode is None:
            out.append(None)
            continue
        out.append((mode.verdict, tuple(None if s is None else (s.verdict, s.strings(ev.trace_format),
                                                                  s.uncertain)
                                        for s in (mode.src, mode.dst))))
    return out


flows = st.lists(st.tuples(st.sampled_from(ADDRESSES), st.sampled_from(ADDRESSES),
                           st.sampled_from([80, 8080, 443]), st.sampled_from([6, 17])),
                 min_size=1, max_size=12)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(policies(), flows, st.sampled_from([Action.DENY, Action.PASS]),
       st.sampled_from([("3.32", Edition.OSS), ("3.31", Edition.OSS), ("3.21", Edition.ENTERPRISE)]))
def test_explain_and_simulate_agree_and_memo_is_sound(
        pols: list[object], flow_list: list[tuple[str, str, int, int]], t1_action: Action,
        calico: tuple[str, Edition]) -> None:
    shared = _evaluator(pols, t1_action, *calico)  # memo warms up across flows
    for src, dst, port, protocol in flow_list:
        pkt = _packet(shared, src, dst, port, protocol)
        simulated = shared.evaluate(pkt, with_replace=True)
        explained = shared.evaluate(pkt, with_replace=True, explain=True)
        fresh_ev = _evaluator(pols, t1_action, *calico)
        fresh = fresh_ev.evaluate(_packet(fresh_ev, src, dst, port, protocol), with_replace=True)
        assert _summary(simulated, shared) == _summary(explained, shared) == _summary(fresh, fresh_ev)
        # the walkthrough's recorded tier steps end in exactly the hits it reports
        for mode in (explained.enforced, explained.pending):
            for side in (mode.src, mode.dst) if mode is not None else ():
                if side is not None:
                    tier_hits = [t.hit for t in side.tiers]
                    assert tuple(tier_hits) == side.hits[:len(tier_hits)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(policies(), st.sampled_from([Action.DENY, Action.PASS]), st.sampled_from([80, 8080]))
def test_verdict_matrix_equals_pairwise_evaluation(pols: list[object], t1_action: Action,
                                                   port: int) -> None:
    ev = _evaluator(pols, t1_action, "3.32", Edition.OSS)
    matrix = verdict_matrix(ev, protocol=6, port=port)
    check = _evaluator(pols, t1_action, "3.32", Edition.OSS)
    for i, source in enumerate(matrix.endpoints):
        for j, dest in enumerate(matrix.endpoints):
            result = check.evaluate(_packet(check, str(source.ips[0]), str(dest.ips[0]), port, 6))
            expected = result.enforced is not None and result.enforced.verdict.value == "allow"
            assert matrix.allows(i, j) == expected, (source.name, dest.name)
