"""ClusterRole aggregation as `pkg/controller/clusterroleaggregation` leaves it, observed through
`tierguard rbac can-i`.

Controller facts used (syncClusterRole): for each clusterRoleSelector in order, list ClusterRoles
(never Roles) matching `LabelSelectorAsSelector`, sort by name, skip the role itself, append each
rule not already present (`ruleExists`, DeepEqual), then overwrite the role's `rules`. Any
ClusterRole change re-enqueues every aggregated role, so aggregated roles that select other
aggregated roles converge to the transitive union.
"""

from __future__ import annotations

import pytest
from crbac_cli import CanI
from crbac_objects import Obj, cluster_role, crb, rb, role, rule

KEY = "rbac.example.com/aggregate-to-monitoring"


def _labels(key: str = KEY, value: str = "true") -> dict[str, str]:
    return {key: value}


def _selector(match_labels: dict[str, str] | None = None, expressions: list[Obj] | None = None) -> Obj:
    out: Obj = {}
    if match_labels is not None:
        out["matchLabels"] = match_labels
    if expressions is not None:
        out["matchExpressions"] = expressions
    return out


def _objects(*extra: Obj, selectors: list[Obj] | None = None, own: list[Obj] | None = None) -> list[Obj]:
    aggregate = cluster_role("monitoring", *(own or []),
                             selectors=selectors if selectors is not None else [_selector(_labels())])
    return [aggregate, crb("monitoring", "monitoring", "User:mon"), *extra]


PODS = cluster_role("pods", rule(["get"], [""], ["pods"]), labels=_labels())
SVCS = cluster_role("svcs", rule(["list"], [""], ["services"]), labels=_labels())
NODES_UNLABELLED = cluster_role("nodes", rule(["get"], [""], ["nodes"]))
NODES_OTHER_VALUE = cluster_role("nodes", rule(["get"], [""], ["nodes"]), labels=_labels(value="false"))


@pytest.mark.parametrize(("verb", "resource", "answer"), [
    ("get", "pods", "yes"),
    ("list", "services", "yes"),
    ("get", "nodes", "no"),  # not selected
    ("list", "pods", "no"),  # rules are unioned, never merged into broader ones
])
def test_aggregated_role_is_union_of_selected(can_i: CanI, verb: str, resource: str, answer: str) -> None:
    assert can_i(_objects(PODS, SVCS, NODES_OTHER_VALUE), verb, resource, "--as", "mon").text == answer


def test_aggregated_role_own_rules_are_replaced(can_i: CanI) -> None:
    objects = _objects(PODS, own=[rule(["get"], [""], ["secrets"])])
    result = can_i(objects, "get", "secrets", "--as", "mon")
    assert result.text == "no"
    assert "RBAC408" in result.stderr
    assert can_i(objects, "get", "pods", "--as", "mon").text == "yes"


def test_no_match_leaves_no_rules(can_i: CanI) -> None:
    objects = _objects(NODES_UNLABELLED, own=[rule(["get"], [""], ["nodes"])])
    assert can_i(objects, "get", "nodes", "--as", "mon").text == "no"


def test_selectors_are_ored(can_i: CanI) -> None:
    other = cluster_role("other", rule(["get"], [""], ["nodes"]), labels=_labels("team", "x"))
    objects = _objects(PODS, other, selectors=[_selector(_labels()), _selector({"team": "x"})])
    assert can_i(objects, "get", "pods", "--as", "mon").text == "yes"
    assert can_i(objects, "get", "nodes", "--as", "mon").text == "yes"


def test_match_labels_within_one_selector_are_anded(can_i: CanI) -> None:
    both = cluster_role("both", rule(["get"], [""], ["nodes"]), labels={KEY: "true", "tier": "x"})
    objects = _objects(PODS, both, selectors=[_selector({KEY: "true", "tier": "x"})])
    assert can_i(objects, "get", "nodes", "--as", "mon").text == "yes"
    assert can_i(objects, "get", "pods", "--as", "mon").text == "no"


@pytest.mark.parametrize(("expression", "pods", "nodes", "secrets"), [
    # pods: KEY=true ; nodes: KEY=false ; secrets: no KEY
    ({"key": KEY, "operator": "In", "values": ["true"]}, "yes", "no", "no"),
    ({"key": KEY, "operator": "In", "values": ["true", "false"]}, "yes", "yes", "no"),
    ({"key": KEY, "operator": "NotIn", "values": ["true"]}, "no", "yes", "yes"),  # absent key matches NotIn
    ({"key": KEY, "operator": "Exists"}, "yes", "yes", "no"),
    ({"key": KEY, "operator": "DoesNotExist"}, "no", "no", "yes"),
])
def test_match_expressions(can_i: CanI, expression: Obj, pods: str, nodes: str, secrets: str) -> None:
    secrets_role = cluster_role("secrets", rule(["get"], [""], ["secrets"]))
    objects = _objects(PODS, NODES_OTHER_VALUE, secrets_role, selectors=[_selector(expressions=[expression])])
    got = tuple(can_i(objects, "get", r, "--as", "mon").text for r in ("pods", "nodes", "secrets"))
    assert got == (pods, nodes, secrets)


