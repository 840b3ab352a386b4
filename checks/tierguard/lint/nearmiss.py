"""Why a selector matches nothing: which label test fails, and what value was probably meant.

For each positive equality or `in` test (one not under `!`), the test is removed from the
selector and the rest is evaluated: the endpoints the rest selects are the ones the user most
likely meant, and their values for that label are the candidates for a "did you mean" hint.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from tierguard.lint.universe import LabelClass, Universe
from tierguard.selector import AllNode, AndNode, Node, Selector, SetNode, SetOp, ValueNode, ValueOp

# difflib ratio above which a present value counts as a near miss ('cart' vs 'carts' is 0.89).
SIMILARITY_CUTOFF = 0.75


@dataclass(frozen=True, slots=True)
class Miss:
    """A label test no endpoint passes. `suggestion` is the closest value endpoints do carry."""

    label: str
    values: tuple[str, ...]  # what the test accepts (one value for ==)
    known_label: bool  # some endpoint carries the label at all
    suggestion: str | None = None
    suggestion_count: int = 0  # endpoints carrying label=suggestion
    label_suggestion: str | None = None  # a label endpoints carry, when `label` itself is unknown

    @property
    def written(self) -> str:
        return self.values[0] if len(self.values) == 1 else "{" + ", ".join(self.values) + "}"


def positive_tests(node: Node) -> Iterator[ValueNode | SetNode]:
    """Equality and `in` tests that must hold for the selector to match (not under `!` or `||`)."""
    if isinstance(node, ValueNode) and node.op is ValueOp.EQ or isinstance(node, SetNode) and node.op is SetOp.IN:
        yield node
    elif isinstance(node, AndNode):
        for operand in node.operands:
            yield from positive_tests(operand)


def without(node: Node, target: Node) -> Node:
    """`node` with the test `target` (by identity) replaced by all()."""
    if node is target:
        return AllNode()
    if isinstance(node, AndNode):  # positive_tests only descends through &&
        return replace(node, operands=tuple(without(operand, target) for operand in node.operands))
    return node


def _accepts(test: ValueNode | SetNode) -> tuple[str, ...]:
    return (test.value,) if isinstance(test, ValueNode) else test.values


def closest(wanted: Sequence[str], present: Sequence[str]) -> str | None:
    """The present value most similar to any wanted one (case-insensitive equality counts)."""
    best: tuple[float, str] | None = None
    for value in wanted:
        for candidate in present:
            ratio = 1.0 if candidate.lower() == value.lower() else difflib.SequenceMatcher(
                None, value, candidate).ratio()
            if ratio >= SIMILARITY_CUTOFF and (best is None or ratio > best[0]):
                best = (ratio, candidate)
    return best[1] if best is not None else None


def _miss(selector: Selector, test: ValueNode | SetNode, universe: Universe) -> Miss | None:
    accepted = _accepts(test)
    classes = universe.classes
    if any(c.labels.get(test.label) in accepted for c in classes):
        return None
    meant = universe.matching(Selector.from_node(without(selector.root, test))) or list(classes)
    counts: dict[str, int] = {}
    for label_class in meant:
        value = label_class.labels.get(test.label)
        if value is not None:
            counts[value] = counts.get(value, 0) + label_class.count
    suggestion = closest(accepted, sorted(counts))
    known = bool(counts) or any(test.label in c.labels for c in classes)
    label_suggestion = None if known else closest((test.label,), _labels_like(test.label, meant))
    return Miss(test.label, accepted, known, suggestion, counts.get(suggestion, 0) if suggestion else 0,
                label_suggestion)


def _labels_like(label: str, classes: Sequence[LabelClass]) -> list[str]:
    """Labels of the endpoints from the same family as `label` (plain, pcns. or pcsa.)."""
    family = label.partition(".")[0] + "." if label.startswith(("pcns.", "pcsa.")) else ""
    found = {key for c in classes for key in c.labels
             if (key.startswith(family) if family else not key.startswith(("pcns.", "pcsa.")))}
    return sorted(found)


def misses(selector: Selector, universe: Universe) -> tuple[Miss, ...]:
    """The positive tests of `selector` that no endpoint passes, with near-miss suggestions."""
    found = (_miss(selector, test, universe) for test in positive_tests(selector.root))
    return tuple(miss for miss in found if miss is not None)
