"""Walking and rewriting selector ASTs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from tierguard.selector.ast import (
    AllNode,
    AndNode,
    GlobalNode,
    HasNode,
    Node,
    NotNode,
    OrNode,
    SetNode,
    ValueNode,
)
from tierguard.selector.core import Selector


def _root(target: Selector | Node) -> Node:
    return target.root if isinstance(target, Selector) else target


def walk(target: Selector | Node) -> Iterator[Node]:
    """Every node of the tree, parents before children, left to right."""
    stack = [_root(target)]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, NotNode):
            stack.append(node.operand)
        elif isinstance(node, (AndNode, OrNode)):
            stack.extend(reversed(node.operands))


def global_nodes(target: Selector | Node) -> tuple[GlobalNode, ...]:
    """The `global()` nodes, in source order (`.column` locates each one in the source)."""
    return tuple(node for node in walk(target) if isinstance(node, GlobalNode))


def is_only_global(target: Selector | Node) -> bool:
    """True when the selector is exactly `global()`, the one place it is allowed (§3.5)."""
    return isinstance(_root(target), GlobalNode)


def labels_used(target: Selector | Node) -> frozenset[str]:
    """Every label the selector tests."""
    return frozenset(node.label for node in walk(target)
                     if isinstance(node, (HasNode, ValueNode, SetNode)))


def map_labels(target: Selector | Node, rename: Callable[[str], str]) -> Node:
    """A copy of the tree with every label (in has(), ==, in, …) passed through `rename`.

    `all()` and `global()` are left untouched. Recursion depth is bounded by the parser's
    nesting limit.
    """
    node = _root(target)
    if isinstance(node, (HasNode, ValueNode, SetNode)):
        return replace(node, label=rename(node.label))
    if isinstance(node, NotNode):
        return replace(node, operand=map_labels(node.operand, rename))
    if isinstance(node, (AndNode, OrNode)):
        return replace(node, operands=tuple(map_labels(op, rename) for op in node.operands))
    assert isinstance(node, (AllNode, GlobalNode))
    return node
