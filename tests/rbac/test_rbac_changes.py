"""Change authorization (the review gate): diff, identity mapping, tier moves, CODEOWNERS."""

from __future__ import annotations

import pytest
from rbac_factory import cluster_role, crb, group, index_of, rb, rule, user
from tierguard.diagnostics import Span
from tierguard.rbac.changes import (
    ApplyMode,
    ChangeKind,
    ObjectKey,
    SourcedResource,
    authorize_changes,
    diff_resources,
)
from tierguard.rbac.identities import (
    GitAuthor,
    IdentityMapping,
    IdentitySource,
    KubeIdentity,
    PathOwners,
    TeamMapping,
    UserMapping,
    mapping_from_plain,
)
from tierguard.rbac.tiers import CalicoSettings

PC = "projectcalico.org"
ALL = ["get", "list", "watch", "create", "update", "patch", "delete"]

INDEX = index_of(
    cluster_role("base", rule(ALL, [PC], ["networkpolicies", "globalnetworkpolicies"])),
    cluster_role("get-app", rule(["get"], [PC], ["tiers"], names=["app"])),
    cluster_role("get-security", rule(["get"], [PC], ["tiers"], names=["security"])),
    cluster_role("app-policies", rule(ALL, [PC], ["tier.networkpolicies"], names=["app.*"])),
    cluster_role("security-policies", rule(ALL, [PC], ["tier.networkpolicies", "tier.globalnetworkpolicies"],
                                           names=["security.*"])),
    cluster_role("configmaps", rule(["create", "patch", "update", "delete"], [""], ["configmaps"])),
    rb("payments", "team-base", "base", group("team-payments")),
    crb("team-get", "get-app", group("team-payments")),
    rb("payments", "team-app", "app-policies", group("team-payments")),
    crb("sec-base", "base", group("security")), crb("sec-get-app", "get-app", group("security")),
    crb("sec-get", "get-security", group("security")), crb("sec-pol", "security-policies", group("security")),
    crb("sec-app", "app-policies", group("security")),
    rb("payments", "cm", "configmaps", user("carol")),
)

MAPPING = IdentityMapping(
    users=(UserMapping("alice@example.com", "alice", ("team-payments",)),
           UserMapping("carol", "carol")),
    teams=(TeamMapping("security", ("Sam@Example.com",), ("security",)),),
)


def np(name: str, tier: str | None, namespace: str = "payments", line: int = 1, file: str = "head.yaml",
       selector: str = "all()") -> SourcedResource:
    spec: dict[str, object] = {"selector": selector}
    if tier is not None:
        spec["tier"] = tier
    body = {"apiVersion": "projectcalico.org/v3", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}
    return SourcedResource(body, Span(file, line, 1))


def test_diff_derives_creates_updates_and_deletes() -> None:
    base = [np("kept", "app"), np("changed", "app"), np("gone", "app")]
    head = [np("kept", "app"), np("changed", "app", selector="app == 'x'"), np("new", "app")]
    assert [(c.kind, c.key.name) for c in diff_resources(base, head)] == [
        (ChangeKind.UPDATE, "changed"), (ChangeKind.DELETE, "gone"), (ChangeKind.CREATE, "new")]
    assert diff_resources(base, head)[0].key == ObjectKey(PC, "NetworkPolicy", "payments", "changed")


