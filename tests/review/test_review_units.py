"""Unit tests of the review's pure parts: acknowledgements, connectivity-test parsing, findings
diff, touched endpoints, and the gate."""

from __future__ import annotations

import dataclasses
import datetime as dt

from tierguard.diagnostics import Diagnostic, ResourceRef, Severity, Span
from tierguard.engine.ir import (
    Action,
    CalicoVersion,
    CompiledPolicy,
    CompiledRule,
    CompiledTier,
    Direction,
    Edition,
    EntityMatch,
    PolicyKind,
    PolicySet,
)
from tierguard.inventory.model import Endpoint, EndpointKind
from tierguard.loader.nodes import LSeq
from tierguard.loader.yaml_source import load_yaml_text
from tierguard.review.acks import acknowledgement_list, matches, parse_acknowledgements
from tierguard.review.conntests import parse_tests
from tierguard.review.findings import diff_findings
from tierguard.review.gate import environment_gate
from tierguard.review.model import (
    EnvironmentReview,
    FindingStatus,
    FlowChange,
    FlowKey,
    FlowStats,
    Verdict,
)
from tierguard.review.touch import policy_change, touched_endpoints
from tierguard.selector import parse

TODAY = dt.date(2026, 11, 26)


def _acks(text: str) -> tuple[list[tuple[str, str]], list[tuple[str, str, int]], list[str]]:
    loaded = load_yaml_text(text, ".tierguard/acknowledged.yaml")
    lists = [found for d in loaded.documents if (found := acknowledgement_list(d.root)) is not None]
    assert all(isinstance(found, LSeq) for found in lists)
    result = parse_acknowledgements(lists, TODAY)
    return ([(a.source, a.expires) for a in result.active],
            [(d.code, d.message, d.span.line if d.span else 0) for d in result.diagnostics],
            [a.expires for a in result.expired])


def test_acknowledgements_valid_expired_and_malformed() -> None:
    active, problems, expired = _acks(
        "acknowledged:\n"
        "  - from: shop/api-*\n    to: shop/db-*\n    port: 5432\n    reason: moving\n    expires: 2027-01-31\n"
        "  - from: shop/a\n    to: shop/b\n    reason: old\n    expires: 2026-11-25\n"
        "  - from: shop/a\n    to: shop/b\n    expires: 2027-13-01\n    colour: red\n"
        "  - from: shop/a\n    to: shop/b\n    port: 70000\n    reason: x\n    expires: 2027-01-01\n")
    assert active == [("shop/api-*", "2027-01-31")]
    assert expired == ["2026-11-25"]
    assert problems == [
        ("REV710", "acknowledgement shop/a -> shop/b expired on 2026-11-25; it no longer waives the gate", 7),
        ("REV709", "unknown key 'colour' in acknowledgement (allowed: environments, expires, from, port, "
                   "protocol, reason, to)", 14),
        ("REV709", "acknowledgement needs a non-empty 'reason'", 11),
        ("REV709", "expires '2027-13-01' is not a date (YYYY-MM-DD)", 13),
        ("REV709", "port must be a number from 1 to 65535", 17),
    ]


def test_acknowledgement_matching_uses_globs_port_protocol_and_environments() -> None:
    active, _, _ = _acks("- from: shop/api-*\n  to: 'shop/db-*'\n  port: 5432\n  protocol: tcp\n"
                         "  environments: [prod]\n  reason: r\n  expires: 2030-01-01\n")
    loaded = load_yaml_text("- from: shop/api-*\n  to: 'shop/db-*'\n  port: 5432\n  protocol: tcp\n"
                            "  environments: [prod]\n  reason: r\n  expires: 2030-01-01\n", "a.yaml")
    root = loaded.documents[0].root
    ack = parse_acknowledgements([root] if isinstance(root, LSeq) else [], TODAY).active[0]
    key = FlowKey("shop/api-7d-*", "shop/db-9f-*", 5432, "TCP")
    assert active == [("shop/api-*", "2030-01-01")]
    assert matches(ack, key, "prod")
    assert not matches(ack, key, "dev")
    assert not matches(ack, dataclasses.replace(key, port=5433), "prod")
    assert not matches(ack, dataclasses.replace(key, protocol="UDP"), "prod")
    assert not matches(ack, dataclasses.replace(key, source="other/api-1"), "prod")


def test_connectivity_test_parsing_reports_each_problem() -> None:
    loaded = load_yaml_text(
        "tests:\n"
        "  - name: ok\n    from: a/app=x\n    to: 10.0.0.1\n    port: 53\n    protocol: udp\n"
        "    expect: {dev: allow, prod: deny}\n    environments: [dev, prod]\n"
        "  - from: a/b\n    port: 0\n    expect: maybe\n"
        "  - from: a/b\n    to: c/d\n    port: 80\n    expect: allow\n    protocol: carrier-pigeon\n",
        "tests/connectivity/x.yaml")
    tests, problems = parse_tests(loaded.documents)
    assert [(t.name, t.protocol, t.expectation("dev"), t.expectation("prod"), t.expectation("qa"))
            for t in tests] == [("ok", "UDP", Verdict.ALLOW, Verdict.DENY, None)]
    assert [(d.code, d.message, d.span.line if d.span else 0) for d in problems] == [
        ("REV711", "connectivity test needs 'to'", 9),
        ("REV711", "port must be a number from 1 to 65535", 10),
        ("REV711", "expect must be allow or deny (or a mapping environment -> allow|deny)", 11),
        ("REV711", "unknown protocol 'carrier-pigeon'", 12),
    ]


