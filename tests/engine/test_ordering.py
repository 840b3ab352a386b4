"""Tiers, policy order and version-dependent tie-breaks (calico-semantics §3.3), §3.2 and §3.4."""

from __future__ import annotations

import pytest
from engine_factory import ent, evaluator, packet, pod, policy, rule, traces
from tierguard.engine.ir import (
    Action,
    CalicoVersion,
    CompiledTier,
    Direction,
    Edition,
    PolicyKind,
)
from tierguard.engine.order import policy_sort_key, tier_sort_key, v1_name

SRC = pod("src-1a2b3c-aaaaa", "ns", {"app": "src"}, "10.0.0.1")
DST = pod("dst-1a2b3c-bbbbb", "ns", {"app": "dst"}, "10.0.0.2")
ALL_NS = "projectcalico.org/namespace == 'ns'"
K = PolicyKind


def _p(kind: PolicyKind, name: str, order: float | None = 10.0, tier: str = "default",
       namespace: str = "ns", action: Action = Action.DENY) -> object:
    ns = namespace if kind.is_namespaced else ""
    return policy(kind, name, ALL_NS, namespace=ns, tier=tier, order=order,
                  ingress=[rule(action)])


def _sorted_names(version: str, edition: Edition, *policies: object) -> list[str]:
    key = policy_sort_key(CalicoVersion.parse(version), edition)
    return [f"{p.kind.short}:{p.name}" for p in sorted(policies, key=key)]  # type: ignore[attr-defined]


def test_tier_sort_defined_then_order_then_nil_then_name() -> None:
    tiers = [CompiledTier("zeta", None, Action.DENY), CompiledTier("b", 100.0, Action.DENY),
             CompiledTier("a", 100.0, Action.DENY), CompiledTier("first", 1.0, Action.PASS),
             CompiledTier("ghost", 0.0, Action.DENY, defined=False),
             CompiledTier("alpha", None, Action.DENY)]
    assert [t.name for t in sorted(tiers, key=tier_sort_key)] == [
        "first", "a", "b", "alpha", "zeta", "ghost"]


def test_policy_order_ascending_nil_last() -> None:
    policies = [_p(K.NETWORK_POLICY, "c", None), _p(K.NETWORK_POLICY, "b", 20.0),
                _p(K.NETWORK_POLICY, "a", 30.0)]
    assert _sorted_names("3.32", Edition.OSS, *policies) == ["np:b", "np:a", "np:c"]


def test_oss_332_tie_break_name_namespace_kind() -> None:
    gnp_a = _p(K.GLOBAL_NETWORK_POLICY, "a")
    np_a = _p(K.NETWORK_POLICY, "a", namespace="aaa")
    knp = _p(K.KUBERNETES_NETWORK_POLICY, "x")
    np_x = _p(K.NETWORK_POLICY, "x")
    sknp = _p(K.STAGED_KUBERNETES_NETWORK_POLICY, "x")
    snp = _p(K.STAGED_NETWORK_POLICY, "x")
    # "a//GlobalNetworkPolicy" < "a/aaa/NetworkPolicy"; kinds decide for x/ns.
    assert _sorted_names("3.32", Edition.OSS, snp, sknp, np_x, knp, np_a, gnp_a) == [
        "gnp:a", "np:a", "knp:x", "np:x", "sknp:x", "snp:x"]


def test_oss_331_tie_break_v1_name_namespace_first() -> None:
    np_z = _p(K.NETWORK_POLICY, "a", namespace="zzz")
    np_a = _p(K.NETWORK_POLICY, "z", namespace="aaa")
    gnp = _p(K.GLOBAL_NETWORK_POLICY, "m")
    # Default-tier names are kept as created (3.29.4+), so v1 names are "zzz/a", "aaa/z", "m".
    assert [v1_name(p) for p in (np_z, np_a, gnp)] == ["zzz/a", "aaa/z", "m"]  # type: ignore[arg-type]
    assert _sorted_names("3.31", Edition.OSS, np_z, np_a, gnp) == ["np:z", "gnp:m", "np:a"]


def test_oss_331_staged_vs_enforced_depends_on_tier_name() -> None:
    # "staged:" sorts after "a.x" (a < s) but before "t.x" (st < t).
    for tier, expected in (("a", ["gnp:a.x", "sgnp:a.x"]), ("t", ["sgnp:t.x", "gnp:t.x"])):
        enforced = _p(K.GLOBAL_NETWORK_POLICY, f"{tier}.x", tier=tier)
        staged = _p(K.STAGED_GLOBAL_NETWORK_POLICY, f"{tier}.x", tier=tier)
        assert _sorted_names("3.31", Edition.OSS, enforced, staged) == expected


