"""The indexed authorizer agrees with a brute-force transcription of upstream `rbac.go` on random
RBAC sets (subject index, namespace scoping, role references, service-account defaulting)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tierguard.model.rbac import (
    Binding,
    BindingKind,
    PolicyRule,
    RbacSet,
    Role,
    RoleKind,
    RoleRef,
    Subject,
    SubjectKind,
)
from tierguard.rbac.authorizer import Request, authorize, build_index
from tierguard.rbac.identity import UserInfo

NAMESPACES = ["", "a", "b"]
NAMES = ["x", "y", "system:serviceaccount:a:x"]
GROUPS = ["g1", "g2", "system:serviceaccounts:a"]
ROLE_NAMES = ["r1", "r2", "r3"]

rules = st.builds(
    PolicyRule,
    verbs=st.lists(st.sampled_from(["get", "list", "*"]), min_size=1, max_size=2).map(tuple),
    api_groups=st.lists(st.sampled_from(["", "apps", "*"]), min_size=1, max_size=2).map(tuple),
    resources=st.lists(st.sampled_from(["pods", "pods/log", "*/log", "*", "deployments"]),
                       min_size=1, max_size=2).map(tuple),
    resource_names=st.lists(st.sampled_from(["n1", "n2"]), max_size=1).map(tuple),
)
roles = st.builds(Role, kind=st.sampled_from(list(RoleKind)), name=st.sampled_from(ROLE_NAMES),
                  namespace=st.sampled_from(["a", "b"]), rules=st.lists(rules, max_size=2).map(tuple))
subjects = st.one_of(
    st.builds(Subject, kind=st.just(SubjectKind.USER), name=st.sampled_from(NAMES)),
    st.builds(Subject, kind=st.just(SubjectKind.GROUP), name=st.sampled_from(GROUPS)),
    st.builds(Subject, kind=st.just(SubjectKind.SERVICE_ACCOUNT), name=st.sampled_from(["x", "y"]),
              namespace=st.sampled_from(["", "a", "b"])),
    st.builds(Subject, kind=st.just(SubjectKind.INVALID), name=st.sampled_from(NAMES)),
)
bindings = st.builds(
    Binding, kind=st.sampled_from(list(BindingKind)), name=st.just("b"),
    role_ref=st.builds(RoleRef, kind=st.sampled_from(["Role", "ClusterRole", "Other"]),
                       name=st.sampled_from(ROLE_NAMES)),
    subjects=st.lists(subjects, max_size=3).map(tuple), namespace=st.sampled_from(["a", "b"]))
requests = st.builds(
    Request, user=st.builds(UserInfo, name=st.sampled_from(NAMES),
                            groups=st.lists(st.sampled_from(GROUPS), max_size=2).map(tuple)),
    verb=st.sampled_from(["get", "list", "watch"]), resource=st.sampled_from(["pods", "deployments", "nodes"]),
    api_group=st.sampled_from(["", "apps"]), subresource=st.sampled_from(["", "log"]),
    name=st.sampled_from(["", "n1", "n3"]), namespace=st.sampled_from(NAMESPACES))


def _normalise(role: Role) -> Role:
    if role.kind is RoleKind.CLUSTER_ROLE:
        return Role(role.kind, role.name, "", role.rules)
    return role


def _binding(binding: Binding) -> Binding:
    if binding.kind is BindingKind.CLUSTER_ROLE_BINDING:
        return Binding(binding.kind, binding.name, binding.role_ref, binding.subjects, "")
    return binding


def _applies(subject: Subject, user: UserInfo, namespace: str) -> bool:
    if subject.kind is SubjectKind.USER:
        return user.name == subject.name
    if subject.kind is SubjectKind.GROUP:
        return subject.name in user.groups
    if subject.kind is SubjectKind.SERVICE_ACCOUNT:
        sa_namespace = subject.namespace or namespace
        return bool(sa_namespace) and user.name == f"system:serviceaccount:{sa_namespace}:{subject.name}"
    return False


def _rule_allows(rule: PolicyRule, request: Request) -> bool:
    combined = request.resource + (f"/{request.subresource}" if request.subresource else "")
    resource_ok = any(r == "*" or r == combined or (request.subresource and r == "*/" + request.subresource)
                      for r in rule.resources)
    return (any(v in ("*", request.verb) for v in rule.verbs)
            and any(g in ("*", request.api_group) for g in rule.api_groups)
            and resource_ok and (not rule.resource_names or request.name in rule.resource_names))


def _reference(rbac: RbacSet, request: Request) -> bool:
    def rules_of(binding: Binding) -> tuple[PolicyRule, ...]:
        ref = binding.role_ref
        if ref.kind == "ClusterRole":
            found = [r for r in rbac.roles if r.kind is RoleKind.CLUSTER_ROLE and r.name == ref.name]
        elif ref.kind == "Role" and binding.kind is BindingKind.ROLE_BINDING:
            found = [r for r in rbac.roles if r.kind is RoleKind.ROLE and r.name == ref.name
                     and r.namespace == binding.namespace]
        else:
            found = []
        return found[-1].rules if found else ()

    for binding in rbac.bindings:
        if binding.kind is BindingKind.CLUSTER_ROLE_BINDING:
            scope = ""
        elif request.namespace and binding.namespace == request.namespace:
            scope = request.namespace
        else:
            continue
        applies = any(_applies(s, request.user, scope) for s in binding.subjects)
        if applies and any(_rule_allows(rule, request) for rule in rules_of(binding)):
            return True
    return False


@settings(max_examples=200, deadline=None)
@given(role_list=st.lists(roles, max_size=5), binding_list=st.lists(bindings, max_size=6),
       request=requests)
def test_index_agrees_with_brute_force(role_list: list[Role], binding_list: list[Binding], request: Request) -> None:
    unique: dict[tuple[RoleKind, str, str], Role] = {}
    for role in map(_normalise, role_list):
        unique[(role.kind, role.namespace, role.name)] = role
    rbac = RbacSet(tuple(unique.values()), tuple(map(_binding, binding_list)))
    assert authorize(build_index(rbac), request).allowed is _reference(rbac, request)
