"""Formatter tests: hostile flow-log names, exact JSON/SARIF/JUnit content, the comment size cap."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from hypothesis import given, settings
from hypothesis import strategies as st
from sarif_kit.validate import validation_errors
from tierguard.diagnostics import Diagnostic, Severity, Span
from tierguard.review import (
    escape,
    report_json,
    report_junit,
    report_markdown,
    report_sarif,
    report_summary,
    report_text,
)
from tierguard.review.gate import environment_gate, overall_gate
from tierguard.review.model import (
    Acknowledgement,
    ConnTestResult,
    EnvironmentReview,
    Finding,
    FindingStatus,
    FlowChange,
    FlowKey,
    FlowStats,
    RbacDecision,
    ReachabilityChange,
    ReviewResult,
    RuleLocation,
    StagedImpact,
    Verdict,
)

HOSTILE = "evil<script>alert(1)</script>|`x`]]\n--> @admin #1 *b* [l](u) &amp;\x1b[31m"
RULE = RuleLocation("np:shop/db-ingress", "application", "ingress[0]", "deny",
                    Span("policies/application/shop.yaml", 30, 7, 34, 1))


def _result(source: str = "shop/api-7d4b9c-*", many: int = 1) -> ReviewResult:
    denied = tuple(FlowChange(FlowKey(f"{source}{i or ''}", "shop/db-7d4b9c-*", 5432, "TCP"),
                              FlowStats(7, 7000, "2026-09-21T14:14:20Z"), Verdict.ALLOW, Verdict.DENY, RULE)
                   for i in range(many))
    env = EnvironmentReview(
        name="prod",
        newly_denied=denied,
        newly_allowed=(FlowChange(FlowKey("shop/worker-*", "shop/db-7d4b9c-*", 5432, "TCP"),
                                  FlowStats(3, 300, ""), Verdict.DENY, Verdict.ALLOW, None),),
        staged_impact=(StagedImpact(FlowKey("shop/web-*", "shop/api-*", 8080, "TCP"), FlowStats(42, 1, ""),
                                    Verdict.ALLOW, Verdict.DENY, Verdict.ALLOW, None),),
        connectivity_diff=(ReachabilityChange(FlowKey("shop/web-*", "shop/db-*", 5432, "TCP"),
                                              Verdict.DENY, Verdict.ALLOW, False, RULE),),
        tests=(ConnTestResult("db is private", "prod", "shop/app=web", "shop/app=db", 5432, "TCP",
                          Verdict.DENY, Verdict.ALLOW, "allowed by np:shop/db-ingress ingress[0]",
                          Span("tests/connectivity/shop.yaml", 3, 5, 9, 1)),
               ConnTestResult("web reaches api", "prod", "shop/app=web", "shop/app=api", 8080, "TCP",
                          Verdict.ALLOW, Verdict.ALLOW, "allowed", Span("tests/connectivity/shop.yaml", 10, 5))),
        rbac=(RbacDecision("change", "alice@example.com", False, "may not update GlobalNetworkPolicy x",
                           Span("policies/security/x.yaml", 1, 1)),),
        findings=(Finding(Diagnostic("CAL201", Severity.ERROR, "ports need a protocol",
                                     Span("policies/application/shop.yaml", 12, 9)), FindingStatus.NEW, "head"),
                  Finding(Diagnostic("SEL301", Severity.ERROR, "old problem",
                                     Span("policies/a.yaml", 2, 1)), FindingStatus.EXISTING, "head")))
    env = EnvironmentReview(**{**{f: getattr(env, f) for f in env.__slots__},  # type: ignore[attr-defined]
                               "gate": environment_gate(env)})
    return ReviewResult("origin/main (0123456789ab)", "HEAD (ba9876543210)", "Alice <alice@example.com>",
                        (env,), expired_acknowledgements=(Acknowledgement(
                            "shop/a", "shop/b", 80, None, "old", "2026-01-01", (), Span(".tierguard/acknowledged.yaml", 2, 3)),),
                        gate=overall_gate((env,)), elapsed_seconds=1.25)


def test_gate_lists_every_reason_kind_in_order() -> None:
    result = _result()
    assert [(r.kind.value, r.message) for r in result.gate.reasons] == [
        ("newly-denied", "newly denies observed shop/api-7d4b9c-* -> shop/db-7d4b9c-* 5432/TCP (7 flows) "
                         "by np:shop/db-ingress ingress[0]"),
        ("test-failed", "connectivity test 'db is private' expects deny, got allow: "
                        "allowed by np:shop/db-ingress ingress[0]"),
        ("unauthorized", "change: alice@example.com: may not update GlobalNetworkPolicy x"),
        ("new-findings", "new finding CAL201: ports need a protocol"),
    ]


def test_every_gate_reason_appears_in_every_output() -> None:
    result = _result()
    outputs = {"text": report_text.render(result), "markdown": report_markdown.render(result),
               "json": report_json.render(result), "sarif": report_sarif.render(result),
               "summary": report_summary.render(result), "junit": report_junit.render(result)}
    for name, text in outputs.items():
        for marker in ("5432", "db is private", "may not update GlobalNetworkPolicy x", "CAL201"):
            plain = text.replace("&#40;", "(").replace("&#41;", ")").replace("&#39;", "'").replace("&apos;", "'")
            assert marker in plain, (name, marker)
    assert json.loads(outputs["json"])["gate"]["passed"] is False


def test_json_has_the_documented_lists_per_environment() -> None:
    data = json.loads(report_json.render(_result()))
    env = data["environments"]["prod"]
    assert sorted(env) == ["connectivity_diff", "coverage", "findings", "gate", "newly_allowed", "newly_denied",
                           "notes", "rbac", "staged_impact", "tests"]
    assert env["newly_denied"] == [{
        "source": "shop/api-7d4b9c-*", "destination": "shop/db-7d4b9c-*", "port": 5432, "protocol": "TCP",
        "flows": 7, "bytes": 7000, "last_seen": "2026-09-21T14:14:20Z", "before": "allow", "after": "deny",
        "responsible": {"policy": "np:shop/db-ingress", "tier": "application", "rule": "ingress[0]",
                        "action": "deny", "location": {"file": "policies/application/shop.yaml", "line": 30,
                                                       "col": 7, "end_line": 34, "end_col": 1}},
        "acknowledged_by": None}]
    assert [(r["kind"], r["environment"]) for r in env["gate"]["reasons"]] == [
        ("newly-denied", "prod"), ("test-failed", "prod"), ("unauthorized", "prod"), ("new-findings", "prod")]
    assert [f["status"] for f in env["findings"]] == ["new", "existing"]
    assert data["expired_acknowledgements"][0]["expires"] == "2026-01-01"


def test_sarif_is_valid_and_located_at_the_responsible_rule() -> None:
    log = json.loads(report_sarif.render(_result()))
    assert validation_errors(log) == []
    results = log["runs"][0]["results"]
    located = [(r["ruleId"], r["level"], r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"]) for r in results]
    assert located == [
        ("REV701", "error", "policies/application/shop.yaml", 30),
        ("REV702", "note", "tierguard.yaml", 1),
        ("REV703", "warning", "tierguard.yaml", 1),
        ("REV704", "note", "policies/application/shop.yaml", 30),
        ("REV705", "error", "tests/connectivity/shop.yaml", 3),
        ("REV706", "error", "policies/security/x.yaml", 1),
        ("CAL201", "error", "policies/application/shop.yaml", 12),
        ("REV710", "warning", ".tierguard/acknowledged.yaml", 2),
    ]
    rule_ids = [rule["id"] for rule in log["runs"][0]["tool"]["driver"]["rules"]]
    assert all(rule_ids[r["ruleIndex"]] == r["ruleId"] for r in results)


def test_junit_reports_connectivity_tests() -> None:
    root = ET.fromstring(report_junit.render(_result()))
    assert (root.get("tests"), root.get("failures")) == ("3", "2")
    gate = root.find("testsuite[@name='tierguard.gate']/testcase/failure")
    assert gate is not None and gate.text is not None
    assert [line.split(":")[0] for line in gate.text.splitlines()] == [
        "newly-denied", "test-failed", "unauthorized", "new-findings"]
    cases = root.findall("testsuite[@name='connectivity.prod']/testcase")
    assert [(c.get("name"), c.find("failure") is not None) for c in cases] == [
        ("db is private", True), ("web reaches api", False)]
    failure = cases[0].find("failure")
    assert failure is not None
    assert failure.get("message") == "shop/app=web -> shop/app=db 5432/TCP: expect deny, got allow"


def test_hostile_names_are_escaped_in_markdown_and_mermaid() -> None:
    text = report_markdown.render(_result(source=HOSTILE))
    assert "<script>" not in text and "\x1b" not in text
    assert "@admin" not in text and "#1 " not in text
    mermaid = text.split("```mermaid\n", 1)[1].split("```", 1)[0]
    for line in mermaid.splitlines():
        label = re.findall(r'"([^"]*)"', line)
        assert all(not set(chunk) & set('<>[]|`"\n') for chunk in label), line
    # The table row of the hostile flow still has exactly 8 cells: no `|` leaked into a cell.
    row = next(line for line in text.splitlines() if line.startswith("| evil"))
    assert row.count(" | ") == 8 - 1 and row.endswith("**no** |")
    # A literal ``` in a name cannot close the Mermaid fence early.
    assert text.count("```") == 2


def test_hostile_names_in_junit_and_text() -> None:
    result = _result(source=HOSTILE)
    hostile_test = ConnTestResult(HOSTILE, "prod", HOSTILE, "x", 1, "TCP", Verdict.ALLOW, Verdict.DENY, HOSTILE)
    env = result.environments[0]
    env = EnvironmentReview(env.name, tests=(hostile_test,))
    junit = report_junit.render(ReviewResult("a", "b", "c", (env,)))
    case = ET.fromstring(junit).find("testsuite/testcase")
    assert case is not None and case.get("name") == HOSTILE.replace("\x1b", "\ufffd")
    text = report_text.render(result)
    assert "\x1b" not in text and "\\x1b[31m" in text
    assert "</script>|`x`]]\\x0a-->" in text


def test_comment_stays_under_the_github_limit_with_counts() -> None:
    text = report_markdown.render(_result(many=5000))
    assert len(text) <= 65_536
    assert "more rows not shown" in text
    assert re.search(r"… and \d+ more reasons", text)
    assert "| prod | ❌ | 5000 (5000 unacknowledged) |" in text


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_markdown_escape_leaves_no_markup(text: str) -> None:
    out = escape.markdown(text, limit=1000)
    bare = re.sub(r"&#\d+;", "", out)
    assert not set(bare) & set("<>|`[]*_@#&\\\n\r\x1b")


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_mermaid_escape_uses_only_safe_characters(text: str) -> None:
    out = escape.mermaid(text, limit=1000)
    assert re.fullmatch(r"(?:[A-Za-z0-9 ./:=,-]|#\d+;|…)*", out)
