"""The Markdown PR comment: gate, a summary table per environment, collapsible details, and a
Mermaid flowchart of the changed edges.

GitHub rejects comment bodies over 65,536 characters, so the comment is rendered with a row
budget that halves until it fits; every cut says how many rows it hides. Every string that comes
from flows, labels or file names goes through `escape.markdown` / `escape.mermaid`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from tierguard.review import escape
from tierguard.review.model import (
    ConnTestResult,
    EnvironmentReview,
    FindingStatus,
    FlowChange,
    FlowKey,
    GateKind,
    ReviewResult,
    RuleLocation,
    Verdict,
)

MARKER = "<!-- tierguard-review -->"
GITHUB_COMMENT_LIMIT = 65_536
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Budget:
    rows: int  # rows per table
    reasons: int  # gate reasons listed
    edges: int  # Mermaid edges


def render(result: ReviewResult, limit: int = GITHUB_COMMENT_LIMIT - 536,
           marker: str = MARKER) -> str:
    """The comment body, guaranteed to be at most `limit` characters."""
    budget = Budget(rows=50, reasons=50, edges=40)
    while True:
        text = _render(result, budget, marker)
        if len(text) <= limit:
            return text
        if budget.rows == 0 and budget.edges == 0 and budget.reasons <= 5:
            break
        budget = Budget(rows=budget.rows // 2, reasons=max(budget.reasons // 2, 5),
                        edges=budget.edges // 2)
    note = "\n\n_… comment cut to fit GitHub's size limit; see the job summary and the report artifact._\n"
    return text[: limit - len(note)] + note


def _render(result: ReviewResult, budget: Budget, marker: str) -> str:
    lines = [marker, _title(result), "",
             f"Base {_code(result.base)} → head {_code(result.head)} · author "
             f"{escape.markdown(result.author or 'unknown')} · {result.elapsed_seconds:.1f} s", ""]
    lines += [f"> {escape.markdown(note, 400)}" for note in result.notes] + ([""] if result.notes else [])
    lines += _gate_section(result, budget)
    lines += _summary_table(result)
    if result.expired_acknowledgements:
        lines += ["", "**Expired acknowledgements (no longer waive anything):**", ""]
        lines += [f"- {escape.markdown(a.source)} → {escape.markdown(a.destination)}"
                  f"{_port_text(a.port)}: {escape.markdown(a.reason)} (expired {escape.markdown(a.expires)})"
                  for a in result.expired_acknowledgements]
    for env in result.environments:
        lines += ["", *_environment_section(env, budget)]
    lines += ["", "<sub>tierguard review · flows evaluated under base and head, as Flux would render "
              "them</sub>", ""]
    return "\n".join(lines)


def _title(result: ReviewResult) -> str:
    if result.gate.passed:
        return "## ✅ tierguard review: gate passed"
    return f"## ❌ tierguard review: gate failed ({len(result.gate.reasons)} reasons)"


def _code(text: str) -> str:
    # Never put untrusted text in a code span (a backtick in it would end the span early).
    return f"<code>{escape.markdown(text, 60)}</code>"


def _port_text(port: int | None) -> str:
    return f" port {port}" if port is not None else ""


def _gate_section(result: ReviewResult, budget: Budget) -> list[str]:
    if result.gate.passed:
        return ["**Gate:** passed. No unacknowledged breaks, failed tests, unauthorized changes or "
                "new blocking findings.", ""]
    lines = ["**Gate failed because:**", ""]
    counts: dict[GateKind, int] = {}
    for reason in result.gate.reasons:
        counts[reason.kind] = counts.get(reason.kind, 0) + 1
    lines.append("- " + " · ".join(f"{kind.value}: {count}" for kind, count in counts.items()))
    for reason in result.gate.reasons[: budget.reasons]:
        where = f" ({_span_text(reason.span.file, reason.span.line)})" if reason.span else ""
        lines.append(f"- **{escape.markdown(reason.environment)}** {reason.kind.value}: "
                     f"{escape.markdown(reason.message, 300)}{where}")
    hidden = len(result.gate.reasons) - budget.reasons
    if hidden > 0:
        lines.append(f"- … and {hidden} more reasons (all are in the job summary and the JSON report)")
    return lines + [""]


def _span_text(file: str, line: int) -> str:
    return f"{escape.markdown(file, 100)}:{line}"


def _summary_table(result: ReviewResult) -> list[str]:
    lines = ["| Environment | Gate | Newly denied | Newly allowed | Staged impact | Reachability "
             "changes | Tests | RBAC | New findings |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for env in result.environments:
        unacked = sum(1 for c in env.newly_denied if not c.acknowledged_by)
        denied = f"{len(env.newly_denied)}" + (f" ({unacked} unacknowledged)" if unacked else "")
        passed = sum(1 for t in env.tests if t.passed)
        newly = sum(1 for t in env.tests if t.newly_failing)
        rbac_denied = sum(1 for r in env.rbac if not r.allowed)
        new = sum(1 for f in env.findings if f.status is FindingStatus.NEW)
        lines.append(
            f"| {escape.markdown(env.name)} | {'✅' if env.gate.passed else '❌'} | {denied} | "
            f"{len(env.newly_allowed)} | {len(env.staged_impact)} | {len(env.connectivity_diff)} | "
            f"{passed}/{len(env.tests)} passed" + (f", {newly} newly failing" if newly else "") + " | "
            f"{'ok' if not rbac_denied else f'{rbac_denied} denied'} ({len(env.rbac)} checks) | {new} |")
    return lines


def _details(title: str, count: int, body: list[str], open_: bool = False) -> list[str]:
    if count == 0:
        return []
    attr = " open" if open_ else ""
    return [f"<details{attr}><summary><b>{title} ({count})</b></summary>", "", *body, "",
            "</details>", ""]


def _rows(items: Sequence[_T], budget: int, row: Callable[[_T], str], columns: int) -> list[str]:
    lines = [row(item) for item in items[:budget]]
    hidden = len(items) - budget
    if hidden > 0:
        lines.append("| " + " | ".join([f"… {hidden} more rows not shown"] + [""] * (columns - 1)) + " |")
    return lines


def _rule(rule: RuleLocation | None) -> str:
    if rule is None:
        return "—"
    where = _span_text(rule.span.file, rule.span.line) if rule.span else ""
    text = f"{escape.markdown(rule.policy)} {escape.markdown(rule.rule)} ({escape.markdown(rule.action)})"
    return f"{text}<br>{where}" if where else text


def _flow_cells(key: FlowKey) -> str:
    return (f"{escape.markdown(key.source)} | {escape.markdown(key.destination)} | "
            f"{key.port}/{escape.markdown(key.protocol)}")


def _allowed_row(change: FlowChange) -> str:
    return (f"| {_flow_cells(change.key)} | {change.stats.flows:,} | {change.stats.bytes:,} | "
            f"{escape.markdown(change.stats.last_seen or '—')} | {_rule(change.responsible)} |")


def _change_row(change: FlowChange) -> str:
    ack = escape.markdown(change.acknowledged_by, 200) if change.acknowledged_by else "**no**"
    return f"{_allowed_row(change)} {ack} |"


_ALLOWED_HEADER = ["| Source | Destination | Port | Flows | Bytes | Last seen | Responsible rule (head) |",
                   "| --- | --- | --- | ---: | ---: | --- | --- |"]
_FLOW_HEADER = [_ALLOWED_HEADER[0] + " Acknowledged |", _ALLOWED_HEADER[1] + " --- |"]


def _environment_section(env: EnvironmentReview, budget: Budget) -> list[str]:
    status = "✅ gate passed" if env.gate.passed else f"❌ gate failed ({len(env.gate.reasons)})"
    lines = [f"### {escape.markdown(env.name)}: {status}", ""]
    cov = env.coverage
    lines.append(f"Re-evaluated {cov.flow_groups_reevaluated:,} of {cov.flow_groups:,} observed flow "
                 f"groups ({cov.flows:,} flow records): {cov.touched_endpoints} of {cov.endpoints} "
                 "endpoints are touched by the change.")
    lines += [f"> {escape.markdown(note, 400)}" for note in env.notes]
    lines.append("")
    lines += _mermaid(env, budget.edges)
    lines += _details("Newly denied observed flows", len(env.newly_denied),
                      _FLOW_HEADER + _rows(env.newly_denied, budget.rows, _change_row, 8), open_=True)
    lines += _details("Newly allowed observed flows", len(env.newly_allowed),
                      _ALLOWED_HEADER + _rows(env.newly_allowed, budget.rows, _allowed_row, 7))
    lines += _details("Staged impact", len(env.staged_impact), [
        "| Source | Destination | Port | Flows | Enforced (head) | Pending (head) | Pending (base) "
        "| Staged rule |", "| --- | --- | --- | ---: | --- | --- | --- | --- |",
        *_rows(env.staged_impact, budget.rows, lambda s: (
            f"| {_flow_cells(s.key)} | {s.stats.flows:,} | {s.enforced.value} | {s.pending.value} | "
            f"{s.base_pending.value}{' (changed)' if s.changed_from_base else ''} | "
            f"{_rule(s.responsible)} |"), 8)])
    lines += _details("Connectivity diff over the inventory", len(env.connectivity_diff), [
        "| Source | Destination | Port | Before | After | Seen in flows | Responsible rule (head) |",
        "| --- | --- | --- | --- | --- | --- | --- |",
        *_rows(env.connectivity_diff, budget.rows, lambda r: (
            f"| {_flow_cells(r.key)} | {r.before.value} | {r.after.value} | "
            f"{'yes' if r.observed else 'no'} | {_rule(r.responsible)} |"), 7)])
    lines += _details("Connectivity tests", len(env.tests), [
        "| Result | Test | From | To | Port | Expect | Actual | Explanation |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *_rows(sorted(env.tests, key=lambda t: (t.passed, not t.newly_failing)), budget.rows, lambda t: (
            f"| {_test_mark(t)} | {escape.markdown(t.name)} | {escape.markdown(t.source)} | "
            f"{escape.markdown(t.destination)} | {t.port}/{escape.markdown(t.protocol)} | "
            f"{t.expect.value} | {t.actual.value} | {escape.markdown(t.explanation, 300)} |"), 8)],
        open_=any(t.newly_failing for t in env.tests))
    lines += _details("RBAC", len(env.rbac), [
        "| Result | Check | Subject | Detail | Location |", "| --- | --- | --- | --- | --- |",
        *_rows(sorted(env.rbac, key=lambda r: r.allowed), budget.rows, lambda r: (
            f"| {'✅' if r.allowed else '❌'} | {escape.markdown(r.check)} | {escape.markdown(r.subject)} "
            f"| {escape.markdown(r.message, 300)} | "
            f"{_span_text(r.span.file, r.span.line) if r.span else '—'} |"), 5)],
        open_=any(not r.allowed for r in env.rbac))
    lines += _details("Validation findings (base vs head)", len(env.findings), [
        "| Status | Code | Severity | Message | Location |", "| --- | --- | --- | --- | --- |",
        *_rows(env.findings, budget.rows, lambda f: (
            f"| {f.status.value} | {escape.markdown(f.diagnostic.code)} | "
            f"{f.diagnostic.severity.value} | {escape.markdown(f.diagnostic.message, 300)} | "
            f"{_span_text(f.diagnostic.span.file, f.diagnostic.span.line) if f.diagnostic.span else '—'} |"),
            5)], open_=any(f.status is FindingStatus.NEW for f in env.findings))
    return lines


def _test_mark(test: ConnTestResult) -> str:
    if test.passed:
        return "✅"
    return "❌" if test.newly_failing else "⚠️ failing in base too"


def _mermaid(env: EnvironmentReview, max_edges: int) -> list[str]:
    edges = [(c.key, c.after) for c in (*env.newly_denied, *env.newly_allowed)]
    seen = {key for key, _ in edges}
    edges += [(r.key, r.after) for r in env.connectivity_diff if r.key not in seen]
    if not edges or max_edges <= 0:
        return []
    nodes: dict[str, str] = {}
    body: list[str] = []
    styles: list[str] = []
    for index, (key, after) in enumerate(edges[:max_edges]):
        src = nodes.setdefault(key.source, f"n{len(nodes)}")
        dst = nodes.setdefault(key.destination, f"n{len(nodes)}")
        label = escape.mermaid(f"{key.port}/{key.protocol} {'now denied' if after is Verdict.DENY else 'now allowed'}")
        arrow = "--x" if after is Verdict.DENY else "-->"
        body.append(f"  {src} {arrow}|\"{label}\"| {dst}")
        colour = "#d73a49" if after is Verdict.DENY else "#2da44e"
        styles.append(f"  linkStyle {index} stroke:{colour},stroke-width:2px")
    declared = [f"  {node_id}[\"{escape.mermaid(name)}\"]" for name, node_id in nodes.items()]
    hidden = len(edges) - max_edges
    lines = ["```mermaid", "flowchart LR", *declared, *body, *styles, "```"]
    if hidden > 0:
        lines.append(f"_… {hidden} more changed edges not drawn._")
    return lines + [""]