def test_enterprise_staged_copy_immediately_before_enforced_namesake() -> None:
    enforced = _p(K.NETWORK_POLICY, "a.x", tier="a")
    staged = _p(K.STAGED_NETWORK_POLICY, "a.x", tier="a")
    other = _p(K.NETWORK_POLICY, "a.w", tier="a")
    assert _sorted_names("3.21", Edition.ENTERPRISE, enforced, other, staged) == [
        "np:a.w", "snp:a.x", "np:a.x"]
    assert _sorted_names("3.32", Edition.OSS, enforced, other, staged) == [
        "np:a.w", "np:a.x", "snp:a.x"]


def test_equal_order_staged_decides_first_only_in_enterprise_pending() -> None:
    enforced = _p(K.NETWORK_POLICY, "gate", tier="default", action=Action.DENY)
    staged = _p(K.STAGED_NETWORK_POLICY, "gate", tier="default", action=Action.ALLOW)
    oss = evaluator([enforced, staged], [SRC, DST])  # type: ignore[list-item]
    assert traces(oss, packet(oss, SRC, DST, 80), "pending")[1] == ["0|default|np:ns/gate|deny|0"]
    ent_ev = evaluator([enforced, staged], [SRC, DST], version="3.21",  # type: ignore[list-item]
                       edition=Edition.ENTERPRISE)
    assert traces(ent_ev, packet(ent_ev, SRC, DST, 80), "pending")[1] == [
        "0|default|ns/default.staged:gate|allow|0"]


def test_tier_without_applicable_policy_is_skipped() -> None:
    elsewhere = policy(K.GLOBAL_NETWORK_POLICY, "elsewhere", "app == 'nothing'", tier="sec",
                       ingress=[rule(Action.DENY)])
    ev = evaluator([elsewhere], [SRC, DST], tiers=[CompiledTier("sec", 1.0, Action.DENY)])
    assert traces(ev, packet(ev, SRC, DST, 80))[1] == ["0|__PROFILE__|pro:kns.ns|allow|0"]


def test_direction_types_ingress_only_ignores_egress_rules() -> None:
    p = policy(K.NETWORK_POLICY, "in-only", ALL_NS, namespace="ns", types=[Direction.INGRESS],
               egress=[rule(Action.DENY)], ingress=[rule(Action.ALLOW)])
    ev = evaluator([p], [SRC, DST])
    assert traces(ev, packet(ev, SRC, DST, 80)) == (
        ["0|__PROFILE__|pro:kns.ns|allow|0"], ["0|default|np:ns/in-only|allow|0"], "allow")


def test_governed_direction_without_rules_is_default_deny() -> None:
    p = policy(K.NETWORK_POLICY, "deny-egress", ALL_NS, namespace="ns",
               types=[Direction.INGRESS, Direction.EGRESS], ingress=[rule(Action.ALLOW)])
    ev = evaluator([p], [SRC, DST])
    assert traces(ev, packet(ev, SRC, DST, 80)) == (
        ["0|default|np:ns/deny-egress|deny|-1"], None, "deny")


def test_empty_types_governs_both_directions_like_felix() -> None:
    kcnp = policy(K.KUBERNETES_CLUSTER_NETWORK_POLICY, "empty", ALL_NS, tier="kube-admin",
                  order=5.0, types=[])
    ev = evaluator([kcnp], [SRC, DST], tiers=[CompiledTier("kube-admin", 1000.0, Action.PASS)])
    assert traces(ev, packet(ev, SRC, DST, 80)) == (
        ["0|kube-admin|kcnp:empty|pass|-1", "1|__PROFILE__|pro:kns.ns|allow|0"],
        ["0|kube-admin|kcnp:empty|pass|-1", "1|__PROFILE__|pro:kns.ns|allow|0"], "allow")


def test_allow_stops_later_tiers_deny_stops_pass_skips_rest_of_tier() -> None:
    t1, t2 = CompiledTier("t1", 1.0, Action.DENY), CompiledTier("t2", 2.0, Action.DENY)
    pass_p = policy(K.GLOBAL_NETWORK_POLICY, "pass", ALL_NS, tier="t1", order=1.0,
                    ingress=[rule(Action.PASS)])
    skipped = policy(K.GLOBAL_NETWORK_POLICY, "skipped", ALL_NS, tier="t1", order=2.0,
                     ingress=[rule(Action.DENY)])
    allow = policy(K.GLOBAL_NETWORK_POLICY, "allow", ALL_NS, tier="t2", order=1.0,
                   ingress=[rule(Action.ALLOW)])
    never = policy(K.NETWORK_POLICY, "never", ALL_NS, namespace="ns", order=1.0,
                   ingress=[rule(Action.DENY)])
    ev = evaluator([pass_p, skipped, allow, never], [SRC, DST], tiers=[t1, t2])
    assert traces(ev, packet(ev, SRC, DST, 80))[1:] == (
        ["0|t1|gnp:pass|pass|0", "1|t2|gnp:allow|allow|0"], "allow")


