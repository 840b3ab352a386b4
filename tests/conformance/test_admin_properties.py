"""Property test: random AdminNetworkPolicies (distinct priorities), an optional
BaselineAdminNetworkPolicy and random NetworkPolicies on the xyz cluster under Calico 3.31, and
the same shapes as ClusterNetworkPolicies under 3.32; every cell must equal anp_reference.

ANP `namedPort` is left out: Calico 3.29-3.31 reads it as "all ports" (§1.10), which
test_admin_conformance covers as Calico-specific behaviour.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .anp_reference import reference_matrix
from .cluster import Simulator, all_pairs, diff_cells, render_matrix, xyz_cluster
from .test_k8s_properties import label_selector, namespace_selector, network_policy

CLUSTER = xyz_cluster()
PROBE_PORTS = ((80, "TCP"), (81, "UDP"))

subject = st.one_of(
    namespace_selector.map(lambda s: {"namespaces": s}),
    st.tuples(namespace_selector, label_selector).map(
        lambda t: {"pods": {"namespaceSelector": t[0], "podSelector": t[1]}}))
peer = subject
egress_peer = st.one_of(peer, st.sampled_from(
    [{"networks": ["10.1.0.0/16"]}, {"networks": ["10.2.0.2/32", "10.3.0.0/24"]}]))
v1_port = st.sampled_from([
    {"portNumber": {"protocol": "TCP", "port": 80}}, {"portNumber": {"protocol": "UDP", "port": 81}},
    {"portRange": {"protocol": "TCP", "start": 79, "end": 81}},
    {"portRange": {"protocol": "UDP", "start": 81, "end": 90}}])
v2_protocol = st.sampled_from([
    {"tcp": {"destinationPort": {"number": 80}}}, {"udp": {"destinationPort": {"number": 81}}},
    {"tcp": {"destinationPort": {"range": {"start": 79, "end": 81}}}}, {"udp": {}},
    {"destinationNamedPort": "serve-81-udp"}])


@st.composite
def admin_rule(draw: st.DrawFn, actions: list[str], peers_key: str, v2: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"name": "r", "action": draw(st.sampled_from(actions)),
                           peers_key: draw(st.lists(egress_peer if peers_key == "to" else peer,
                                                    min_size=1, max_size=2))}
    if draw(st.booleans()):
        key, item = ("protocols", v2_protocol) if v2 else ("ports", v1_port)
        out[key] = draw(st.lists(item, min_size=1, max_size=2))
    return out


@st.composite
def admin_spec(draw: st.DrawFn, actions: list[str], v2: bool) -> dict[str, Any]:
    spec: dict[str, Any] = {"subject": draw(subject)}
    for key, peers_key in (("ingress", "from"), ("egress", "to")):
        rules = draw(st.lists(admin_rule(actions, peers_key, v2), max_size=2))
        if rules:
            spec[key] = rules
    return spec


@st.composite
def v1alpha1_documents(draw: st.DrawFn) -> list[dict[str, Any]]:
    priorities = draw(st.lists(st.integers(0, 50), min_size=1, max_size=3, unique=True))
    docs: list[dict[str, Any]] = [
        {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
         "metadata": {"name": f"anp{k}"},
         "spec": {"priority": p, **draw(admin_spec(["Allow", "Deny", "Pass"], False))}}
        for k, p in enumerate(priorities)]
    if draw(st.booleans()):
        docs.append({"apiVersion": "policy.networking.k8s.io/v1alpha1",
                     "kind": "BaselineAdminNetworkPolicy", "metadata": {"name": "default"},
                     "spec": draw(admin_spec(["Allow", "Deny"], False))})
    docs += [draw(network_policy(k)) for k in range(draw(st.integers(0, 2)))]
    return docs


@st.composite
def v1alpha2_documents(draw: st.DrawFn) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for tier in ("Admin", "Baseline"):
        priorities = draw(st.lists(st.integers(0, 50), max_size=2, unique=True))
        docs += [{"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
                  "metadata": {"name": f"{tier.lower()}{k}"},
                  "spec": {"tier": tier, "priority": p,
                           **draw(admin_spec(["Accept", "Deny", "Pass"], True))}}
                 for k, p in enumerate(priorities)]
    docs += [draw(network_policy(k)) for k in range(draw(st.integers(0, 2)))]
    return docs


def _check(documents: list[dict[str, Any]], sim: Simulator, version: str) -> None:
    probes = [p for port, proto in PROBE_PORTS for p in all_pairs(CLUSTER, port, proto)]
    run = sim.run(documents, CLUSTER, probes, "--calico-version", version)
    for port, proto in PROBE_PORTS:
        got = {(p.source, p.dest): row["verdict"] == "allow"
               for p, row in zip(run.probes, run.rows) if (p.port, p.protocol) == (port, proto)}
        want = reference_matrix(CLUSTER, documents, port, proto)
        mismatches = diff_cells(want, got)
        assert not mismatches, (f"Calico {version} {proto}/{port}: {len(mismatches)} cells differ\n"
                                + "\n".join(mismatches) + "\nexpected:\n"
                                + render_matrix(want, CLUSTER) + "\nsimulate:\n"
                                + render_matrix(got, CLUSTER))


_SETTINGS = settings(max_examples=12, deadline=None,
                     suppress_health_check=[HealthCheck.function_scoped_fixture])
_SLOW = settings(max_examples=120, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


@_SETTINGS
@given(documents=v1alpha1_documents())
def test_random_admin_policies_3_31(documents: list[dict[str, Any]], tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    _check(documents, Simulator(tmp_path, capsys), "3.31")


@_SETTINGS
@given(documents=v1alpha2_documents())
def test_random_cluster_network_policies_3_32(documents: list[dict[str, Any]], tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    _check(documents, Simulator(tmp_path, capsys), "3.32")


@pytest.mark.slow
@_SLOW
@given(documents=v1alpha1_documents())
def test_random_admin_policies_3_31_many(documents: list[dict[str, Any]], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    _check(documents, Simulator(tmp_path, capsys), "3.31")


@pytest.mark.slow
@_SLOW
@given(documents=v1alpha2_documents())
def test_random_cluster_network_policies_3_32_many(documents: list[dict[str, Any]],
                                                   tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    _check(documents, Simulator(tmp_path, capsys), "3.32")
