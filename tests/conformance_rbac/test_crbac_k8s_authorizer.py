"""Port of upstream `plugin/pkg/auth/authorizer/rbac/rbac_test.go` (TestAuthorizer,
TestAppliesTo) and the `VisitRulesFor`/`GetRoleReferenceRules` behaviour of
`pkg/registry/rbac/validation/rule.go`, driven only through `tierguard rbac can-i`.

Upstream requests carry (user, groups, verb, resource, subresource, namespace, apiGroup). A user
with no name (group-only requests upstream) is asked here as the otherwise unused user
`nobody-in-particular`; the CLI also adds `system:authenticated`, which no binding here names.
"""

from __future__ import annotations

import pytest
from crbac_cli import CanI, user_args
from crbac_objects import cluster_role, crb, rb, role, rule

ANON = "nobody-in-particular"


def _resource(resource: str, subresource: str, group: str) -> str:
    text = f"{resource}.{group}" if group else resource
    return f"{text}/{subresource}" if subresource else text


def _ask(can_i: CanI, objects: list[dict[str, object]], user: str, groups: str, verb: str,
         resource: str, subresource: str, namespace: str, group: str = "") -> str:
    argv = [verb, _resource(resource, subresource, group)]
    if namespace:
        argv += ["-n", namespace]
    argv += user_args(user or ANON, [g for g in groups.split(",") if g])
    return can_i(objects, *argv).text


# --- TestAuthorizer case 1: ClusterRole admin {*,*,*,*} bound in ns1 to User:admin, Group:admins.
# The upstream rule lists resources AND nonResourceURLs (invalid for validation, fine for the
# authorizer); it is kept so, and the CLI must still evaluate it.
ADMIN_STAR = [
    cluster_role("admin", rule(["*"], ["*"], ["*"], urls=["*"])),
    rb("ns1", "admin", "admin", "User:admin", "Group:admins"),
]


@pytest.mark.parametrize(("user", "groups", "verb", "resource", "namespace", "answer"), [
    ("admin", "", "get", "Pods", "ns1", "yes"),
    ("admin", "", "watch", "Pods", "ns1", "yes"),
    ("admin", "group1", "watch", "Foobar", "ns1", "yes"),
    ("joe", "admins", "watch", "Foobar", "ns1", "yes"),
    ("joe", "group1,admins", "watch", "Foobar", "ns1", "yes"),
    ("admin", "", "GET", "Pods", "ns2", "no"),
    ("admin", "", "GET", "Nodes", "", "no"),
    ("admin", "admins", "GET", "Pods", "ns2", "no"),
    ("admin", "admins", "GET", "Nodes", "", "no"),
])
def test_authorizer_rolebinding_to_star_clusterrole(can_i: CanI, user: str, groups: str, verb: str,
                                                    resource: str, namespace: str, answer: str) -> None:
    assert _ask(can_i, ADMIN_STAR, user, groups, verb, resource, "", namespace) == answer


def test_authorizer_rule_with_resources_and_urls_is_reported_but_evaluated(can_i: CanI) -> None:
    result = can_i(ADMIN_STAR, "get", "Pods", "-n", "ns1", "--as", "admin")
    assert result.text == "yes"
    assert "RBAC406" in result.stderr


# --- TestAuthorizer case 2: non-resource URLs.
NON_RESOURCE = [
    cluster_role("non-resource-url-getter", rule(["get"], urls=["/apis"])),
    cluster_role("non-resource-url", rule(["*"], urls=["/apis"])),
    cluster_role("non-resource-url-prefix", rule(["get"], urls=["/apis/*"])),
    crb("non-resource-url-getter", "non-resource-url-getter", "User:foo", "Group:bar"),
    crb("non-resource-url", "non-resource-url", "User:admin", "Group:admin"),
    crb("non-resource-url-prefix", "non-resource-url-prefix", "User:prefixed", "Group:prefixed"),
]


