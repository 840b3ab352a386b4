"""Scalar values that keep their source location, and lenient readers from located nodes.

Readers return None (or an empty tuple) for absent or wrongly-typed values: schema checking
(`model.schema`) has already reported those, so builders never need to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tierguard.diagnostics import Span
from tierguard.fastinit import fast_init, slot_twin
from tierguard.loader.nodes import LMap, LScalar, LSeq, Node


@fast_init
@dataclass(frozen=True, slots=True)
class Text:
    """A string scalar and where it is. `style` is the YAML quoting ('' plain, "'" or '"')."""

    value: str
    span: Span
    style: str = ""

    def span_at(self, offset: int, length: int = 1) -> Span:
        """The span of characters [offset, offset+length) of the value, for single-line scalars.

        Accounts for the opening quote of quoted scalars; escapes inside double quotes and
        block scalars are not mapped exactly (the span then points at the scalar's start line).
        """
        if self.style in ("|", ">") or self.span.end_line not in (0, self.span.line):
            return Span(self.span.file, self.span.line, self.span.col, self.span.line, self.span.col + 1)
        quote = 1 if self.style in ("'", '"') else 0
        return self.span.shifted(offset + quote, length)


@fast_init
@dataclass(frozen=True, slots=True)
class Number:
    value: float
    span: Span


@fast_init
@dataclass(frozen=True, slots=True)
class Integer:
    value: int
    span: Span


@fast_init
@dataclass(frozen=True, slots=True)
class IntOrText:
    """A Calico port or protocol as written: 80, '80', '6040:6050', 'http', 'TCP'."""

    value: int | str
    span: Span


def _scalar(node: Node | None) -> LScalar | None:
    return node if isinstance(node, LScalar) and node.value is not None else None


def mapping(node: Node | None) -> LMap | None:
    return node if isinstance(node, LMap) else None


def sequence(node: Node | None) -> tuple[Node, ...]:
    return node.items if isinstance(node, LSeq) else ()


_TextSlots = slot_twin(Text)  # see text_of


def text_of(node: Node | None) -> Text | None:
    if not isinstance(node, LScalar) or not isinstance(node.value, str):
        return None  # (a null value is not a str either)
    # Every string of a policy becomes a Text here, so the stores of Text's fast constructor
    # (tierguard.fastinit: a slot twin, filled, then re-classed) are written out inline.
    text: Any = _TextSlots()
    text.value = node.value
    text.span = node.span
    text.style = node.style
    text.__class__ = Text
    return text  # type: ignore[no-any-return]


def text(parent: LMap | None, key: str) -> Text | None:
    if parent is None:
        return None
    node = parent.get(key)  # most optional fields are absent: skip the call below then
    return None if node is None else text_of(node)


def texts(parent: LMap | None, key: str) -> tuple[Text, ...]:
    node = parent.get(key) if parent is not None else None
    if not isinstance(node, LSeq):
        return ()
    found = (text_of(item) for item in node.items)
    return tuple(item for item in found if item is not None)


def integer(parent: LMap | None, key: str) -> Integer | None:
    scalar = _scalar(parent.get(key)) if parent is not None else None
    if scalar is None or isinstance(scalar.value, bool) or not isinstance(scalar.value, int):
        return None
    return Integer(scalar.value, scalar.span)


def number(parent: LMap | None, key: str) -> Number | None:
    scalar = _scalar(parent.get(key)) if parent is not None else None
    if scalar is None or isinstance(scalar.value, bool) or not isinstance(scalar.value, (int, float)):
        return None
    return Number(float(scalar.value), scalar.span)


def int_or_text_of(node: Node | None) -> IntOrText | None:
    scalar = _scalar(node)
    if scalar is None or isinstance(scalar.value, bool) or not isinstance(scalar.value, (int, str)):
        return None
    return IntOrText(scalar.value, scalar.span)


def int_or_text(parent: LMap | None, key: str) -> IntOrText | None:
    return int_or_text_of(parent.get(key)) if parent is not None else None


def boolean(parent: LMap | None, key: str) -> bool | None:
    scalar = _scalar(parent.get(key)) if parent is not None else None
    return scalar.value if scalar is not None and isinstance(scalar.value, bool) else None


def str_map(parent: LMap | None, key: str) -> Mapping[str, str]:
    node = mapping(parent.get(key)) if parent is not None else None
    if node is None:
        return {}
    return {str(k.value): v.value for k, v in node.entries if isinstance(v, LScalar) and isinstance(v.value, str)}


def text_pairs(parent: LMap | None, key: str) -> tuple[tuple[Text, Text], ...]:
    """A string map with the location of every key and value (matchLabels)."""
    node = mapping(parent.get(key)) if parent is not None else None
    if node is None:
        return ()
    pairs = []
    for k, v in node.entries:
        value = text_of(v)
        if value is not None:
            pairs.append((Text(str(k.value), k.span, k.style), value))
    return tuple(pairs)
