"""Tiers (built-in per version, user-defined, undefined) and profiles (calico-semantics §1.5, §1.8)."""

from __future__ import annotations

import pytest
from compile_fixtures import compile_text
from tierguard.engine.compile import builtin_tiers, profile, profiles_for
from tierguard.engine.ir import (
    Action,
    CalicoVersion,
    CompiledProfile,
    CompiledRule,
    CompiledTier,
    Edition,
)
from tierguard.inventory.model import Endpoint, EndpointKind


@pytest.mark.parametrize("version,expected", [
    ("3.28", [("default", 1_000_000.0, Action.DENY)]),
    ("3.29", [("default", 1_000_000.0, Action.DENY), ("adminnetworkpolicy", 1_000.0, Action.PASS)]),
    ("3.30", [("default", 1_000_000.0, Action.DENY), ("adminnetworkpolicy", 1_000.0, Action.PASS),
              ("baselineadminnetworkpolicy", 10_000_000.0, Action.PASS)]),
    ("3.31", [("default", 1_000_000.0, Action.DENY), ("adminnetworkpolicy", 1_000.0, Action.PASS),
              ("baselineadminnetworkpolicy", 10_000_000.0, Action.PASS)]),
    ("3.32", [("default", 1_000_000.0, Action.DENY), ("kube-admin", 1_000.0, Action.PASS),
              ("kube-baseline", 10_000_000.0, Action.PASS)]),
    ("3.33", [("default", 1_000_000.0, Action.DENY), ("kube-admin", 1_000.0, Action.PASS),
              ("kube-baseline", 10_000_000.0, Action.PASS)]),
])
def test_builtin_tiers_per_version(version: str, expected: list[tuple[str, float, Action]]) -> None:
    tiers = builtin_tiers(CalicoVersion.parse(version))
    assert [(t.name, t.order, t.default_action) for t in tiers] == expected
    assert all(t.defined for t in tiers)


def test_user_tiers_and_defaults() -> None:
    policy_set, diagnostics = compile_text("""\
        apiVersion: projectcalico.org/v3
        kind: Tier
        metadata: {name: security}
        spec: {order: 100, defaultAction: Pass}
        ---
        apiVersion: projectcalico.org/v3
        kind: Tier
        metadata: {name: last}
        spec: {}
        """)
    assert diagnostics == []
    tiers = {t.name: t for t in policy_set.tiers}
    assert set(tiers) == {"default", "kube-admin", "kube-baseline", "security", "last"}
    assert (tiers["security"].order, tiers["security"].default_action) == (100.0, Action.PASS)
    assert (tiers["last"].order, tiers["last"].default_action, tiers["last"].defined) == (None, Action.DENY, True)
    assert tiers["security"].span is not None and tiers["security"].span.line == 1


def test_policy_in_undefined_tier_is_kept_with_a_diagnostic_per_policy() -> None:
    policy_set, diagnostics = compile_text("""\
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: securty.a}
        spec: {tier: securty}
        ---
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: securty.b, namespace: app}
        spec:
          tier: securty
        """)
    assert [p.name for p in policy_set.policies] == ["securty.a", "securty.b"]
    assert [t for t in policy_set.tiers if t.name == "securty"] == [
        CompiledTier("securty", None, Action.DENY, defined=False)]
    assert [(d.code, d.field_path, d.span.line if d.span else 0, d.span.col if d.span else 0, str(d.resource))
            for d in diagnostics] == [
        ("ENG651", "spec.tier", 4, 14, "GlobalNetworkPolicy securty.a"),
        ("ENG651", "spec.tier", 10, 9, "NetworkPolicy app/securty.b"),
    ]
    assert diagnostics[0].message == (
        "tier 'securty' is not defined by any Tier object and is not built into Calico 3.32")


def test_adminnetworkpolicy_tier_is_undefined_in_3_32() -> None:
    _, diagnostics = compile_text("""\
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: adminnetworkpolicy.x}
        spec: {tier: adminnetworkpolicy}
        """, "3.32")
    assert [d.code for d in diagnostics] == ["ENG651"]
    _, diagnostics = compile_text("""\
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: adminnetworkpolicy.x}
        spec: {tier: adminnetworkpolicy}
        """, "3.31")
    assert diagnostics == []


ALLOW_ALL = (CompiledRule(Action.ALLOW, 0),)


def test_profiles() -> None:
    assert profile("kns.app") == CompiledProfile("kns.app", ALLOW_ALL, ALLOW_ALL)
    assert profile("ksa.app.default") == CompiledProfile("ksa.app.default")
    assert profile("projectcalico-default-allow") == CompiledProfile("projectcalico-default-allow", ALLOW_ALL, ALLOW_ALL)
    pod = Endpoint(EndpointKind.WORKLOAD, "web-1", "app", {}, profiles=("kns.app", "ksa.app.api"))
    assert profiles_for(pod) == (CompiledProfile("kns.app", ALLOW_ALL, ALLOW_ALL), CompiledProfile("ksa.app.api"))
    bare_hep = Endpoint(EndpointKind.HOST, "eth0", "", {})
    assert profiles_for(bare_hep) == ()


def test_enterprise_builtin_tiers_do_not_depend_on_the_version_number() -> None:
    tiers = builtin_tiers(CalicoVersion.parse("3.21"), Edition.ENTERPRISE)
    assert [(t.name, t.order, t.default_action) for t in tiers] == [
        ("default", 1_000_000.0, Action.DENY), ("adminnetworkpolicy", 1_000.0, Action.PASS),
        ("baselineadminnetworkpolicy", 10_000_000.0, Action.PASS)]


@pytest.mark.parametrize("version,edition,tier,known", [
    ("3.31", Edition.OSS, "allow-tigera", True),
    ("3.31", Edition.OSS, "calico-system", False),
    ("3.32", Edition.OSS, "calico-system", True),
    ("3.32", Edition.OSS, "allow-tigera", False),
    ("3.21", Edition.ENTERPRISE, "allow-tigera", True),
])
def test_operator_system_tier_is_known_only_under_its_versioned_name(version: str, edition: Edition, tier: str,
                                                                     known: bool) -> None:
    policy_set, diagnostics = compile_text(f"""\
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {{name: {tier}.p}}
        spec: {{tier: {tier}}}
        """, version, edition)
    found = [t for t in policy_set.tiers if t.name == tier]
    assert len(found) == 1 and found[0].defined is known
    assert [d.code for d in diagnostics] == ([] if known else ["ENG651"])
    if known:
        assert (found[0].order, found[0].default_action) == (100.0, Action.DENY)