@pytest.mark.parametrize(("user", "groups", "verb", "path", "answer"), [
    ("foo", "", "get", "/apis", "yes"),
    ("", "bar", "get", "/apis", "yes"),
    ("admin", "", "get", "/apis", "yes"),
    ("", "admin", "get", "/apis", "yes"),
    ("admin", "", "watch", "/apis", "yes"),
    ("", "admin", "watch", "/apis", "yes"),
    ("prefixed", "", "get", "/apis/v1", "yes"),
    ("", "prefixed", "get", "/apis/v1", "yes"),
    ("prefixed", "", "get", "/apis/v1/foobar", "yes"),
    ("", "prefixed", "get", "/apis/v1/foorbar", "yes"),
    # wrong verb
    ("foo", "", "watch", "/apis", "no"),
    ("", "bar", "watch", "/apis", "no"),
    # wrong path
    ("foo", "", "get", "/api/v1", "no"),
    ("", "bar", "get", "/api/v1", "no"),
    ("admin", "", "get", "/api/v1", "no"),
    ("", "admin", "get", "/api/v1", "no"),
    # not covered by the prefix
    ("prefixed", "", "get", "/api/v1", "no"),
    ("", "prefixed", "get", "/api/v1", "no"),
    # `/apis/*` trims to the prefix `/apis/`, so `/apis` itself is not covered (TrimRight)
    ("prefixed", "", "get", "/apis", "no"),
])
def test_authorizer_non_resource_urls(can_i: CanI, user: str, groups: str, verb: str, path: str,
                                      answer: str) -> None:
    argv = [verb, path, *user_args(user or ANON, [g for g in groups.split(",") if g])]
    assert can_i(NON_RESOURCE, *argv).text == answer


# --- TestAuthorizer case 3: `pods` does not cover `pods/status`.
PODS_ONLY = [
    cluster_role("admin", rule(["*"], ["*"], ["pods"], urls=["*"])),
    rb("ns1", "admin", "admin", "User:admin", "Group:admins"),
]


@pytest.mark.parametrize(("subresource", "answer"), [("", "yes"), ("status", "no")])
def test_authorizer_resource_does_not_cover_subresource(can_i: CanI, subresource: str, answer: str) -> None:
    assert _ask(can_i, PODS_ONLY, "admin", "", "get", "pods", subresource, "ns1") == answer


# --- TestAuthorizer case 4: `pods/status` and `*/scale`.
SUBRESOURCES = [
    cluster_role("admin", rule(["*"], ["*"], ["pods/status"], urls=["*"]),
                 rule(["*"], ["*"], ["*/scale"], urls=["*"])),
    rb("ns1", "admin", "admin", "User:admin", "Group:admins"),
]


@pytest.mark.parametrize(("resource", "subresource", "answer"), [
    ("pods", "status", "yes"),
    ("pods", "scale", "yes"),
    ("deployments", "scale", "yes"),
    ("anything", "scale", "yes"),
    ("pods", "", "no"),
    ("deployments", "", "no"),
    ("pods", "foo", "no"),
])
def test_authorizer_subresource_and_star_subresource(can_i: CanI, resource: str, subresource: str,
                                                     answer: str) -> None:
    assert _ask(can_i, SUBRESOURCES, "admin", "", "get", resource, subresource, "ns1") == answer


# --- TestAppliesTo (subjects), each as a binding of a ClusterRole that allows everything.
EVERYTHING = cluster_role("everything", rule(["*"], ["*"], ["*"]))


@pytest.mark.parametrize(("subjects", "user", "groups", "answer"), [
    (["User:foobar"], "foobar", "", "yes"),  # single subject that matches username
    (["User:barfoo", "User:foobar"], "foobar", "", "yes"),  # one of several matches
    (["User:barfoo", "User:foobar"], "zimzam", "", "no"),  # none match
    (["User:barfoo", "Group:foobar"], "zimzam", "foobar", "yes"),  # a group matches
    (["User:barfoo", "Group:foobar", "ServiceAccount:kube-system:default"],
     "system:serviceaccount:kube-system:default", "", "yes"),  # service account matches
    (["User:*"], "foobar", "", "no"),  # `*` user subject doesn't match all users
    (["Group:system:authenticated", "Group:system:unauthenticated"], "foobar", "", "yes"),
    (["Group:system:authenticated", "Group:system:unauthenticated"], "system:anonymous", "", "yes"),
    (["Group:*"], "foobar", "ops", "no"),  # `*` group is a literal name too
    (["Group:Ops"], "foobar", "ops", "no"),  # group names are case-sensitive
    (["User:Foobar"], "foobar", "", "no"),  # user names are case-sensitive
])
def test_applies_to_subjects(can_i: CanI, subjects: list[str], user: str, groups: str, answer: str) -> None:
    objects = [EVERYTHING, rb("default", "b", "everything", *subjects)]
    argv = ["get", "pods", "-n", "default", *user_args(user, [g for g in groups.split(",") if g])]
    assert can_i(objects, *argv).text == answer


