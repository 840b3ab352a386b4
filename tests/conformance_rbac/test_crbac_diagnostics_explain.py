"""Malformed RBAC objects never crash `can-i`: the answer stays on stdout (yes/exit 0, no/exit 1)
and each problem is a located diagnostic on stderr. `--explain` names the granting rules, with
binding, role, rule index and file position, and the missing checks with their near misses.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from crbac_cli import CanI
from crbac_objects import Obj, cluster_role, crb, rule
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tierguard.cli.main import main

MALFORMED = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: readers
rules:
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["gets", "Create", "list"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: missing
  namespace: ns1
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: nope}
subjects:
- {kind: user, name: alice}
- {kind: Robot, name: bob}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: ok
  namespace: ns1
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: readers}
subjects:
- {kind: User, name: alice}
"""

MALFORMED_STDERR = [
    ("rbac.yaml:8:11: RBAC401 warning: unknown verb 'gets': it will never match a request "
    "(hint: did you mean `get`?)"),
    ("rbac.yaml:8:19: RBAC401 warning: unknown verb 'Create': it will never match a request "
    "(hint: verbs are case-sensitive: write `create`)"),
    ("rbac.yaml:15:10: RBAC402 warning: RoleBinding ns1/missing refers to ClusterRole 'nope', which is "
    "not among the loaded RBAC objects; it grants nothing"),
    ("rbac.yaml:17:4: RBAC403 error: subject kind 'user' is not User, Group or ServiceAccount; it never "
    "matches (hint: kinds are case-sensitive: write `User`)"),
    "rbac.yaml:18:4: RBAC403 error: subject kind 'Robot' is not User, Group or ServiceAccount; it never matches",
]


@pytest.mark.parametrize(("verb", "answer"), [
    ("list", "yes"),
    ("get", "no"),  # `gets` is not `get`
    ("create", "no"),  # verbs are case-sensitive
    ("gets", "yes"),  # VerbMatches is plain equality: a literal `gets` request does match
])
def test_malformed_objects_answer_and_report(can_i: CanI, verb: str, answer: str) -> None:
    result = can_i(MALFORMED, verb, "pods", "-n", "ns1", "--as", "alice")
    assert result.text == answer
    assert result.stderr.splitlines() == MALFORMED_STDERR


def test_bad_subject_kind_never_matches(can_i: CanI) -> None:
    """`appliesToUser` default branch: an unknown kind (even `user`) matches nobody."""
    objects = MALFORMED.replace("name: nope", "name: readers")
    assert can_i(objects, "list", "pods", "-n", "ns1", "--as", "bob").text == "no"


@pytest.mark.parametrize(("text", "stderr_line"), [
    ("a: [\n", ("rbac.yaml:2:1: YML001 error: YAML syntax error: did not find expected node content "
               "(while parsing a flow node)")),
    ("", "rbac.yaml:1:1: YML006 warning: file has no YAML documents"),
    ("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: oops\nrules: all\n",
     "rbac.yaml:3:11: RBAC405 error: metadata must be a mapping"),
    ("apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: x, namespace: a}\n",
     "rbac.yaml:1:1: RBAC405 error: missing required field roleRef"),
])
def test_unreadable_input_is_a_diagnostic(can_i: CanI, text: str, stderr_line: str) -> None:
    result = can_i(text, "get", "pods", "--as", "alice")
    assert result.text == "no"
    assert stderr_line in result.stderr.splitlines()


def test_binary_file_is_a_diagnostic(can_i: CanI) -> None:
    result = can_i("\x00\x01binary", "get", "pods", "--as", "alice")
    assert result.text == "no"
    assert "rbac.yaml:1:1: YML007 error: file contains NUL bytes; it is binary, not YAML" in result.stderr


# --- Fuzz: RBAC-shaped objects with wrong types anywhere never crash the CLI.
_scalar = st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.sampled_from(
    ["", "*", "get", "pods", "User", "Group", "ServiceAccount", "ClusterRole", "Role", "alice", "ns1", "In"]))
_value = st.recursive(_scalar, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
        ["kind", "name", "namespace", "apiGroup", "verbs", "apiGroups", "resources", "resourceNames",
         "nonResourceURLs", "matchLabels", "matchExpressions", "key", "operator", "values"]), inner, max_size=4)),
    max_leaves=8)
