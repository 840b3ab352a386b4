"""calico-semantics §3.7 E1-E5, reproduced exactly (OSS 3.32 Format B strings)."""

from __future__ import annotations

from engine_factory import ent, evaluator, hep, netset, packet, pod, policy, ports, rule, traces
from tierguard.engine.ir import Action, CompiledTier, PolicyKind, StagedAction

NS = {"env": "prod"}
CLIENT = pod("client-7d9f8b-abcde", "app", {"app": "client"}, "10.0.0.10", ns_labels=NS)
WEB = pod("web-5c6b7f-fghij", "app", {"app": "web"}, "10.0.0.20", ns_labels=NS)
DB = pod("db-5c6b7f-klmno", "app", {"app": "db"}, "10.0.0.30", ns_labels=NS)
OTHER = pod("client-1a2b3c-pqrst", "other", {"app": "client"}, "10.0.1.10")
PODS = [CLIENT, WEB, DB, OTHER]
PROFILE_ALLOW = ["0|__PROFILE__|pro:kns.app|allow|0"]

DB_INGRESS = policy(
    PolicyKind.KUBERNETES_NETWORK_POLICY, "db-ingress",
    "(projectcalico.org/orchestrator == 'k8s' && app == 'db') && projectcalico.org/namespace == 'app'",
    namespace="app", order=1000.0,
    ingress=[rule(Action.ALLOW, protocol=6, source=ent(
        selector="projectcalico.org/namespace == 'app' && "
                 "(projectcalico.org/orchestrator == 'k8s' && app == 'client')"),
        destination=ent(ports=ports(5432)))])


# E1 ---------------------------------------------------------------------------------------------

def test_e1_client_to_db_5432_allowed_by_knp_rule_0() -> None:
    ev = evaluator([DB_INGRESS], PODS)
    assert traces(ev, packet(ev, CLIENT, DB, 5432)) == (
        PROFILE_ALLOW, ["0|default|knp:app/db-ingress|allow|0"], "allow")


def test_e1_client_to_db_80_end_of_tier_deny_src_still_profile_allow() -> None:
    ev = evaluator([DB_INGRESS], PODS)
    assert traces(ev, packet(ev, CLIENT, DB, 80)) == (
        PROFILE_ALLOW, ["0|default|knp:app/db-ingress|deny|-1"], "deny")


def test_e1_external_to_db_5432_denied_selector_cannot_match_non_calico_ip() -> None:
    ev = evaluator([DB_INGRESS], PODS)
    assert traces(ev, packet(ev, "203.0.113.7", DB, 5432)) == (
        None, ["0|default|knp:app/db-ingress|deny|-1"], "deny")


# E2 ---------------------------------------------------------------------------------------------

def _platform(default_action: Action, with_pass: bool) -> tuple[object, CompiledTier]:
    tier = CompiledTier("platform", 100.0, default_action)
    ingress = [rule(Action.DENY, source=ent(nets=["10.99.0.0/16"]))]
    if with_pass:
        ingress.append(rule(Action.PASS))
    base = policy(PolicyKind.GLOBAL_NETWORK_POLICY, "platform-base",
                  "has(projectcalico.org/namespace)", tier="platform", ingress=ingress)
    return base, tier


def test_e2_pass_then_default_tier_skipped_then_profile() -> None:
    base, tier = _platform(Action.DENY, with_pass=True)
    ev = evaluator([base], PODS, tiers=[tier])  # type: ignore[list-item]
    assert traces(ev, packet(ev, "10.1.2.3", WEB, 80)) == (
        None, ["0|platform|gnp:platform-base|pass|1", "1|__PROFILE__|pro:kns.app|allow|0"], "allow")


def test_e2_denied_network() -> None:
    base, tier = _platform(Action.DENY, with_pass=True)
    ev = evaluator([base], PODS, tiers=[tier])  # type: ignore[list-item]
    assert traces(ev, packet(ev, "10.99.1.1", WEB, 80)) == (
        None, ["0|platform|gnp:platform-base|deny|0"], "deny")


def test_e2_only_deny_rule_end_of_tier_deny() -> None:
    base, tier = _platform(Action.DENY, with_pass=False)
    ev = evaluator([base], PODS, tiers=[tier])  # type: ignore[list-item]
    assert traces(ev, packet(ev, "10.1.2.3", WEB, 80)) == (
        None, ["0|platform|gnp:platform-base|deny|-1"], "deny")


