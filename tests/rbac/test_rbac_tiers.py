"""Calico tier authorization: the three grants, create without a name, tier moves, versions, modes."""

from __future__ import annotations

import pytest
from rbac_factory import cluster_role, crb, index_of, rb, rule, user
from tierguard.engine.ir import CalicoVersion, Edition
from tierguard.rbac.authorizer import Request
from tierguard.rbac.identity import UserInfo
from tierguard.rbac.tiers import CalicoSettings, CheckKind, TierRbacMode, decide, gettable_tiers

PC = "projectcalico.org"
ALL = ["get", "list", "watch", "create", "update", "patch", "delete"]
BASE = rule(ALL, [PC], ["networkpolicies", "globalnetworkpolicies", "stagednetworkpolicies"])

INDEX = index_of(
    cluster_role("base", BASE),
    cluster_role("get-platform", rule(["get"], [PC], ["tiers"], names=["platform"])),
    cluster_role("get-security", rule(["get"], [PC], ["tiers"], names=["security"])),
    cluster_role("get-default", rule(["get"], [PC], ["tiers"], names=["default"])),
    cluster_role("platform-policies", rule(ALL, [PC], ["tier.networkpolicies", "tier.stagednetworkpolicies",
                                                      "tier.globalnetworkpolicies"], names=["platform.*"])),
    cluster_role("security-policies", rule(ALL, [PC], ["tier.networkpolicies"], names=["security.*"])),
    cluster_role("default-policies", rule(ALL, [PC], ["tier.networkpolicies"], names=["default.*"])),
    cluster_role("one-policy", rule(ALL, [PC], ["tier.networkpolicies"], names=["platform.allow-dns", "allow-dns"])),
    cluster_role("patch-only", rule(["patch", "get"], [PC], ["tier.networkpolicies"], names=["platform.*"])),
    cluster_role("skn", rule(ALL, [PC], ["stagedkubernetesnetworkpolicies"]),
                 rule(ALL, ["networking.k8s.io"], ["networkpolicies"])),
    # full: everything needed for tier platform in team-a
    crb("full-base", "base", user("full")), crb("full-get", "get-platform", user("full")),
    rb("team-a", "full-pol", "platform-policies", user("full")),
    # missing one grant each
    crb("noget-base", "base", user("noget")), rb("team-a", "noget-pol", "platform-policies", user("noget")),
    crb("nobase-get", "get-platform", user("nobase")), rb("team-a", "nobase-pol", "platform-policies", user("nobase")),
    crb("notier-base", "base", user("notier")), crb("notier-get", "get-platform", user("notier")),
    # exact name only
    crb("named-base", "base", user("named")), crb("named-get", "get-platform", user("named")),
    crb("named-get-default", "get-default", user("named")),
    rb("team-a", "named-pol", "one-policy", user("named")),
    # two tiers
    crb("both-base", "base", user("both")), crb("both-get-p", "get-platform", user("both")),
    crb("both-get-s", "get-security", user("both")),
    rb("team-a", "both-p", "platform-policies", user("both")), rb("team-a", "both-s", "security-policies", user("both")),
    # global policies through a ClusterRoleBinding
    crb("global-pol", "platform-policies", user("global")), crb("global-base", "base", user("global")),
    crb("global-get", "get-platform", user("global")),
    # patch only on the tier pseudo-resource
    crb("patcher-base", "base", user("patcher")), crb("patcher-get", "get-platform", user("patcher")),
    rb("team-a", "patcher-pol", "patch-only", user("patcher")),
    # plain-RBAC kinds only
    rb("team-a", "plain", "skn", user("plain")),
)


def np(username: str, verb: str, name: str = "", resource: str = "networkpolicies", group: str = PC,
       namespace: str = "team-a") -> Request:
    return Request(UserInfo(username, ("system:authenticated",)), verb, resource, group, name=name,
                   namespace=namespace)


@pytest.mark.parametrize(("request_", "tiers", "allowed"), [
    (np("full", "create"), ["platform"], True),
    (np("full", "update", "platform.x"), ["platform"], True),
    (np("full", "delete", "platform.x"), ["platform"], True),
    (np("full", "create", namespace="team-b"), ["platform"], False),  # tier grant is namespaced
    (np("full", "create"), ["security"], False),
    (np("noget", "create"), ["platform"], False),  # (2) missing
    (np("nobase", "create"), ["platform"], False),  # (1) missing
    (np("notier", "create"), ["platform"], False),  # (3) missing
    (np("full", "create", resource="stagednetworkpolicies"), ["platform"], True),
    (np("full", "create", resource="globalnetworkpolicies", namespace=""), ["platform"], False),
    (np("global", "create", resource="globalnetworkpolicies", namespace=""), ["platform"], True),
    (np("global", "create", resource="stagedglobalnetworkpolicies", namespace=""), ["platform"], False),
])
def test_three_grants(request_: Request, tiers: list[str], allowed: bool) -> None:
    assert decide(INDEX, request_, CalicoSettings(), tiers).allowed is allowed