def test_empty_selector_selects_every_cluster_role(can_i: CanI) -> None:
    """`LabelSelectorAsSelector` of an empty selector is `labels.Everything()`."""
    objects = _objects(PODS, NODES_UNLABELLED, selectors=[_selector()])
    assert can_i(objects, "get", "nodes", "--as", "mon").text == "yes"
    assert can_i(objects, "get", "pods", "--as", "mon").text == "yes"


def test_roles_are_never_aggregated(can_i: CanI) -> None:
    labelled_role = role("ns1", "pods", rule(["get"], [""], ["configmaps"]), labels=_labels())
    objects = _objects(labelled_role)
    assert can_i(objects, "get", "configmaps", "-n", "ns1", "--as", "mon").text == "no"


def test_aggregated_role_selecting_itself_is_skipped(can_i: CanI) -> None:
    me = cluster_role("monitoring", rule(["get"], [""], ["secrets"]), labels=_labels(),
                      selectors=[_selector(_labels())])
    objects = [me, crb("monitoring", "monitoring", "User:mon"), PODS]
    assert can_i(objects, "get", "pods", "--as", "mon").text == "yes"
    assert can_i(objects, "get", "secrets", "--as", "mon").text == "no"


def test_nested_aggregation_converges_to_transitive_union(can_i: CanI) -> None:
    """admin <- edit <- view, as the default roles are built: the top role gets everything."""
    view_rule = cluster_role("view-pods", rule(["get"], [""], ["pods"]), labels={"agg-view": "true"})
    edit_rule = cluster_role("edit-pods", rule(["update"], [""], ["pods"]), labels={"agg-edit": "true"})
    view = cluster_role("view", labels={"agg-edit": "true"}, selectors=[_selector({"agg-view": "true"})])
    edit = cluster_role("edit", labels={"agg-admin": "true"}, selectors=[_selector({"agg-edit": "true"})])
    admin = cluster_role("admin", selectors=[_selector({"agg-admin": "true"})])
    objects = [admin, edit, view, view_rule, edit_rule, crb("a", "admin", "User:mon"),
               crb("v", "view", "User:viewer")]
    assert can_i(objects, "get", "pods", "--as", "mon").text == "yes"
    assert can_i(objects, "update", "pods", "--as", "mon").text == "yes"
    assert can_i(objects, "get", "pods", "--as", "viewer").text == "yes"
    assert can_i(objects, "update", "pods", "--as", "viewer").text == "no"


def test_aggregation_cycle_terminates(can_i: CanI) -> None:
    a = cluster_role("a", labels={"x": "a"}, selectors=[_selector({"x": "b"})])
    b = cluster_role("b", labels={"x": "b"}, selectors=[_selector({"x": "a"})])
    leaf = cluster_role("leaf", rule(["get"], [""], ["pods"]), labels={"x": "a"})
    objects = [a, b, leaf, crb("bind", "b", "User:mon"), crb("bind-a", "a", "User:other")]
    assert can_i(objects, "get", "pods", "--as", "mon").text == "yes"
    # a selects only x=b (role b), whose union holds leaf's rule once the controller converges.
    assert can_i(objects, "get", "pods", "--as", "other").text == "yes"


def test_aggregated_rules_bound_by_rolebinding_stay_namespaced(can_i: CanI) -> None:
    aggregate = cluster_role("monitoring", selectors=[_selector(_labels())])
    objects = [aggregate, PODS, rb("ns1", "m", "monitoring", "User:mon")]
    assert can_i(objects, "get", "pods", "-n", "ns1", "--as", "mon").text == "yes"
    assert can_i(objects, "get", "pods", "-n", "ns2", "--as", "mon").text == "no"


def test_null_aggregation_rule_is_not_aggregated(can_i: CanI) -> None:
    """`aggregationRule: null` decodes to a nil pointer: the role keeps its own rules."""
    plain = cluster_role("plain", rule(["get"], [""], ["pods"]))
    plain["aggregationRule"] = None
    result = can_i([plain, crb("b", "plain", "User:mon")], "get", "pods", "--as", "mon")
    assert result.text == "yes"
    assert result.stderr == ""


def test_aggregation_rule_without_selectors_is_reported(can_i: CanI) -> None:
    """ValidateClusterRole requires a clusterRoleSelector when aggregationRule is set; the
    controller, given such a role, would replace its rules with the empty union."""
    empty = cluster_role("empty", rule(["get"], [""], ["pods"]))
    empty["aggregationRule"] = {}
    result = can_i([empty, crb("b", "empty", "User:mon")], "get", "pods", "--as", "mon")
    assert result.text == "no"
    assert "RBAC405 error: aggregationRule needs at least one clusterRoleSelector" in result.stderr


def test_overlapping_rules_are_added_once_in_name_order(can_i: CanI) -> None:
    """`ruleExists`: an equal rule from a later role (name order) is not added again, so
    --explain shows one grant, from the first role by name."""
    same = rule(["get"], [""], ["pods"])
    objects = _objects(cluster_role("b-second", same, labels=_labels()),
                       cluster_role("a-first", same, rule(["list"], [""], ["pods"]), labels=_labels()))
    lines = can_i(objects, "get", "pods", "--as", "mon", "--explain").stdout.splitlines()
    grants = [line for line in lines if line.startswith("  granted by")]
    assert len(grants) == 1
    assert "rules[0] (aggregated from ClusterRole a-first)" in grants[0]
