"""Calico rule matching (§3.5), end-of-tier attribution (§6.1), staged Kubernetes policies and
peer kinds the upstream suites never exercise (network sets, service accounts, Services, IPv6),
all through `tierguard simulate`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from .cluster import Probe, Run, Simulator, xyz_cluster
from .k8s_cases import knp, ns_is
from .test_admin_conformance import anp, in_ns, rule
from .test_calico_specific import app_cluster, brief, calico, tier

PROFILE_APP = ["0|__PROFILE__|pro:kns.app|allow|0"]

EXTRA_INVENTORY: list[dict[str, Any]] = [
    {"apiVersion": "v1", "kind": "ServiceAccount",
     "metadata": {"name": "robot", "namespace": "app", "labels": {"trust": "high"}}},
    {"apiVersion": "v1", "kind": "Pod",
     "metadata": {"name": "job", "namespace": "app", "labels": {"app": "job"}},
     "spec": {"serviceAccountName": "robot", "containers": [{"name": "c", "image": "i"}]},
     "status": {"phase": "Running", "podIP": "10.0.0.40",
                "podIPs": [{"ip": "10.0.0.40"}, {"ip": "fd00::40"}]}},
    {"apiVersion": "v1", "kind": "Pod",
     "metadata": {"name": "dual", "namespace": "app", "labels": {"app": "dual"}},
     "spec": {"serviceAccountName": "default", "containers": [
         {"name": "c", "image": "i", "ports": [{"name": "http", "containerPort": 8080}]}]},
     "status": {"phase": "Running", "podIP": "10.0.0.50",
                "podIPs": [{"ip": "10.0.0.50"}, {"ip": "fd00::50"}]}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "dbsvc", "namespace": "app"},
     "spec": {"clusterIP": "10.96.0.10", "selector": {"app": "db"},
              "ports": [{"name": "pg", "port": 5432, "targetPort": 5432, "protocol": "TCP"}]}},
    {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
     "metadata": {"name": "dbsvc-1", "namespace": "app",
                  "labels": {"kubernetes.io/service-name": "dbsvc"}},
     "addressType": "IPv4", "endpoints": [{"addresses": ["10.0.0.30"], "conditions": {"ready": True}}],
     "ports": [{"name": "pg", "port": 5432, "protocol": "TCP"}]},
]


def simulate(tmp_path: Path, capsys: pytest.CaptureFixture[str],
             policies: Sequence[Mapping[str, Any]], probes: Sequence[Probe], *flags: str) -> Run:
    run = Simulator(tmp_path, capsys).run(policies, app_cluster(), probes, *flags,
                                          extra_inventory=EXTRA_INVENTORY)
    assert run.exit_code == 0, run.stderr
    return run


def verdicts(run: Run) -> list[object]:
    return [r["verdict"] for r in run.rows]


def np_app(name: str, spec: Mapping[str, Any]) -> dict[str, Any]:
    return calico("NetworkPolicy", name, spec, "app")


def test_end_of_tier_attribution_enforced_last_pending_first(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """§6.1: the dataplane names the last applicable policy, the checker the first."""
    def gnp(name: str, order: int, nets: str) -> dict[str, Any]:
        return calico("GlobalNetworkPolicy", name, {
            "tier": "t1", "order": order, "selector": "app == 'db'", "types": ["Ingress"],
            "ingress": [{"action": "Allow", "source": {"nets": [nets]}}]})
    run = simulate(tmp_path, capsys, [tier("t1", 10), gnp("p1", 1, "10.9.0.0/16"),
                                      gnp("p2", 2, "10.8.0.0/16")],
                   [Probe("app/client", "app/db", 80)])
    assert brief(run.rows[0]) == ("deny", "deny", PROFILE_APP, ["0|t1|gnp:p2|deny|-1"],
                                  PROFILE_APP, ["0|t1|gnp:p1|deny|-1"])


def test_end_of_tier_attribution_between_kubernetes_policies(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policies = [knp("k1", "app", {"podSelector": {"matchLabels": {"app": "db"}},
                                  "policyTypes": ["Ingress"],
                                  "ingress": [{"from": [{"podSelector": {"matchLabels":
                                                                         {"app": "web"}}}]}]}),
                knp("k2", "app", {"podSelector": {}, "policyTypes": ["Ingress"]})]
    run = simulate(tmp_path, capsys, policies, [Probe("app/client", "app/db", 80)])
    assert brief(run.rows[0]) == ("deny", "deny", PROFILE_APP, ["0|default|knp:app/k2|deny|-1"],
                                  PROFILE_APP, ["0|default|knp:app/k1|deny|-1"])


def test_staged_hits_are_not_numbered_in_the_enforced_trace(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policies = [tier("t1", 10),
                calico("StagedGlobalNetworkPolicy", "s0", {
                    "tier": "t1", "order": 0, "selector": "app == 'db'", "types": ["Ingress"],
                    "ingress": [{"action": "Deny"}]}),
                calico("GlobalNetworkPolicy", "p1", {
                    "tier": "t1", "order": 1, "selector": "app == 'db'", "types": ["Ingress"],
                    "ingress": [{"action": "Pass"}]})]
    run = simulate(tmp_path, capsys, policies, [Probe("app/client", "app/db", 80)])
    assert brief(run.rows[0]) == (
        "allow", "deny", PROFILE_APP, ["0|t1|gnp:p1|pass|0", "1|__PROFILE__|pro:kns.app|allow|0"],
        PROFILE_APP, ["0|t1|sgnp:s0|deny|0"])


STAGED_KNP = {"apiVersion": "projectcalico.org/v3", "kind": "StagedKubernetesNetworkPolicy",
              "metadata": {"name": "sk", "namespace": "app"},
              "spec": {"podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Ingress"],
                       "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}]}}


@pytest.mark.parametrize(("flags", "profile", "deny_hit", "allow_hit"), [
    ((), "0|__PROFILE__|pro:kns.app|allow|0", "0|default|sknp:app/sk|deny|-1",
     "0|default|sknp:app/sk|allow|0"),
    (("--calico-version", "3.31"), "0|__PROFILE__|__PROFILE__.kns.app|allow|0",
     "0|default|app/staged:knp.default.sk|deny|-1", "0|default|app/staged:knp.default.sk|allow|0"),
    (("--calico-version", "3.31", "--edition", "enterprise"),
     "0|__PROFILE__|__PROFILE__.kns.app|allow|0",
     "0|default|app/staged:knp.default.sk|deny|-1", "0|default|app/staged:knp.default.sk|allow|0"),
], ids=["3.32", "3.31", "enterprise"])
def test_staged_kubernetes_policy_pending_only(flags: tuple[str, ...], profile: str,
                                               deny_hit: str, allow_hit: str, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    run = simulate(tmp_path, capsys, [STAGED_KNP], [Probe("app/client", "app/db", 80),
                                                    Probe("app/web", "app/db", 80)], *flags)
    assert [brief(r) for r in run.rows] == [
        ("allow", "deny", [profile], [profile], [profile], [deny_hit]),
        ("allow", "allow", [profile], [profile], [profile], [allow_hit])]


def test_rule_negations_and_ip_version(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    policy = np_app("neg", {"selector": "app == 'db'", "types": ["Ingress"], "ingress": [
        {"action": "Deny", "protocol": "TCP", "source": {"notNets": ["10.0.1.0/24"]},
         "destination": {"notPorts": [80]}},
        {"action": "Deny", "notProtocol": "TCP"},
        {"action": "Allow", "ipVersion": 6},
        {"action": "Allow", "protocol": "tcp", "source": {"nets": ["10.0.1.0/24"]}}]})
    run = simulate(tmp_path, capsys, [policy], [
        Probe("app/client", "app/db", 81), Probe("app/client", "app/db", 80),
        Probe("other/client", "app/db", 81), Probe("other/client", "app/db", 80, "UDP"),
        Probe("other/web", "app/db", 80)])
    assert [r["enforced_policies"]["dst"] for r in run.rows] == [  # type: ignore[index]
        ["0|default|np:app/neg|deny|0"], ["0|default|np:app/neg|deny|-1"],
        ["0|default|np:app/neg|allow|3"], ["0|default|np:app/neg|deny|1"],
        ["0|default|np:app/neg|allow|3"]]


def test_selector_versus_not_selector_for_external_sources(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """§3.5: `selector: !has(x)` excludes non-Calico sources, `notSelector: has(x)` admits them."""
    policies = [calico("GlobalNetworkPolicy", "sel", {
                    "selector": "app == 'db'", "types": ["Ingress"],
                    "ingress": [{"action": "Allow", "source": {"selector": "!has(zz)"}}]}),
                calico("GlobalNetworkPolicy", "notsel", {
                    "selector": "app == 'web'", "types": ["Ingress"],
                    "ingress": [{"action": "Allow", "source": {"notSelector": "has(zz)"}}]})]
    run = simulate(tmp_path, capsys, policies, [
        Probe("203.0.113.9", "app/db", 80), Probe("203.0.113.9", "app/web", 80),
        Probe("other/client", "app/db", 80)])
    assert verdicts(run) == ["deny", "allow", "allow"]


def test_named_port_restricted_to_destination_selector(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = np_app("named", {"selector": "app == 'client'", "types": ["Egress"], "egress": [
        {"action": "Allow", "protocol": "TCP",
         "destination": {"selector": "app == 'db'", "ports": ["postgres"]}}]})
    run = simulate(tmp_path, capsys, [policy], [
        Probe("app/client", "app/db", 5432), Probe("app/client", "app/web", 5432),
        Probe("app/client", "app/db", 80)])
    assert verdicts(run) == ["allow", "deny", "deny"]


def test_service_accounts_in_rules_and_policy_selector(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policies = [np_app("sa-rule", {"selector": "app == 'db'", "types": ["Ingress"], "ingress": [
                    {"action": "Allow", "source": {"serviceAccounts": {"selector": "trust == 'high'"}}},
                    {"action": "Allow", "source": {"serviceAccounts": {"names": ["nobody"]}}}]}),
                np_app("sa-policy", {"serviceAccountSelector": "trust == 'high'",
                                     "types": ["Egress"],
                                     "egress": [{"action": "Deny", "destination": {
                                         "selector": "app == 'web'"}}, {"action": "Allow"}]})]
    run = simulate(tmp_path, capsys, policies, [
        Probe("app/job", "app/db", 80), Probe("app/client", "app/db", 80),
        Probe("app/job", "app/web", 80), Probe("app/client", "app/web", 80)])
    assert verdicts(run) == ["allow", "deny", "deny", "allow"]


def test_services_match_backends_not_cluster_ip(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    policies = [np_app("to-db", {"selector": "app == 'client'", "types": ["Egress"], "egress": [
                    {"action": "Allow", "destination": {"services": {"name": "dbsvc"}}}]}),
                np_app("from-db", {"selector": "app == 'web'", "types": ["Ingress"], "ingress": [
                    {"action": "Allow", "source": {"services": {"name": "dbsvc"}}}]})]
    run = simulate(tmp_path, capsys, policies, [
        Probe("app/client", "app/db", 5432), Probe("app/client", "app/db", 80),
        Probe("app/client", "10.96.0.10", 5432), Probe("app/db", "app/web", 1234),
        Probe("app/job", "app/web", 1234)])
    assert verdicts(run) == ["allow", "deny", "deny", "allow", "deny"]


def test_ip_families(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """v4-only nets never match IPv6 packets; named ports resolve for both families."""
    policies = [np_app("v4", {"selector": "app == 'dual'", "types": ["Ingress"], "ingress": [
                    {"action": "Allow", "source": {"nets": ["10.0.0.0/8"]}}]}),
                knp("named", "app", {"podSelector": {"matchLabels": {"app": "dual"}},
                                     "policyTypes": ["Ingress"],
                                     "ingress": [{"from": [{"ipBlock": {"cidr": "fd00::/64"}}],
                                                  "ports": [{"port": "http"}]}]})]
    run = simulate(tmp_path, capsys, policies, [
        Probe("10.0.0.40", "10.0.0.50", 8080), Probe("fd00::40", "fd00::50", 8080),
        Probe("fd00::40", "fd00::50", 9090)])
    assert [(r["verdict"], r["enforced_policies"]["dst"]) for r in run.rows] == [  # type: ignore[index]
        ("allow", ["0|default|np:app/v4|allow|0"]),  # KNP (order 1000) first, then nil order
        ("allow", ["0|default|knp:app/named|allow|0"]),
        ("deny", ["0|default|np:app/v4|deny|-1"])]


NETWORK_SET = {"apiVersion": "projectcalico.org/v3", "kind": "NetworkSet",
               "metadata": {"name": "partners", "namespace": "y", "labels": {"kind": "partner"}},
               "spec": {"nets": ["198.51.100.0/24"]}}


def test_network_sets_match_admin_namespace_peers_but_not_kubernetes_peers(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """§1.9: a KNP namespaceSelector peer keeps the orchestrator clause (pods only); §1.10: an
    ANP `namespaces` peer is a namespaceSelector alone, so NetworkSets of the namespace match."""
    cluster = xyz_cluster()
    sim = Simulator(tmp_path, capsys)
    from_y = knp("from-y", "x", {"podSelector": {}, "policyTypes": ["Ingress"],
                                 "ingress": [{"from": [{"namespaceSelector": ns_is("y")}]}]})
    run = sim.run([NETWORK_SET, from_y], cluster, [Probe("198.51.100.5", "x/a", 80),
                                                   Probe("y/a", "x/a", 80)])
    assert [r["verdict"] for r in run.rows] == ["deny", "allow"]
    deny_y = anp("deny-y", 1, in_ns("x"), [rule("deny-y", "Deny", [in_ns("y")])])
    run = sim.run([NETWORK_SET, deny_y], cluster, [Probe("198.51.100.5", "x/a", 80),
                                                   Probe("203.0.113.9", "x/a", 80)],
                  "--calico-version", "3.31")
    assert [r["verdict"] for r in run.rows] == ["deny", "allow"]


def test_global_policy_selects_by_inherited_namespace_labels(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policies = [calico("GlobalNetworkPolicy", "by-pcns", {
                    "selector": "pcns.env == 'prod'", "types": ["Ingress"],
                    "ingress": [{"action": "Deny", "source": {
                        "namespaceSelector": "projectcalico.org/name == 'other'"}},
                                {"action": "Allow"}]})]
    run = simulate(tmp_path, capsys, policies, [
        Probe("other/client", "app/db", 80), Probe("app/client", "app/db", 80),
        Probe("app/client", "other/web", 80)])
    assert verdicts(run) == ["deny", "allow", "allow"]
