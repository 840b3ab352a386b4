"""`file:line:col: CODE message`, one diagnostic per line, hints indented below."""

from __future__ import annotations

from tierguard.diagnostics import Diagnostic
from tierguard.report.run import RunResult

NAME = "text"
# Messages may quote hostile input; control characters must not forge extra output lines.
_CONTROL = {code: f"\\x{code:02x}" for code in range(32) if code != 9} | {10: "\\n", 13: "\\r"}


def _clean(text: str) -> str:
    return text.translate(_CONTROL)


def _lines(diagnostic: Diagnostic, justification: str | None = None) -> list[str]:
    where = str(diagnostic.span) if diagnostic.span is not None else "<no location>"
    severity = "" if diagnostic.severity.value == "error" else f"[{diagnostic.severity.value}] "
    lines = [f"{_clean(where)}: {diagnostic.code} {severity}{_clean(diagnostic.message)}"]
    if justification is not None:
        lines.append(f"    suppressed: {_clean(justification)}")
    if diagnostic.hint:
        lines.append(f"    hint: {_clean(diagnostic.hint)}")
    for key, value in diagnostic.data:
        if key in ("source", "rendered"):
            lines.append(f"    {key}: {_clean(value)}")
    return lines


def _tally(run: RunResult) -> list[str]:
    """Suppressed findings stay visible: listed with --show-suppressed, else counted."""
    if not run.suppressed:
        return []
    if run.show_suppressed:
        listed = [line for s in run.suppressed for line in _lines(s.diagnostic, s.justification)]
        return [*listed, f"{len(run.suppressed)} suppressed"]
    return [f"{len(run.suppressed)} suppressed (tierguard.io/ignore; --show-suppressed lists them)"]


def render(run: RunResult) -> str:
    lines = [line for diagnostic in run.diagnostics for line in _lines(diagnostic)] + _tally(run)
    return "\n".join(lines) + ("\n" if lines else "")
