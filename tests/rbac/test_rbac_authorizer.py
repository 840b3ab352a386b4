"""The Kubernetes RBAC authorizer, in the style of upstream `rbac_test.go` table tests."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rbac_factory import (
    cluster_role,
    crb,
    group,
    index_of,
    rb,
    req,
    role,
    rule,
    sa,
    user,
)
from tierguard.model.rbac import PolicyRule, Role, RoleKind
from tierguard.rbac.aggregation import SourcedRule
from tierguard.rbac.authorizer import CompiledRule, Request, authorize, granted_names
from tierguard.rbac.identity import UserInfo

# --- admin via RoleBinding to a ClusterRole with every wildcard (upstream case 1) -----------------
ADMIN = index_of(
    cluster_role("admin", rule(["*"], ["*"], ["*"])),
    rb("ns1", "admin", "admin", user("admin"), group("admins")),
)


@pytest.mark.parametrize(("request_", "allowed"), [
    (req("admin", "get", "Pods", namespace="ns1"), True),
    (req("admin", "watch", "Pods", namespace="ns1"), True),
    (req("admin", "watch", "Foobar", namespace="ns1", groups=["group1"]), True),
    (req("joe", "watch", "Foobar", namespace="ns1", groups=["admins"]), True),
    (req("joe", "watch", "Foobar", namespace="ns1", groups=["group1", "admins"]), True),
    (req("admin", "GET", "Pods", namespace="ns2"), False),
    (req("admin", "GET", "Nodes"), False),
    (req("admin", "get", "Pods", namespace="ns2", groups=["admins"]), False),
    (req("admin", "get", "Nodes", groups=["admins"]), False),
    # a RoleBinding never grants cluster-wide, even for a namespaced resource
    (req("admin", "list", "pods"), False),
    (req("joe", "get", "pods", namespace="ns1"), False),
])
def test_role_binding_to_cluster_role_grants_only_in_its_namespace(request_: Request, allowed: bool) -> None:
    assert authorize(ADMIN, request_).allowed is allowed


# --- non-resource URLs (upstream case 2) ---------------------------------------------------------
URLS = index_of(
    cluster_role("non-resource-url-getter", rule(["get"], urls=["/apis"])),
    cluster_role("non-resource-url", rule(["*"], urls=["/apis"])),
    cluster_role("non-resource-url-prefix", rule(["get"], urls=["/apis/*"])),
    cluster_role("every-url", rule(["get"], urls=["*"])),
    cluster_role("stars", rule(["get"], urls=["/logs**"])),
    crb("non-resource-url-getter", "non-resource-url-getter", user("foo"), group("bar")),
    crb("non-resource-url", "non-resource-url", user("admin"), group("admin")),
    crb("non-resource-url-prefix", "non-resource-url-prefix", user("prefixed"), group("prefixed")),
    crb("every-url", "every-url", user("everything")),
    crb("stars", "stars", user("stars")),
    rb("ns1", "ns-url", "every-url", user("namespaced")),
)


@pytest.mark.parametrize(("username", "groups", "verb", "path", "allowed"), [
    ("foo", [], "get", "/apis", True),
    ("", ["bar"], "get", "/apis", True),
    ("admin", [], "get", "/apis", True),
    ("", ["admin"], "get", "/apis", True),
    ("admin", [], "watch", "/apis", True),
    ("", ["admin"], "watch", "/apis", True),
    ("prefixed", [], "get", "/apis/v1", True),
    ("", ["prefixed"], "get", "/apis/v1", True),
    ("prefixed", [], "get", "/apis/v1/foobar", True),
    ("prefixed", [], "get", "/apis/", True),
    ("foo", [], "watch", "/apis", False),
    ("", ["bar"], "watch", "/apis", False),
    ("foo", [], "get", "/api/v1", False),
    ("admin", [], "get", "/api/v1", False),
    ("", ["admin"], "get", "/api/v1", False),
    ("prefixed", [], "get", "/api/v1", False),
    ("prefixed", [], "get", "/apis", False),  # `/apis/*` needs the slash
    ("foo", [], "get", "/apis/", False),  # exact URL only
    ("everything", [], "get", "/healthz", True),
    ("everything", [], "post", "/healthz", False),
    ("stars", [], "get", "/logs", True),  # every trailing `*` is trimmed (strings.TrimRight)
    ("stars", [], "get", "/logsx/y", True),
    ("namespaced", [], "get", "/healthz", False),  # non-resource requests see no RoleBindings
])
def test_non_resource_urls(username: str, groups: list[str], verb: str, path: str, allowed: bool) -> None:
    assert authorize(URLS, req(username, verb, groups=groups, path=path)).allowed is allowed


def test_url_rule_does_not_grant_resource_requests_and_resource_rule_not_urls() -> None:
    index = index_of(
        cluster_role("urls", rule(["get"], urls=["*"])),
        cluster_role("res", rule(["get"], ["*"], ["*"])),
        crb("urls", "urls", user("u")), crb("res", "res", user("r")))
    assert not authorize(index, req("u", "get", "pods")).allowed
    assert not authorize(index, req("r", "get", path="/healthz")).allowed
    assert authorize(index, req("r", "get", "pods")).allowed


# --- subresources (upstream cases 3 and 4) -------------------------------------------------------
PODS_ONLY = index_of(cluster_role("admin", rule(["*"], ["*"], ["pods"])), rb("ns1", "admin", "admin", user("admin")))
SUBRESOURCES = index_of(
    cluster_role("admin", rule(["*"], ["*"], ["pods/status"]), rule(["*"], ["*"], ["*/scale"])),
    rb("ns1", "admin", "admin", user("admin")))
STAR = index_of(cluster_role("all", rule(["get"], ["*"], ["*"])), crb("all", "all", user("admin")))


@pytest.mark.parametrize(("index_name", "resource", "sub", "allowed"), [
    ("pods", "pods", "", True),
    ("pods", "pods", "status", False),
    ("sub", "pods", "status", True),
    ("sub", "pods", "scale", True),
    ("sub", "deployments", "scale", True),
    ("sub", "anything", "scale", True),
    ("sub", "pods", "", False),
    ("sub", "deployments", "", False),
    ("sub", "deployments", "status", False),
    ("sub", "scale", "", False),  # `*/scale` only matches a subresource
    ("star", "pods", "log", True),  # `*` matches subresources too (ResourceAll)
    ("star", "pods", "", True),
    ("star", "deployments", "scale", True),
])
def test_subresource_resolution(index_name: str, resource: str, sub: str, allowed: bool) -> None:
    index = {"pods": PODS_ONLY, "sub": SUBRESOURCES, "star": STAR}[index_name]
    namespace = "ns1"
    if index_name == "sub" and resource == "nodes":
        namespace = ""
    assert authorize(index, req("admin", "get", resource, "apps", sub, namespace=namespace)).allowed is allowed


def test_nodes_status_at_cluster_scope_is_denied_by_a_role_binding() -> None:
    assert not authorize(SUBRESOURCES, req("admin", "get", "nodes", sub="status")).allowed


# --- verbs, API groups and resource names ------------------------------------------------------
MATCHING = index_of(
    cluster_role("r", rule(["get", "list"], ["", "apps"], ["deployments", "pods/log"], names=["web", "api"])),
    crb("r", "r", user("u")))


@pytest.mark.parametrize(("verb", "group_", "resource", "sub", "name", "allowed"), [
    ("get", "apps", "deployments", "", "web", True),
    ("list", "", "deployments", "", "api", True),
    ("get", "apps", "deployments", "", "db", False),
    ("get", "apps", "deployments", "", "", False),  # resourceNames set: a request without a name fails
    ("watch", "apps", "deployments", "", "web", False),
    ("Get", "apps", "deployments", "", "web", False),  # verbs are case-sensitive
    ("get", "batch", "deployments", "", "web", False),
    ("get", "*", "deployments", "", "web", False),  # `*` in the request is just a string
    ("get", "", "pods", "log", "web", True),
    ("get", "", "pods", "", "web", False),
    ("get", "", "Deployments", "", "web", False),  # no case folding
])
def test_verb_group_resource_and_name_matching(verb: str, group_: str, resource: str, sub: str,
                                               name: str, allowed: bool) -> None:
    request = req("u", verb, resource, group_, sub, name, namespace="ns1")
    assert authorize(MATCHING, request).allowed is allowed


def test_empty_resource_names_allow_every_name_and_no_name() -> None:
    index = index_of(cluster_role("r", rule(["get"], [""], ["pods"])), crb("r", "r", user("u")))
    assert authorize(index, req("u", "get", "pods", name="anything", namespace="x")).allowed
    assert authorize(index, req("u", "get", "pods", namespace="x")).allowed


# --- bindings and subjects ---------------------------------------------------------------------
SUBJECTS = index_of(
    role("ns1", "reader", rule(["get"], [""], ["pods"])),
    role("ns2", "reader", rule(["get"], [""], ["secrets"])),
    cluster_role("lister", rule(["list"], [""], ["pods"])),
    rb("ns1", "read", "reader", user("alice"), sa("builder"), sa("deployer", "ci"), role_kind="Role"),
    rb("ns1", "missing", "no-such-role", user("carol"), role_kind="Role"),
    crb("list", "lister", group("listers"), sa("bot", "ops"), sa("nobody")),
    crb("role-ref", "reader", user("dave"), role_kind="Role"),
)


@pytest.mark.parametrize(("request_", "allowed"), [
    (req("alice", "get", "pods", namespace="ns1"), True),
    (req("alice", "get", "secrets", namespace="ns2"), False),  # ns2/reader is not bound
    (req("alice", "get", "pods", namespace="ns2"), False),
    (req("alice", "get", "pods"), False),
    # SA subject without namespace in a RoleBinding: the binding's namespace
    (req("system:serviceaccount:ns1:builder", "get", "pods", namespace="ns1"), True),
    (req("system:serviceaccount:ns2:builder", "get", "pods", namespace="ns1"), False),
    (req("system:serviceaccount:ci:deployer", "get", "pods", namespace="ns1"), True),
    (req("system:serviceaccount:ns1:deployer", "get", "pods", namespace="ns1"), False),
    (req("carol", "get", "pods", namespace="ns1"), False),  # binding to a missing Role
    (req("x", "list", "pods", namespace="any", groups=["listers"]), True),
    (req("x", "list", "pods", groups=["listers"]), True),  # ClusterRoleBinding: all namespaces
    (req("system:serviceaccount:ops:bot", "list", "pods", namespace="n"), True),
    (req("nobody", "list", "pods", namespace="n"), False),  # SA without namespace in a CRB never matches
    (req("system:serviceaccount::nobody", "list", "pods", namespace="n"), False),
    (req("dave", "get", "pods", namespace="ns1"), False),  # a CRB cannot refer to a Role
    (req("x", "list", "pods", namespace="n", groups=["Listers"]), False),  # group names are exact
])
def test_subjects_and_binding_scope(request_: Request, allowed: bool) -> None:
    assert authorize(SUBJECTS, request_).allowed is allowed


def test_user_subject_named_like_a_service_account_matches_that_account() -> None:
    index = index_of(cluster_role("r", rule(["get"], [""], ["pods"])),
                     crb("r", "r", user("system:serviceaccount:a:b")))
    assert authorize(index, req("system:serviceaccount:a:b", "get", "pods")).allowed


def test_grants_name_binding_role_rule_and_source_location() -> None:
    index = index_of(
        cluster_role("r", rule(["list"], [""], ["pods"]), rule(["*"], ["*"], ["*"])),
        crb("a", "r", user("u")), rb("ns1", "b", "r", user("u")))
    decision = authorize(index, req("u", "list", "pods", namespace="ns1"))
    assert decision.allowed
    assert [g.describe() for g in decision.grants] == [
        "ClusterRoleBinding a -> ClusterRole r rules[0] at rbac.yaml:6:3",
        "ClusterRoleBinding a -> ClusterRole r rules[1] at rbac.yaml:12:3",
        "RoleBinding ns1/b -> ClusterRole r rules[0] at rbac.yaml:6:3",
        "RoleBinding ns1/b -> ClusterRole r rules[1] at rbac.yaml:12:3",
    ]


# --- aggregation -------------------------------------------------------------------------------
AGGREGATED = index_of(
    cluster_role("monitoring", aggregate=[{"matchLabels": {"rbac.example.com/aggregate-to-monitoring": "true"}}]),
    cluster_role("monitoring-endpoints", rule(["get"], [""], ["endpoints"]),
                 labels={"rbac.example.com/aggregate-to-monitoring": "true"}),
    cluster_role("monitoring-pods", rule(["list"], [""], ["pods"]),
                 labels={"rbac.example.com/aggregate-to-monitoring": "true", "tier": "platform"}),
    cluster_role("unlabelled", rule(["delete"], [""], ["pods"])),
    cluster_role("admin-ish", rule(["create"], [""], ["secrets"]),
                 aggregate=[{"matchLabels": {"aggregate-to-admin": "true"}},
                            {"matchExpressions": [{"key": "tier", "operator": "In", "values": ["platform"]}]}]),
    cluster_role("edit-ish", labels={"aggregate-to-admin": "true"},
                 aggregate=[{"matchExpressions": [{"key": "rbac.example.com/aggregate-to-monitoring",
                                                   "operator": "Exists"}]}]),
    cluster_role("not-in", aggregate=[{"matchExpressions": [
        {"key": "tier", "operator": "NotIn", "values": ["platform"]},
        {"key": "aggregate-to-admin", "operator": "DoesNotExist"}]}]),
    cluster_role("everything", aggregate=[{}]),
    crb("monitoring", "monitoring", user("mon")),
    crb("admin-ish", "admin-ish", user("adm")),
    crb("not-in", "not-in", user("notin")),
    crb("everything", "everything", user("all")),
)


@pytest.mark.parametrize(("username", "verb", "resource", "allowed"), [
    ("mon", "get", "endpoints", True),
    ("mon", "list", "pods", True),
    ("mon", "delete", "pods", False),
    ("adm", "list", "pods", True),  # through edit-ish (transitive) and through the tier In selector
    ("adm", "get", "endpoints", True),  # edit-ish aggregates monitoring-*: admin-ish gets it transitively
    ("adm", "create", "secrets", False),  # an aggregated role's own rules are replaced
    ("adm", "delete", "pods", False),
    ("notin", "delete", "pods", True),  # NotIn matches a missing label
    ("notin", "get", "endpoints", True),
    ("notin", "list", "pods", True),  # via monitoring, whose aggregated rules include it
    ("notin", "create", "secrets", False),  # admin-ish matches, but contributes aggregated rules only
    ("all", "delete", "pods", True),  # an empty selector selects every ClusterRole
    ("all", "create", "secrets", False),  # ...but admin-ish contributes its aggregated rules only
])
def test_aggregation(username: str, verb: str, resource: str, allowed: bool) -> None:
    assert authorize(AGGREGATED, req(username, verb, resource, namespace="n")).allowed is allowed


def test_aggregated_grant_names_the_source_role() -> None:
    decision = authorize(AGGREGATED, req("mon", "list", "pods", namespace="n"))
    assert [g.describe() for g in decision.grants] == [
        ("ClusterRoleBinding monitoring -> ClusterRole monitoring rules[0] "
        "(aggregated from ClusterRole monitoring-pods) at rbac.yaml:33:3")]


def test_aggregation_cycle_terminates_with_the_union() -> None:
    index = index_of(
        cluster_role("a", labels={"x": "1"}, aggregate=[{"matchLabels": {"y": "1"}}]),
        cluster_role("b", labels={"y": "1"}, aggregate=[{"matchLabels": {"x": "1"}}]),
        cluster_role("leaf", rule(["get"], [""], ["pods"]), labels={"x": "1"}),
        crb("b", "b", user("u")), crb("a", "a", user("v")))
    assert authorize(index, req("u", "get", "pods")).allowed
    assert authorize(index, req("v", "get", "pods")).allowed


# --- properties --------------------------------------------------------------------------------
_word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=12)


def _compiled(**fields: tuple[str, ...]) -> CompiledRule:
    return CompiledRule.of(SourcedRule(PolicyRule(**fields), Role(RoleKind.CLUSTER_ROLE, "r")))


@given(verb=_word, group_=_word, resource=_word, sub=st.one_of(st.just(""), _word), name=_word)
def test_all_wildcards_allow_every_resource_request(verb: str, group_: str, resource: str, sub: str,
                                                    name: str) -> None:
    rule_ = _compiled(verbs=("*",), api_groups=("*",), resources=("*",))
    assert rule_.allows(Request(UserInfo("u"), verb, resource, group_, sub, name, "ns"))


@given(verb=_word, other=_word, resource=_word, sub=_word)
def test_star_slash_sub_matches_only_that_subresource(verb: str, other: str, resource: str, sub: str) -> None:
    rule_ = _compiled(verbs=(verb,), api_groups=("",), resources=(f"*/{sub}",))
    assert rule_.allows(Request(UserInfo("u"), verb, resource, "", sub))
    assert not rule_.allows(Request(UserInfo("u"), verb, resource, "", ""))
    if other != sub:
        assert not rule_.allows(Request(UserInfo("u"), verb, resource, "", other))


@given(prefix=st.text(alphabet="/abc", max_size=8), rest=st.text(alphabet="/abc", max_size=8))
def test_url_prefix_rule_matches_exactly_the_prefixed_paths(prefix: str, rest: str) -> None:
    rule_ = _compiled(verbs=("get",), non_resource_urls=(prefix + "*",))
    path = "/" + rest
    expected = path.startswith(prefix) or prefix + "*" == "*"
    assert rule_.allows(Request(UserInfo("u"), "get", path=path, resource_request=False)) is expected


@given(username=st.sampled_from(["mon", "adm", "notin", "all", "nobody"]),
       verb=st.sampled_from(["get", "list", "delete", "create", "*"]),
       resource=st.sampled_from(["pods", "endpoints", "secrets", "nodes"]),
       name=st.sampled_from(["", "web", "api"]))
def test_granted_names_agrees_with_authorize(username: str, verb: str, resource: str, name: str) -> None:
    for index in (AGGREGATED, MATCHING, SUBJECTS):
        request = req(username, verb, resource, namespace="ns1")
        named = Request(request.user, verb, resource, name=name, namespace="ns1")
        assert granted_names(index, request).allows(name) is authorize(index, named).allowed
