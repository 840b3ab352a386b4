"""Kubernetes NetworkPolicy e2e-style truth tables through `tierguard simulate`.

Every case compares all 81 pod-to-pod cells per (port, protocol) with the independent reference
model; the canonical tables at the bottom are written out by hand so the reference is checked too.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .cluster import (
    EXTERNAL_IP,
    Probe,
    Simulator,
    all_pairs,
    assert_matrix,
    calico_flow_line,
    matrix_of,
    parse_truth_table,
    xyz_cluster,
)
from .k8s_cases import (
    CASES,
    DENY_ALL_EGRESS_X,
    DENY_ALL_INGRESS_X,
    EDGE_CASES,
    MORE_CASES,
    UPSTREAM_E2E_CASES,
    Case,
    knp,
    ns_is,
    pod_is,
)
from .k8s_reference import allowed, reference_matrix

# Confirmed engine bugs, as strict xfails so that a fix forces the marker's removal.
XFAIL: dict[str, pytest.MarkDecorator] = {}


def _params() -> list[object]:
    return [pytest.param(case, id=case.name, marks=XFAIL.get(case.name, ()))
            for case in CASES + EDGE_CASES + MORE_CASES + UPSTREAM_E2E_CASES]


@pytest.mark.parametrize("case", _params())
def test_truth_table_matches_reference(case: Case, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    sim = Simulator(tmp_path, capsys)
    probes = [p for port, proto in case.ports for p in all_pairs(case.cluster, port, proto)]
    run = sim.run(case.policies, case.cluster, probes)
    assert run.exit_code == 0, run.stderr
    for port, proto in case.ports:
        got = {(p.source, p.dest): row["verdict"] == "allow"
               for p, row in zip(run.probes, run.rows) if (p.port, p.protocol) == (port, proto)}
        assert_matrix(reference_matrix(case.cluster, case.policies, port, proto), got,
                      case.cluster, f"{case.name} {proto}/{port}")


@pytest.mark.parametrize("with_ips", [True, False], ids=["with-ips", "names-only"])
@pytest.mark.parametrize("case", [pytest.param(c, id=c.name) for c in CASES if c.name in (
    "ingress-namespace-or-pod-two-peers", "egress-ipblock-except", "protocol-udp-only")])
def test_calico_flow_log_input_matches_reference(case: Case, with_ips: bool, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """The same matrices fed as Calico Enterprise flow-log JSON lines instead of probes."""
    probes = [p for port, proto in case.ports for p in all_pairs(case.cluster, port, proto)]
    text = "".join(json.dumps(calico_flow_line(case.cluster, p, with_ips)) + "\n" for p in probes)
    rows, code, err = Simulator(tmp_path, capsys).run_raw(case.policies, case.cluster, text,
                                                          "flows.jsonl")
    assert code == 0, err
    assert len(rows) == len(probes)
    for port, proto in case.ports:
        got = {(p.source, p.dest): row["verdict"] == "allow"
               for p, row in zip(probes, rows) if (p.port, p.protocol) == (port, proto)}
        assert_matrix(reference_matrix(case.cluster, case.policies, port, proto), got,
                      case.cluster, f"{case.name} {proto}/{port} from flow logs")


def _external_params() -> list[object]:
    return [pytest.param(case, id=case.name) for case in CASES + MORE_CASES
            if "ipblock" in case.name or "empty" in case.name or "deny" in case.name
            or "internet" in case.name]


@pytest.mark.parametrize("case", _external_params())
def test_external_peers_match_reference(case: Case, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """Traffic from and to an IP outside the cluster and outside every pod CIDR."""
    cluster = case.cluster
    probes = [Probe(pod.key, EXTERNAL_IP, port, proto) for pod in cluster.pods
              for port, proto in case.ports]
    probes += [Probe(EXTERNAL_IP, pod.key, port, proto) for pod in cluster.pods
               for port, proto in case.ports]
    probes += [Probe("10.2.0.77", "x/a", 80), Probe("x/b", "10.2.0.77", 80),
               Probe("x/b", "10.3.0.9", 80)]
    run = Simulator(tmp_path, capsys).run(case.policies, cluster, probes)
    expected = {p: "allow" if allowed(cluster, case.policies, p.source, p.dest, p.port, p.protocol)
                else "deny" for p in probes}
    actual = run.verdicts()
    bad = [f"  {p.source} -> {p.dest} {p.protocol}/{p.port}: expected {expected[p]}, "
           f"simulate says {actual[p]}" for p in probes if expected[p] != actual[p]]
    assert not bad, f"{case.name}:\n" + "\n".join(bad)


# --- hand-written truth tables (rows: source, columns: destination; '.' allow, 'X' deny) ------

HEADER = "x/a x/b x/c y/a y/b y/c z/a z/b z/c"

DENY_INGRESS_X_TABLE = f"""
    {HEADER}
