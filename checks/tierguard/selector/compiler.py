"""Compile an AST once into a fast Python predicate over a label mapping.

Shallow selectors (nearly all real ones) become a single generated lambda such as
`lambda L: (L.get(_c0) == _c1 and _c2 in L)`. User strings never enter the generated source:
every label and value is passed in as a bound constant (`_cN`), so the source contains only
fixed operators and generated names. Deep trees fall back to nested closures, because the
CPython compiler limits expression nesting; so do huge ones, whose compilation is slow.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from tierguard.selector.ast import (
    AllNode,
    AndNode,
    GlobalNode,
    HasNode,
    Node,
    NotNode,
    OrNode,
    SetNode,
    SetOp,
    ValueNode,
    ValueOp,
)

Predicate = Callable[[Mapping[str, str]], bool]

_MAX_GENERATED_DEPTH = 40
_MAX_GENERATED_NODES = 500  # compiling generated source grows faster than linearly

_VALUE_TEMPLATES = {
    ValueOp.EQ: "(L.get({k}) == {v})",
    ValueOp.NE: "(L.get({k}) != {v})",
    ValueOp.CONTAINS: "({k} in L and {v} in L[{k}])",
    ValueOp.STARTS_WITH: "({k} in L and L[{k}].startswith({v}))",
    ValueOp.ENDS_WITH: "({k} in L and L[{k}].endswith({v}))",
}


def compile_node(node: Node) -> Predicate:
    """Return a predicate equivalent to `node.evaluate`."""
    if _depth(node) > _MAX_GENERATED_DEPTH or _size(node) > _MAX_GENERATED_NODES:
        return compile_closure(node)
    return _Generator().build(node)


def _depth(node: Node) -> int:
    if isinstance(node, NotNode):
        return 1 + _depth(node.operand)
    if isinstance(node, (AndNode, OrNode)):
        return 1 + max(_depth(operand) for operand in node.operands)
    return 1


def _size(node: Node) -> int:
    if isinstance(node, NotNode):
        return 1 + _size(node.operand)
    if isinstance(node, (AndNode, OrNode)):
        return 1 + sum(_size(operand) for operand in node.operands)
    return 1


class _Generator:
    def __init__(self) -> None:
        self._constants: list[object] = []

    def _constant(self, value: object) -> str:
        self._constants.append(value)
        return f"_c{len(self._constants) - 1}"

    def build(self, node: Node) -> Predicate:
        body = self._expression(node)
        names = ", ".join(f"_c{i}" for i in range(len(self._constants)))
        source = f"def _make({names}):\n    return lambda L: {body}\n"
        namespace: dict[str, object] = {"__builtins__": {}}
        exec(compile(source, "<selector>", "exec"), namespace)
        make = namespace["_make"]
        predicate: Predicate = make(*self._constants)  # type: ignore[operator]
        return predicate

    def _expression(self, node: Node) -> str:
        if isinstance(node, (AllNode, GlobalNode)):
            return "True"
        if isinstance(node, HasNode):
            return f"({self._constant(node.label)} in L)"
        if isinstance(node, ValueNode):
            key, value = self._constant(node.label), self._constant(node.value)
            return _VALUE_TEMPLATES[node.op].format(k=key, v=value)
        if isinstance(node, SetNode):
            key, values = self._constant(node.label), self._constant(frozenset(node.values))
            operator = "in" if node.op is SetOp.IN else "not in"
            return f"(L.get({key}) {operator} {values})"
        if isinstance(node, NotNode):
            return f"(not {self._expression(node.operand)})"
        joiner = " and " if isinstance(node, AndNode) else " or "
        return "(" + joiner.join(self._expression(operand) for operand in node.operands) + ")"


def compile_closure(node: Node) -> Predicate:
    """Nested closures: slower than generated code, but with no nesting limit."""
    if isinstance(node, NotNode):
        inner = compile_closure(node.operand)
        return lambda labels: not inner(labels)
    if isinstance(node, AndNode):
        parts = tuple(compile_closure(operand) for operand in node.operands)
        return lambda labels: all(part(labels) for part in parts)
    if isinstance(node, OrNode):
        parts = tuple(compile_closure(operand) for operand in node.operands)
        return lambda labels: any(part(labels) for part in parts)
    if isinstance(node, SetNode):
        return compile_set_closure(node)
    return node.evaluate


def compile_set_closure(node: SetNode) -> Predicate:
    label, values = node.label, frozenset(node.values)
    if node.op is SetOp.IN:
        return lambda labels: labels.get(label) in values
    return lambda labels: labels.get(label) not in values
