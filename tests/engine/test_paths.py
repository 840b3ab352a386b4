"""Which sides are evaluated (calico-semantics §3.1, §3.6, §3.6b) and the dst-record rule (§9.2)."""

from __future__ import annotations

import ipaddress

from engine_factory import ent, evaluator, hep, packet, pod, policy, rule, traces
from tierguard.engine.evaluate import HOST_TO_LOCAL_NOTE, WORKLOAD_TO_HOST_NOTE
from tierguard.engine.ir import Action, Direction, PolicyKind
from tierguard.inventory.model import Node

A = pod("a-1a2b3c-aaaaa", "ns", {"app": "a"}, "10.0.0.1", node="node-1")
B = pod("b-1a2b3c-bbbbb", "ns", {"app": "b"}, "10.0.0.2", node="node-2")
NODES = [Node("node-1", (ipaddress.ip_address("192.168.0.1"),)),
         Node("node-2", (ipaddress.ip_address("192.168.0.2"),))]
ALL = "projectcalico.org/namespace == 'ns'"
DENY_EGRESS = policy(PolicyKind.NETWORK_POLICY, "no-egress", ALL, namespace="ns",
                     types=[Direction.EGRESS], egress=[rule(Action.DENY)])
DENY_INGRESS = policy(PolicyKind.NETWORK_POLICY, "no-ingress", ALL, namespace="ns",
                      ingress=[rule(Action.DENY)])


def test_egress_to_external_only_source_side() -> None:
    ev = evaluator([DENY_INGRESS], [A, B])
    assert traces(ev, packet(ev, A, "198.51.100.9", 443)) == (
        ["0|__PROFILE__|pro:kns.ns|allow|0"], None, "allow")


def test_ingress_from_external_only_destination_side() -> None:
    ev = evaluator([DENY_EGRESS], [A, B])
    assert traces(ev, packet(ev, "198.51.100.9", A, 443)) == (
        None, ["0|__PROFILE__|pro:kns.ns|allow|0"], "allow")


def test_source_deny_suppresses_destination_record() -> None:
    ev = evaluator([DENY_EGRESS], [A, B])
    assert traces(ev, packet(ev, A, B, 80)) == (["0|default|np:ns/no-egress|deny|0"], None, "deny")


def test_both_sides_must_allow() -> None:
    ev = evaluator([DENY_INGRESS], [A, B])
    assert traces(ev, packet(ev, A, B, 80)) == (
        ["0|__PROFILE__|pro:kns.ns|allow|0"], ["0|default|np:ns/no-ingress|deny|0"], "deny")


def test_host_to_local_workload_always_allowed() -> None:
    ev = evaluator([DENY_INGRESS], [A, B], nodes=NODES)
    result = ev.evaluate(packet(ev, "192.168.0.1", A, 8080))
    assert result.enforced is not None and result.enforced.verdict.value == "allow"
    assert (result.enforced.src, result.enforced.dst, result.notes) == (
        None, None, (HOST_TO_LOCAL_NOTE,))


def test_host_to_remote_workload_gets_ingress_policy() -> None:
    ev = evaluator([DENY_INGRESS], [A, B], nodes=NODES)
    assert traces(ev, packet(ev, "192.168.0.2", A, 8080)) == (
        None, ["0|default|np:ns/no-ingress|deny|0"], "deny")


def test_host_endpoint_normal_tier_policy_and_profiles() -> None:
    host = hep("node-1-eth0", {"role": "node"}, "192.168.0.1", node="node-1")
    gnp = policy(PolicyKind.GLOBAL_NETWORK_POLICY, "host-ssh", "role == 'node'",
                 ingress=[rule(Action.ALLOW, protocol=6, destination=ent(nets=["192.168.0.1/32"]))])
    ev = evaluator([gnp], [A, B, host])
    assert traces(ev, packet(ev, "203.0.113.5", host, 22)) == (
        None, ["0|default|gnp:host-ssh|allow|0"], "allow")
    # Host endpoint without profiles and no applicable egress policy: no-match deny.
    assert traces(ev, packet(ev, host, "203.0.113.5", 22))[0] == [
        "0|__PROFILE__|pro:__NO_MATCH__|deny|0"]


def test_neither_end_calico_is_an_error_result() -> None:
    ev = evaluator([], [A, B])
    result = ev.evaluate(packet(ev, "198.51.100.1", "198.51.100.2", 80))
    assert result.enforced is None and result.error is not None
    assert result.error.startswith("neither end is a Calico endpoint")


def test_workload_to_own_host_carries_a_note() -> None:
    ev = evaluator([], [A, B], nodes=NODES)
    result = ev.evaluate(packet(ev, A, "192.168.0.1", 10250))
    assert result.notes == (WORKLOAD_TO_HOST_NOTE,)
    assert result.enforced is not None and result.enforced.verdict.value == "allow"
    assert ev.evaluate(packet(ev, A, "192.168.0.2", 10250)).notes == ()
