"""The endpoints selectors are matched against, grouped so lints stay fast on large clusters.

Pods of one Deployment carry identical labels, so endpoints are grouped into label classes (one
evaluation per class, with the number of endpoints for hints). Most effective selectors carry
the implicit `projectcalico.org/namespace == 'N'` clause of a namespaced policy; classes are also
indexed by namespace so such a selector is only tried against that namespace.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tierguard.inventory.model import Endpoint
from tierguard.selector import NAMESPACE_LABEL, AndNode, Node, Selector, ValueNode, ValueOp


@dataclass(frozen=True, slots=True)
class LabelClass:
    """Endpoints with identical effective labels: one representative label map and how many share it."""

    labels: Mapping[str, str]
    count: int = 1


def required_namespace(node: Node) -> str | None:
    """The namespace a selector requires (a top-level `projectcalico.org/namespace == 'N'`), if any."""
    if isinstance(node, ValueNode) and node.op is ValueOp.EQ and node.label == NAMESPACE_LABEL:
        return node.value
    if isinstance(node, AndNode):
        for operand in node.operands:
            found = required_namespace(operand)
            if found is not None:
                return found
    return None


class Universe:
    """Label classes of a set of endpoints, indexed by namespace. Immutable after construction."""

    __slots__ = ("_by_namespace", "classes")

    def __init__(self, endpoints: Iterable[Endpoint]) -> None:
        representative: dict[frozenset[tuple[str, str]], Mapping[str, str]] = {}
        counts: dict[frozenset[tuple[str, str]], int] = {}
        for endpoint in endpoints:
            key = frozenset(endpoint.labels.items())
            representative.setdefault(key, endpoint.labels)
            counts[key] = counts.get(key, 0) + 1
        self.classes: tuple[LabelClass, ...] = tuple(LabelClass(labels, counts[key])
                                                     for key, labels in representative.items())
        by_namespace: dict[str, list[LabelClass]] = {}
        for label_class in self.classes:
            by_namespace.setdefault(label_class.labels.get(NAMESPACE_LABEL, ""), []).append(label_class)
        self._by_namespace = {name: tuple(found) for name, found in by_namespace.items()}

    def candidates(self, selector: Selector) -> Sequence[LabelClass]:
        """The classes `selector` can possibly match (all of them unless it requires a namespace)."""
        namespace = required_namespace(selector.root)
        if namespace is None:
            return self.classes
        return self._by_namespace.get(namespace, ())

    def matching(self, selector: Selector) -> list[LabelClass]:
        return [c for c in self.candidates(selector) if selector.matches(c.labels)]

    def matches_any(self, selector: Selector) -> bool:
        return any(selector.matches(c.labels) for c in self.candidates(selector))