@pytest.mark.parametrize(("binding", "user", "namespace", "answer"), [
    # RoleBinding: a ServiceAccount subject without namespace takes the binding's namespace.
    (rb("ns1", "b", "everything", "ServiceAccount::robot"), "system:serviceaccount:ns1:robot", "ns1", "yes"),
    (rb("ns1", "b", "everything", "ServiceAccount::robot"), "system:serviceaccount:ns2:robot", "ns1", "no"),
    # An explicit namespace wins over the binding's namespace.
    (rb("ns1", "b", "everything", "ServiceAccount:ns2:robot"), "system:serviceaccount:ns2:robot", "ns1", "yes"),
    (rb("ns1", "b", "everything", "ServiceAccount:ns2:robot"), "system:serviceaccount:ns1:robot", "ns1", "no"),
    # ClusterRoleBinding: no namespace to default to, so the subject matches nobody.
    (crb("b", "everything", "ServiceAccount::robot"), "system:serviceaccount:ns1:robot", "ns1", "no"),
    (crb("b", "everything", "ServiceAccount::robot"), "system:serviceaccount::robot", "ns1", "no"),
    (crb("b", "everything", "ServiceAccount:ns1:robot"), "system:serviceaccount:ns1:robot", "ns9", "yes"),
    # MatchesUsername is a string comparison: a User subject with the SA user name matches too.
    (crb("b", "everything", "User:system:serviceaccount:ns1:robot"),
     "system:serviceaccount:ns1:robot", "ns1", "yes"),
    # ... and an SA subject does not match a user whose name only resembles it.
    (crb("b", "everything", "ServiceAccount:ns1:robot"), "system:serviceaccount:ns1:robot2", "ns1", "no"),
    (crb("b", "everything", "ServiceAccount:ns1:robot"), "system:serviceaccount:ns:1:robot", "ns1", "no"),
])
def test_service_account_subjects(can_i: CanI, binding: dict[str, object], user: str, namespace: str,
                                  answer: str) -> None:
    assert can_i([EVERYTHING, binding], "get", "pods", "-n", namespace, "--as", user).text == answer


@pytest.mark.parametrize(("group", "user", "extra", "answer"), [
    # Impersonating a service account adds its two groups (impersonation filter, !groupsSpecified).
    ("system:serviceaccounts", "system:serviceaccount:ci:builder", [], "yes"),
    ("system:serviceaccounts:ci", "system:serviceaccount:ci:builder", [], "yes"),
    ("system:serviceaccounts:other", "system:serviceaccount:ci:builder", [], "no"),
    ("system:authenticated", "system:serviceaccount:ci:builder", [], "yes"),
    # With --as-group the API server keeps exactly the given groups (plus system:authenticated).
    ("system:serviceaccounts:ci", "system:serviceaccount:ci:builder", ["team"], "no"),
    ("system:authenticated", "system:serviceaccount:ci:builder", ["team"], "yes"),
    # Not a valid SA user name (three parts) -> a plain user, no SA groups.
    ("system:serviceaccounts", "system:serviceaccount:ci:builder:x", [], "no"),
    # Everyone but system:anonymous is system:authenticated ...
    ("system:authenticated", "alice", [], "yes"),
    ("system:authenticated", "system:anonymous", [], "no"),
    ("system:unauthenticated", "system:anonymous", [], "yes"),
    ("system:unauthenticated", "alice", [], "no"),
    # ... unless system:unauthenticated is impersonated explicitly.
    ("system:authenticated", "alice", ["system:unauthenticated"], "no"),
])
def test_implicit_groups(can_i: CanI, group: str, user: str, extra: list[str], answer: str) -> None:
    objects = [EVERYTHING, crb("b", "everything", f"Group:{group}")]
    assert can_i(objects, "get", "pods", "-n", "ci", *user_args(user, extra)).text == answer


# --- VisitRulesFor / GetRoleReferenceRules: which bindings apply where.
SCOPES = [
    cluster_role("pod-reader", rule(["get"], [""], ["pods"])),
    role("ns1", "local-reader", rule(["get"], [""], ["configmaps"])),
    role("ns2", "other-reader", rule(["get"], [""], ["secrets"])),
    rb("ns1", "rb-cluster-role", "pod-reader", "User:rb-user"),
    rb("ns1", "rb-role", "local-reader", "User:rb-user", role_kind="Role"),
    # A RoleBinding only resolves Roles of its own namespace.
    rb("ns1", "rb-foreign-role", "other-reader", "User:rb-user", role_kind="Role"),
    crb("crb-cluster-role", "pod-reader", "User:crb-user"),
    # A ClusterRoleBinding to a Role resolves nothing.
    crb("crb-role", "local-reader", "User:crb-user", role_kind="Role"),
]


