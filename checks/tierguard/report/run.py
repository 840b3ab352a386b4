"""What a formatter renders: the diagnostics of one run plus what is needed to describe them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tierguard import __version__
from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Diagnostic
from tierguard.suppress.apply import Suppressed


@dataclass(frozen=True, slots=True)
class RunResult:
    """Diagnostics in output order, the repository root (SARIF URIs are relative to it) and the catalog."""

    diagnostics: tuple[Diagnostic, ...]
    root: Path
    codes: Mapping[str, CodeDoc] = field(default_factory=dict)
    tool_version: str = __version__
    # Where repository files are browsable (code docs links); default: the root as a file URI.
    docs_base: str = ""
    # Findings waived in the repository (tierguard.io/ignore): shown as such, never counted as findings.
    suppressed: tuple[Suppressed, ...] = ()
    show_suppressed: bool = False  # text lists them one by one, not only as a tally

    @property
    def docs_uri(self) -> str:
        """The base URI that code help paths (`docs/codes.md#yml001`) are relative to, ending in '/'."""
        return self.docs_base or self.root.resolve().as_uri() + "/"