def test_end_of_tier_attribution_last_enforced_first_pending() -> None:
    first = policy(K.NETWORK_POLICY, "first", ALL_NS, namespace="ns", order=1.0,
                   ingress=[rule(Action.ALLOW, source=ent(selector="app == 'nobody'"))])
    last = policy(K.NETWORK_POLICY, "last", ALL_NS, namespace="ns", order=2.0,
                  ingress=[rule(Action.ALLOW, source=ent(selector="app == 'nobody'"))])
    ev = evaluator([first, last], [SRC, DST])
    pkt = packet(ev, SRC, DST, 80)
    assert traces(ev, pkt, "enforced")[1] == ["0|default|np:ns/last|deny|-1"]
    assert traces(ev, pkt, "pending")[1] == ["0|default|np:ns/first|deny|-1"]


def test_enforced_indices_renumbered_without_staged_hits() -> None:
    t1 = CompiledTier("t1", 1.0, Action.DENY)
    staged = policy(K.STAGED_GLOBAL_NETWORK_POLICY, "try", ALL_NS, tier="t1",
                    ingress=[rule(Action.PASS)])
    allow = policy(K.NETWORK_POLICY, "allow", ALL_NS, namespace="ns",
                   ingress=[rule(Action.ALLOW)])
    ev = evaluator([staged, allow], [SRC, DST], tiers=[t1])
    pkt = packet(ev, SRC, DST, 80)
    assert traces(ev, pkt, "enforced")[1] == ["0|default|np:ns/allow|allow|0"]
    assert traces(ev, pkt, "pending")[1] == ["0|t1|sgnp:try|pass|0",
                                             "1|default|np:ns/allow|allow|0"]


def test_missing_tier_sorted_last_with_default_deny() -> None:
    orphan = policy(K.GLOBAL_NETWORK_POLICY, "orphan", ALL_NS, tier="nowhere",
                    ingress=[rule(Action.PASS, source=ent(selector="app == 'nobody'"))])
    ev = evaluator([orphan], [SRC, DST])
    assert ev.missing_tiers == ("nowhere",)
    assert [t.name for t in ev.tiers] == ["default", "nowhere"]
    assert traces(ev, packet(ev, SRC, DST, 80))[1:] == (["0|nowhere|gnp:orphan|deny|-1"], "deny")


@pytest.mark.parametrize("version,edition", [("3.31", Edition.OSS), ("3.30", Edition.OSS),
                                              ("3.21", Edition.ENTERPRISE)])
def test_format_a_strings(version: str, edition: Edition) -> None:
    sec = CompiledTier("security", 10.0, Action.PASS)
    cases = [
        (policy(K.GLOBAL_NETWORK_POLICY, "security.allow-dns", ALL_NS, tier="security",
                ingress=[rule(Action.PASS)]), "0|security|security.allow-dns|pass|0"),
        (policy(K.NETWORK_POLICY, "policy1", ALL_NS, namespace="ns", tier="security",
                ingress=[rule(Action.PASS)]), "0|security|ns/security.policy1|pass|0"),
        (policy(K.KUBERNETES_NETWORK_POLICY, "access-nginx", ALL_NS, namespace="ns", order=1000.0,
                ingress=[rule(Action.ALLOW)]), "0|default|ns/knp.default.access-nginx|allow|0"),
        (policy(K.STAGED_GLOBAL_NETWORK_POLICY, "name", ALL_NS, tier="security",
                ingress=[rule(Action.PASS)]), "0|security|security.staged:name|pass|0"),
        (policy(K.STAGED_NETWORK_POLICY, "name", ALL_NS, namespace="ns", tier="security",
                ingress=[rule(Action.PASS)]), "0|security|ns/security.staged:name|pass|0"),
        (policy(K.STAGED_KUBERNETES_NETWORK_POLICY, "name", ALL_NS, namespace="ns",
                ingress=[rule(Action.DENY)]), "0|default|ns/staged:knp.default.name|deny|0"),
    ]
    for p, expected in cases:
        ev = evaluator([p], [SRC, DST], tiers=[sec], version=version, edition=edition)
        assert traces(ev, packet(ev, SRC, DST, 80), "pending")[1][0] == expected  # type: ignore[index]
    ev = evaluator([], [SRC, DST], version=version, edition=edition)
    assert traces(ev, packet(ev, SRC, DST, 80))[1] == ["0|__PROFILE__|__PROFILE__.kns.ns|allow|0"]


def test_format_a_admin_network_policy_names() -> None:
    anp_tier = CompiledTier("adminnetworkpolicy", 1000.0, Action.PASS)
    anp = policy(K.ADMIN_NETWORK_POLICY, "name", ALL_NS, tier="adminnetworkpolicy", order=1.0,
                 ingress=[rule(Action.DENY)])
    ev = evaluator([anp], [SRC, DST], tiers=[anp_tier], version="3.31")
    assert traces(ev, packet(ev, SRC, DST, 80))[1] == [
        "0|adminnetworkpolicy|kanp.adminnetworkpolicy.name|deny|0"]
