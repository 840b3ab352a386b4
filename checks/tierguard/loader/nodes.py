"""Located YAML nodes: every mapping, sequence and scalar keeps its file, line and column.

Locations never go into user data: `to_plain()` gives ordinary Python values.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Union

from tierguard.diagnostics import Span

ScalarValue = Union[str, int, float, bool, None]


@dataclass(frozen=True, slots=True)
class LScalar:
    """A scalar value and where it is."""

    value: ScalarValue
    span: Span
    # YAML style of the source text: "" plain, "'" or '"' quoted, "|" or ">" block.
    style: str = ""

    def to_plain(self) -> ScalarValue:
        """The plain Python value, without locations."""
        return self.value


@dataclass(frozen=True, slots=True)
class LSeq:
    """A sequence of located nodes."""

    items: tuple[Node, ...]
    span: Span

    def __iter__(self) -> Iterator[Node]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def to_plain(self) -> list[object]:
        """The plain Python value, without locations."""
        return [item.to_plain() for item in self.items]


@dataclass(frozen=True, slots=True)
class LMap:
    """A mapping with located keys and values, in source order."""

    entries: tuple[tuple[LScalar, Node], ...]
    span: Span
    # Key text -> position in `entries`; the loader fills it so lookups are O(1). Derived data:
    # it takes no part in equality.
    index: Mapping[str, int] | None = field(default=None, compare=False, repr=False)

    def _position(self, key: str) -> int | None:
        if self.index is not None:
            return self.index.get(key)
        for position, (k, _) in enumerate(self.entries):
            if k.value == key:
                return position
        return None

    def get(self, key: str) -> Node | None:
        """The value of `key`, or None."""
        # The hottest call of validation (about 100 per document): the indexed case is inlined.
        index = self.index
        position = index.get(key) if index is not None else self._position(key)
        return None if position is None else self.entries[position][1]

    def key_span(self, key: str) -> Span | None:
        """Where `key` itself is written, or None."""
        position = self._position(key)
        return None if position is None else self.entries[position][0].span

    def keys(self) -> list[str]:
        """The keys as text, in source order."""
        return [str(k.value) for k, _ in self.entries]

    def __len__(self) -> int:
        return len(self.entries)

    def to_plain(self) -> dict[str, object]:
        """The plain Python value, without locations."""
        return {str(k.value): v.to_plain() for k, v in self.entries}


Node = Union[LScalar, LSeq, LMap]


@dataclass(frozen=True, slots=True)
class Document:
    """One YAML document of a file or stream; `index` is 0-based within the stream."""

    root: Node
    file: str
    index: int
