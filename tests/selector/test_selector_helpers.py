"""Kubernetes LabelSelector conversion, scoping helpers, AST walking, LabelSets, length."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tierguard.selector import (
    AndNode,
    GlobalNode,
    HasNode,
    LabelInterner,
    LabelSelectorError,
    LabelSet,
    NotNode,
    SelectorError,
    ValueNode,
    ValueOp,
    conjoin,
    global_nodes,
    global_policy_selector,
    is_only_global,
    labels_used,
    length_error,
    map_labels,
    namespace_selector,
    namespaced_policy_selector,
    parse,
    pod_selector,
    prefix_labels,
    rule_namespace_selector,
    rule_service_account_selector,
    walk,
)

# --- Kubernetes LabelSelector -> Calico (calico-semantics §1.9) ---------------------------------

K8S = "projectcalico.org/orchestrator"


def test_pod_selector_match_labels_sorted_after_orchestrator_clause() -> None:
    selector = pod_selector({"matchLabels": {"tier": "db", "app": "web"}})
    assert str(selector) == f'({K8S} == "k8s" && app == "web" && tier == "db")'


def test_pod_selector_match_expressions_in_order() -> None:
    selector = pod_selector({
        "matchLabels": {"app": "web"},
        "matchExpressions": [
            {"key": "tier", "operator": "In", "values": ["b", "a", "b"]},
            {"key": "env", "operator": "NotIn", "values": ["dev"]},
            {"key": "team", "operator": "Exists"},
            {"key": "debug", "operator": "DoesNotExist", "values": []},
        ]})
    assert str(selector) == (f'({K8S} == "k8s" && app == "web" && tier in {{"a", "b"}} && '
                             'env not in {"dev"} && has(team) && !has(debug))')
    assert selector.matches({K8S: "k8s", "app": "web", "tier": "a", "team": "x"})
    assert not selector.matches({K8S: "k8s", "app": "web", "tier": "a", "team": "x",
                                 "debug": "1"})
    assert not selector.matches({"app": "web", "tier": "a", "team": "x"})  # not a k8s pod


def test_empty_and_absent_pod_selectors_select_all_pods() -> None:
    assert str(pod_selector({})) == f'{K8S} == "k8s"'
    assert str(pod_selector(None)) == f'{K8S} == "k8s"'
    assert str(pod_selector({}, orchestrator_clause=False)) == "all()"
    assert str(pod_selector({"matchLabels": {"a": "b"}}, orchestrator_clause=False)) == 'a == "b"'


def test_namespace_selector() -> None:
    assert namespace_selector(None) is None
    assert str(namespace_selector({})) == "all()"
    assert str(namespace_selector({"matchLabels": {}, "matchExpressions": []})) == "all()"
    assert str(namespace_selector({"matchLabels": {"team": "a"}})) == 'team == "a"'


@pytest.mark.parametrize(("label_selector", "field_path", "reason"), [
    ({"matchExpressions": [{"key": "a", "operator": "Equals", "values": ["b"]}]},
     "matchExpressions[0].operator",
     "unknown operator 'Equals' (expected In, NotIn, Exists or DoesNotExist)"),
    ({"matchExpressions": [{"key": "a", "operator": "in", "values": ["b"]}]},
     "matchExpressions[0].operator",
     "unknown operator 'in' (expected In, NotIn, Exists or DoesNotExist)"),
    ({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]},
     "matchExpressions[0]", "operator In needs at least one value"),
    ({"matchExpressions": [{"key": "a", "operator": "NotIn"}]},
     "matchExpressions[0]", "operator NotIn needs at least one value"),
    ({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]},
     "matchExpressions[0].values", "operator Exists takes no values"),
    ({"matchExpressions": [{"operator": "Exists"}]},
     "matchExpressions[0].key", "expected a string, found NoneType"),
    ({"matchLabels": {"a": 1}}, "matchLabels.a", "expected a string, found int"),
    ({"matchLabels": ["a"]}, "matchLabels", "matchLabels must be a mapping"),
    ({"matchExpressions": "a"}, "matchExpressions", "matchExpressions must be a list"),
    ({"matchExpressions": ["a"]}, "matchExpressions[0]", "a match expression must be a mapping"),
])
def test_bad_label_selectors(label_selector: dict[str, object], field_path: str,
                             reason: str) -> None:
    with pytest.raises(LabelSelectorError) as caught:
        pod_selector(label_selector)
    assert (caught.value.field_path, caught.value.reason) == (field_path, reason)
    assert isinstance(caught.value, ValueError)


def test_label_selector_not_expressible_in_calico() -> None:
    with pytest.raises(LabelSelectorError) as caught:
        pod_selector({"matchLabels": {"bad key": "x"}})
    assert caught.value.reason == (
        "not expressible as a Calico selector: expected an operator after label 'bad' in "
        "\"projectcalico.org/orchestrator == 'k8s' && bad key == 'x'\"")
    with pytest.raises(LabelSelectorError) as quoted:
        namespace_selector({"matchLabels": {"a": "it's"}})
    assert quoted.value.reason.startswith("not expressible as a Calico selector: ")


K8S_KEYS = st.sampled_from(["app", "tier", "team"])
K8S_VALUES = st.sampled_from(["a", "b", "c"])
EXPRESSIONS = st.one_of(
    st.fixed_dictionaries({"key": K8S_KEYS, "operator": st.sampled_from(["In", "NotIn"]),
                           "values": st.lists(K8S_VALUES, min_size=1, max_size=3)}),
    st.fixed_dictionaries({"key": K8S_KEYS,
                           "operator": st.sampled_from(["Exists", "DoesNotExist"])}))


def k8s_matches(label_selector: dict[str, object], labels: dict[str, str]) -> bool:
    """Kubernetes' own LabelSelector semantics, for comparison."""
    match_labels = label_selector.get("matchLabels", {})
    assert isinstance(match_labels, dict)
    if any(labels.get(k) != v for k, v in match_labels.items()):
        return False
    expressions = label_selector.get("matchExpressions", [])
    assert isinstance(expressions, list)
    for e in expressions:
        key, op = e["key"], e["operator"]
        if op == "In" and labels.get(key) not in e["values"]:
            return False
        if op == "NotIn" and key in labels and labels[key] in e["values"]:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


