"""The tier access matrix, who-can, resource arguments and Markdown escaping."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rbac_factory import cluster_role, crb, group, index_of, rb, rule, sa, user
from tierguard.rbac.authorizer import Request
from tierguard.rbac.identity import UserInfo
from tierguard.rbac.matrix import MatrixRow, known_tiers, tier_matrix
from tierguard.rbac.render import escape_markdown, matrix_markdown, matrix_text
from tierguard.rbac.resources import ResourceArg, guess_resource, parse_resource_arg
from tierguard.rbac.subjects import SubjectKey
from tierguard.rbac.tiers import CalicoSettings
from tierguard.rbac.who_can import who_can

PC = "projectcalico.org"
WRITE = ["create", "update", "patch", "delete"]

INDEX = index_of(
    cluster_role("np", rule(WRITE, [PC], ["networkpolicies", "stagednetworkpolicies"])),
    cluster_role("np-create", rule(["create"], [PC], ["networkpolicies"])),
    cluster_role("gnp", rule(WRITE, [PC], ["globalnetworkpolicies"])),
    cluster_role("get-all-tiers", rule(["get"], [PC], ["tiers"])),
    cluster_role("app", rule(WRITE, [PC], ["tier.networkpolicies", "tier.globalnetworkpolicies"], names=["app.*"])),
    cluster_role("app-staged", rule(["create"], [PC], ["tier.stagednetworkpolicies"], names=["app.*"])),
    cluster_role("security", rule(WRITE, [PC], ["tier.globalnetworkpolicies"], names=["security.*"])),
    # team-a: app tier, namespaces a1 (full) and a2 (create only, no staged)
    crb("team-a-tiers", "get-all-tiers", group("team-a")),
    rb("a1", "team-a-np", "np", group("team-a")), rb("a1", "team-a-app", "app", group("team-a")),
    rb("a1", "team-a-staged", "app-staged", group("team-a")),
    rb("a2", "team-a-np2", "np-create", group("team-a")), rb("a2", "team-a-app2", "app", group("team-a")),
    # security: global policies in security and app tiers, everywhere
    crb("sec-tiers", "get-all-tiers", group("security")), crb("sec-gnp", "gnp", group("security")),
    crb("sec-tier", "security", group("security")), crb("sec-app", "app", group("security")),
    crb("sec-np", "np", group("security")),
    # a service account with a RoleBinding that adds nothing beyond its ClusterRoleBindings
    crb("ci-all", "np", sa("ci", "flux")), crb("ci-tiers", "get-all-tiers", sa("ci", "flux")),
    crb("ci-app", "app", sa("ci", "flux")), rb("x", "ci-x", "np", sa("ci", "flux")),
    # sees no tier: nothing
    rb("a1", "blind", "np", user("blind")), rb("a1", "blind-app", "app", user("blind")),
)

CUD = ("create", "update", "delete")


def test_matrix_rows() -> None:
    rows = tier_matrix(INDEX, CalicoSettings(), ["app", "default", "security"])
    assert rows == (
        MatrixRow(SubjectKey("Group", "security"), "app", "(cluster)", CUD, ()),
        MatrixRow(SubjectKey("Group", "security"), "app", "*", CUD, ()),
        MatrixRow(SubjectKey("Group", "security"), "security", "(cluster)", CUD, ()),
        MatrixRow(SubjectKey("Group", "team-a"), "app", "a1", CUD, ("create",)),
        MatrixRow(SubjectKey("Group", "team-a"), "app", "a2", ("create",), ()),
        MatrixRow(SubjectKey("ServiceAccount", "ci", "flux"), "app", "*", CUD, ()),
    )


def test_matrix_text_and_markdown_rendering() -> None:
    rows = tier_matrix(INDEX, CalicoSettings(), ["app"])
    assert matrix_text(rows)[:2] == [
        "SUBJECT                 TIER  SCOPE      POLICIES              STAGED",
        "Group security          app   (cluster)  create,update,delete  -",
    ]
    assert matrix_markdown(rows[:1]) == [
        "| Subject | Tier | Scope | Policies | Staged |", "|---|---|---|---|---|",
        "| Group security | app | \\(cluster\\) | create,update,delete | - |"]


def test_known_tiers_come_from_rules_and_tier_objects() -> None:
    assert known_tiers(INDEX, ["platform"]) == ("app", "default", "platform", "security")


@pytest.mark.parametrize(("text", "escaped"), [
    ("plain-name", "plain-name"),
    ("a|b", "a\\|b"),
    ("<script>alert(1)</script>", "\\<script\\>alert\\(1\\)\\</script\\>"),
    ("[x](http://evil)", "\\[x\\]\\(http://evil\\)"),
    ("line\nbreak", "line break"),
    ("back\\slash", "back\\\\slash"),
])
def test_escape_markdown(text: str, escaped: str) -> None:
    assert escape_markdown(text) == escaped


@given(st.text(max_size=40))
def test_escaped_cells_never_break_a_table_row(text: str) -> None:
    cell = escape_markdown(text)
    assert "\n" not in cell
    unescaped_pipes = [i for i, c in enumerate(cell) if c == "|" and (i == 0 or cell[i - 1] != "\\")]
    assert unescaped_pipes == [] or all(cell[:i].endswith("\\") for i in unescaped_pipes)


def test_who_can_lists_subjects_with_their_bindings() -> None:
    request = Request(UserInfo(""), "create", "globalnetworkpolicies", PC)
    entries = who_can(INDEX, request, CalicoSettings(), ["security"])
    assert [(str(e.subject), e.via) for e in entries] == [
        ("Group security", ("ClusterRoleBinding sec-gnp", "ClusterRoleBinding sec-tiers",
                            "ClusterRoleBinding sec-tier"))]


@pytest.mark.parametrize(("text", "parsed"), [
    ("pods", ResourceArg("pods")),
    ("pods/log", ResourceArg("pods", "", "log")),
    ("deployments.apps/scale", ResourceArg("deployments", "apps", "scale")),
    ("networkpolicies.projectcalico.org", ResourceArg("networkpolicies", PC)),
    ("networkpolicies.networking.k8s.io", ResourceArg("networkpolicies", "networking.k8s.io")),
    ("tier.networkpolicies.projectcalico.org", ResourceArg("tier.networkpolicies", PC)),
    ("tier.globalnetworkpolicies", ResourceArg("tier.globalnetworkpolicies", "")),
    ("tier.example.com", ResourceArg("tier", "example.com")),
    ("*", ResourceArg("*")),
    ("*.*", ResourceArg("*", "*")),
    ("Pods", ResourceArg("Pods")),
    ("/healthz", ResourceArg(path="/healthz")),
    ("/", ResourceArg(path="/")),
])
def test_parse_resource_arg(text: str, parsed: ResourceArg) -> None:
    assert parse_resource_arg(text) == parsed


def test_parse_resource_arg_rejects_empty() -> None:
    with pytest.raises(ValueError, match="RESOURCE must not be empty"):
        parse_resource_arg("")


@pytest.mark.parametrize(("kind", "resource"), [
    ("NetworkPolicy", "networkpolicies"), ("Tier", "tiers"), ("ConfigMap", "configmaps"),
    ("Ingress", "ingresses"), ("Endpoints", "endpoints"), ("StagedKubernetesNetworkPolicy",
                                                           "stagedkubernetesnetworkpolicies"),
])
def test_guess_resource(kind: str, resource: str) -> None:
    assert guess_resource(kind) == resource


def test_text_output_escapes_control_characters() -> None:
    hostile = index_of(
        cluster_role("see", rule(["get"], [PC], ["tiers"])),
        cluster_role("edit", rule(["create"], [PC], ["networkpolicies", "tier.networkpolicies"])),
        crb("a", "see", user("evil\x1b[2J")), crb("b", "edit", user("evil\x1b[2J")))
    assert matrix_text(tier_matrix(hostile, CalicoSettings(), ["app"])) == [
        "SUBJECT           TIER  SCOPE  POLICIES  STAGED",
        "User evil\\x1b[2J  app   *      create    -",
    ]


def test_matrix_before_oss_tiers_has_only_the_default_tier() -> None:
    from tierguard.engine.ir import CalicoVersion
    rows = tier_matrix(INDEX, CalicoSettings(CalicoVersion(3, 28)), ["app", "security"])
    assert {row.tier for row in rows} == {"default"}
    assert MatrixRow(SubjectKey("User", "blind"), "default", "a1", CUD, CUD) in rows
