"""Calico-specific behaviour through `tierguard simulate`: the worked examples E1-E5 of
calico-semantics §3.7 with Format B hit strings, tiers with Pass / defaultAction Pass, staged
policies' pending verdicts (§5) and the version-dependent tie-breaks of §3.3."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from .cluster import Cluster, ContainerPort, Namespace, Pod, Probe, Run, Simulator
from .k8s_cases import knp

TCP = (ContainerPort("postgres", 5432, "TCP"), ContainerPort("http", 80, "TCP"))


def app_cluster() -> Cluster:
    def pod(ns: str, name: str, ip: str, **labels: str) -> Pod:
        return Pod(ns, name, labels, ip, TCP)

    return Cluster(
        (Namespace("app", {"env": "prod", "kubernetes.io/metadata.name": "app"}),
         Namespace("other", {"kubernetes.io/metadata.name": "other"})),
        (pod("app", "client", "10.0.0.10", app="client", role="bastion"),
         pod("app", "web", "10.0.0.20", app="web"),
         pod("app", "db", "10.0.0.30", app="db"),
         pod("other", "client", "10.0.1.10", app="client"),
         pod("other", "web", "10.0.1.20", app="web")))


def calico(kind: str, name: str, spec: Mapping[str, Any], namespace: str | None = None
           ) -> dict[str, Any]:
    metadata: dict[str, Any] = {"name": name}
    if namespace is not None:
        metadata["namespace"] = namespace
    return {"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": metadata,
            "spec": dict(spec)}


def tier(name: str, order: float | None, default_action: str = "Deny") -> dict[str, Any]:
    spec: dict[str, Any] = {"defaultAction": default_action}
    if order is not None:
        spec["order"] = order
    return calico("Tier", name, spec)


DB_INGRESS = knp("db-ingress", "app", {
    "podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Ingress"],
    "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "client"}}}],
                 "ports": [{"port": 5432}]}]})
PLATFORM_BASE = calico("GlobalNetworkPolicy", "platform-base", {
    "tier": "platform", "selector": "has(projectcalico.org/namespace)", "types": ["Ingress"],
    "ingress": [{"action": "Deny", "source": {"nets": ["10.99.0.0/16"]}}, {"action": "Pass"}]})
LOCKDOWN = calico("StagedNetworkPolicy", "lockdown", {
    "tier": "default", "order": 100, "selector": "app == 'db'",
    "ingress": [{"action": "Allow", "source": {"selector": "app == 'web'"}}]}, "app")


def simulate(tmp_path: Path, capsys: pytest.CaptureFixture[str],
             policies: Sequence[Mapping[str, Any]], probes: Sequence[Probe], *flags: str) -> Run:
    run = Simulator(tmp_path, capsys).run(policies, app_cluster(), probes, *flags)
    assert run.exit_code == 0, run.stderr
    return run


def brief(row: Mapping[str, Any]) -> tuple[object, ...]:
    """verdict, pending verdict, enforced src/dst hits, pending src/dst hits."""
    enforced, pending = row["enforced_policies"], row["pending_policies"]
    return (row["verdict"], row["pending_verdict"], enforced["src"], enforced["dst"],
            pending["src"], pending["dst"])


PROFILE_APP = ["0|__PROFILE__|pro:kns.app|allow|0"]


def test_e1_kubernetes_network_policy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = simulate(tmp_path, capsys, [DB_INGRESS], [
        Probe("app/client", "app/db", 5432), Probe("app/client", "app/db", 80),
        Probe("203.0.113.7", "app/db", 5432), Probe("other/client", "app/db", 5432)])
    knp_allow, knp_deny = ["0|default|knp:app/db-ingress|allow|0"], \
        ["0|default|knp:app/db-ingress|deny|-1"]
    assert [brief(r) for r in run.rows] == [
        ("allow", "allow", PROFILE_APP, knp_allow, PROFILE_APP, knp_allow),
        ("deny", "deny", PROFILE_APP, knp_deny, PROFILE_APP, knp_deny),
        ("deny", "deny", None, knp_deny, None, knp_deny),
        ("deny", "deny", ["0|__PROFILE__|pro:kns.other|allow|0"], knp_deny,
         ["0|__PROFILE__|pro:kns.other|allow|0"], knp_deny)]


@pytest.mark.parametrize(("extra_rules", "default_action", "source", "verdict", "dst"), [
    ([{"action": "Pass"}], "Deny", "10.1.2.3", "allow",
     ["0|platform|gnp:platform-base|pass|1", "1|__PROFILE__|pro:kns.app|allow|0"]),
    ([{"action": "Pass"}], "Deny", "10.99.1.1", "deny", ["0|platform|gnp:platform-base|deny|0"]),
    ([], "Deny", "10.1.2.3", "deny", ["0|platform|gnp:platform-base|deny|-1"]),
    ([], "Pass", "10.1.2.3", "allow",
     ["0|platform|gnp:platform-base|pass|-1", "1|__PROFILE__|pro:kns.app|allow|0"]),
], ids=["pass-rule", "deny-rule", "end-of-tier-deny", "end-of-tier-pass"])
def test_e2_tier_pass_and_default_action(extra_rules: list[dict[str, Any]], default_action: str,
                                         source: str, verdict: str, dst: list[str],
                                         tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    policy = calico("GlobalNetworkPolicy", "platform-base", {
        "tier": "platform", "selector": "has(projectcalico.org/namespace)", "types": ["Ingress"],
        "ingress": [{"action": "Deny", "source": {"nets": ["10.99.0.0/16"]}}, *extra_rules]})
    run = simulate(tmp_path, capsys, [tier("platform", 100, default_action), policy],
                   [Probe(source, "app/web", 80)])
    assert brief(run.rows[0]) == (verdict, verdict, None, dst, None, dst)


def test_e2_pass_then_kubernetes_policy(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    run = simulate(tmp_path, capsys, [tier("platform", 100), PLATFORM_BASE, DB_INGRESS],
                   [Probe("app/client", "app/db", 5432), Probe("app/web", "app/db", 5432)])
    assert [brief(r)[:4] for r in run.rows] == [
        ("allow", "allow", PROFILE_APP,
         ["0|platform|gnp:platform-base|pass|1", "1|default|knp:app/db-ingress|allow|0"]),
        ("deny", "deny", PROFILE_APP,
         ["0|platform|gnp:platform-base|pass|1", "1|default|knp:app/db-ingress|deny|-1"])]


def test_e3_staged_policy_alongside_enforced(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    run = simulate(tmp_path, capsys, [DB_INGRESS, LOCKDOWN], [
        Probe("app/client", "app/db", 5432), Probe("app/web", "app/db", 5432)])
    knp_allow, knp_deny = ["0|default|knp:app/db-ingress|allow|0"], \
        ["0|default|knp:app/db-ingress|deny|-1"]
    assert [brief(r) for r in run.rows] == [
        ("allow", "allow", PROFILE_APP, knp_allow, PROFILE_APP, knp_allow),
        ("deny", "allow", PROFILE_APP, knp_deny, PROFILE_APP,
         ["0|default|snp:app/lockdown|allow|0"])]


def test_e3_staged_only_tier_denies_in_pending(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    run = simulate(tmp_path, capsys, [LOCKDOWN], [Probe("app/client", "app/db", 5432)])
    assert brief(run.rows[0]) == ("allow", "deny", PROFILE_APP, PROFILE_APP, PROFILE_APP,
                                  ["0|default|snp:app/lockdown|deny|-1"])


@pytest.mark.parametrize("staged_action", ["Set", "Learn", "Ignore"])
def test_staged_actions_evaluated_like_set(staged_action: str, tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    policy = calico("StagedGlobalNetworkPolicy", "quarantine", {
        "stagedAction": staged_action, "tier": "default", "order": 10,
        "selector": "app == 'web'", "types": ["Egress"], "egress": [{"action": "Deny"}]})
    run = simulate(tmp_path, capsys, [policy], [Probe("app/web", "app/db", 80)])
    assert brief(run.rows[0]) == ("allow", "deny", PROFILE_APP, PROFILE_APP,
                                  ["0|default|sgnp:quarantine|deny|0"], None)


def test_staged_delete_is_not_evaluated(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    """§5.1: a staged Delete is never sent to felix, so pending equals enforced."""
    delete = {"apiVersion": "projectcalico.org/v3", "kind": "StagedKubernetesNetworkPolicy",
              "metadata": {"name": "db-ingress", "namespace": "app"},
              "spec": {"stagedAction": "Delete"}}
    run = simulate(tmp_path, capsys, [DB_INGRESS, delete], [Probe("app/web", "app/db", 5432)])
    knp_deny = ["0|default|knp:app/db-ingress|deny|-1"]
    assert brief(run.rows[0]) == ("deny", "deny", PROFILE_APP, knp_deny, PROFILE_APP, knp_deny)


NOT_WEB = {"action": "Allow", "source": {"notSelector": "app == 'web'"}}


@pytest.mark.parametrize(("kind", "namespace", "expected"), [
    ("NetworkPolicy", "app", ["allow", "deny", "deny", "deny", "deny"]),
    ("GlobalNetworkPolicy", None, ["allow", "deny", "allow", "deny", "allow"]),
], ids=["namespaced", "global"])
def test_e4_not_selector_scoping(kind: str, namespace: str | None, expected: list[str],
                                 tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = calico(kind, "not-web", {"selector": "app == 'db'", "types": ["Ingress"],
                                      "ingress": [NOT_WEB]}, namespace)
    run = simulate(tmp_path, capsys, [policy], [
        Probe("app/client", "app/db", 80), Probe("app/web", "app/db", 80),
        Probe("other/client", "app/db", 80), Probe("other/web", "app/db", 80),
        Probe("203.0.113.7", "app/db", 80)])
    assert [r["verdict"] for r in run.rows] == expected


@pytest.mark.parametrize(("namespace_selector", "expected"), [
    ("env == 'prod'", ["deny", "allow"]),
    ("all()", ["deny", "deny"]),
], ids=["env-prod", "all"])
def test_e5_global_policy_namespace_selector(namespace_selector: str, expected: list[str],
                                             tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    policy = calico("GlobalNetworkPolicy", "web-lock", {
        "selector": "app == 'web'", "namespaceSelector": namespace_selector,
        "types": ["Ingress"], "ingress": [{"action": "Deny"}]})
    run = simulate(tmp_path, capsys, [policy], [Probe("app/client", "app/web", 80),
                                                Probe("app/client", "other/web", 80)])
    assert [r["verdict"] for r in run.rows] == expected


def test_e5_global_namespace_selector_in_rule(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    bastions = calico("GlobalNetworkSet", "bastions", {"nets": ["198.51.100.0/24"]})
    bastions["metadata"]["labels"] = {"role": "bastion"}
    policy = calico("NetworkPolicy", "from-bastion", {
        "selector": "app == 'db'", "types": ["Ingress"],
        "ingress": [{"action": "Allow", "source": {"namespaceSelector": "global()",
                                                   "selector": "role == 'bastion'"}}]}, "app")
    run = simulate(tmp_path, capsys, [bastions, policy], [
        Probe("198.51.100.5", "app/db", 22), Probe("203.0.113.9", "app/db", 22),
        Probe("app/client", "app/db", 22)])  # app/client is labelled role=bastion but namespaced
    assert [r["verdict"] for r in run.rows] == ["allow", "deny", "deny"]
    assert run.rows[0]["enforced_policies"]["dst"] == [  # type: ignore[index]
        "0|default|np:app/from-bastion|allow|0"]


def test_tier_order_then_name_and_log_action(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    """Equal tier orders sort by name; Log keeps scanning; a nil-order tier comes last."""
    def gnp(name: str, tier_name: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
        return calico("GlobalNetworkPolicy", name, {"tier": tier_name, "selector": "app == 'db'",
                                                    "types": ["Ingress"], "ingress": rules})
    policies = [tier("b-tier", 50), tier("a-tier", 50), tier("last", None),
                gnp("b-allow", "b-tier", [{"action": "Allow"}]),
                gnp("a-log-deny", "a-tier", [{"action": "Log"},
                                             {"action": "Deny", "source": {"nets": ["10.0.1.0/24"]}},
                                             {"action": "Pass"}]),
                gnp("last-deny", "last", [{"action": "Deny"}])]
    run = simulate(tmp_path, capsys, policies, [Probe("other/client", "app/db", 80),
                                                Probe("app/client", "app/db", 80)])
    assert [(r["verdict"], r["enforced_policies"]["dst"]) for r in run.rows] == [  # type: ignore[index]
        ("deny", ["0|a-tier|gnp:a-log-deny|deny|1"]),
        ("allow", ["0|a-tier|gnp:a-log-deny|pass|2", "1|b-tier|gnp:b-allow|allow|0"])]


def test_nil_order_tier_after_default_tier(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    policies = [tier("last", None),
                calico("GlobalNetworkPolicy", "last-deny", {
                    "tier": "last", "selector": "app == 'db'", "types": ["Ingress"],
                    "ingress": [{"action": "Deny"}]}),
                calico("NetworkPolicy", "pass-all", {
                    "tier": "default", "order": 1, "selector": "app == 'db'",
                    "types": ["Ingress"], "ingress": [{"action": "Pass"}]}, "app")]
    run = simulate(tmp_path, capsys, policies, [Probe("app/client", "app/db", 80)])
    assert run.rows[0]["enforced_policies"]["dst"] == [  # type: ignore[index]
        "0|default|np:app/pass-all|pass|0", "1|last|gnp:last-deny|deny|0"]


# --- version and edition tie-breaks (§3.3) -------------------------------------------------

def _same_order_pair(tier_name: str) -> list[dict[str, Any]]:
    name = f"{tier_name}.p"  # ≤3.31 requires the tier prefix outside the default tier
    spec = {"tier": tier_name, "order": 100, "selector": "app == 'db'", "types": ["Ingress"]}
    return [tier(tier_name, 200),
            calico("NetworkPolicy", name, {**spec, "ingress": [{"action": "Allow"}]}, "app"),
            calico("StagedNetworkPolicy", name, {**spec, "ingress": [{"action": "Deny"}]}, "app")]


@pytest.mark.parametrize(("tier_name", "flags", "pending"), [
    ("zeta", ("--calico-version", "3.32"), "allow"),   # enforced sorts first (kind compare)
    ("zeta", ("--calico-version", "3.31"), "deny"),    # "app/staged:zeta.p" < "app/zeta.p"
    ("alpha", ("--calico-version", "3.31"), "allow"),  # "app/alpha.p" < "app/staged:alpha.p"
    ("alpha", ("--calico-version", "3.32"), "allow"),
    ("alpha", ("--calico-version", "3.31", "--edition", "enterprise"), "deny"),  # staged first
    ("zeta", ("--calico-version", "3.31", "--edition", "enterprise"), "deny"),
])
def test_staged_versus_enforced_tie_break(tier_name: str, flags: tuple[str, ...], pending: str,
                                          tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    run = simulate(tmp_path, capsys, _same_order_pair(tier_name),
                   [Probe("app/client", "app/db", 80)], *flags)
    assert (run.rows[0]["verdict"], run.rows[0]["pending_verdict"]) == ("allow", pending)


@pytest.mark.parametrize(("flags", "verdict"), [
    (("--calico-version", "3.32"), "deny"),   # "t1.a//GlobalNetworkPolicy" < "t1.a/app/..."
    (("--calico-version", "3.31"), "allow"),  # "app/t1.a" < "t1.a"
    (("--calico-version", "3.31", "--edition", "enterprise"), "allow"),
])
def test_global_versus_namespaced_same_name_tie_break(flags: tuple[str, ...], verdict: str,
                                                      tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    spec = {"tier": "t1", "order": 5, "selector": "app == 'db'", "types": ["Ingress"]}
    policies = [tier("t1", 10),
                calico("GlobalNetworkPolicy", "t1.a", {**spec, "ingress": [{"action": "Deny"}]}),
                calico("NetworkPolicy", "t1.a", {**spec, "ingress": [{"action": "Allow"}]}, "app")]
    run = simulate(tmp_path, capsys, policies, [Probe("app/client", "app/db", 80)], *flags)
    assert run.rows[0]["verdict"] == verdict


def test_kubernetes_before_calico_policy_of_same_name_in_3_32(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """"p/app/KubernetesNetworkPolicy" < "p/app/NetworkPolicy" at equal order 1000."""
    policies = [
        knp("p", "app", {"podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Ingress"],
                         "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "client"}}}]}]}),
        calico("NetworkPolicy", "p", {"order": 1000, "selector": "app == 'db'",
                                      "types": ["Ingress"], "ingress": [{"action": "Deny"}]},
               "app")]
    run = simulate(tmp_path, capsys, policies, [Probe("app/client", "app/db", 80),
                                                Probe("app/web", "app/db", 80)])
    assert [(r["verdict"], r["enforced_policies"]["dst"]) for r in run.rows] == [  # type: ignore[index]
        ("allow", ["0|default|knp:app/p|allow|0"]),
        ("deny", ["0|default|np:app/p|deny|0"])]


def test_format_a_strings_for_3_31(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = simulate(tmp_path, capsys, [DB_INGRESS, LOCKDOWN], [Probe("app/web", "app/db", 5432)],
                   "--calico-version", "3.31")
    assert brief(run.rows[0]) == (
        "deny", "allow", ["0|__PROFILE__|__PROFILE__.kns.app|allow|0"],
        ["0|default|app/knp.default.db-ingress|deny|-1"],
        ["0|__PROFILE__|__PROFILE__.kns.app|allow|0"],
        ["0|default|app/default.staged:lockdown|allow|0"])