@settings(max_examples=150, deadline=None)
@given(st.fixed_dictionaries({"matchLabels": st.dictionaries(K8S_KEYS, K8S_VALUES, max_size=2),
                              "matchExpressions": st.lists(EXPRESSIONS, max_size=3)}),
       st.lists(st.dictionaries(K8S_KEYS, K8S_VALUES), min_size=1, max_size=5))
def test_conversion_keeps_kubernetes_semantics(label_selector: dict[str, object],
                                               label_maps: list[dict[str, str]]) -> None:
    selector = pod_selector(label_selector, orchestrator_clause=False)
    for labels in label_maps:
        assert selector.matches(labels) is k8s_matches(label_selector, labels)


# --- Scoping (calico-semantics §3.2, §3.5) -----------------------------------------------------

def test_prefix_visitor_prefixes_every_label_but_not_all() -> None:
    selector = parse("a == 'x' && has(b) || c in {'1'} && !d contains 'z' && all() && "
                     "e starts with 'p' && f ends with 's' && g != 'n' && h not in {} && global()")
    assert str(prefix_labels(selector, "pcns.")) == (
        '((pcns.a == "x" && has(pcns.b)) || (pcns.c in {"1"} && !pcns.d contains "z" && all() && '
        'pcns.e starts with "p" && pcns.f ends with "s" && pcns.g != "n" && pcns.h not in {} && '
        'global()))')


@pytest.mark.parametrize(("namespace_selector_text", "effective"), [
    ("all()", "has(projectcalico.org/namespace)"),
    ("", "has(projectcalico.org/namespace)"),
    ("global()", "!has(projectcalico.org/namespace)"),
    ("!global()", "has(projectcalico.org/namespace)"),
    ("team == 'a'", 'pcns.team == "a"'),
    ("projectcalico.org/name == 'prod'", 'pcns.projectcalico.org/name == "prod"'),
    ("!has(team)", "!has(pcns.team)"),
    ("has(team) && all()", "(has(pcns.team) && has(projectcalico.org/namespace))"),
    # Calico replaces text, so a value spelling all() is rewritten too.
    ("name == 'all()'", 'pcns.name == "has(projectcalico.org/namespace)"'),
])
def test_rule_namespace_selector(namespace_selector_text: str, effective: str) -> None:
    assert str(rule_namespace_selector(namespace_selector_text)) == effective


