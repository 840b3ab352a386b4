"""`file:line:col: CODE message`, one diagnostic per line, hints indented below."""

from __future__ import annotations

from tierguard.report.run import RunResult

NAME = "text"
# Messages may quote hostile input; control characters must not forge extra output lines.
_CONTROL = {code: f"\\x{code:02x}" for code in range(32) if code != 9} | {10: "\\n", 13: "\\r"}


def _clean(text: str) -> str:
    return text.translate(_CONTROL)


def render(run: RunResult) -> str:
    lines: list[str] = []
    for diagnostic in run.diagnostics:
        where = str(diagnostic.span) if diagnostic.span is not None else "<no location>"
        severity = "" if diagnostic.severity.value == "error" else f"[{diagnostic.severity.value}] "
        lines.append(f"{_clean(where)}: {diagnostic.code} {severity}{_clean(diagnostic.message)}")
        if diagnostic.hint:
            lines.append(f"    hint: {_clean(diagnostic.hint)}")
        for key, value in diagnostic.data:
            if key in ("source", "rendered"):
                lines.append(f"    {key}: {_clean(value)}")
    return "\n".join(lines) + ("\n" if lines else "")