@pytest.mark.parametrize(("author", "base", "head", "expected"), [
    # allowed: the team's own tier and namespace
    (GitAuthor("alice@example.com"), [], [np("a", "app")], []),
    (GitAuthor("ALICE@example.com"), [np("a", "app")], [np("a", "app", selector="x == 'y'")], []),
    (GitAuthor("alice@example.com"), [np("a", "app")], [], []),
    # another namespace: ordinary RBAC denies
    (GitAuthor("alice@example.com"), [], [np("a", "app", namespace="shop", line=7)],
     [("RBAC420", 7, ("alice@example.com as alice (groups team-payments) may not create NetworkPolicy shop/a: "
                     "missing create networkpolicies.projectcalico.org 'a' in namespace shop; "
                     "create tier.networkpolicies.projectcalico.org 'app.*' in namespace shop "
                     "(or the exact name 'a'); "
                     "patch networkpolicies.projectcalico.org 'a' in namespace shop; "
                     "patch tier.networkpolicies.projectcalico.org 'app.*' in namespace shop "
                     "(or the exact name 'a')"))]),
    # the guardrail tier: tier grants deny
    (GitAuthor("alice@example.com"), [], [np("a", "security", line=3)],
     [("RBAC421", 3, ("alice@example.com as alice (groups team-payments) may not create NetworkPolicy payments/a: "
                     "missing get tiers.projectcalico.org 'security' (cluster-wide); "
                     "create tier.networkpolicies.projectcalico.org 'security.*' in namespace payments "
                     "(or the exact name 'a'); "
                     "patch tier.networkpolicies.projectcalico.org 'security.*' in namespace payments "
                     "(or the exact name 'a')"))]),
    # tier move out of the team's tier: both tiers are checked
    (GitAuthor("alice@example.com"), [np("a", "app")], [np("a", "security", line=5)],
     [("RBAC421", 5, ("alice@example.com as alice (groups team-payments) may not update NetworkPolicy payments/a "
                     "(tier move app -> security: both tiers are checked): "
                     "missing get tiers.projectcalico.org 'security' (cluster-wide); "
                     "patch tier.networkpolicies.projectcalico.org 'security.*' in namespace payments "
                     "(or the exact name 'a')"))]),
    # the security team may move it (both tiers granted) - team membership via the teams mapping
    (GitAuthor("sam@example.com"), [np("a", "app")], [np("a", "security")], []),
    # no spec.tier means the default tier
    (GitAuthor("sam@example.com"), [], [np("a", None, line=9)],
     [("RBAC421", 9, ("sam@example.com as a member (groups security) may not create NetworkPolicy payments/a: "
                     "missing get tiers.projectcalico.org 'default' (cluster-wide); "
                     "create tier.networkpolicies.projectcalico.org 'default.*' in namespace payments "
                     "(or the exact name 'a'); "
                     "patch tier.networkpolicies.projectcalico.org 'default.*' in namespace payments "
                     "(or the exact name 'a')"))]),
    # unmapped author
    (GitAuthor("mallory@example.com"), [], [np("a", "app", line=2)],
     [("RBAC422", 2, ("cannot authorize create of NetworkPolicy payments/a: "
                     "author mallory@example.com is not mapped"))]),
])
def test_authorize_changes_by_author(author: GitAuthor, base: list[SourcedResource], head: list[SourcedResource],
                                     expected: list[tuple[str, int, str]]) -> None:
    report = authorize_changes(base, head, author, MAPPING, INDEX)
    assert [(d.code, d.span.line if d.span else 0, d.message) for d in report.diagnostics] == expected
    assert all(d.allowed for d in report.decisions) is (not expected)


def test_plain_kinds_and_create_update_mode() -> None:
    configmap = SourcedResource({"apiVersion": "v1", "kind": "ConfigMap",
                                 "metadata": {"name": "c", "namespace": "payments"}}, Span("cm.yaml", 1, 1))
    report = authorize_changes([], [configmap], GitAuthor(login="carol"), MAPPING, INDEX)
    assert report.diagnostics == ()
    # with plain create/update the create carries no name: only `app.*` can grant the tier
    named_only = index_of(
        cluster_role("base", rule(ALL, [PC], ["networkpolicies"])),
        cluster_role("get-app", rule(["get"], [PC], ["tiers"], names=["app"])),
        cluster_role("one", rule(ALL, [PC], ["tier.networkpolicies"], names=["a"])),
        crb("b", "base", user("alice")), crb("g", "get-app", user("alice")), crb("o", "one", user("alice")))
    ssa = authorize_changes([], [np("a", "app")], GitAuthor("alice@example.com"), MAPPING, named_only)
    plain = authorize_changes([], [np("a", "app")], GitAuthor("alice@example.com"), MAPPING, named_only,
                              CalicoSettings(), ApplyMode.CREATE_UPDATE)
    assert [d.code for d in ssa.diagnostics] == []
    assert [d.message for d in plain.diagnostics] == [
        ("alice@example.com as alice (groups team-payments) may not create NetworkPolicy payments/a: "
        "missing create tier.networkpolicies.projectcalico.org 'app.*' in namespace payments")]