def test_rule_namespace_selector_scopes_to_namespaced_objects() -> None:
    namespaced = {"projectcalico.org/namespace": "shop", "pcns.team": "a"}
    host_endpoint = {"role": "node"}
    assert rule_namespace_selector("all()").matches(namespaced)
    assert not rule_namespace_selector("all()").matches(host_endpoint)
    assert rule_namespace_selector("global()").matches(host_endpoint)
    assert not rule_namespace_selector("global()").matches(namespaced)
    # The code-derived edge case: a negative namespaceSelector also matches global objects.
    assert rule_namespace_selector("!has(team)").matches(host_endpoint)


def test_rule_service_account_selector() -> None:
    assert str(rule_service_account_selector("role == 'api'")) == 'pcsa.role == "api"'
    assert str(rule_service_account_selector("")) == "all()"


def test_namespaced_policy_selector() -> None:
    assert str(namespaced_policy_selector("", "shop")) == 'projectcalico.org/namespace == "shop"'
    assert str(namespaced_policy_selector("app == 'web'", "shop")) == (
        '(app == "web" && projectcalico.org/namespace == "shop")')
    assert str(namespaced_policy_selector("a == '1' || b == '2'", "shop")) == (
        '((a == "1" || b == "2") && projectcalico.org/namespace == "shop")')
    assert str(namespaced_policy_selector("app == 'web'", "shop", "role == 'x'")) == (
        '((app == "web" && projectcalico.org/namespace == "shop") && pcsa.role == "x")')


def test_global_policy_selector() -> None:
    assert str(global_policy_selector("app == 'web'")) == 'app == "web"'
    assert str(global_policy_selector("app == 'web'", "team == 'a'")) == (
        '(app == "web" && pcns.team == "a")')
    assert str(global_policy_selector("", "team == 'a'", "role == 'b'")) == (
        '(pcns.team == "a" && pcsa.role == "b")')
    # every all(), including the policy's own, is rewritten once a namespaceSelector is set
    assert str(global_policy_selector("all()", "all()")) == (
        "(has(projectcalico.org/namespace) && has(projectcalico.org/namespace))")
    assert str(global_policy_selector("all()", "", "all()")) == (
        "(has(projectcalico.org/serviceaccount) && has(projectcalico.org/serviceaccount))")
    with pytest.raises(SelectorError) as caught:
        global_policy_selector("app = 'x'", "team == 'a'")
    assert caught.value.column == 4


def test_conjoin() -> None:
    a, b, c = parse("a == 'x'"), parse("b == 'y' || c == 'z'"), parse("has(d) && has(e)")
    assert conjoin(a) is a
    assert str(conjoin(a, b)) == '(a == "x" && (b == "y" || c == "z"))'
    assert str(conjoin(a, c)) == '(a == "x" && (has(d) && has(e)))'
    assert str(conjoin(a, b, c)) == '(a == "x" && (b == "y" || c == "z") && (has(d) && has(e)))'
    # identical to parsing Calico's "(%s) && %s" text
    assert conjoin(b, c) == parse(f"({b}) && {c}")
    with pytest.raises(ValueError):
        conjoin()


# --- Walking ----------------------------------------------------------------------------------

def test_walk_is_preorder_left_to_right() -> None:
    selector = parse("!(a == 'x' && has(b)) || global()")
    assert [type(node).__name__ for node in walk(selector)] == [
        "OrNode", "NotNode", "AndNode", "ValueNode", "HasNode", "GlobalNode"]


def test_global_nodes_carry_their_columns() -> None:
    selector = parse("has(a) && (global() || !global( ))")
    assert [node.column for node in global_nodes(selector)] == [11, 24]
    assert not is_only_global(selector)
    assert is_only_global(parse(" ( global() ) "))
    assert global_nodes(parse("has(a)")) == ()


def test_labels_used_and_map_labels() -> None:
    selector = parse("a == 'x' || !has(b) && c in {'1'} && all()")
    assert labels_used(selector) == frozenset({"a", "b", "c"})
    renamed = map_labels(selector, str.upper)
    assert str(renamed) == '(A == "x" || (!has(B) && C in {"1"} && all()))'
    assert map_labels(HasNode("a"), str.upper) == HasNode("A")
    assert map_labels(GlobalNode(), str.upper) == GlobalNode()
    assert map_labels(NotNode(AndNode((HasNode("a"), ValueNode("b", ValueOp.EQ, "c")))),
                      str.upper) == NotNode(AndNode((HasNode("A"), ValueNode("B", ValueOp.EQ,
                                                                              "c"))))


# --- LabelSets and memoised evaluation --------------------------------------------------------

