"""Frozen AST nodes of a Calico selector, with evaluation and Calico's canonical printing.

Canonical printing follows Calico's `collectFragments` (libcalico-go `parser/ast.go`):
- a string is quoted with `"` unless it contains `"`, then with `'`;
- sets print sorted and de-duplicated as `{"a", "b"}`;
- every `&&` and `||` group prints inside its own parentheses, including at the top level
  (`a == "x" && b == "y"` prints as `(a == "x" && b == "y")`), and `!` prints glued to its
  operand (`!has(a)`, `!(a == "x" || b == "y")`);
- operator spelling is normalised (`notin` -> `not in`, `startswith` -> `starts with`).
`column` is the 0-based offset of the node in the text it was parsed from (-1 when built in
code); it is not part of equality.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field


class ValueOp(enum.Enum):
    """Label-versus-string operators; the value is the canonical infix spelling."""

    EQ = "=="
    NE = "!="
    CONTAINS = "contains"
    STARTS_WITH = "starts with"
    ENDS_WITH = "ends with"


class SetOp(enum.Enum):
    IN = "in"
    NOT_IN = "not in"


def quote(value: str) -> str:
    """Calico's quoting choice: double quotes unless the value contains a double quote."""
    mark = "'" if '"' in value else '"'
    return f"{mark}{value}{mark}"


@dataclass(frozen=True, slots=True)
class AllNode:
    column: int = field(default=-1, compare=False, repr=False)

    def evaluate(self, labels: Mapping[str, str]) -> bool:
        return True

    def __str__(self) -> str:
        return "all()"


@dataclass(frozen=True, slots=True)
class GlobalNode:
    """`global()`: true on labels; meaningful only as a whole rule namespaceSelector (§4.2)."""

    column: int = field(default=-1, compare=False, repr=False)

    def evaluate(self, labels: Mapping[str, str]) -> bool:
        return True

    def __str__(self) -> str:
        return "global()"


@dataclass(frozen=True, slots=True)
class HasNode:
    label: str
    column: int = field(default=-1, compare=False, repr=False)

    def evaluate(self, labels: Mapping[str, str]) -> bool:
        return self.label in labels

    def __str__(self) -> str:
        return f"has({self.label})"


@dataclass(frozen=True, slots=True)
class ValueNode:
    """`label == "v"`, `!=`, `contains`, `starts with`, `ends with`."""

    label: str
    op: ValueOp
    value: str
    column: int = field(default=-1, compare=False, repr=False)

    def evaluate(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.label)
        if actual is None:
            # Only != is true for a missing label; the substring tests need the label.
            return self.op is ValueOp.NE
        if self.op is ValueOp.EQ:
            return actual == self.value
        if self.op is ValueOp.NE:
            return actual != self.value
        if self.op is ValueOp.CONTAINS:
            return self.value in actual
        if self.op is ValueOp.STARTS_WITH:
            return actual.startswith(self.value)
        return actual.endswith(self.value)

    def __str__(self) -> str:
        return f"{self.label} {self.op.value} {quote(self.value)}"


@dataclass(frozen=True, slots=True)
class SetNode:
    """`label in {…}` / `label not in {…}`; `values` is sorted and de-duplicated."""

    label: str
    op: SetOp
    values: tuple[str, ...]
    column: int = field(default=-1, compare=False, repr=False)

    def __post_init__(self) -> None:
        canonical = tuple(sorted(set(self.values)))
        if canonical != self.values:
            object.__setattr__(self, "values", canonical)

    def evaluate(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.label)
        if actual is None:
            return self.op is SetOp.NOT_IN
        return (actual in self.values) is (self.op is SetOp.IN)

    def __str__(self) -> str:
        return f"{self.label} {self.op.value} {{{', '.join(quote(v) for v in self.values)}}}"


@dataclass(frozen=True, slots=True)
class NotNode:
    operand: Node
    column: int = field(default=-1, compare=False, repr=False)

    def evaluate(self, labels: Mapping[str, str]) -> bool:
        return not self.operand.evaluate(labels)

    def __str__(self) -> str:
        return f"!{self.operand}"


@dataclass(frozen=True, slots=True)
class AndNode:
    operands: tuple[Node, ...]  # at least two
    column: int = field(default=-1, compare=False, repr=False)

    def evaluate(self, labels: Mapping[str, str]) -> bool:
        return all(operand.evaluate(labels) for operand in self.operands)

    def __str__(self) -> str:
        return "(" + " && ".join(str(operand) for operand in self.operands) + ")"


@dataclass(frozen=True, slots=True)
class OrNode:
    operands: tuple[Node, ...]  # at least two
    column: int = field(default=-1, compare=False, repr=False)

    def evaluate(self, labels: Mapping[str, str]) -> bool:
        return any(operand.evaluate(labels) for operand in self.operands)

    def __str__(self) -> str:
        return "(" + " || ".join(str(operand) for operand in self.operands) + ")"


Node = AllNode | GlobalNode | HasNode | ValueNode | SetNode | NotNode | AndNode | OrNode
LabelNode = HasNode | ValueNode | SetNode
