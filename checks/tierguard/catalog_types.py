"""The documentation record every diagnostic code carries (used by docs, `explain CODE` and SARIF)."""

from __future__ import annotations

from dataclasses import dataclass

from tierguard.diagnostics import Severity


@dataclass(frozen=True, slots=True)
class CodeDoc:
    code: str
    name: str
    default_severity: Severity
    summary: str
    why: str = ""
    failing: str = ""
    passing: str = ""
    references: str = ""

    @property
    def help_uri(self) -> str:
        return f"docs/codes.md#{self.code.lower()}"
