"""Applying waivers: exactly the waived (object, code) findings are suppressed; unused waivers are SUP002."""

from __future__ import annotations

from suppress_fixtures import FIELD
from tierguard.diagnostics import Diagnostic, ExitCode, ResourceRef, Severity, Span, exit_code_for
from tierguard.suppress import Suppressed, Waiver, apply_waivers

WEB = ResourceRef("GlobalNetworkPolicy", "security.web")
CARTS = ResourceRef("NetworkPolicy", "application.carts", "shop")
AT = Span("policies/web.yaml", 6, 26, 6, 45)


def _finding(code: str, resource: ResourceRef | None, line: int, severity: Severity = Severity.ERROR) -> Diagnostic:
    return Diagnostic(code, severity, f"{code} finding", Span("policies/web.yaml", line, 1), resource)


def test_only_the_waived_code_on_the_waived_object_is_suppressed() -> None:
    waived = _finding("CAL212", WEB, 9)
    other_code = _finding("CAL210", WEB, 8)
    other_object = _finding("CAL212", CARTS, 20)
    no_object = _finding("CAL212", None, 1)
    result = apply_waivers([other_code, waived, other_object, no_object],
                           [Waiver(WEB, "CAL212", "legacy selector", AT, FIELD)])
    assert result.diagnostics == (other_code, other_object, no_object)
    assert result.suppressed == (Suppressed(waived, "legacy selector"),)


def test_suppressed_errors_do_not_reach_the_exit_code() -> None:
    result = apply_waivers([_finding("CAL212", WEB, 9)], [Waiver(WEB, "CAL212", "legacy", AT, FIELD)])
    assert result.diagnostics == ()
    assert exit_code_for(result.diagnostics) is ExitCode.CLEAN
    assert exit_code_for(s.diagnostic for s in result.suppressed) is ExitCode.FINDINGS


def test_a_waiver_that_suppresses_nothing_is_sup002_at_the_annotation() -> None:
    result = apply_waivers([], [Waiver(WEB, "LNT904", "fine", AT, FIELD)])
    assert result.diagnostics == (Diagnostic(
        "SUP002", Severity.WARNING, "waiver for LNT904 on GlobalNetworkPolicy security.web suppressed nothing in "
        "this run", AT, WEB, FIELD, "remove the entry, or check that the waiver names the right object and code"),)
    assert result.suppressed == ()


def test_no_sup002_for_codes_whose_checks_did_not_run() -> None:
    result = apply_waivers([], [Waiver(WEB, "LNT901", "on demand", AT, FIELD)], not_run=frozenset({"LNT901"}))
    assert result.diagnostics == ()


def test_waiver_findings_are_never_suppressed() -> None:
    sup = Diagnostic("SUP001", Severity.ERROR, "bad waiver", AT, WEB, FIELD)
    result = apply_waivers([sup], [Waiver(WEB, "SUP001", "nope", AT, FIELD)])
    assert result.suppressed == ()
    assert [d.code for d in result.diagnostics] == ["SUP001", "SUP002"]


def test_one_object_seen_in_its_file_and_in_a_rendered_overlay_has_one_waiver() -> None:
    rendered = Waiver(WEB, "LNT904", "fine", Span("<kustomize overlays/dev>", 40, 26, 40, 45), FIELD)
    source = Waiver(WEB, "LNT904", "fine", AT, FIELD)
    result = apply_waivers([], [rendered, source])
    assert [(d.code, d.span) for d in result.diagnostics] == [("SUP002", AT)]
    twice = [_finding("LNT904", WEB, 12, Severity.WARNING)]
    assert [s.justification for s in apply_waivers(twice, [rendered, source]).suppressed] == ["fine"]