x/a  X   X   X   .   .   .   .   .   .
x/b  X   X   X   .   .   .   .   .   .
x/c  X   X   X   .   .   .   .   .   .
y/a  X   X   X   .   .   .   .   .   .
y/b  X   X   X   .   .   .   .   .   .
y/c  X   X   X   .   .   .   .   .   .
z/a  X   X   X   .   .   .   .   .   .
z/b  X   X   X   .   .   .   .   .   .
z/c  X   X   X   .   .   .   .   .   .
"""

DENY_EGRESS_X_TABLE = f"""
    {HEADER}
x/a  X   X   X   X   X   X   X   X   X
x/b  X   X   X   X   X   X   X   X   X
x/c  X   X   X   X   X   X   X   X   X
y/a  .   .   .   .   .   .   .   .   .
y/b  .   .   .   .   .   .   .   .   .
y/c  .   .   .   .   .   .   .   .   .
z/a  .   .   .   .   .   .   .   .   .
z/b  .   .   .   .   .   .   .   .   .
z/c  .   .   .   .   .   .   .   .   .
"""

POD_B_TO_X_A_TABLE = f"""
    {HEADER}
x/a  X   .   .   .   .   .   .   .   .
x/b  .   .   .   .   .   .   .   .   .
x/c  X   .   .   .   .   .   .   .   .
y/a  X   .   .   .   .   .   .   .   .
y/b  X   .   .   .   .   .   .   .   .
y/c  X   .   .   .   .   .   .   .   .
z/a  X   .   .   .   .   .   .   .   .
z/b  X   .   .   .   .   .   .   .   .
z/c  X   .   .   .   .   .   .   .   .
"""

ONE_PEER_TABLE = f"""
    {HEADER}
x/a  X   .   .   .   .   .   .   .   .
x/b  X   .   .   .   .   .   .   .   .
x/c  X   .   .   .   .   .   .   .   .
y/a  X   .   .   .   .   .   .   .   .
y/b  X   .   .   .   .   .   .   .   .
y/c  .   .   .   .   .   .   .   .   .
z/a  X   .   .   .   .   .   .   .   .
z/b  X   .   .   .   .   .   .   .   .
z/c  X   .   .   .   .   .   .   .   .
"""

TWO_PEERS_TABLE = f"""
    {HEADER}
x/a  X   .   .   .   .   .   .   .   .
x/b  X   .   .   .   .   .   .   .   .
x/c  .   .   .   .   .   .   .   .   .
y/a  .   .   .   .   .   .   .   .   .
y/b  .   .   .   .   .   .   .   .   .
y/c  .   .   .   .   .   .   .   .   .
z/a  X   .   .   .   .   .   .   .   .
z/b  X   .   .   .   .   .   .   .   .
z/c  X   .   .   .   .   .   .   .   .
"""

EGRESS_TO_Y_TABLE = f"""
    {HEADER}
x/a  X   X   X   .   .   .   X   X   X
x/b  .   .   .   .   .   .   .   .   .
x/c  .   .   .   .   .   .   .   .   .
y/a  .   .   .   .   .   .   .   .   .
y/b  .   .   .   .   .   .   .   .   .
y/c  .   .   .   .   .   .   .   .   .
z/a  .   .   .   .   .   .   .   .   .
z/b  .   .   .   .   .   .   .   .   .
z/c  .   .   .   .   .   .   .   .   .
"""

EGRESS_TO_Y_DEFAULTED_TABLE = f"""
    {HEADER}
