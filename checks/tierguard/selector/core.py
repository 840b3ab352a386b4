"""`Selector`: a parsed, compiled Calico selector with its canonical form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tierguard.selector.ast import Node
from tierguard.selector.compiler import Predicate, compile_node
from tierguard.selector.errors import SelectorError
from tierguard.selector.labelset import LabelSet
from tierguard.selector.parser import parse_node

MAX_SELECTOR_LENGTH = 1024  # kubebuilder MaxLength of policy and rule selector fields (§4.1)


@dataclass(frozen=True, slots=True, eq=False)
class Selector:
    """A Calico selector. Equal selectors have equal canonical forms (`str(selector)`).

    Build one with `parse(text)` or `Selector.from_node(node)`. `matches` runs a predicate
    compiled once; given an interned `LabelSet` it also memoises the verdict per label set.
    """

    root: Node
    # The canonical text and the compiled predicate are built on first use (each costs about
    # as much as parsing) and then kept; like the verdict memo they are caches that never change
    # what the selector means.
    _text: str | None = field(default=None, repr=False)
    _predicate: Predicate | None = field(default=None, repr=False)
    _memo: dict[frozenset[tuple[str, str]], bool] = field(default_factory=dict, repr=False)

    @classmethod
    def from_node(cls, root: Node) -> Selector:
        return cls(root)

    @property
    def text(self) -> str:
        """The canonical form, as Calico's `Selector.String()` prints it."""
        text = self._text
        if text is None:
            text = str(self.root)
            object.__setattr__(self, "_text", text)
        return text

    def matches(self, labels: Mapping[str, str]) -> bool:
        """True if the labels satisfy the selector (calico-semantics §4.2)."""
        predicate = self._predicate
        if predicate is None:
            predicate = self.compiled()
        if labels.__class__ is LabelSet:
            key = labels.key
            verdict = self._memo.get(key)
            if verdict is None:
                verdict = self._memo[key] = predicate(labels)
            return verdict
        return predicate(labels)

    def compiled(self) -> Predicate:
        """The compiled predicate (built once). Call it directly in the tightest loops."""
        predicate = self._predicate
        if predicate is None:
            predicate = compile_node(self.root)
            object.__setattr__(self, "_predicate", predicate)
        return predicate

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Selector({self.text!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Selector) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (parse, (self.text,))


def parse(text: str | bytes) -> Selector:
    """Parse a selector; raises SelectorError (with `.column`) if Calico would reject it.

    The empty or blank selector means `all()`. Bytes are decoded as UTF-8, keeping undecodable
    bytes (as Go strings do) through the `surrogateescape` error handler.
    """
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8", "surrogateescape")
    if not isinstance(text, str):
        raise TypeError(f"a selector is a string, not {type(text).__name__}")
    return Selector.from_node(parse_node(text))


def length_error(text: str) -> SelectorError | None:
    """The error for a selector longer than Calico's 1024-character field limit, if any.

    Parsing itself does not enforce the limit (Calico's parser does not either); the
    validator applies it to policy and rule selector fields.
    """
    if len(text) <= MAX_SELECTOR_LENGTH:
        return None
    return SelectorError(f"selector is {len(text)} characters long; the limit is "
                         f"{MAX_SELECTOR_LENGTH}", MAX_SELECTOR_LENGTH, text)


class SelectorCache:
    """Parses each distinct selector text once; owned by its caller (no module-level state).

    Policies repeat the same selector strings many times; sharing one `Selector` per text also
    shares its compiled predicate and its verdict memo. Errors are cached and re-raised too.
    """

    __slots__ = ("_parsed",)

    def __init__(self) -> None:
        self._parsed: dict[str, Selector | SelectorError] = {}

    def parse(self, text: str) -> Selector:
        found = self._parsed.get(text)
        if found is None:
            try:
                found = parse(text)
            except SelectorError as error:
                found = error
            self._parsed[text] = found
        if isinstance(found, SelectorError):
            raise SelectorError(found.reason, found.column, found.text)
        return found

    def __len__(self) -> int:
        return len(self._parsed)
