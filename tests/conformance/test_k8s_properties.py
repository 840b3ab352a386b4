"""Property test: random small sets of Kubernetes NetworkPolicies on the xyz cluster; every cell
of `tierguard simulate` must equal the reference model.

policyTypes is generated explicitly, or omitted only for ingress-only policies; the omitted-with-
egress-rules case is covered by its own truth table in test_k8s_truth_tables.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .cluster import Simulator, all_pairs, diff_cells, render_matrix, xyz_cluster
from .k8s_cases import knp
from .k8s_reference import reference_matrix

CLUSTER = xyz_cluster()
PROBE_PORTS = ((80, "TCP"), (81, "TCP"), (80, "UDP"))

label_selector: st.SearchStrategy[dict[str, Any]] = st.one_of(
    st.just({}),
    st.sampled_from("abc").map(lambda p: {"matchLabels": {"pod": p}}),
    st.lists(st.sampled_from("abc"), min_size=1, max_size=2, unique=True).map(
        lambda v: {"matchExpressions": [{"key": "pod", "operator": "In", "values": v}]}),
    st.sampled_from("abc").map(
        lambda p: {"matchExpressions": [{"key": "pod", "operator": "NotIn", "values": [p]}]}),
)
namespace_selector: st.SearchStrategy[dict[str, Any]] = st.one_of(
    st.just({}),
    st.sampled_from("xyz").map(lambda n: {"matchLabels": {"ns": n}}),
    st.lists(st.sampled_from("xyz"), min_size=1, max_size=2, unique=True).map(
        lambda v: {"matchExpressions": [{"key": "ns", "operator": "NotIn", "values": v}]}),
)
def _ip_block(cidr: str, excepts: list[str]) -> dict[str, Any]:
    inside = [e for e in excepts
              if ipaddress.ip_network(e).subnet_of(ipaddress.ip_network(cidr))]  # type: ignore[arg-type]
    return {"ipBlock": {"cidr": cidr, **({"except": inside} if inside else {})}}


ip_block = st.tuples(st.sampled_from(["10.0.0.0/8", "10.1.0.0/16", "10.2.0.0/16", "10.3.0.0/24"]),
                     st.lists(st.sampled_from(["10.1.0.1/32", "10.2.0.0/30", "10.3.0.3/32"]),
                              max_size=2, unique=True)).map(
    lambda t: _ip_block(t[0], t[1]))
peer = st.one_of(
    label_selector.map(lambda s: {"podSelector": s}),
    namespace_selector.map(lambda s: {"namespaceSelector": s}),
    st.tuples(namespace_selector, label_selector).map(
        lambda t: {"namespaceSelector": t[0], "podSelector": t[1]}),
    ip_block,
)
port = st.one_of(
    st.sampled_from([{"port": 80}, {"port": 81}, {"protocol": "UDP", "port": 80},
                     {"port": "serve-81-tcp"}, {"protocol": "UDP", "port": "serve-80-udp"},
                     {"port": 79, "endPort": 80}, {"protocol": "UDP"}, {"protocol": "SCTP"}]))


def _rule(peers_key: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({}, optional={
        peers_key: st.lists(peer, max_size=2), "ports": st.lists(port, min_size=1, max_size=2)})


@st.composite
def network_policy(draw: st.DrawFn, index: int) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": draw(label_selector)}
    types = draw(st.sampled_from([["Ingress"], ["Egress"], ["Ingress", "Egress"], None]))
    if (types is None or "Ingress" in types) and draw(st.booleans()):
        spec["ingress"] = draw(st.lists(_rule("from"), max_size=2))
    if types is not None and "Egress" in types and draw(st.booleans()):
        spec["egress"] = draw(st.lists(_rule("to"), max_size=2))
    if types is not None:
        spec["policyTypes"] = types
    return knp(f"p{index}", draw(st.sampled_from("xyz")), spec)


@st.composite
def policy_sets(draw: st.DrawFn) -> list[dict[str, Any]]:
    count = draw(st.integers(min_value=1, max_value=3))
    return [draw(network_policy(k)) for k in range(count)]


def _check(policies: list[dict[str, Any]], sim: Simulator) -> None:
    probes = [p for port_, proto in PROBE_PORTS for p in all_pairs(CLUSTER, port_, proto)]
    run = sim.run(policies, CLUSTER, probes)
    for port_, proto in PROBE_PORTS:
        got = {(p.source, p.dest): row["verdict"] == "allow"
               for p, row in zip(run.probes, run.rows) if (p.port, p.protocol) == (port_, proto)}
        want = reference_matrix(CLUSTER, policies, port_, proto)
        mismatches = diff_cells(want, got)
        assert not mismatches, (f"{proto}/{port_}: {len(mismatches)} cells differ\n"
                                + "\n".join(mismatches) + "\nexpected:\n"
                                + render_matrix(want, CLUSTER) + "\nsimulate:\n"
                                + render_matrix(got, CLUSTER))


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(policies=policy_sets())
def test_random_policies_match_reference(policies: list[dict[str, Any]], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    _check(policies, Simulator(tmp_path, capsys))


@pytest.mark.slow
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(policies=policy_sets())
def test_random_policies_match_reference_many(policies: list[dict[str, Any]], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    _check(policies, Simulator(tmp_path, capsys))