def test_label_set_is_immutable_and_hashable() -> None:
    labels = LabelSet({"a": "1"})
    mutators: list[Callable[[], object]] = [
        lambda: labels.__setitem__("b", "2"), lambda: labels.__delitem__("a"), labels.clear,
        lambda: labels.pop("a"), labels.popitem, lambda: labels.setdefault("b", "2"),
        lambda: labels.update({"b": "2"}), lambda: labels.__ior__({"b": "2"})]
    for mutate in mutators:
        with pytest.raises(TypeError):
            mutate()
    assert labels == {"a": "1"}
    assert hash(labels) == hash(LabelSet({"a": "1"}))
    assert pickle.loads(pickle.dumps(labels)) == labels
    assert repr(labels) == "LabelSet({'a': '1'})"


def test_interner_shares_one_label_set_per_distinct_mapping() -> None:
    interner = LabelInterner()
    first = interner.intern({"a": "1", "b": "2"})
    assert interner.intern({"b": "2", "a": "1"}) is first
    assert interner.intern({"a": "1"}) is not first
    assert len(interner) == 2


def test_memoised_and_direct_matching_agree() -> None:
    selector = parse("a != 'x' && b in {'1', '2'}")
    interner = LabelInterner()
    cases = [({"b": "1"}, True), ({"a": "x", "b": "1"}, False), ({}, False), ({"b": "3"}, False)]
    for labels, expected in cases:
        interned = interner.intern(labels)
        assert (selector.matches(labels), selector.matches(interned),
                selector.matches(interned), selector.compiled()(labels)) == (expected,) * 4


def test_selector_pickles_by_canonical_text() -> None:
    selector = parse("a == 'x' && !has(b)")
    copy = pickle.loads(pickle.dumps(selector))
    assert copy == selector and str(copy) == '(a == "x" && !has(b))'
    assert copy.matches({"a": "x"})
    assert repr(selector) == "Selector('(a == \"x\" && !has(b))')"


def test_deep_selectors_compile_through_closures() -> None:
    text = "has(x0)"
    for level in range(1, 60):  # x59 && (x58 || (x57 && (... has(x0))))
        text = f"has(x{level}) {'&&' if level % 2 else '||'} ({text})"
    selector = parse(text)
    assert isinstance(selector.root, AndNode)
    everything = {f"x{level}": "" for level in range(60)}
    assert selector.matches(everything) and selector.matches({"x59": "", "x58": ""})
    assert not selector.matches({"x59": ""}) and not selector.matches({})
    assert selector.matches({"x59": "", "x57": "", "x55": "", "x53": "", "x52": ""})
    negated = parse("!(" * 45 + "has(a) && c not in {'2'}" + ")" * 45)
    assert negated.matches({}) is True and negated.matches({"a": ""}) is False


# --- Length and caching -------------------------------------------------------------------

def test_length_error() -> None:
    assert length_error("a" * 1024) is None
    error = length_error("a" * 1025)
    assert error is not None
    assert (error.column, error.reason) == (
        1024, "selector is 1025 characters long; the limit is 1024")


def test_selector_cache_shares_selectors_and_errors() -> None:
    from tierguard.selector import SelectorCache
    cache = SelectorCache()
    first = cache.parse("app == 'web'")
    assert cache.parse("app == 'web'") is first
    assert cache.parse('app=="web"') == first and len(cache) == 2
    for _ in range(2):
        with pytest.raises(SelectorError) as caught:
            cache.parse("app = 'web'")
        assert (caught.value.column, caught.value.reason) == (4, "expected '==', found a single '='")
    assert len(cache) == 3


def test_deepest_accepted_selector_evaluates_and_prints() -> None:
    # 100 parenthesised levels, each adding a negation and an && or || node: the deepest tree
    # the parser accepts must still compile, evaluate and print without exhausting the stack.
    text = "has(x)"
    for level in range(100):
        text = f"!(has(l{level}) {'&&' if level % 2 else '||'} {text})"
    selector = parse(text)
    assert str(parse(str(selector))) == str(selector)
    labels = {f"l{level}": "" for level in range(0, 100, 3)}
    assert selector.matches(labels) is selector.root.evaluate(labels)
    assert selector.matches({}) is selector.root.evaluate({})


def test_huge_selectors_compile_through_closures() -> None:
    text = " && ".join(f"a{i} == 'x'" for i in range(600)) + " || has(z)"
    selector = parse(text)
    assert selector.matches({f"a{i}": "x" for i in range(600)})
    assert not selector.matches({f"a{i}": "x" for i in range(599)})
    assert selector.matches({"z": ""})