x/a  X   X   X   .   .   .   X   X   X
x/b  X   .   .   .   .   .   .   .   .
x/c  X   .   .   .   .   .   .   .   .
y/a  X   .   .   .   .   .   .   .   .
y/b  X   .   .   .   .   .   .   .   .
y/c  X   .   .   .   .   .   .   .   .
z/a  X   .   .   .   .   .   .   .   .
z/b  X   .   .   .   .   .   .   .   .
z/c  X   .   .   .   .   .   .   .   .
"""

# policyTypes omitted with egress rules: the API server defaults to [Ingress, Egress], so x/a is
# also isolated for ingress (no ingress rules: nothing may reach it).
ONE_PEER = knp("one-peer", "x", {
    "podSelector": pod_is("a"),
    "ingress": [{"from": [{"namespaceSelector": ns_is("y"), "podSelector": pod_is("c")}]}],
    "policyTypes": ["Ingress"]})
TWO_PEERS = knp("two-peers", "x", {
    "podSelector": pod_is("a"),
    "ingress": [{"from": [{"namespaceSelector": ns_is("y")}, {"podSelector": pod_is("c")}]}],
    "policyTypes": ["Ingress"]})
POD_B_TO_X_A = knp("allow-b-to-a", "x", {
    "podSelector": pod_is("a"), "ingress": [{"from": [{"podSelector": pod_is("b")}]}],
    "policyTypes": ["Ingress"]})
EGRESS_TO_Y_NO_TYPES = knp("no-types-egress", "x", {
    "podSelector": pod_is("a"), "egress": [{"to": [{"namespaceSelector": ns_is("y")}]}]})
EGRESS_TO_Y = knp("egress-y", "x", {
    "podSelector": pod_is("a"), "egress": [{"to": [{"namespaceSelector": ns_is("y")}]}],
    "policyTypes": ["Egress"]})

CANONICAL_TABLES = [
    pytest.param([DENY_ALL_INGRESS_X], DENY_INGRESS_X_TABLE, id="deny-ingress-x"),
    pytest.param([DENY_ALL_EGRESS_X], DENY_EGRESS_X_TABLE, id="deny-egress-x"),
    pytest.param([POD_B_TO_X_A], POD_B_TO_X_A_TABLE, id="pod-b-to-x-a"),
    pytest.param([ONE_PEER], ONE_PEER_TABLE, id="namespace-and-pod-one-peer"),
    pytest.param([TWO_PEERS], TWO_PEERS_TABLE, id="namespace-or-pod-two-peers"),
    pytest.param([EGRESS_TO_Y], EGRESS_TO_Y_TABLE, id="egress-to-y"),
    pytest.param([EGRESS_TO_Y_NO_TYPES], EGRESS_TO_Y_DEFAULTED_TABLE, id="egress-to-y-policytypes-omitted"),
]
CANONICAL_ENGINE = CANONICAL_TABLES


@pytest.mark.parametrize(("policies", "table"), CANONICAL_TABLES)
def test_reference_model_reproduces_hand_written_tables(policies: list[dict[str, object]],
                                                        table: str) -> None:
    cluster = xyz_cluster()
    assert reference_matrix(cluster, policies, 80) == parse_truth_table(table)


@pytest.mark.parametrize(("policies", "table"), CANONICAL_ENGINE)
def test_simulate_reproduces_hand_written_tables(policies: list[dict[str, object]], table: str,
                                                 tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    cluster = xyz_cluster()
    run = Simulator(tmp_path, capsys).run(policies, cluster, all_pairs(cluster, 80))
    assert_matrix(parse_truth_table(table), matrix_of(run), cluster, "hand-written table")


def test_icmp_matches_only_rules_without_ports(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    """A rule with ports matches only its protocols; a rule without ports matches ICMP too."""
    cluster = xyz_cluster()
    policy = knp("icmp", "x", {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [
        {"ports": [{"port": 80}]}, {"from": [{"namespaceSelector": ns_is("y")}]}]})
    probes = [Probe("y/a", "x/a", None, "ICMP"), Probe("z/a", "x/a", None, "ICMP"),
              Probe("z/a", "x/a", 80), Probe(EXTERNAL_IP, "x/b", None, "ICMP")]
    run = Simulator(tmp_path, capsys).run([policy], cluster, probes)
    assert run.exit_code == 0, run.stderr
    assert [r["verdict"] for r in run.rows] == ["allow", "deny", "allow", "deny"]


def test_probe_label_spec_and_unknown_pod(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    """`ns/label=value` probe ends, and an unknown pod reported (not dropped) with an error."""
    cluster = xyz_cluster()
    run = Simulator(tmp_path, capsys).run([POD_B_TO_X_A], cluster, [
        Probe("x/pod=b", "x/pod=a", 80), Probe("x/pod=c", "x/a", 80), Probe("x/ghost", "x/a", 80)])
    assert [r["verdict"] for r in run.rows] == ["allow", "deny", None]
    assert run.rows[2]["error"] == "no endpoint in the inventory matches pod x/ghost"


def test_undeclared_named_port_matches_nothing_and_warns(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cluster = xyz_cluster()
    policy = knp("ghost-port", "x", {"podSelector": {}, "policyTypes": ["Ingress"],
                                     "ingress": [{"ports": [{"port": "no-such-port"}]}]})
    run = Simulator(tmp_path, capsys).run([policy], cluster, [Probe("y/a", "x/a", 80),
                                                              Probe("y/a", "y/b", 80)])
    assert [r["verdict"] for r in run.rows] == ["deny", "allow"]
    assert "ENG604" in run.stderr and "'no-such-port'" in run.stderr
