"""A small declarative schema language for tierguard.yaml, checked against located nodes.

Every problem names its key path (`environments[1].calicoVersion`) and points at the node.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Union

from tierguard.config import codes
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.loader import paths
from tierguard.loader.nodes import LMap, LScalar, LSeq, Node


@dataclass(frozen=True, slots=True)
class Str:
    """A string, optionally from a closed set, matching a pattern, or passing a check."""

    choices: tuple[str, ...] = ()
    pattern: str = ""
    # Extra check returning an error message, e.g. a version parser.
    check: Callable[[str], str | None] | None = None


@dataclass(frozen=True, slots=True)
class Int:
    """An integer of at least `minimum`."""

    minimum: int = 0


@dataclass(frozen=True, slots=True)
class Bool:
    """true or false."""


@dataclass(frozen=True, slots=True)
class Seq:
    """A list of items of one schema."""

    item: Schema
    unique_key: str = ""  # items are mappings whose value at this key must be unique


@dataclass(frozen=True, slots=True)
class Prop:
    """One key of a mapping: its schema and whether it is required."""

    schema: Schema
    required: bool = False


@dataclass(frozen=True, slots=True)
class Obj:
    """A mapping with a closed set of keys."""

    props: Mapping[str, Prop] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Anything:
    """A section owned by a later feature, which validates it itself."""

Schema = Union[Str, Int, Bool, Seq, Obj, Anything]


def _diag(code: str, message: str, node: Node | LScalar, path: str) -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, f"{path or '<top>'}: {message}", node.span, field_path=path)


def _type_name(node: Node) -> str:
    if isinstance(node, LMap):
        return "a mapping"
    if isinstance(node, LSeq):
        return "a list"
    return "null" if node.value is None else f"a {type(node.value).__name__}"


def _check_str(schema: Str, node: Node, path: str) -> Iterator[Diagnostic]:
    if not isinstance(node, LScalar) or not isinstance(node.value, str):
        # Versions such as 3.31 are naturally written unquoted; accept numbers as their text.
        if isinstance(node, LScalar) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
            yield from _check_str(schema, LScalar(number_text(node), node.span, node.style), path)
            return
        yield _diag(codes.WRONG_TYPE, f"expected a string, found {_type_name(node)}", node, path)
        return
    text = node.value
    if schema.choices and text not in schema.choices:
        yield _diag(codes.BAD_VALUE, f"'{text}' is not one of {', '.join(schema.choices)}", node, path)
    elif schema.pattern and not re.fullmatch(schema.pattern, text):
        yield _diag(codes.BAD_VALUE, f"'{text}' does not match {schema.pattern}", node, path)
    elif schema.check is not None:
        problem = schema.check(text)
        if problem:
            yield _diag(codes.BAD_VALUE, problem, node, path)


def number_text(node: LScalar) -> str:
    """The source text of a numeric scalar (3.30 must stay '3.30', not '3.3')."""
    if not isinstance(node.value, float):
        return str(node.value)
    written = node.span.end_col - node.span.col if node.span.line == node.span.end_line else 0
    text = repr(node.value)
    return text.ljust(written, "0") if written > len(text) and "." in text else text


def _check_obj(schema: Obj, node: Node, path: str) -> Iterator[Diagnostic]:
    if not isinstance(node, LMap):
        yield _diag(codes.WRONG_TYPE, f"expected a mapping, found {_type_name(node)}", node, path)
        return
    for key, value in node.entries:
        name = str(key.value)
        prop = schema.props.get(name)
        if prop is None:
            known = ", ".join(sorted(schema.props))
            yield _diag(codes.UNKNOWN_KEY, f"unknown key '{name}' (known keys: {known})", key, path)
            continue
        yield from check(prop.schema, value, paths.join(path, name))
    present = set(node.keys())
    for name, prop in schema.props.items():
        if prop.required and name not in present:
            yield _diag(codes.MISSING_KEY, f"missing required key '{name}'", node, path)


def _check_seq(schema: Seq, node: Node, path: str) -> Iterator[Diagnostic]:
    if not isinstance(node, LSeq):
        yield _diag(codes.WRONG_TYPE, f"expected a list, found {_type_name(node)}", node, path)
        return
    seen: dict[object, int] = {}
    for position, item in enumerate(node):
        item_path = paths.join(path, position)
        yield from check(schema.item, item, item_path)
        key = item.get(schema.unique_key) if schema.unique_key and isinstance(item, LMap) else None
        if isinstance(key, LScalar):
            if key.value in seen:
                yield _diag(codes.BAD_VALUE, f"duplicate {schema.unique_key} '{key.value}' "
                            f"(also at {paths.join(path, seen[key.value])})", key,
                            paths.join(item_path, schema.unique_key))
            seen.setdefault(key.value, position)


def check(schema: Schema, node: Node, path: str = "") -> Iterator[Diagnostic]:
    """Every problem of `node` against `schema`, in document order."""
    if isinstance(schema, Anything):
        return
    if isinstance(schema, Obj):
        yield from _check_obj(schema, node, path)
    elif isinstance(schema, Seq):
        yield from _check_seq(schema, node, path)
    elif isinstance(schema, Str):
        yield from _check_str(schema, node, path)
    elif isinstance(schema, Int):
        if not isinstance(node, LScalar) or not isinstance(node.value, int) or isinstance(node.value, bool):
            yield _diag(codes.WRONG_TYPE, f"expected an integer, found {_type_name(node)}", node, path)
        elif node.value < schema.minimum:
            yield _diag(codes.BAD_VALUE, f"must be at least {schema.minimum}", node, path)
    elif not isinstance(node, LScalar) or not isinstance(node.value, bool):
        yield _diag(codes.WRONG_TYPE, f"expected true or false, found {_type_name(node)}", node, path)
