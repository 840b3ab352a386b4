"""Interned, immutable label sets so compiled selectors can memoise their verdicts.

Pods of one Deployment share identical labels; the engine interns each distinct label map
once (`LabelInterner.intern`) and every selector then evaluates each distinct map only once
(`Selector.matches` memoises on the interned set's `key`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NoReturn


class LabelSet(dict[str, str]):
    """An immutable `dict` of labels with a hashable `key` (a frozenset of its items).

    It subclasses `dict` so compiled selectors read it at C speed; every mutator raises.
    """

    __slots__ = ("key",)
    key: frozenset[tuple[str, str]]

    def __init__(self, labels: Mapping[str, str] | Iterable[tuple[str, str]] = ()) -> None:
        super().__init__(labels)
        self.key = frozenset(self.items())

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(self.key)

    def __reduce__(self) -> tuple[type[LabelSet], tuple[dict[str, str]]]:
        return (LabelSet, (dict(self),))

    def __repr__(self) -> str:
        return f"LabelSet({dict.__repr__(self)})"

    def _immutable(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("LabelSet is immutable")

    __setitem__ = _immutable
    __delitem__ = _immutable
    __ior__ = _immutable
    clear = _immutable
    pop = _immutable
    popitem = _immutable
    setdefault = _immutable
    update = _immutable


class LabelInterner:
    """Hands out one shared LabelSet per distinct label mapping. Owned by its caller."""

    __slots__ = ("_sets",)

    def __init__(self) -> None:
        self._sets: dict[frozenset[tuple[str, str]], LabelSet] = {}

    def intern(self, labels: Mapping[str, str]) -> LabelSet:
        key = frozenset(labels.items())
        found = self._sets.get(key)
        if found is None:
            found = LabelSet(labels)
            self._sets[key] = found
        return found

    def __len__(self) -> int:
        return len(self._sets)
