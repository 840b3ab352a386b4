"""SARIF 2.1.0: `tool.driver.rules[]` from the catalog, results with region and fingerprints."""

from __future__ import annotations

import hashlib
import json
from urllib.parse import quote

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.report.locations import file_location
from tierguard.report.run import RunResult
from tierguard.suppress.apply import Suppressed

NAME = "sarif"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
# SARIF result levels of our severities; the review's SARIF writer uses the same table.
LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


def _rule(doc: CodeDoc, docs_uri: str) -> dict[str, object]:
    full = " ".join(part for part in (doc.summary, doc.why) if part)
    return {
        "id": doc.code,
        "name": doc.name,
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": full},
        "helpUri": docs_uri + doc.help_uri,
        "defaultConfiguration": {"level": LEVELS[doc.default_severity]},
    }


def _fingerprint(diagnostic: Diagnostic) -> str:
    resource = str(diagnostic.resource) if diagnostic.resource else ""
    file = diagnostic.span.file if diagnostic.span else ""
    key = "\x1f".join((diagnostic.code, file, resource, diagnostic.field_path, diagnostic.message))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _location(diagnostic: Diagnostic) -> tuple[list[dict[str, object]], str]:
    location = file_location(diagnostic)
    if location is None:
        return [], ""
    physical: dict[str, object] = {
        "artifactLocation": {"uri": quote(location.path), "uriBaseId": "%SRCROOT%"}}
    span = location.span
    if span is not None:
        region: dict[str, int] = {"startLine": span.line, "startColumn": span.col}
        if span.end_line >= span.line:
            region["endLine"] = span.end_line
            if span.end_col > (span.col if span.end_line == span.line else 0):
                region["endColumn"] = span.end_col
        physical["region"] = region
    return [{"physicalLocation": physical}], location.note


def _result(diagnostic: Diagnostic, index: dict[str, int]) -> dict[str, object]:
    locations, note = _location(diagnostic)
    text = diagnostic.message + note
    result: dict[str, object] = {
        "ruleId": diagnostic.code,
        "level": LEVELS[diagnostic.severity],
        "message": {"text": text},
        "locations": locations,
        "partialFingerprints": {"tierguard/v1": _fingerprint(diagnostic)},
    }
    if diagnostic.code in index:
        result["ruleIndex"] = index[diagnostic.code]
    if diagnostic.field_path or diagnostic.resource:
        result["properties"] = {"fieldPath": diagnostic.field_path,
                                "resource": str(diagnostic.resource) if diagnostic.resource else ""}
    return result


def _suppressed_result(suppressed: Suppressed, index: dict[str, int]) -> dict[str, object]:
    """A waived finding stays a result, marked as suppressed in source with the waiver's reason."""
    result = _result(suppressed.diagnostic, index)
    result["suppressions"] = [{"kind": "inSource", "justification": suppressed.justification}]
    return result


def render(run: RunResult) -> str:
    codes = sorted(run.codes)
    index = {code: position for position, code in enumerate(codes)}
    root_uri = run.root.resolve().as_uri() + "/"
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "tierguard",
                "version": run.tool_version,
                "informationUri": run.docs_uri + "README.md",
                "rules": [_rule(run.codes[code], run.docs_uri) for code in codes],
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root_uri}},
            "results": [_result(d, index) for d in run.diagnostics]
            + [_suppressed_result(s, index) for s in run.suppressed],
        }],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