@pytest.mark.parametrize(("user", "resource", "namespace", "answer"), [
    ("rb-user", "pods", "ns1", "yes"),
    ("rb-user", "pods", "ns2", "no"),
    ("rb-user", "pods", "", "no"),  # all namespaces: only ClusterRoleBindings count
    ("rb-user", "configmaps", "ns1", "yes"),
    ("rb-user", "secrets", "ns1", "no"),
    ("rb-user", "secrets", "ns2", "no"),
    ("crb-user", "pods", "ns1", "yes"),
    ("crb-user", "pods", "ns2", "yes"),
    ("crb-user", "pods", "", "yes"),
    ("crb-user", "configmaps", "ns1", "no"),
])
def test_binding_scopes(can_i: CanI, user: str, resource: str, namespace: str, answer: str) -> None:
    argv = ["get", resource, *(["-n", namespace] if namespace else []), "--as", user]
    assert can_i(SCOPES, *argv).text == answer


def test_non_resource_urls_only_through_cluster_role_bindings(can_i: CanI) -> None:
    """A ClusterRole with nonResourceURLs bound by a RoleBinding grants no URL, even with -n:
    non-resource requests have no namespace, so only ClusterRoleBindings are visited."""
    objects = [cluster_role("health", rule(["get"], urls=["/healthz"])),
               rb("ns1", "health", "health", "User:alice")]
    assert can_i(objects, "get", "/healthz", "-n", "ns1", "--as", "alice").text == "no"
    objects.append(crb("health", "health", "User:alice"))
    assert can_i(objects, "get", "/healthz", "-n", "ns1", "--as", "alice").text == "yes"


def test_resource_rule_never_grants_a_url_and_url_rule_never_grants_a_resource(can_i: CanI) -> None:
    objects = [cluster_role("r", rule(["get"], ["*"], ["*"]), rule(["list"], urls=["*"])),
               crb("r", "r", "User:alice")]
    assert can_i(objects, "get", "/healthz", "--as", "alice").text == "no"
    assert can_i(objects, "list", "/healthz", "--as", "alice").text == "yes"
    assert can_i(objects, "list", "pods", "--as", "alice").text == "no"
    assert can_i(objects, "get", "pods", "--as", "alice").text == "yes"


def test_role_ref_api_group_is_not_consulted(can_i: CanI) -> None:
    """`GetRoleReferenceRules` switches on roleRef.kind only (validation rejects other groups)."""
    binding = crb("b", "everything", "User:alice")
    binding["roleRef"] = {"apiGroup": "example.com", "kind": "ClusterRole", "name": "everything"}
    assert can_i([EVERYTHING, binding], "get", "pods", "--as", "alice").text == "yes"


@pytest.mark.parametrize(("subject", "answer", "code"), [
    # appliesToUser looks only at kind, name (and namespace for ServiceAccounts); validation
    # problems are reported but do not change what the authorizer does.
    ({"kind": "User", "name": "alice", "apiGroup": "example.com"}, "yes", "RBAC403"),
    ({"kind": "Group", "name": "ops", "apiGroup": "example.com"}, "yes", "RBAC403"),
    ({"kind": "ServiceAccount", "name": "robot", "namespace": "ns1", "apiGroup": "rbac.authorization.k8s.io"},
     "yes", "RBAC403"),
    ({"kind": "User", "name": "alice", "namespace": "elsewhere"}, "yes", ""),  # namespace ignored for users
    ({"kind": "Group", "name": "ops", "namespace": "elsewhere"}, "yes", ""),
    ({"kind": "user", "name": "alice"}, "no", "RBAC403"),  # kinds are case-sensitive
    ({"kind": "Robot", "name": "alice"}, "no", "RBAC403"),
])
def test_subject_fields_the_authorizer_ignores(can_i: CanI, subject: dict[str, str], answer: str, code: str) -> None:
    binding = crb("b", "everything")
    binding["subjects"] = [subject]
    who = "system:serviceaccount:ns1:robot" if subject["kind"] == "ServiceAccount" else "alice"
    result = can_i([EVERYTHING, binding], "get", "pods", *user_args(who, ["ops"] if subject["kind"] == "Group" else []))
    assert result.text == answer
    assert (code in result.stderr) if code else ("RBAC4" not in result.stderr)


def test_binding_without_subjects_grants_nothing(can_i: CanI) -> None:
    assert can_i([EVERYTHING, crb("b", "everything")], "get", "pods", "--as", "alice").text == "no"
