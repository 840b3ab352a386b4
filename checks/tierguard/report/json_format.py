"""JSON: a public contract. `{"version": 1, "tool": ..., "diagnostics": [...], "suppressed": [...]}`.

`diagnostics` holds the reported findings; `suppressed` the ones waived in the repository, each
with `"suppressed": true` and the waiver's `justification`.
"""

from __future__ import annotations

import json

from tierguard.diagnostics import Diagnostic
from tierguard.report.run import RunResult
from tierguard.suppress.apply import Suppressed

NAME = "json"
SCHEMA_VERSION = 1


def diagnostic_object(diagnostic: Diagnostic, run: RunResult) -> dict[str, object]:
    """One diagnostic as a JSON object."""
    span = diagnostic.span
    doc = run.codes.get(diagnostic.code)
    return {
        "code": diagnostic.code,
        "name": doc.name if doc else "",
        "severity": diagnostic.severity.value,
        "message": diagnostic.message,
        "file": span.file if span else None,
        "line": span.line if span else None,
        "column": span.col if span else None,
        "endLine": span.end_line if span else None,
        "endColumn": span.end_col if span else None,
        "resource": {"kind": diagnostic.resource.kind, "name": diagnostic.resource.name,
                     "namespace": diagnostic.resource.namespace} if diagnostic.resource else None,
        "fieldPath": diagnostic.field_path,
        "hint": diagnostic.hint,
        "data": dict(diagnostic.data),
    }


def suppressed_object(suppressed: Suppressed, run: RunResult) -> dict[str, object]:
    """One waived finding: the diagnostic's object plus why it is waived."""
    return diagnostic_object(suppressed.diagnostic, run) | {"suppressed": True,
                                                             "justification": suppressed.justification}


def render(run: RunResult) -> str:
    document = {
        "version": SCHEMA_VERSION,
        "tool": {"name": "tierguard", "version": run.tool_version},
        "diagnostics": [diagnostic_object(d, run) for d in run.diagnostics],
        "suppressed": [suppressed_object(s, run) for s in run.suppressed],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