CODEOWNERS = IdentityMapping(
    users=(UserMapping("alice@example.com", "alice", ("team-payments",)),),
    teams=(TeamMapping("@acme/security", (), ("security",)), TeamMapping("payments", (), ("team-payments",))),
    codeowners=(PathOwners("*", ("@nobody",)),
                PathOwners("/policies/payments/", ("@acme/payments", "@acme/security")),
                PathOwners("policies/security/**", ("@acme/security",))),
    source=IdentitySource.CODEOWNERS,
)


@pytest.mark.parametrize(("file", "tier", "expected"), [
    ("policies/payments/np.yaml", "app", []),
    ("policies/payments/np.yaml", "security", []),  # the second owner (security) may
    ("policies/security/deep/np.yaml", "security", []),
    ("other/np.yaml", "app", ["RBAC422"]),
    ("policies/security/np.yaml", "default", ["RBAC421"]),
])
def test_codeowners_source(file: str, tier: str, expected: list[str]) -> None:
    head = [np("a", tier, file=file)]
    report = authorize_changes([], head, GitAuthor("someone@example.com"), CODEOWNERS, INDEX)
    assert [d.code for d in report.diagnostics] == expected


def test_codeowners_messages() -> None:
    report = authorize_changes([], [np("a", "default", file="other/np.yaml")], GitAuthor("x"), CODEOWNERS, INDEX)
    assert report.diagnostics[0].message == (
        "cannot authorize create of NetworkPolicy payments/a: no mapped owner for path 'other/np.yaml' "
        "(owners: @nobody)")


def test_owners_patterns_follow_codeowners() -> None:
    mapping = IdentityMapping(codeowners=(
        PathOwners("*.yaml", ("@yaml",)), PathOwners("docs/*", ("@docs",)), PathOwners("apps/", ("@apps",)),
        PathOwners("/build/logs/", ("@logs",))))
    assert mapping.owners_of("x/y/z.yaml") == ("@yaml",)
    assert mapping.owners_of("docs/a.md") == ("@docs",)
    assert mapping.owners_of("docs/sub/a.md") == ()
    assert mapping.owners_of("src/apps/x.py") == ("@apps",)
    assert mapping.owners_of("build/logs/1.txt") == ("@logs",)
    assert mapping.owners_of("src/build/logs/1.txt") == ()


def test_mapping_from_plain() -> None:
    mapping = mapping_from_plain({
        "source": "codeowners",
        "users": [{"author": "alice@example.com", "user": "alice", "groups": ["g"]}],
        "teams": [{"team": "payments", "members": ["bob"], "groups": ["team-payments"]}],
        "codeowners": [{"path": "/policies/", "owners": ["@payments"]}],
    })
    assert mapping == IdentityMapping(
        (UserMapping("alice@example.com", "alice", ("g",)),),
        (TeamMapping("payments", ("bob",), ("team-payments",)),),
        (PathOwners("/policies/", ("@payments",)),), IdentitySource.CODEOWNERS)
    assert mapping.for_author(GitAuthor(login="bob")) == KubeIdentity("", ("team-payments",))
    assert mapping.for_owner("@org/payments") == KubeIdentity("", ("team-payments",))


@pytest.mark.parametrize(("data", "message"), [
    ({"source": "blame"}, "identities.source must be 'author' or 'codeowners'"),
    ({"users": [{"author": "a"}]}, "identities.users[0].user must be a non-empty string"),
    ({"teams": "x"}, "identities.teams must be a list of mappings"),
    ({"teams": [{"team": "t", "groups": "g"}]}, "identities.teams[0].groups must be a list of strings"),
    ({"owners": []}, "identities: unknown key(s) owners"),
])
def test_mapping_errors(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError) as error:
        mapping_from_plain(data)
    assert str(error.value) == message


def test_service_account_identity_gets_its_groups() -> None:
    info = KubeIdentity("system:serviceaccount:ci:bot", ("x",)).user_info()
    assert info.groups == ("x", "system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated")
