"""Where a diagnostic lives, in the terms file-based formats (SARIF, GitHub annotations) need.

Rendered overlays are not files: a span in `<kustomize overlays/dev>` is reported on the
overlay's kustomization file, and the message says where in the rendered output it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tierguard.diagnostics import Diagnostic, Span

_STREAM = re.compile(r"^<kustomize (.+)>$")


@dataclass(frozen=True, slots=True)
class FileLocation:
    """A repository path, a region when the diagnostic has one there, and a note otherwise."""

    path: str
    span: Span | None
    note: str = ""


def file_location(diagnostic: Diagnostic) -> FileLocation | None:
    """A repository file for the diagnostic, or None when it has no location at all."""
    span = diagnostic.span
    if span is None:
        return None
    stream = _STREAM.match(span.file)
    if stream:
        overlay = stream.group(1).rstrip("/")
        note = f" (line {span.line}, column {span.col} of the rendered output of {overlay})"
        return FileLocation(f"{overlay}/kustomization.yaml", None, note)
    if span.file.startswith("<"):
        return FileLocation(span.file, None, f" (line {span.line}, column {span.col} of {span.file})")
    return FileLocation(span.file, span)
