"""What a formatter renders: the diagnostics of one run plus what is needed to describe them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tierguard import __version__
from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Diagnostic


@dataclass(frozen=True, slots=True)
class RunResult:
    """Diagnostics in output order, the repository root (SARIF URIs are relative to it) and the catalog."""

    diagnostics: tuple[Diagnostic, ...]
    root: Path
    codes: Mapping[str, CodeDoc] = field(default_factory=dict)
    tool_version: str = __version__
    # Where repository files are browsable (code docs links); default: the root as a file URI.
    docs_base: str = ""

    @property
    def docs_uri(self) -> str:
        """The base URI that code help paths (`docs/codes.md#yml001`) are relative to, ending in '/'."""
        return self.docs_base or self.root.resolve().as_uri() + "/"
