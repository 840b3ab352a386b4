"""Reading `tierguard.io/ignore`: entries, reasons, exact codes, and SUP001 at the annotation's line."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st
from suppress_fixtures import FIELD, parse, resources
from tierguard import catalog
from tierguard.diagnostics import Diagnostic, ResourceRef, Severity, Span
from tierguard.suppress import Waiver, waivers_of

REF = ResourceRef("GlobalNetworkPolicy", "security.web")
HINT = 'write tierguard.io/ignore: "CODE[,CODE...]: reason", entries separated by ";" or newlines'
CODE_HINT = "name exact codes; `tierguard codes` lists them"


def _span(end_col: int, end_line: int = 6) -> Span:
    return Span("policies/web.yaml", 6, 26, end_line, end_col)


def _sup001(message: str, end_col: int, hint: str = HINT) -> Diagnostic:
    return Diagnostic("SUP001", Severity.ERROR, message, _span(end_col), REF, FIELD, hint)


def test_one_entry() -> None:
    parsed = parse('"LNT901: on demand"')
    assert parsed.waivers == (Waiver(REF, "LNT901", "on demand", _span(45), FIELD),)
    assert parsed.diagnostics == ()


def test_several_codes_and_entries_separated_by_semicolons() -> None:
    parsed = parse('"LNT901, CAL212: kept for the migration: see ticket 12 ;LNT904:fine"')
    assert [(w.code, w.reason) for w in parsed.waivers] == [
        ("LNT901", "kept for the migration: see ticket 12"),
        ("CAL212", "kept for the migration: see ticket 12"),
        ("LNT904", "fine")]
    assert {w.span for w in parsed.waivers} == {_span(94)}
    assert parsed.diagnostics == ()


def test_entries_on_lines_of_a_block_scalar() -> None:
    parsed = parse("|\n      LNT901: applied on demand\n\n      CAL212: legacy selector\n")
    assert [(w.code, w.reason, w.span) for w in parsed.waivers] == [
        ("LNT901", "applied on demand", _span(1, end_line=11)),
        ("CAL212", "legacy selector", _span(1, end_line=11))]
    assert parsed.diagnostics == ()


def test_an_entry_without_reason_waives_nothing() -> None:
    assert parse('"LNT901"') == parse('"LNT901"')
    parsed = parse('"LNT901"')
    assert parsed.waivers == ()
    assert parsed.diagnostics == (
        _sup001("waiver 'LNT901' gives no reason; a waiver must say why the finding is accepted", 34),)
    blank = parse('"LNT901:   ; CAL212: kept"')
    assert [w.code for w in blank.waivers] == ["CAL212"]
    assert [d.message for d in blank.diagnostics] == [
        "waiver 'LNT901:' gives no reason; a waiver must say why the finding is accepted"]


def test_an_entry_without_code() -> None:
    parsed = parse('": because"')
    assert parsed.waivers == ()
    assert parsed.diagnostics == (_sup001("waiver ': because' names no code", 37),)


def test_unknown_codes_prefixes_and_waiver_codes_are_findings() -> None:
    parsed = parse('"LNT901, XYZ123, LNT9, SUP002: reason"')
    assert [w.code for w in parsed.waivers] == ["LNT901"]
    entry = "waiver 'LNT901, XYZ123, LNT9, SUP002: reason'"
    assert parsed.diagnostics == (
        _sup001(f"{entry}: 'XYZ123' is not a tierguard diagnostic code (see `tierguard codes`)", 64, CODE_HINT),
        _sup001(f"{entry}: 'LNT9' is a code prefix; waivers name exact codes (e.g. LNT901)", 64, CODE_HINT),
        _sup001(f"{entry}: waiver findings (SUP002) cannot themselves be waived", 64, CODE_HINT))


def test_empty_and_non_string_values() -> None:
    assert [d.message for d in parse('" ; "').diagnostics] == ["tierguard.io/ignore is empty"]
    assert [(d.message, d.span) for d in parse("{LNT901: reason}").diagnostics] == [
        ("tierguard.io/ignore must be a string", _span(42))]
    assert parse("42").waivers == ()


def test_list_items_carry_their_field_path_and_objects_without_annotation_have_none() -> None:
    text = """\
apiVersion: v1
kind: List
items:
  - apiVersion: projectcalico.org/v3
    kind: NetworkPolicy
    metadata:
      name: application.web
      namespace: shop
  - apiVersion: projectcalico.org/v3
    kind: NetworkPolicy
    metadata:
      name: application.carts
      namespace: shop
      annotations: {tierguard.io/ignore: "LNT901: carts are scaled to zero at night"}
"""
    parsed = waivers_of(resources(text, "list.yaml"), catalog.all_codes())
    assert parsed.waivers == (Waiver(ResourceRef("NetworkPolicy", "application.carts", "shop"), "LNT901",
                                     "carts are scaled to zero at night", Span("list.yaml", 14, 42, 14, 85),
                                     'items[1].metadata.annotations["tierguard.io/ignore"]'),)
    assert parsed.diagnostics == ()


_CODES = sorted(c for c in catalog.all_codes() if not c.startswith("SUP"))
_REASON = st.text(alphabet=string.ascii_letters + string.digits + " .,:-'()", min_size=1).filter(
    lambda r: r.strip() != "")


@given(st.lists(st.tuples(st.lists(st.sampled_from(_CODES), min_size=1, max_size=3), _REASON),
                min_size=1, max_size=4),
       st.sampled_from([";", "\n", " ;\n "]))
def test_well_formed_values_give_exactly_their_waivers(entries: list[tuple[list[str], str]], separator: str) -> None:
    value = separator.join(f"{', '.join(codes)}: {reason}" for codes, reason in entries)
    site_resources = resources(POLICY_LITERAL.format(value=value.replace("\n", "\n      ")))
    parsed = waivers_of(site_resources, catalog.all_codes())
    assert parsed.diagnostics == ()
    assert [(w.code, w.reason) for w in parsed.waivers] == [
        (code, reason.strip()) for codes, reason in entries for code in codes]


POLICY_LITERAL = """\
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: security.web
  annotations:
    tierguard.io/ignore: |
      {value}
"""
