"""Malformed RBAC objects get located diagnostics, never a crash."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from rbac_factory import load
from tierguard.loader.yaml_source import load_yaml_text
from tierguard.model.rbac import BindingKind, RoleKind, SubjectKind, rbac_set_from_documents
from tierguard.rbac.authorizer import build_index

MALFORMED = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: typos
rules:
- apiGroups: [projectcalico.org]
  resources: [networkpolicies]
  verbs: [gets, Create, list]
- apiGroups: [""]
  verbs: [get]
- nonResourceURLs: [/healthz]
  resources: [pods]
  verbs: [get]
- verbs: []
  apiGroups: [""]
  resources: [pods]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: bad-subjects
  namespace: team-a
subjects:
- kind: user
  name: alice
- kind: ServiceAccount
  name: builder
- kind: Group
  name: ""
- kind: User
  name: bob
  apiGroup: example.com
- kind: ServiceAccount
  name: ci
  namespace: ci
  apiGroup: rbac.authorization.k8s.io
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: does-not-exist
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: crb
subjects:
- kind: ServiceAccount
  name: flux
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: typos
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: no-namespace
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get]
- nonResourceURLs: [/metrics]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: no-role-ref
  namespace: team-a
subjects: not-a-list
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: aggregated
aggregationRule:
  clusterRoleSelectors:
  - matchExpressions:
    - {key: a, operator: In, values: []}
    - {key: b, operator: Equals, values: [x]}
    - {key: c, operator: Exists, values: [x]}
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: typos
rules:
- apiGroups: [""]
  resources: [pods]
  verbs: [list]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: ignored}
"""


def test_every_problem_is_located() -> None:
    _, diagnostics = load(MALFORMED)
    assert [(d.code, d.span.line if d.span else 0, d.span.col if d.span else 0, d.field_path)
            for d in diagnostics] == [
        ("RBAC401", 8, 11, "rules[0].verbs[0]"),
        ("RBAC401", 8, 17, "rules[0].verbs[1]"),
        ("RBAC406", 9, 3, "rules[1].resources"),
        ("RBAC406", 11, 3, "rules[2].nonResourceURLs"),
        ("RBAC406", 14, 3, "rules[3].verbs"),
        ("RBAC403", 24, 3, "subjects[0].kind"),
        ("RBAC403", 28, 3, "subjects[2].name"),
        ("RBAC403", 30, 3, "subjects[3].apiGroup"),
        ("RBAC403", 33, 3, "subjects[4].apiGroup"),
        ("RBAC407", 51, 3, "roleRef.kind"),
        ("RBAC404", 47, 3, "subjects[0].namespace"),
        ("RBAC411", 57, 3, "metadata.namespace"),
        ("RBAC406", 62, 3, "rules[1].nonResourceURLs"),
        ("RBAC405", 65, 1, "roleRef"),
        ("RBAC405", 70, 11, "subjects"),
        ("RBAC409", 79, 7, "aggregationRule.clusterRoleSelectors[0].matchExpressions[0].values"),
        ("RBAC409", 80, 7, "aggregationRule.clusterRoleSelectors[0].matchExpressions[1].operator"),
        ("RBAC409", 81, 7, "aggregationRule.clusterRoleSelectors[0].matchExpressions[2].values"),
        ("RBAC408", 82, 1, "rules"),
        ("RBAC410", 87, 1, "metadata.name"),
        ("RBAC402", 38, 3, "roleRef.name"),
    ]


def test_messages_and_hints_for_typos() -> None:
    _, diagnostics = load(MALFORMED)
    by_code = {(d.code, d.field_path): d for d in diagnostics}
    gets = by_code[("RBAC401", "rules[0].verbs[0]")]
    assert gets.message == "unknown verb 'gets': it will never match a request"
    assert gets.hint == "did you mean `get`?"
    assert by_code[("RBAC401", "rules[0].verbs[1]")].hint == "verbs are case-sensitive: write `create`"
    assert by_code[("RBAC403", "subjects[0].kind")].hint == "kinds are case-sensitive: write `User`"
    missing = by_code[("RBAC402", "roleRef.name")]
    assert missing.message == ("RoleBinding team-a/bad-subjects refers to ClusterRole 'does-not-exist', "
                               "which is not among the loaded RBAC objects; it grants nothing")
    assert str(missing.resource) == "RoleBinding team-a/bad-subjects"


def test_objects_are_still_read_as_far_as_possible() -> None:
    result = load_yaml_text(MALFORMED, "rbac.yaml")
    rbac, _ = rbac_set_from_documents(result.documents)
    roles = {(r.kind, r.namespace, r.name): r for r in rbac.roles}
    assert set(roles) == {(RoleKind.CLUSTER_ROLE, "", "typos"), (RoleKind.ROLE, "default", "no-namespace"),
                          (RoleKind.CLUSTER_ROLE, "", "aggregated")}
    assert roles[(RoleKind.CLUSTER_ROLE, "", "typos")].rules[0].verbs == ("list",)  # the later duplicate
    bindings = {b.name: b for b in rbac.bindings}
    assert [s.kind for s in bindings["bad-subjects"].subjects] == [
        SubjectKind.INVALID, SubjectKind.SERVICE_ACCOUNT, SubjectKind.GROUP, SubjectKind.USER,
        SubjectKind.SERVICE_ACCOUNT]
    assert bindings["no-role-ref"].kind is BindingKind.ROLE_BINDING
    assert bindings["no-role-ref"].subjects == ()
    agg = roles[(RoleKind.CLUSTER_ROLE, "", "aggregated")].aggregation
    assert agg is not None and not agg[0].valid


_scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5))
_values = st.recursive(_scalars, lambda children: st.one_of(
    st.lists(children, max_size=3), st.dictionaries(st.sampled_from(
        ["kind", "name", "rules", "verbs", "subjects", "roleRef", "apiGroups", "resources", "namespace",
         "metadata", "aggregationRule", "clusterRoleSelectors", "matchExpressions", "operator", "values"]),
        children, max_size=4)), max_leaves=12)


@settings(max_examples=150, deadline=None)
@given(kind=st.sampled_from(["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding", "RoleList"]),
       body=st.dictionaries(st.sampled_from(["metadata", "rules", "subjects", "roleRef", "aggregationRule",
                                             "items"]), _values, max_size=5))
def test_arbitrary_shapes_never_crash(kind: str, body: dict[str, object]) -> None:
    import json
    text = json.dumps({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, **body})
    result = load_yaml_text(text, "fuzz.yaml")
    rbac, diagnostics = rbac_set_from_documents(result.documents)
    build_index(rbac)
    assert all(d.code.startswith("RBAC4") for d in diagnostics)
