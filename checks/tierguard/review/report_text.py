"""Plain text for a terminal: the gate first, then per environment what the change does.

Every untrusted string goes through `escape.terminal`, so a flow-log name cannot inject escape
sequences or fake lines.
"""

from __future__ import annotations

from tierguard.review.escape import terminal as t
from tierguard.review.model import (
    EnvironmentReview,
    FindingStatus,
    FlowChange,
    ReviewResult,
    RuleLocation,
)


def render(result: ReviewResult) -> str:
    lines = [f"tierguard review: base {t(result.base)} -> head {t(result.head)} "
             f"(author {t(result.author or 'unknown')}, {result.elapsed_seconds:.1f} s)"]
    lines += [f"note: {t(note)}" for note in result.notes]
    for env in result.environments:
        lines += ["", *_environment(env)]
    for ack in result.expired_acknowledgements:
        lines.append(f"expired acknowledgement: {t(ack.source)} -> {t(ack.destination)} "
                     f"(expired {t(ack.expires)}): {t(ack.reason)}")
    lines.append("")
    if result.gate.passed:
        lines.append("GATE PASSED")
    else:
        lines.append(f"GATE FAILED ({len(result.gate.reasons)} reasons):")
        for reason in result.gate.reasons:
            where = f" [{t(str(reason.span.file))}:{reason.span.line}]" if reason.span else ""
            lines.append(f"  - {t(reason.environment)}: {reason.kind.value}: {t(reason.message)}{where}")
    return "\n".join(lines) + "\n"


def _rule(rule: RuleLocation | None) -> str:
    if rule is None:
        return ""
    return f" by {t(rule.policy)} {t(rule.rule)} ({t(rule.where())})"


def _change(change: FlowChange) -> str:
    key = change.key
    ack = f" [{t(change.acknowledged_by)}]" if change.acknowledged_by else ""
    return (f"    {t(key.source)} -> {t(key.destination)} {key.port}/{t(key.protocol)}: "
            f"{change.stats.flows} flows, {change.stats.bytes} bytes, last seen "
            f"{t(change.stats.last_seen or '-')}{_rule(change.responsible)}{ack}")


def _environment(env: EnvironmentReview) -> list[str]:
    cov = env.coverage
    lines = [f"== {t(env.name)}: {'passed' if env.gate.passed else 'FAILED'} "
             f"(re-evaluated {cov.flow_groups_reevaluated}/{cov.flow_groups} flow groups, "
             f"{cov.touched_endpoints}/{cov.endpoints} endpoints touched)"]
    lines += [f"  note: {t(note)}" for note in env.notes]
    if env.newly_denied:
        lines.append(f"  newly denied observed flows ({len(env.newly_denied)}):")
        lines += [_change(c) for c in env.newly_denied]
    if env.newly_allowed:
        lines.append(f"  newly allowed observed flows ({len(env.newly_allowed)}):")
        lines += [_change(c) for c in env.newly_allowed]
    if env.staged_impact:
        lines.append(f"  staged impact ({len(env.staged_impact)}):")
        lines += [f"    {t(s.key.source)} -> {t(s.key.destination)} {s.key.port}/{t(s.key.protocol)}: "
                  f"enforced {s.enforced.value}, pending {s.pending.value} (base pending "
                  f"{s.base_pending.value}){_rule(s.responsible)}" for s in env.staged_impact]
    if env.connectivity_diff:
        lines.append(f"  connectivity diff ({len(env.connectivity_diff)}):")
        lines += [f"    {t(r.key.source)} -> {t(r.key.destination)} {r.key.port}/{t(r.key.protocol)}: "
                  f"{r.before.value} -> {r.after.value}{'' if r.observed else ' (never observed)'}"
                  f"{_rule(r.responsible)}" for r in env.connectivity_diff]
    if env.tests:
        passed = sum(1 for x in env.tests if x.passed)
        lines.append(f"  connectivity tests: {passed}/{len(env.tests)} passed")
        lines += [f"    {'FAIL' if x.newly_failing else 'fail (also in base)'} {t(x.name)}: "
                  f"expect {x.expect.value}, got {x.actual.value}: {t(x.explanation)}"
                  for x in env.tests if not x.passed]
    for decision in env.rbac:
        lines.append(f"  rbac {t(decision.check)}: {t(decision.subject)}: "
                     f"{'allowed' if decision.allowed else 'DENIED'}: {t(decision.message)}")
    new = [f for f in env.findings if f.status is FindingStatus.NEW]
    if env.findings:
        lines.append(f"  findings: {len(new)} new, "
                     f"{sum(1 for f in env.findings if f.status is FindingStatus.EXISTING)} existing, "
                     f"{sum(1 for f in env.findings if f.status is FindingStatus.FIXED)} fixed")
        lines += [f"    new {f.diagnostic.code} {t(f.diagnostic.message)}"
                  + (f" ({t(f.diagnostic.span.file)}:{f.diagnostic.span.line})" if f.diagnostic.span else "")
                  for f in new]
    return lines