def _diag(code: str, line: int, message: str = "m") -> Diagnostic:
    return Diagnostic(code, Severity.ERROR, message, Span("p.yaml", line, 1), ResourceRef("NetworkPolicy", "x", "ns"))


def test_findings_diff_ignores_moved_lines_and_counts_copies() -> None:
    base = [_diag("CAL201", 10, "port 80 needs a protocol (see line 10)"), _diag("SEL301", 3)]
    head = [_diag("CAL201", 14, "port 80 needs a protocol (see line 14)"),
            _diag("CAL201", 20, "port 81 needs a protocol (see line 20)"),
            _diag("CAL201", 24, "port 80 needs a protocol (see line 24)")]
    assert [(f.status, f.diagnostic.code, f.diagnostic.span.line if f.diagnostic.span else 0)
            for f in diff_findings(base, head)] == [
        (FindingStatus.NEW, "CAL201", 20), (FindingStatus.NEW, "CAL201", 24),
        (FindingStatus.EXISTING, "CAL201", 14), (FindingStatus.FIXED, "SEL301", 3)]


def _policy(name: str, selector: str, types: frozenset[Direction], tier: str = "app", line: int = 1,
            order: float = 10) -> CompiledPolicy:
    rule = CompiledRule(Action.ALLOW, 0, source=EntityMatch(selector=parse("app == 'web'")),
                        span=Span("p.yaml", line + 5, 3))
    ingress = (rule,) if Direction.INGRESS in types else ()
    egress = (rule,) if Direction.EGRESS in types else ()
    return CompiledPolicy(PolicyKind.NETWORK_POLICY, name, "shop", tier, order, parse(selector), types,
                          ingress, egress, span=Span("p.yaml", line, 1))


def _set(*policies: CompiledPolicy, tier_order: float = 300) -> PolicySet:
    return PolicySet(CalicoVersion(3, 32), Edition.OSS, (CompiledTier("app", tier_order, Action.DENY),), policies)


def _ep(name: str, app: str) -> Endpoint:
    return Endpoint(EndpointKind.WORKLOAD, name, "shop", {"app": app, "projectcalico.org/namespace": "shop"})


INGRESS = frozenset({Direction.INGRESS})
EGRESS = frozenset({Direction.EGRESS})


def test_moving_a_policy_in_its_file_is_not_a_change() -> None:
    base = _set(_policy("db", "app == 'db'", INGRESS, line=1))
    head = _set(_policy("db", "app == 'db'", INGRESS, line=40))
    change = policy_change(base, head)
    assert change.empty and change.labels == ()


def test_touched_endpoints_follow_selector_and_direction() -> None:
    web, api, db = _ep("web-1", "web"), _ep("api-1", "api"), _ep("db-1", "db")
    base = _set(_policy("db", "app == 'db'", INGRESS), _policy("web-out", "app == 'web'", EGRESS))
    head = _set(_policy("db", "app == 'db' || app == 'api'", INGRESS), _policy("web-out", "app == 'web'", EGRESS))
    change = policy_change(base, head)
    touched = touched_endpoints(change, [web, api, db])
    assert change.labels == ("NetworkPolicy shop/db (tier app)",)
    assert (touched.ingress, touched.egress) == (frozenset({id(api), id(db)}), frozenset())
    assert touched.flow(web, db) and touched.flow(web, api) and not touched.flow(db, web)
    assert not touched.flow(api, None)


def test_a_tier_change_touches_every_endpoint_its_policies_select() -> None:
    web, db = _ep("web-1", "web"), _ep("db-1", "db")
    policies = (_policy("db", "app == 'db'", INGRESS), _policy("web-out", "app == 'web'", EGRESS))
    change = policy_change(_set(*policies), _set(*policies, tier_order=50))
    touched = touched_endpoints(change, [web, db])
    assert change.labels == ("NetworkPolicy shop/db (tier app)", "NetworkPolicy shop/web-out (tier app)", "Tier app")
    assert (touched.ingress, touched.egress) == (frozenset({id(db)}), frozenset({id(web)}))


def test_changed_network_sets_touch_flows_with_outside_peers() -> None:
    web = _ep("web-1", "web")
    touched = touched_endpoints(policy_change(_set(), _set()), [web], network_sets_changed=True)
    assert touched.flow(web, None) and not touched.flow(web, web)


def test_gate_blocks_only_unacknowledged_denials() -> None:
    key = FlowKey("shop/api-*", "shop/db-*", 5432, "TCP")
    stats = FlowStats(7, 700, "")
    review = EnvironmentReview("prod", newly_denied=(
        FlowChange(key, stats, Verdict.ALLOW, Verdict.DENY, None, acknowledged_by="test 'x'"),
        FlowChange(dataclasses.replace(key, port=5433), stats, Verdict.ALLOW, Verdict.DENY, None)))
    gate = environment_gate(review, ["cannot render overlays/prod: boom"])
    assert [(r.kind.value, r.message) for r in gate.reasons] == [
        ("not-evaluated", "cannot render overlays/prod: boom"),
        ("newly-denied", "newly denies observed shop/api-* -> shop/db-* 5433/TCP (7 flows)")]
