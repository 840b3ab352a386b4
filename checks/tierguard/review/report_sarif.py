"""SARIF 2.1.0 for the review: each result sits at the responsible rule's line in the head file,
so GitHub code scanning shows it on the PR diff.

Results: unacknowledged newly denied flows (error), acknowledged ones (note), newly allowed
flows, staged impact, reachability changes, failed connectivity tests, unauthorized changes,
new validation findings (with their own codes), and environments that could not be evaluated.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from tierguard import __version__, catalog
from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Severity, Span
from tierguard.report.sarif import LEVELS
from tierguard.review import codes
from tierguard.review.model import (
    FindingStatus,
    GateKind,
    ReviewResult,
    RuleLocation,
)

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
JsonObject = dict[str, Any]


def render(result: ReviewResult, fallback_file: str = "tierguard.yaml") -> str:
    return json.dumps(to_sarif(result, fallback_file), indent=2, ensure_ascii=False) + "\n"


def to_sarif(result: ReviewResult, fallback_file: str = "tierguard.yaml") -> JsonObject:
    results: list[JsonObject] = []
    emit = _Emitter(results, fallback_file)
    for env in result.environments:
        for change in env.newly_denied:
            key = change.key
            text = (f"[{env.name}] newly denies observed {key.source} -> {key.destination} "
                    f"{key.port}/{key.protocol} ({change.stats.flows} flows, {change.stats.bytes} "
                    f"bytes, last seen {change.stats.last_seen or 'unknown'})")
            if change.acknowledged_by:
                emit.add(codes.ACKNOWLEDGED_DENY, Severity.NOTE, f"{text}; {change.acknowledged_by}",
                         _span(change.responsible), env.name)
            else:
                emit.add(codes.NEWLY_DENIED, Severity.ERROR, text, _span(change.responsible), env.name)
        for change in env.newly_allowed:
            key = change.key
            emit.add(codes.NEWLY_ALLOWED, Severity.NOTE,
                     f"[{env.name}] newly allows observed {key.source} -> {key.destination} "
                     f"{key.port}/{key.protocol} ({change.stats.flows} flows)",
                     _span(change.responsible), env.name)
        for staged in env.staged_impact:
            key = staged.key
            emit.add(codes.STAGED_IMPACT, Severity.WARNING,
                     f"[{env.name}] staged policy would {staged.pending.value} observed {key.source} "
                     f"-> {key.destination} {key.port}/{key.protocol} (enforced today: "
                     f"{staged.enforced.value}; base pending: {staged.base_pending.value})",
                     _span(staged.responsible), env.name)
        for reach in env.connectivity_diff:
            key = reach.key
            emit.add(codes.REACHABILITY_CHANGE, Severity.NOTE,
                     f"[{env.name}] {key.source} -> {key.destination} {key.port}/{key.protocol} "
                     f"becomes {'reachable' if reach.after.value == 'allow' else 'unreachable'}"
                     f"{'' if reach.observed else ' (never seen in recorded flows)'}",
                     _span(reach.responsible), env.name)
        for test in env.tests:
            if not test.passed:
                emit.add(codes.TEST_FAILED, Severity.ERROR if test.newly_failing else Severity.WARNING,
                         f"[{env.name}] connectivity test '{test.name}' expects {test.expect.value}, "
                         f"got {test.actual.value}: {test.explanation}", test.span, env.name)
        for decision in env.rbac:
            if not decision.allowed:
                emit.add(codes.UNAUTHORIZED_CHANGE, Severity.ERROR,
                         f"[{env.name}] {decision.check}: {decision.subject}: {decision.message}",
                         decision.span, env.name)
        for finding in env.findings:
            if finding.status is FindingStatus.NEW:
                diag = finding.diagnostic
                emit.add(diag.code, diag.severity, f"[{env.name}] new finding: {diag.message}",
                         diag.span, env.name)
        for reason in env.gate.reasons:
            if reason.kind is GateKind.NOT_EVALUATED:
                emit.add(codes.ENVIRONMENT_NOT_EVALUATED, Severity.ERROR,
                         f"[{env.name}] {reason.message}", reason.span, env.name)
    for ack in result.expired_acknowledgements:
        emit.add(codes.ACK_EXPIRED, Severity.WARNING,
                 f"acknowledgement {ack.source} -> {ack.destination} expired on {ack.expires}",
                 ack.span, "")
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "tierguard-review", "version": __version__,
                "rules": [_descriptor(code) for code in emit.rule_ids]}},
            "automationDetails": {"id": "tierguard-review/"},
            "columnKind": "unicodeCodePoints",
            "results": [{**r, "ruleIndex": emit.rule_ids.index(r["ruleId"])} for r in results],
        }],
    }


def _span(rule: RuleLocation | None) -> Span | None:
    return rule.span if rule else None


class _Emitter:
    """Collects results and the ordered list of rule ids they use."""

    def __init__(self, results: list[JsonObject], fallback_file: str) -> None:
        self.results = results
        self.fallback_file = fallback_file
        self.rule_ids: list[str] = []

    def add(self, code: str, severity: Severity, message: str, span: Span | None, env: str) -> None:
        if code not in self.rule_ids:
            self.rule_ids.append(code)
        where = span or Span(self.fallback_file, 1, 1, 1, 2)
        region: JsonObject = {"startLine": where.line, "startColumn": max(where.col, 1)}
        if where.end_line >= where.line and where.end_line > 0:
            region["endLine"] = where.end_line
            if where.end_col > 0 and (where.end_line > where.line or where.end_col > where.col):
                region["endColumn"] = where.end_col
        fingerprint = hashlib.sha256(f"{code}|{env}|{message}".encode()).hexdigest()[:32]
        self.results.append({
            "ruleId": code,
            "level": LEVELS[severity],
            "message": {"text": message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": where.file, "uriBaseId": "%SRCROOT%"},
                "region": region}}],
            "partialFingerprints": {"tierguardReview/v1": fingerprint},
            "properties": {"environment": env},
        })


def _descriptor(code: str) -> JsonObject:
    doc = _doc(code)
    descriptor: JsonObject = {
        "id": code,
        "name": doc.name if doc else code,
        "shortDescription": {"text": doc.summary if doc else code},
        "defaultConfiguration": {"level": LEVELS[doc.default_severity] if doc else "warning"},
    }
    if doc is not None:
        descriptor["fullDescription"] = {"text": doc.why or doc.summary}
        descriptor["help"] = {"text": f"{doc.summary} See {doc.help_uri} or `tierguard codes {code}`."}
    return descriptor


def _doc(code: str) -> CodeDoc | None:
    """The code's documentation from the catalog (review codes are one of its families)."""
    return catalog.all_codes().get(code)
