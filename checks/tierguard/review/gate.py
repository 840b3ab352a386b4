"""The review gate: the one place that decides whether a change may merge.

A change fails the gate when, in any environment, it newly denies observed traffic that no
connectivity test or acknowledgement declares intended, fails a connectivity test, is not
authorized for its author (or the Flux tenant), adds blocking validation findings, or could not
be evaluated at all.
"""

from __future__ import annotations

from collections.abc import Iterable

from tierguard.diagnostics import ExitCode, Severity
from tierguard.review.model import (
    EnvironmentReview,
    FindingStatus,
    Gate,
    GateKind,
    GateReason,
    ReviewResult,
    Verdict,
)


def environment_gate(review: EnvironmentReview, not_evaluated: Iterable[str] = (),
                     fail_on: Severity = Severity.ERROR) -> Gate:
    env = review.name
    reasons: list[GateReason] = [GateReason(GateKind.NOT_EVALUATED, env, message)
                                 for message in not_evaluated]
    for change in review.newly_denied:
        if change.after is Verdict.DENY and not change.acknowledged_by:
            key = change.key
            where = f" by {change.responsible.policy} {change.responsible.rule}" \
                if change.responsible else ""
            reasons.append(GateReason(
                GateKind.NEWLY_DENIED, env,
                f"newly denies observed {key.source} -> {key.destination} {key.port}/{key.protocol} "
                f"({change.stats.flows} flows){where}",
                change.responsible.span if change.responsible else None))
    for test in review.tests:
        if test.newly_failing:
            reasons.append(GateReason(
                GateKind.TEST_FAILED, env,
                f"connectivity test '{test.name}' expects {test.expect.value}, got "
                f"{test.actual.value}: {test.explanation}", test.span))
    for decision in review.rbac:
        if not decision.allowed:
            reasons.append(GateReason(GateKind.UNAUTHORIZED, env,
                                      f"{decision.check}: {decision.subject}: {decision.message}",
                                      decision.span))
    for finding in review.findings:
        diag = finding.diagnostic
        if finding.status is FindingStatus.NEW and diag.severity.rank >= fail_on.rank:
            reasons.append(GateReason(GateKind.NEW_FINDINGS, env,
                                      f"new finding {diag.code}: {diag.message}", diag.span))
    return Gate(tuple(reasons))


def overall_gate(environments: Iterable[EnvironmentReview]) -> Gate:
    return Gate(tuple(reason for env in environments for reason in env.gate.reasons))


def exit_code(result: ReviewResult) -> int:
    """0 when the gate passed, 1 when it failed (tierguard.diagnostics.ExitCode)."""
    return int(ExitCode.CLEAN if result.gate.passed else ExitCode.FINDINGS)
