"""Property: for random bindings and identities, `tierguard rbac can-i` agrees with a direct
transcription of upstream `VisitRulesFor` + `appliesToUser` + `GetRoleReferenceRules` and the
impersonation filter's group rules. Only the bindings vary; every role allows `get pods`.
"""

from __future__ import annotations

from crbac_cli import CanI, user_args
from crbac_objects import Obj, cluster_role, crb, rb, role, rule
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SA_PREFIX = "system:serviceaccount:"
ROLES: list[Obj] = [cluster_role("cr", rule(["get"], [""], ["pods"])),
                    role("a", "r", rule(["get"], [""], ["pods"]))]

_subjects = st.sampled_from(["User:x", "User:y", "User:system:serviceaccount:a:x", "Group:g1",
                             "Group:system:serviceaccounts:a", "Group:system:authenticated",
                             "ServiceAccount:a:x", "ServiceAccount::x", "ServiceAccount:b:x"])
_bindings = st.tuples(st.sampled_from(["crb", "a", "b"]), st.sampled_from(["ClusterRole", "Role"]),
                      st.lists(_subjects, min_size=1, max_size=3))
_identity = st.tuples(st.sampled_from(["x", "y", "system:serviceaccount:a:x", "system:serviceaccount:b:x",
                                       "system:anonymous"]),
                      st.lists(st.sampled_from(["g1", "g2"]), max_size=2, unique=True),
                      st.sampled_from(["", "a", "b"]))


def _groups(user: str, given_groups: list[str]) -> list[str]:
    groups = list(given_groups)
    parts = user[len(SA_PREFIX):].split(":") if user.startswith(SA_PREFIX) else []
    if len(parts) == 2 and not given_groups:
        groups = ["system:serviceaccounts", f"system:serviceaccounts:{parts[0]}"]
    if user != "system:anonymous":
        if "system:authenticated" not in groups and "system:unauthenticated" not in groups:
            groups.append("system:authenticated")
    elif "system:unauthenticated" not in groups:
        groups.append("system:unauthenticated")
    return groups


def _applies(spec: str, user: str, groups: list[str], binding_ns: str) -> bool:
    kind, _, rest = spec.partition(":")
    if kind == "User":
        return user == rest
    if kind == "Group":
        return rest in groups
    sa_ns, _, name = rest.partition(":")
    sa_ns = sa_ns or binding_ns
    return bool(sa_ns) and user == f"{SA_PREFIX}{sa_ns}:{name}"


def _expected(bindings: list[tuple[str, str, list[str]]], user: str, groups: list[str], namespace: str) -> bool:
    for where, ref_kind, subjects in bindings:
        if where == "crb":
            # A ClusterRoleBinding resolves only ClusterRoles, and applies in every namespace.
            resolves, binding_ns = ref_kind == "ClusterRole", ""
        else:
            # A RoleBinding applies in its namespace; the Role `r` exists only in namespace a.
            resolves, binding_ns = where == namespace and (ref_kind == "ClusterRole" or where == "a"), where
        if resolves and any(_applies(s, user, groups, binding_ns) for s in subjects):
            return True
    return False


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_bindings, min_size=1, max_size=4), _identity)
def test_cli_agrees_with_visit_rules_for(can_i: CanI, bindings: list[tuple[str, str, list[str]]],
                                         identity: tuple[str, list[str], str]) -> None:
    user, given_groups, namespace = identity
    objects = list(ROLES)
    for index, (where, ref_kind, subjects) in enumerate(bindings):
        ref = "cr" if ref_kind == "ClusterRole" else "r"
        if where == "crb":
            objects.append(crb(f"b{index}", ref, *subjects, role_kind=ref_kind))
        else:
            objects.append(rb(where, f"b{index}", ref, *subjects, role_kind=ref_kind))
    argv = ["get", "pods", *(["-n", namespace] if namespace else []), *user_args(user, given_groups)]
    expected = _expected(bindings, user, _groups(user, given_groups), namespace)
    assert can_i(objects, *argv).text == ("yes" if expected else "no")
