"""Near-miss analysis: exact suggestions, and properties over random label sets (hypothesis)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from tierguard.inventory.model import Endpoint, EndpointKind
from tierguard.lint.nearmiss import Miss, closest, misses, positive_tests
from tierguard.lint.universe import LabelClass, Universe, required_namespace
from tierguard.selector import parse


def pod(**labels: str) -> Endpoint:
    return Endpoint(EndpointKind.WORKLOAD, "p", "shop", labels)


def test_the_rest_of_the_selector_picks_the_candidates() -> None:
    universe = Universe([pod(name="carts", tier="back"), pod(name="carts", tier="back"),
                         pod(name="cards", tier="front")])
    # 'cart' is as close to 'cards' as to 'carts'; only the tier=back pods are what the rest selects.
    assert misses(parse("name == 'cart' && tier == 'back'"), universe) == (
        Miss("name", ("cart",), True, "carts", 2),)


def test_universe_groups_identical_labels_and_narrows_by_required_namespace() -> None:
    ns = "projectcalico.org/namespace"
    universe = Universe([pod(**{ns: "a", "x": "1"}), pod(**{ns: "a", "x": "1"}), pod(**{ns: "b", "x": "1"})])
    assert [(dict(c.labels), c.count) for c in universe.classes] == [({ns: "a", "x": "1"}, 2),
                                                                      ({ns: "b", "x": "1"}, 1)]
    scoped = parse(f"(x == '1') && {ns} == 'b'")
    assert required_namespace(scoped.root) == "b"
    assert required_namespace(parse(f"x == '1' || {ns} == 'b'").root) is None
    assert list(universe.candidates(scoped)) == [LabelClass({ns: "b", "x": "1"}, 1)]
    assert [c.count for c in universe.matching(parse("x == '1'"))] == [2, 1]
    assert not universe.matches_any(parse(f"{ns} == 'c'"))


def test_tests_under_not_or_or_are_not_blamed() -> None:
    selector = parse("!(name == 'x') && (a == 'b' || c == 'd') && name in {'cart', 'cat'}")
    assert [str(t) for t in positive_tests(selector.root)] == ['name in {"cart", "cat"}']


def test_closest_needs_real_similarity() -> None:
    assert closest(["cart"], ["carts", "orders"]) == "carts"
    assert closest(["Carts"], ["carts"]) == "carts"
    assert closest(["payment"], ["carts", "orders"]) is None


labels = st.dictionaries(st.sampled_from(["name", "app", "tier"]), st.sampled_from(["a", "ab", "abc", "b"]),
                         max_size=3)


@given(st.lists(labels, max_size=6), st.sampled_from(["name", "app"]), st.sampled_from(["a", "ab", "abd", "z"]))
def test_reported_misses_are_real_and_suggestions_exist(endpoint_labels: list[dict[str, str]], label: str,
                                                        value: str) -> None:
    endpoints = [pod(**found) for found in endpoint_labels]
    universe = Universe(endpoints)
    selector = parse(f"{label} == '{value}' && has(tier)")
    found = misses(selector, universe)
    for miss in found:
        assert not any(e.labels.get(miss.label) in miss.values for e in endpoints)
        if miss.suggestion is not None:
            assert sum(e.labels.get(miss.label) == miss.suggestion for e in endpoints) >= miss.suggestion_count >= 1
    if any(e.labels.get(label) == value for e in endpoints):
        assert all(m.label != label for m in found)
    if universe.matches_any(selector):
        assert found == ()


NAMESPACE = "projectcalico.org/namespace"
namespaced = st.fixed_dictionaries({NAMESPACE: st.sampled_from(["a", "b"])}, optional={
    "app": st.sampled_from(["x", "y"]), "tier": st.sampled_from(["1", "2"])})


@given(st.lists(namespaced, max_size=8), st.sampled_from(["a", "b", "c"]), st.sampled_from(["x", "y"]),
       st.booleans())
def test_namespace_narrowing_never_changes_what_matches(endpoint_labels: list[dict[str, str]], namespace: str,
                                                        app: str, scoped: bool) -> None:
    universe = Universe([pod(**found) for found in endpoint_labels])
    text = f"(app == '{app}') && {NAMESPACE} == '{namespace}'" if scoped else f"app == '{app}' || has(tier)"
    selector = parse(text)
    brute = [c for c in universe.classes if selector.matches(c.labels)]
    assert universe.matching(selector) == brute
    assert universe.matches_any(selector) is bool(brute)
