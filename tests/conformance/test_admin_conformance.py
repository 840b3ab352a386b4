"""AdminNetworkPolicy / BaselineAdminNetworkPolicy (Calico 3.31, v1alpha1) and ClusterNetworkPolicy
(Calico 3.32, v1alpha2) conformance-style cases, full 81-cell matrices against anp_reference."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from .anp_reference import allowed, reference_matrix
from .cluster import EXTERNAL_IP, Probe, Simulator, all_pairs, assert_matrix, xyz_cluster
from .k8s_cases import knp, ns_is, pod_is


def anp(name: str, priority: int, subject: Mapping[str, Any], ingress: Sequence[Any] = (),
        egress: Sequence[Any] = ()) -> dict[str, Any]:
    spec: dict[str, Any] = {"priority": priority, "subject": dict(subject)}
    if ingress:
        spec["ingress"] = list(ingress)
    if egress:
        spec["egress"] = list(egress)
    return {"apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
            "metadata": {"name": name}, "spec": spec}


def banp(subject: Mapping[str, Any], ingress: Sequence[Any] = (),
         egress: Sequence[Any] = ()) -> dict[str, Any]:
    spec: dict[str, Any] = {"subject": dict(subject)}
    if ingress:
        spec["ingress"] = list(ingress)
    if egress:
        spec["egress"] = list(egress)
    return {"apiVersion": "policy.networking.k8s.io/v1alpha1",
            "kind": "BaselineAdminNetworkPolicy", "metadata": {"name": "default"}, "spec": spec}


def cnp(name: str, tier: str, priority: int, subject: Mapping[str, Any],
        ingress: Sequence[Any] = (), egress: Sequence[Any] = ()) -> dict[str, Any]:
    spec: dict[str, Any] = {"tier": tier, "priority": priority, "subject": dict(subject)}
    if ingress:
        spec["ingress"] = list(ingress)
    if egress:
        spec["egress"] = list(egress)
    return {"apiVersion": "policy.networking.k8s.io/v1alpha2", "kind": "ClusterNetworkPolicy",
            "metadata": {"name": name}, "spec": spec}


def in_ns(name: str) -> dict[str, Any]:
    return {"namespaces": ns_is(name)}


def rule(name: str, action: str, peers: Sequence[Any], ports: Sequence[Any] | None = None,
         direction: str = "from", ports_key: str = "ports") -> dict[str, Any]:
    out: dict[str, Any] = {"name": name, "action": action, direction: list(peers)}
    if ports is not None:
        out[ports_key] = list(ports)
    return out


def egress_rule(name: str, action: str, peers: Sequence[Any],
                ports: Sequence[Any] | None = None, ports_key: str = "ports") -> dict[str, Any]:
    return rule(name, action, peers, ports, "to", ports_key)


ALL_NS: dict[str, Any] = {"namespaces": {}}


@dataclass(frozen=True)
class AdminCase:
    name: str
    documents: Sequence[Mapping[str, Any]]
    version: str
    ports: Sequence[tuple[int, str]] = ((80, "TCP"),)


ANP_CASES = (
    AdminCase("anp-priority-deny-before-allow", [
        anp("deny-from-y", 10, in_ns("x"), [rule("deny-y", "Deny", [in_ns("y")])]),
        anp("allow-from-y", 20, in_ns("x"), [rule("allow-y", "Allow", [in_ns("y")])])], "3.31"),
    AdminCase("anp-priority-allow-before-deny", [
        anp("deny-from-y", 30, in_ns("x"), [rule("deny-y", "Deny", [in_ns("y")])]),
        anp("allow-from-y", 20, in_ns("x"), [rule("allow-y", "Allow", [in_ns("y")])])], "3.31"),
    AdminCase("anp-rule-order-within-policy", [
        anp("ordered", 5, in_ns("y"), [
            rule("allow-x-a", "Allow", [{"pods": {"namespaceSelector": ns_is("x"),
                                                  "podSelector": pod_is("a")}}]),
            rule("deny-x", "Deny", [in_ns("x")])])], "3.31"),
    AdminCase("anp-allow-overrides-network-policy-deny", [
        anp("allow-z", 1, in_ns("x"), [rule("allow-z", "Allow", [in_ns("z")])]),
        knp("deny-all", "x", {"podSelector": {}, "policyTypes": ["Ingress"]})], "3.31"),
    AdminCase("anp-pass-delegates-to-network-policy", [
        anp("pass-y", 1, in_ns("x"), [rule("pass-y", "Pass", [in_ns("y")])]),
        anp("deny-y-later", 2, in_ns("x"), [rule("deny-y", "Deny", [in_ns("y")])]),
        knp("allow-y-b", "x", {"podSelector": pod_is("a"), "ingress": [{"from": [
            {"namespaceSelector": ns_is("y"), "podSelector": pod_is("b")}]}],
            "policyTypes": ["Ingress"]})], "3.31"),
    AdminCase("anp-pass-to-baseline-deny", [
        anp("pass-y", 1, in_ns("x"), [rule("pass-y", "Pass", [in_ns("y")])]),
        banp(in_ns("x"), [rule("deny-y", "Deny", [in_ns("y")]),
                          rule("deny-z-c", "Deny", [{"pods": {"namespaceSelector": ns_is("z"),
                                                              "podSelector": pod_is("c")}}])])],
              "3.31"),
    AdminCase("banp-deny-loses-to-network-policy-allow", [
        banp(ALL_NS, [rule("deny-all", "Deny", [ALL_NS])]),
        knp("allow-y", "x", {"podSelector": pod_is("a"), "ingress": [{"from": [
            {"namespaceSelector": ns_is("y")}]}], "policyTypes": ["Ingress"]})], "3.31"),
    AdminCase("banp-allow-and-deny-rule-order", [
        banp({"pods": {"namespaceSelector": {}, "podSelector": pod_is("b")}},
             egress=[egress_rule("allow-z", "Allow", [in_ns("z")]),
                     egress_rule("deny-all", "Deny", [ALL_NS])])], "3.31"),
    AdminCase("anp-subject-pods", [
        anp("deny-to-y-a", 3, {"pods": {"namespaceSelector": ns_is("y"),
                                        "podSelector": pod_is("a")}},
            [rule("deny-all", "Deny", [ALL_NS])])], "3.31"),
    AdminCase("anp-egress-peer-pods", [
        anp("z-egress", 7, in_ns("z"), egress=[
            egress_rule("deny-b", "Deny", [{"pods": {"namespaceSelector": {},
                                                     "podSelector": pod_is("b")}}])])], "3.31"),
    AdminCase("anp-ports-number-and-range", [
        anp("ports", 4, ALL_NS, [
            rule("deny-udp-80", "Deny", [ALL_NS], [{"portNumber": {"protocol": "UDP", "port": 80}}]),
            rule("deny-tcp-81-82", "Deny", [in_ns("x")],
                 [{"portRange": {"protocol": "TCP", "start": 81, "end": 82}}])])],
              "3.31", ((80, "TCP"), (80, "UDP"), (81, "TCP"), (81, "UDP"), (82, "TCP"))),
    AdminCase("anp-egress-networks", [
        anp("networks", 9, in_ns("y"), egress=[
            egress_rule("allow-x-a", "Allow", [{"networks": ["10.1.0.1/32"]}]),
            egress_rule("deny-x", "Deny", [{"networks": ["10.1.0.0/16", "192.0.2.0/24"]}])])],
              "3.31"),
    AdminCase("anp-and-baseline-egress-with-network-policy", [
        anp("egress-pass", 2, in_ns("z"), egress=[
            egress_rule("pass-x", "Pass", [in_ns("x")]),
            egress_rule("allow-y", "Allow", [in_ns("y")])]),
        knp("z-a-egress", "z", {"podSelector": pod_is("a"), "egress": [{"to": [
            {"namespaceSelector": ns_is("x"), "podSelector": pod_is("c")}]}],
            "policyTypes": ["Egress"]}),
        banp(in_ns("z"), egress=[egress_rule("deny-x", "Deny", [in_ns("x")])])], "3.31"),
)

CNP_CASES = (
    AdminCase("cnp-admin-priority-and-accept", [
        cnp("deny-y", "Admin", 10, in_ns("x"), [rule("deny-y", "Deny", [in_ns("y")])]),
        cnp("accept-y", "Admin", 5, in_ns("x"), [
            rule("accept-y-c", "Accept", [{"pods": {"namespaceSelector": ns_is("y"),
                                                    "podSelector": pod_is("c")}}])])], "3.32"),
    AdminCase("cnp-pass-network-policy-baseline", [
        cnp("pass-all", "Admin", 1, in_ns("y"), [rule("pass", "Pass", [ALL_NS])]),
        knp("y-a-from-x", "y", {"podSelector": pod_is("a"), "ingress": [{"from": [
            {"namespaceSelector": ns_is("x")}]}], "policyTypes": ["Ingress"]}),
        cnp("baseline-deny-z", "Baseline", 50, in_ns("y"), [rule("deny-z", "Deny", [in_ns("z")])]),
    ], "3.32"),
    AdminCase("cnp-baseline-priorities", [
        cnp("base-accept-z-a", "Baseline", 1, in_ns("x"), [
            rule("accept", "Accept", [{"pods": {"namespaceSelector": ns_is("z"),
                                                "podSelector": pod_is("a")}}])]),
        cnp("base-deny-z", "Baseline", 2, in_ns("x"), [rule("deny", "Deny", [in_ns("z")])])],
              "3.32"),
    AdminCase("cnp-protocols", [
        cnp("protocols", "Admin", 3, ALL_NS, [
            rule("deny-udp-80", "Deny", [ALL_NS], [{"udp": {"destinationPort": {"number": 80}}}],
                 ports_key="protocols"),
            rule("deny-tcp-81-90-from-z", "Deny", [in_ns("z")],
                 [{"tcp": {"destinationPort": {"range": {"start": 81, "end": 90}}}}],
                 ports_key="protocols")])],
              "3.32", ((80, "TCP"), (80, "UDP"), (81, "TCP"), (81, "SCTP"))),
    AdminCase("cnp-named-port", [
        cnp("named", "Admin", 3, in_ns("x"), [
            rule("deny-81", "Deny", [ALL_NS], [{"destinationNamedPort": "serve-81-tcp"}],
                 ports_key="protocols")])], "3.32", ((80, "TCP"), (81, "TCP"), (81, "UDP"))),
    AdminCase("cnp-baseline-pass-skips-lower-baseline-deny", [
        cnp("base-pass-y", "Baseline", 1, in_ns("z"), [rule("pass-y", "Pass", [in_ns("y")])]),
        cnp("base-deny-all", "Baseline", 2, in_ns("z"), [rule("deny", "Deny", [ALL_NS])])],
              "3.32"),
    AdminCase("cnp-egress-named-port", [
        cnp("egress-named", "Admin", 6, in_ns("x"), egress=[
            egress_rule("deny-81", "Deny", [ALL_NS], [{"destinationNamedPort": "serve-81-tcp"}],
                        ports_key="protocols")])], "3.32", ((80, "TCP"), (81, "TCP"))),
    AdminCase("cnp-egress-networks-and-pods", [
        cnp("egress", "Admin", 8, in_ns("z"), egress=[
            egress_rule("accept-y-b", "Accept", [{"pods": {"namespaceSelector": ns_is("y"),
                                                           "podSelector": pod_is("b")}}]),
            egress_rule("deny-y", "Deny", [{"networks": ["10.2.0.0/16"]}])])], "3.32"),
)


def _ids(cases: Sequence[AdminCase]) -> list[object]:
    return [pytest.param(c, id=c.name) for c in cases]


@pytest.mark.parametrize("case", _ids(ANP_CASES) + _ids(CNP_CASES))
def test_admin_matrix_matches_reference(case: AdminCase, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    cluster = xyz_cluster()
    probes = [p for port, proto in case.ports for p in all_pairs(cluster, port, proto)]
    run = Simulator(tmp_path, capsys).run(case.documents, cluster, probes,
                                          "--calico-version", case.version)
    assert run.exit_code == 0, run.stderr
    for port, proto in case.ports:
        got = {(p.source, p.dest): row["verdict"] == "allow"
               for p, row in zip(run.probes, run.rows) if (p.port, p.protocol) == (port, proto)}
        assert_matrix(reference_matrix(cluster, case.documents, port, proto), got, cluster,
                      f"{case.name} {proto}/{port} (Calico {case.version})")


@pytest.mark.parametrize("case", _ids([c for c in ANP_CASES + CNP_CASES
                                        if "networks" in c.name]))
def test_admin_external_peers(case: AdminCase, tmp_path: Path,
                              capsys: pytest.CaptureFixture[str]) -> None:
    cluster = xyz_cluster()
    probes = [Probe(p.key, EXTERNAL_IP, 80) for p in cluster.pods] + \
             [Probe(p.key, "198.51.100.1", 80) for p in cluster.pods] + \
             [Probe(EXTERNAL_IP, p.key, 80) for p in cluster.pods]
    run = Simulator(tmp_path, capsys).run(case.documents, cluster, probes,
                                          "--calico-version", case.version)
    expected = {p: "allow" if allowed(cluster, case.documents, p.source, p.dest, p.port)
                else "deny" for p in probes}
    assert run.verdicts() == expected


def test_reference_anp_pass_table_by_hand() -> None:
    """The reference itself on anp-pass-delegates-to-network-policy, written out by hand."""
    cluster = xyz_cluster()
    case = next(c for c in ANP_CASES if c.name == "anp-pass-delegates-to-network-policy")
    matrix = reference_matrix(cluster, case.documents, 80)
    into_x = {src: [matrix[(src, f"x/{d}")] for d in "abc"] for src in
              [p.key for p in cluster.pods]}
    # y -> x: Pass skips the later Deny; x/a is isolated by the KNP (only y/b), x/b and x/c are not.
    assert into_x["y/a"] == [False, True, True]
    assert into_x["y/b"] == [True, True, True]
    assert into_x["y/c"] == [False, True, True]
    # x and z sources: no ANP rule matches; x/a still isolated by the KNP.
    assert into_x["x/b"] == [False, True, True]
    assert into_x["z/a"] == [False, True, True]
    assert all(matrix[(s, d)] for s, d in matrix if not d.startswith("x/"))


def test_reference_banp_vs_knp_by_hand() -> None:
    cluster = xyz_cluster()
    case = next(c for c in ANP_CASES if c.name == "banp-deny-loses-to-network-policy-allow")
    matrix = reference_matrix(cluster, case.documents, 80)
    # x/a is governed by the KNP (y only); every other pod falls through to the BANP deny-all.
    assert {cell for cell, ok in matrix.items() if ok} == {(f"y/{s}", "x/a") for s in "abc"}


# --- Calico-specific conversions (calico-semantics §1.10) -----------------------------------


def test_anp_named_port_is_all_ports_in_calico_3_31(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    """§1.10 code observation: an ANP namedPort yields no port and no protocol = all ports."""
    cluster = xyz_cluster()
    docs = [anp("named", 3, in_ns("x"), [rule("deny-81", "Deny", [in_ns("y")],
                                              [{"namedPort": "serve-81-tcp"}])])]
    probes = [Probe("y/a", "x/a", 80), Probe("y/a", "x/a", 81), Probe("y/a", "x/a", 81, "UDP"),
              Probe("z/a", "x/a", 81)]
    run = Simulator(tmp_path, capsys).run(docs, cluster, probes, "--calico-version", "3.31")
    assert [r["verdict"] for r in run.rows] == ["deny", "deny", "deny", "allow"]


def test_cnp_fail_closed_rule_conversion(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """An unconvertible Deny rule becomes a bare Deny; an unconvertible Accept is dropped."""
    cluster = xyz_cluster()
    docs = [cnp("domains-deny", "Admin", 3, in_ns("x"), egress=[
                egress_rule("deny-domain", "Deny", [{"domainNames": ["example.com"]}])]),
            cnp("domains-accept", "Admin", 2, in_ns("y"), egress=[
                egress_rule("accept-domain", "Accept", [{"domainNames": ["example.com"]}])]),
            cnp("y-deny-z", "Admin", 4, in_ns("y"), egress=[
                egress_rule("deny-z", "Deny", [in_ns("z")])])]
    probes = [Probe("x/a", "y/a", 80), Probe("x/b", EXTERNAL_IP, 443), Probe("y/a", "x/a", 80),
              Probe("y/a", "z/a", 80), Probe("z/a", "x/a", 80)]
    run = Simulator(tmp_path, capsys).run(docs, cluster, probes, "--calico-version", "3.32")
    assert [r["verdict"] for r in run.rows] == ["deny", "deny", "allow", "deny", "allow"]
    assert run.rows[0]["enforced_policies"] == {
        "src": ["0|kube-admin|kcnp:domains-deny|deny|0"],
        "dst": None}  # §3.1: a packet the source denies never reaches the destination


def test_anp_trace_strings_format_a(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Calico 3.31 hit strings for ANP/BANP (Format A, §6.1)."""
    cluster = xyz_cluster()
    docs = [anp("pass-y", 1, in_ns("x"), [rule("pass-y", "Pass", [in_ns("y")])]),
            banp(in_ns("x"), [rule("deny-y", "Deny", [in_ns("y")])])]
    run = Simulator(tmp_path, capsys).run(docs, cluster, [Probe("y/a", "x/a", 80)],
                                          "--calico-version", "3.31")
    dst = run.rows[0]["enforced_policies"]["dst"]  # type: ignore[index]
    assert run.rows[0]["verdict"] == "deny"
    assert dst in (
        ["0|adminnetworkpolicy|kanp.adminnetworkpolicy.pass-y|pass|0",
         "1|baselineadminnetworkpolicy|kbanp.baselineadminnetworkpolicy.default|deny|0"],
        ["0|adminnetworkpolicy|adminnetworkpolicy.kanp.adminnetworkpolicy.pass-y|pass|0",
         ("1|baselineadminnetworkpolicy|baselineadminnetworkpolicy.kbanp."
          "baselineadminnetworkpolicy.default|deny|0")])


