"""`file:line:col: CODE message`, one diagnostic per line, hints indented below."""

from __future__ import annotations

from tierguard.report.run import RunResult

NAME = "text"


def render(run: RunResult) -> str:
    lines: list[str] = []
    for diagnostic in run.diagnostics:
        where = str(diagnostic.span) if diagnostic.span is not None else "<no location>"
        severity = "" if diagnostic.severity.value == "error" else f"[{diagnostic.severity.value}] "
        lines.append(f"{where}: {diagnostic.code} {severity}{diagnostic.message}")
        if diagnostic.hint:
            lines.append(f"    hint: {diagnostic.hint}")
        for key, value in diagnostic.data:
            if key in ("source", "rendered"):
                lines.append(f"    {key}: {value}")
    return "\n".join(lines) + ("\n" if lines else "")