_objects = st.fixed_dictionaries(
    {"apiVersion": st.just("rbac.authorization.k8s.io/v1"),
     "kind": st.sampled_from(["Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"])},
    optional={"metadata": _value, "rules": _value, "roleRef": _value, "subjects": _value,
              "aggregationRule": _value})


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(_objects, max_size=3))
def test_fuzzed_objects_never_crash(can_i: CanI, objects: list[Obj]) -> None:
    # The fixture asserts the yes/0 or no/1 contract, so an internal error (exit 3) fails here.
    can_i(objects, "get", "pods", "-n", "ns1", "--as", "alice", "--explain")


# --- --explain
EXPLAIN_RBAC = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: see-platform
rules:
- apiGroups: ["projectcalico.org"]
  resources: ["tiers"]
  resourceNames: ["platform"]
  verbs: ["get"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: edit-platform
rules:
- apiGroups: ["projectcalico.org"]
  resources: ["networkpolicies"]
  verbs: ["create", "update"]
- apiGroups: ["projectcalico.org"]
  resources: ["tier.networkpolicies"]
  resourceNames: ["platform.*"]
  verbs: ["create", "update"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: alice-see
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: see-platform}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: alice-edit
  namespace: team-a
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: edit-platform}
subjects:
- {apiGroup: rbac.authorization.k8s.io, kind: User, name: alice}
"""
NP = "networkpolicies.projectcalico.org"


def test_explain_names_every_granting_rule(can_i: CanI) -> None:
    result = can_i(EXPLAIN_RBAC, "create", NP, "-n", "team-a", "--as", "alice", "--tier", "platform", "--explain")
    assert result.stdout.splitlines() == [
        "yes",
        "allowed (rbac): create networkpolicies.projectcalico.org in namespace team-a",
        "  granted by RoleBinding team-a/alice-edit -> ClusterRole edit-platform rules[0] at rbac.yaml:16:3",
        "allowed (tier visibility): get tiers.projectcalico.org 'platform' (cluster-wide)",
        "  granted by ClusterRoleBinding alice-see -> ClusterRole see-platform rules[0] at rbac.yaml:6:3",
        "allowed (tier policy grant): create tier.networkpolicies.projectcalico.org 'platform.*' in namespace team-a",
        "  granted by RoleBinding team-a/alice-edit -> ClusterRole edit-platform rules[1] at rbac.yaml:19:3",
    ]
    assert result.stderr == ""


def test_explain_names_missing_checks_and_near_misses(can_i: CanI) -> None:
    result = can_i(EXPLAIN_RBAC, "update", NP, "web", "-n", "team-a", "--as", "alice",
                   "--tier", "platform", "--tier", "security", "--explain")
    lines = result.stdout.splitlines()
    assert lines[0] == "no"
    assert lines[7:] == [
        "missing (tier visibility): get tiers.projectcalico.org 'security' (cluster-wide)",
        "  no rule grants it (1 binding(s) apply to the user here)",
        ("  almost: ClusterRoleBinding alice-see -> ClusterRole see-platform rules[0] at rbac.yaml:6:3: "
        "name 'security' is not in resourceNames ['platform']"),
        "missing (tier policy grant): update tier.networkpolicies.projectcalico.org 'security.*' in namespace team-a",
        "  no rule grants it (2 binding(s) apply to the user here)",
        ("  almost: RoleBinding team-a/alice-edit -> ClusterRole edit-platform rules[1] at rbac.yaml:19:3: "
        "name 'security.*' is not in resourceNames ['platform.*']"),
        ("missing (tier policy grant (exact name)): update tier.networkpolicies.projectcalico.org 'web' "
        "in namespace team-a"),
        "  no rule grants it (2 binding(s) apply to the user here)",
        ("  almost: RoleBinding team-a/alice-edit -> ClusterRole edit-platform rules[1] at rbac.yaml:19:3: "
        "name 'web' is not in resourceNames ['platform.*']"),
    ]


def test_explain_for_plain_rbac_names_the_verb_near_miss(can_i: CanI) -> None:
    result = can_i(EXPLAIN_RBAC, "list", NP, "-n", "team-a", "--as", "alice", "--explain")
    assert result.stdout.splitlines() == [
        "no",
        "missing (rbac): list networkpolicies.projectcalico.org in namespace team-a",
        "  no rule grants it (2 binding(s) apply to the user here)",
        ("  almost: RoleBinding team-a/alice-edit -> ClusterRole edit-platform rules[0] at rbac.yaml:16:3: "
        "verb 'list' is not in ['create', 'update']"),
        "note: no tier given: the result is filtered to the tiers the user may get",
        "note: tiers visible to the user: platform",
    ]


def test_explain_names_the_aggregated_source_role(can_i: CanI) -> None:
    objects = [cluster_role("agg", selectors=[{"matchLabels": {"a": "b"}}]),
               cluster_role("leaf", rule(["get"], [""], ["pods"]), labels={"a": "b"}),
               crb("bind", "agg", "User:alice")]
    result = can_i(objects, "get", "pods", "--as", "alice", "--explain")
    assert result.stdout.splitlines()[:3] == [
        "yes",
        "allowed (rbac): get pods (cluster-wide)",
        ("  granted by ClusterRoleBinding bind -> ClusterRole agg rules[0] (aggregated from ClusterRole leaf) "
        "at rbac.yaml:4:133"),  # leaf's rule: line 4 (2nd document), column of `{"verbs"`
    ]


@pytest.mark.parametrize(("argv", "message"), [
    (["get", "/healthz", "foo"], "a non-resource URL takes no NAME (got 'foo')"),
    (["get", "/healthz", "--subresource", "x"], "--subresource needs a RESOURCE without /SUBRESOURCE"),
    (["get", "pods/log", "--subresource", "x"], "--subresource needs a RESOURCE without /SUBRESOURCE"),
    (["get", ""], "RESOURCE must not be empty"),
    (["get", "pods", "--calico-version", "banana"], "not a Calico version: 'banana' (expected e.g. 3.32)"),
])
def test_usage_errors_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                             capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "rbac.yaml").write_text(EXPLAIN_RBAC, encoding="utf-8")
    code = main(["rbac", "can-i", *argv, "--as", "alice", "--rbac", "rbac.yaml"])
    out, err = capsys.readouterr()
    assert (code, out, err) == (2, "", f"tierguard: error: {message}\n")


def test_missing_rbac_path_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    code = main(["rbac", "can-i", "get", "pods", "--as", "alice", "--rbac", "nope.yaml"])
    assert (code, *capsys.readouterr()) == (2, "", "tierguard: error: no such file or directory: nope.yaml\n")


@pytest.mark.parametrize(("the_rule", "warned"), [
    # Non-resource requests carry the lower-cased HTTP method as verb.
    (rule(["get", "post", "put", "head", "options", "delete", "patch"], urls=["/x"]), []),
    (rule(["list"], urls=["/x"]), ["list"]),  # only resource requests are lists
    (rule(["post"], [""], ["pods"]), ["post"]),  # resource requests never say post
    (rule(["get", "list", "watch", "deletecollection", "use", "bind", "escalate", "impersonate"],
          [""], ["pods"]), []),
])
def test_unknown_verb_depends_on_rule_kind(can_i: CanI, the_rule: Obj, warned: list[str]) -> None:
    result = can_i([cluster_role("r", the_rule), crb("b", "r", "User:u")], "post", "/x", "--as", "u")
    found = [line.split("unknown verb ", 1)[1].split("'")[1] for line in result.stderr.splitlines()
             if "RBAC401" in line]
    assert found == warned


def test_default_rbac_path_is_tiers_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiers" / "platform").mkdir(parents=True)
    (tmp_path / "tiers" / "platform" / "rbac.yml").write_text(EXPLAIN_RBAC, encoding="utf-8")
    (tmp_path / "tiers" / "notes.txt").write_text("not yaml: [", encoding="utf-8")
    code = main(["rbac", "can-i", "create", NP, "-n", "team-a", "--as", "alice", "--tier", "platform"])
    assert (code, *capsys.readouterr()) == (0, "yes\n", "")
