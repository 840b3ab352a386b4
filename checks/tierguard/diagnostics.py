"""The one diagnostic type used by every stage: loader, models, rules, selector, RBAC, flows, review."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"

    @property
    def rank(self) -> int:
        return {"error": 3, "warning": 2, "note": 1}[self.value]


class ExitCode(enum.IntEnum):
    CLEAN = 0
    FINDINGS = 1
    USAGE = 2
    INTERNAL = 3


@dataclass(frozen=True, slots=True, order=True)
class Span:
    """A 1-based, inclusive-start region in a file. end_col is exclusive."""

    file: str
    line: int
    col: int
    end_line: int = 0
    end_col: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"

    def shifted(self, col_offset: int, length: int = 1) -> Span:
        """A span inside a single-line scalar, `col_offset` characters (0-based) into it."""
        start = self.col + col_offset
        return Span(self.file, self.line, start, self.line, start + max(length, 1))


@dataclass(frozen=True, slots=True)
class ResourceRef:
    kind: str
    name: str
    namespace: str = ""

    def __str__(self) -> str:
        if self.namespace:
            return f"{self.kind} {self.namespace}/{self.name}"
        return f"{self.kind} {self.name}"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    code: str
    severity: Severity
    message: str
    span: Span | None = None
    resource: ResourceRef | None = None
    field_path: str = ""
    hint: str | None = None
    data: tuple[tuple[str, str], ...] = field(default=())

    def sort_key(self) -> tuple[str, int, int, str, str]:
        if self.span is None:
            return ("", 0, 0, self.code, self.message)
        return (self.span.file, self.span.line, self.span.col, self.code, self.message)


def sorted_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=Diagnostic.sort_key)


def exit_code_for(diagnostics: Iterable[Diagnostic], fail_on: Severity = Severity.ERROR) -> ExitCode:
    """The single place that turns findings into an exit code (0 clean, 1 findings)."""
    if any(d.severity.rank >= fail_on.rank for d in diagnostics):
        return ExitCode.FINDINGS
    return ExitCode.CLEAN
