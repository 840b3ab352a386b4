"""`--format json`: the review as a machine-readable document (a public contract).

Per environment: `newly_denied`, `newly_allowed`, `staged_impact`, `connectivity_diff`, `tests`,
`rbac`, `findings`, and `gate` {passed, reasons}; plus the overall gate at the top level.
"""

from __future__ import annotations

import json
from typing import Any

from tierguard import __version__
from tierguard.diagnostics import Diagnostic, Span
from tierguard.review.model import (
    Acknowledgement,
    ConnTestResult,
    EnvironmentReview,
    Finding,
    FlowChange,
    FlowKey,
    FlowStats,
    Gate,
    RbacDecision,
    ReachabilityChange,
    ReviewResult,
    RuleLocation,
    StagedImpact,
)

JsonObject = dict[str, Any]


def render(result: ReviewResult) -> str:
    return json.dumps(to_json(result), indent=2, ensure_ascii=False) + "\n"


def to_json(result: ReviewResult) -> JsonObject:
    return {
        "tool": "tierguard",
        "version": __version__,
        "base": result.base,
        "head": result.head,
        "author": result.author,
        "gate": gate_json(result.gate),
        "expired_acknowledgements": [ack_json(ack) for ack in result.expired_acknowledgements],
        "notes": list(result.notes),
        "elapsed_seconds": round(result.elapsed_seconds, 3),
        "environments": {env.name: environment_json(env) for env in result.environments},
    }


def environment_json(env: EnvironmentReview) -> JsonObject:
    return {
        "newly_denied": [change_json(c) for c in env.newly_denied],
        "newly_allowed": [change_json(c) for c in env.newly_allowed],
        "staged_impact": [staged_json(s) for s in env.staged_impact],
        "connectivity_diff": [reach_json(r) for r in env.connectivity_diff],
        "tests": [test_json(t) for t in env.tests],
        "rbac": [rbac_json(r) for r in env.rbac],
        "findings": [finding_json(f) for f in env.findings],
        "gate": gate_json(env.gate),
        "coverage": {
            "flow_groups": env.coverage.flow_groups,
            "flow_groups_reevaluated": env.coverage.flow_groups_reevaluated,
            "flow_groups_staged": env.coverage.flow_groups_staged,
            "flows": env.coverage.flows,
            "endpoints": env.coverage.endpoints,
            "touched_endpoints": env.coverage.touched_endpoints,
            "changed_policies": list(env.coverage.changed_policies),
        },
        "notes": list(env.notes),
    }


def span_json(span: Span | None) -> JsonObject | None:
    if span is None:
        return None
    return {"file": span.file, "line": span.line, "col": span.col,
            "end_line": span.end_line, "end_col": span.end_col}


def rule_json(rule: RuleLocation | None) -> JsonObject | None:
    if rule is None:
        return None
    return {"policy": rule.policy, "tier": rule.tier, "rule": rule.rule, "action": rule.action,
            "location": span_json(rule.span)}


def _key(key: FlowKey) -> JsonObject:
    return {"source": key.source, "destination": key.destination, "port": key.port,
            "protocol": key.protocol}


def _stats(stats: FlowStats) -> JsonObject:
    return {"flows": stats.flows, "bytes": stats.bytes, "last_seen": stats.last_seen}


def change_json(change: FlowChange) -> JsonObject:
    return {**_key(change.key), **_stats(change.stats), "before": change.before.value,
            "after": change.after.value, "responsible": rule_json(change.responsible),
            "acknowledged_by": change.acknowledged_by or None}


def staged_json(item: StagedImpact) -> JsonObject:
    return {**_key(item.key), **_stats(item.stats), "enforced": item.enforced.value,
            "pending": item.pending.value, "base_pending": item.base_pending.value,
            "changed_from_base": item.changed_from_base, "responsible": rule_json(item.responsible)}


def reach_json(item: ReachabilityChange) -> JsonObject:
    return {**_key(item.key), "before": item.before.value, "after": item.after.value,
            "observed": item.observed, "responsible": rule_json(item.responsible)}


def test_json(test: ConnTestResult) -> JsonObject:
    return {"name": test.name, "from": test.source, "to": test.destination, "port": test.port,
            "protocol": test.protocol, "expect": test.expect.value, "actual": test.actual.value,
            "passed": test.passed, "base_actual": test.base_actual.value if test.base_actual else None,
            "newly_failing": test.newly_failing, "explanation": test.explanation,
            "location": span_json(test.span)}


def rbac_json(decision: RbacDecision) -> JsonObject:
    return {"check": decision.check, "subject": decision.subject, "allowed": decision.allowed,
            "message": decision.message, "location": span_json(decision.span)}


def diagnostic_json(diag: Diagnostic) -> JsonObject:
    return {"code": diag.code, "severity": diag.severity.value, "message": diag.message,
            "location": span_json(diag.span),
            "resource": str(diag.resource) if diag.resource else None,
            "field_path": diag.field_path or None, "hint": diag.hint}


def finding_json(finding: Finding) -> JsonObject:
    return {**diagnostic_json(finding.diagnostic), "status": finding.status.value, "tree": finding.tree}


def gate_json(gate: Gate) -> JsonObject:
    return {"passed": gate.passed,
            "reasons": [{"kind": r.kind.value, "environment": r.environment, "message": r.message,
                         "location": span_json(r.span)} for r in gate.reasons]}


def ack_json(ack: Acknowledgement) -> JsonObject:
    return {"from": ack.source, "to": ack.destination, "port": ack.port, "protocol": ack.protocol,
            "reason": ack.reason, "expires": ack.expires, "environments": list(ack.environments),
            "location": span_json(ack.span)}