def test_e2_only_deny_rule_tier_default_pass_continues() -> None:
    base, tier = _platform(Action.PASS, with_pass=False)
    ev = evaluator([base], PODS, tiers=[tier])  # type: ignore[list-item]
    assert traces(ev, packet(ev, "10.1.2.3", WEB, 80)) == (
        None, ["0|platform|gnp:platform-base|pass|-1", "1|__PROFILE__|pro:kns.app|allow|0"],
        "allow")


# E3 ---------------------------------------------------------------------------------------------

LOCKDOWN = policy(
    PolicyKind.STAGED_NETWORK_POLICY, "lockdown", "(app == 'db') && projectcalico.org/namespace == 'app'",
    namespace="app", order=100.0,
    ingress=[rule(Action.ALLOW, source=ent(
        selector="projectcalico.org/namespace == 'app' && (app == 'web')"))])
DELETE_DB_INGRESS = policy(PolicyKind.STAGED_KUBERNETES_NETWORK_POLICY, "db-ingress", "all()",
                           namespace="app", order=1000.0, staged_action=StagedAction.DELETE,
                           types=())


def test_e3_enforced_trace_ignores_staged() -> None:
    ev = evaluator([DB_INGRESS, LOCKDOWN], PODS)
    assert traces(ev, packet(ev, CLIENT, DB, 5432)) == (
        PROFILE_ALLOW, ["0|default|knp:app/db-ingress|allow|0"], "allow")


def test_e3_pending_evaluates_staged_alongside_not_instead() -> None:
    ev = evaluator([DB_INGRESS, LOCKDOWN], PODS)
    assert traces(ev, packet(ev, CLIENT, DB, 5432), "pending") == (
        PROFILE_ALLOW, ["0|default|knp:app/db-ingress|allow|0"], "allow")


def test_e3_staged_only_tier_pending_end_of_tier_deny_enforced_profile_allow() -> None:
    ev = evaluator([LOCKDOWN], PODS)
    pkt = packet(ev, CLIENT, DB, 5432)
    assert traces(ev, pkt, "pending") == (
        PROFILE_ALLOW, ["0|default|snp:app/lockdown|deny|-1"], "deny")
    assert traces(ev, pkt, "enforced") == (PROFILE_ALLOW, PROFILE_ALLOW, "allow")


def test_e3_replace_preview_staged_delete_removes_enforced_namesake() -> None:
    ev = evaluator([DB_INGRESS, LOCKDOWN, DELETE_DB_INGRESS], PODS)
    pkt = packet(ev, CLIENT, DB, 5432)
    # Calico's pending view never evaluates Delete: the KNP still allows.
    assert traces(ev, pkt, "pending")[1:] == (["0|default|knp:app/db-ingress|allow|0"], "allow")
    # Our replace preview removes db-ingress, so lockdown's end of tier denies.
    assert traces(ev, pkt, "replace") == (
        PROFILE_ALLOW, ["0|default|snp:app/lockdown|deny|-1"], "deny")
    assert traces(ev, packet(ev, WEB, DB, 5432), "replace") == (
        PROFILE_ALLOW, ["0|default|snp:app/lockdown|allow|0"], "allow")


# E4 ---------------------------------------------------------------------------------------------

def _not_web(kind: PolicyKind) -> object:
    namespaced = kind is PolicyKind.NETWORK_POLICY
    source = ent(selector="projectcalico.org/namespace == 'app'" if namespaced else None,
                 not_selector="app == 'web'")
    return policy(kind, "not-web", "app == 'db'" + (" && projectcalico.org/namespace == 'app'"
                                                     if namespaced else ""),
                  namespace="app" if namespaced else "", order=10.0,
                  ingress=[rule(Action.ALLOW, source=source)])