@pytest.mark.parametrize(("verb", "name", "allowed"), [
    ("create", "", False),  # no name on a create: only `<tier>.*` can grant it
    ("update", "platform.allow-dns", True),
    ("update", "allow-dns", True),
    ("update", "platform.other", False),
    ("delete", "platform.allow-dns", True),
    ("get", "platform.allow-dns", True),
])
def test_exact_name_grants(verb: str, name: str, allowed: bool) -> None:
    assert decide(INDEX, np("named", verb, name), CalicoSettings(), ["platform"]).allowed is allowed


def test_checks_ask_the_wildcard_first_and_the_name_only_when_it_fails() -> None:
    decision = decide(INDEX, np("named", "update", "platform.allow-dns"), CalicoSettings(), ["platform"])
    assert [(c.kind, c.request.resource, c.request.name, c.decision.allowed) for c in decision.checks] == [
        (CheckKind.RBAC, "networkpolicies", "platform.allow-dns", True),
        (CheckKind.GET_TIER, "tiers", "platform", True),
        (CheckKind.TIER_WILDCARD, "tier.networkpolicies", "platform.*", False),
        (CheckKind.TIER_NAME, "tier.networkpolicies", "platform.allow-dns", True),
    ]
    full = decide(INDEX, np("full", "update", "platform.x"), CalicoSettings(), ["platform"])
    assert [c.kind for c in full.checks] == [CheckKind.RBAC, CheckKind.GET_TIER, CheckKind.TIER_WILDCARD]
    assert full.checks[1].request.namespace == ""  # tier visibility is cluster-scoped


@pytest.mark.parametrize(("username", "tiers", "allowed"), [
    ("full", ["platform", "security"], False),  # a tier move needs both tiers
    ("both", ["platform", "security"], True),
    ("both", ["security", "platform"], True),
    ("both", ["platform", "default"], False),
])
def test_tier_move(username: str, tiers: list[str], allowed: bool) -> None:
    assert decide(INDEX, np(username, "update", "x"), CalicoSettings(), tiers).allowed is allowed


@pytest.mark.parametrize(("settings", "name", "allowed", "derived"), [
    (CalicoSettings(CalicoVersion(3, 31)), "platform.x", True, "platform"),
    (CalicoSettings(CalicoVersion(3, 29)), "platform.x", True, "platform"),
    (CalicoSettings(CalicoVersion(3, 31)), "x", False, "default"),
    (CalicoSettings(CalicoVersion(3, 32)), "platform.x", False, "default"),  # names carry no tier
    (CalicoSettings(CalicoVersion(3, 21), Edition.ENTERPRISE), "platform.x", True, "platform"),
])
def test_tier_derived_from_the_name_by_version(settings: CalicoSettings, name: str, allowed: bool,
                                               derived: str) -> None:
    decision = decide(INDEX, np("full", "update", name), settings)
    assert decision.allowed is allowed
    assert decision.checks[1].request.name == derived
    assert decision.notes == ((f"tier {derived!r} derived from the request name for Calico "
                              f"{settings.edition.value} {settings.version}"),)


def test_before_oss_tiers_only_plain_rbac_applies() -> None:
    decision = decide(INDEX, np("notier", "create"), CalicoSettings(CalicoVersion(3, 28)), ["platform"])
    assert decision.allowed
    assert [c.kind for c in decision.checks] == [CheckKind.RBAC]


@pytest.mark.parametrize(("request_", "allowed"), [
    (np("plain", "create", resource="stagedkubernetesnetworkpolicies"), True),
    (np("plain", "create", group="networking.k8s.io"), True),
    (np("plain", "create"), False),
])
def test_plain_rbac_kinds_need_no_tier_grants(request_: Request, allowed: bool) -> None:
    assert decide(INDEX, request_, CalicoSettings(), ["platform"]).allowed is allowed


@pytest.mark.parametrize(("mode", "verb", "allowed"), [
    (TierRbacMode.API_SERVER, "patch", True),
    (TierRbacMode.CRD_WEBHOOK, "patch", False),  # the webhook sees UPDATE, checked as `update`
    (TierRbacMode.API_SERVER, "update", False),
    (TierRbacMode.API_SERVER, "get", True),
    (TierRbacMode.API_SERVER, "list", False),  # list with a tier: tier.networkpolicies list missing
    (TierRbacMode.CRD_WEBHOOK, "list", True),  # reads are not tier-filtered in CRD mode
    (TierRbacMode.CRD_WEBHOOK, "delete", False),
])
def test_api_server_and_crd_webhook_modes(mode: TierRbacMode, verb: str, allowed: bool) -> None:
    settings = CalicoSettings(CalicoVersion(3, 32), Edition.OSS, mode)
    assert decide(INDEX, np("patcher", verb, "platform.x"), settings, ["platform"]).allowed is allowed


def test_list_without_tier_is_answered_by_rbac_and_filtered_to_gettable_tiers() -> None:
    decision = decide(INDEX, np("noget", "list"), CalicoSettings())
    assert decision.allowed
    assert decision.notes == ("no tier given: the result is filtered to the tiers the user may get",)
    user_ = UserInfo("both", ("system:authenticated",))
    assert gettable_tiers(INDEX, user_, ["default", "platform", "security"]) == ("platform", "security")
    assert gettable_tiers(INDEX, UserInfo("noget"), ["default", "platform"]) == ()