@pytest.mark.parametrize(("documents", "version"), [
    ([anp("deny-y", 1, in_ns("x"), [rule("deny-y", "Deny", [in_ns("y")])])], "3.32"),
    ([anp("deny-y", 1, in_ns("x"), [rule("deny-y", "Deny", [in_ns("y")])])], "3.28"),
    ([banp(in_ns("x"), [rule("deny-y", "Deny", [in_ns("y")])])], "3.29"),
    ([cnp("deny-y", "Admin", 1, in_ns("x"), [rule("deny-y", "Deny", [in_ns("y")])])], "3.31"),
], ids=["anp-3.32", "anp-3.28", "banp-3.29", "cnp-3.31"])
def test_admin_kinds_outside_their_versions_are_ignored(
        documents: list[dict[str, Any]], version: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """§ version timeline: ANP 3.29-3.31, BANP 3.30-3.31, CNP 3.32+; otherwise not converted."""
    run = Simulator(tmp_path, capsys).run(documents, xyz_cluster(), [Probe("y/a", "x/a", 80)],
                                          "--calico-version", version)
    assert run.rows[0]["verdict"] == "allow"
    assert "ENG652" in run.stderr


@pytest.mark.parametrize(("names", "version", "verdict"), [
    (("b-allow", "a-deny"), "3.31", "deny"),
    (("a-allow", "b-deny"), "3.31", "allow"),
    (("b-allow", "a-deny"), "3.32", "deny"),
    (("a-allow", "b-deny"), "3.32", "allow"),
])
def test_equal_priority_breaks_ties_by_name(names: tuple[str, str], version: str, verdict: str,
                                            tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    """Upstream leaves equal priorities undefined; Calico orders equal orders by name (§3.3)."""
    allow_name, deny_name = names
    if version == "3.31":
        docs = [anp(allow_name, 5, in_ns("x"), [rule("allow", "Allow", [in_ns("y")])]),
                anp(deny_name, 5, in_ns("x"), [rule("deny", "Deny", [in_ns("y")])])]
    else:
        docs = [cnp(allow_name, "Admin", 5, in_ns("x"), [rule("allow", "Accept", [in_ns("y")])]),
                cnp(deny_name, "Admin", 5, in_ns("x"), [rule("deny", "Deny", [in_ns("y")])])]
    run = Simulator(tmp_path, capsys).run(docs, xyz_cluster(), [Probe("y/a", "x/a", 80)],
                                          "--calico-version", version)
    assert run.rows[0]["verdict"] == verdict