def test_e4_namespaced_not_selector_scoped_to_policy_namespace() -> None:
    ev = evaluator([_not_web(PolicyKind.NETWORK_POLICY)], PODS)  # type: ignore[list-item]
    allowed = ["0|default|np:app/not-web|allow|0"]
    denied = ["0|default|np:app/not-web|deny|-1"]
    assert traces(ev, packet(ev, CLIENT, DB, 80))[1:] == (allowed, "allow")
    assert traces(ev, packet(ev, WEB, DB, 80))[1:] == (denied, "deny")
    assert traces(ev, packet(ev, OTHER, DB, 80))[1:] == (denied, "deny")
    assert traces(ev, packet(ev, "198.51.100.4", DB, 80))[1:] == (denied, "deny")


def test_e4_global_not_selector_admits_external_and_other_namespaces() -> None:
    ev = evaluator([_not_web(PolicyKind.GLOBAL_NETWORK_POLICY)], PODS)  # type: ignore[list-item]
    allowed = ["0|default|gnp:not-web|allow|0"]
    assert traces(ev, packet(ev, CLIENT, DB, 80))[1:] == (allowed, "allow")
    assert traces(ev, packet(ev, OTHER, DB, 80))[1:] == (allowed, "allow")
    assert traces(ev, packet(ev, "198.51.100.4", DB, 80))[1:] == (allowed, "allow")
    assert traces(ev, packet(ev, WEB, DB, 80))[1:] == (["0|default|gnp:not-web|deny|-1"], "deny")


# E5 ---------------------------------------------------------------------------------------------

WEB_DEV = pod("web-0a0b0c-uvwxy", "dev", {"app": "web"}, "10.0.2.20", ns_labels={"env": "dev"})
WEB_HEP = hep("node-1-eth0", {"app": "web"}, "192.168.0.1", node="node-1")
BASTION_HEP = hep("bastion-eth0", {"role": "bastion"}, "192.168.0.9", node="bastion",
                  profiles=["projectcalico-default-allow"])
BASTION_POD = pod("bastion-0a0b0c-zzzzz", "app", {"role": "bastion"}, "10.0.0.99", ns_labels=NS)
BASTION_SET = netset("bastions", "", {"role": "bastion"}, "172.20.0.0/16")


def test_e5_namespace_selector_prefixed_with_pcns() -> None:
    gnp = policy(PolicyKind.GLOBAL_NETWORK_POLICY, "web-prod", '(app == "web") && pcns.env == "prod"',
                 ingress=[rule(Action.DENY)])
    ev = evaluator([gnp], [WEB, WEB_DEV, CLIENT])
    assert traces(ev, packet(ev, CLIENT, WEB, 80))[1:] == (
        ["0|default|gnp:web-prod|deny|0"], "deny")
    assert traces(ev, packet(ev, CLIENT, WEB_DEV, 80))[1:] == (
        ["0|__PROFILE__|pro:kns.dev|allow|0"], "allow")


def test_e5_namespace_selector_all_excludes_host_endpoints() -> None:
    gnp = policy(PolicyKind.GLOBAL_NETWORK_POLICY, "web-all",
                 '(app == "web") && has(projectcalico.org/namespace)', ingress=[rule(Action.DENY)])
    ev = evaluator([gnp], [WEB, WEB_HEP, CLIENT])
    assert traces(ev, packet(ev, CLIENT, WEB, 80))[2] == "deny"
    # The HEP is not selected: no policy, no profile -> the no-match profile deny.
    assert traces(ev, packet(ev, CLIENT, WEB_HEP, 22))[1:] == (
        ["0|__PROFILE__|pro:__NO_MATCH__|deny|0"], "deny")


def test_e5_global_namespace_selector_matches_only_non_namespaced_objects() -> None:
    np = policy(PolicyKind.NETWORK_POLICY, "from-bastion", "projectcalico.org/namespace == 'app'",
                namespace="app", ingress=[rule(Action.ALLOW, source=ent(
                    selector="(!has(projectcalico.org/namespace)) && (role == 'bastion')"))])
    ev = evaluator([np], [DB, BASTION_HEP, BASTION_POD, BASTION_SET])
    allowed = (["0|default|np:app/from-bastion|allow|0"], "allow")
    assert traces(ev, packet(ev, BASTION_HEP, DB, 22))[1:] == allowed
    assert traces(ev, packet(ev, "172.20.3.4", DB, 22))[1:] == allowed
    assert traces(ev, packet(ev, BASTION_POD, DB, 22))[1:] == (
        ["0|default|np:app/from-bastion|deny|-1"], "deny")
