"""GitHub Actions workflow commands: `::error file=...,line=...,title=CODE::message`.

Suppressed (waived) findings are not emitted: an annotation cannot be marked as waived.
"""

from __future__ import annotations

from tierguard.diagnostics import Diagnostic, Severity
from tierguard.report.locations import file_location
from tierguard.report.run import RunResult

NAME = "github"
_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def escape_data(text: str) -> str:
    """Escaping of a command's message (actions/toolkit `escapeData`)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escaping of a property value (actions/toolkit `escapeProperty`): also ':' and ','."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotation(diagnostic: Diagnostic) -> str:
    """One workflow command for one diagnostic."""
    location = file_location(diagnostic)
    properties: list[tuple[str, str]] = []
    note = ""
    if location is not None:
        properties.append(("file", location.path))
        note = location.note
        if location.span is not None:
            span = location.span
            properties += [("line", str(span.line)), ("col", str(span.col))]
            if span.end_line:
                properties.append(("endLine", str(span.end_line)))
            if span.end_col and span.end_line == span.line:
                properties.append(("endColumn", str(span.end_col)))
    properties.append(("title", diagnostic.code))
    rendered = ",".join(f"{key}={escape_property(value)}" for key, value in properties)
    message = diagnostic.message + note + (f"\n{diagnostic.hint}" if diagnostic.hint else "")
    return f"::{_COMMAND[diagnostic.severity]} {rendered}::{escape_data(message)}"


def render(run: RunResult) -> str:
    return "".join(annotation(d) + "\n" for d in run.diagnostics)
