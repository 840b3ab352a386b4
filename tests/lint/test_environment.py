"""Lints on a whole environment: the bundled example's Sock Shop bug, inventory files and directories."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from lint_fixtures import INVENTORY, checked_resources, context
from tierguard.cli.main import main
from tierguard.config import load_config
from tierguard.config.model import Config, Environment
from tierguard.engine.ir import CalicoVersion, Edition
from tierguard.lint import run_all
from tierguard.lint.environment import lint_environment, lint_resources, load_environment_inventory
from tierguard.validation.pipeline import validate_environment

REPO = Path(__file__).resolve().parents[2]
ENVIRONMENTS = ("dev", "staging", "prod")
# Pods labelled name=carts per environment's inventory (prod runs two replicas).
CARTS_PODS = {"dev": 1, "staging": 1, "prod": 2}


@pytest.fixture
def at_repository() -> Iterator[Path]:
    previous = Path.cwd()
    os.chdir(REPO)
    try:
        yield REPO
    finally:
        os.chdir(previous)


def _carts(environment: str) -> dict[str, object]:
    return {
        "code": "LNT901", "severity": "error", "file": "policies/application/sock-shop/carts.yaml",
        "line": 15, "column": 21, "fieldPath": "spec.selector",
        "message": f"NetworkPolicy sock-shop/application.carts matches no endpoint in inventory "
                   f"inventory/{environment}/cluster.yaml: no endpoint has name == 'cart'",
        "hint": f"did you mean 'carts'? {CARTS_PODS[environment]} endpoint"
                f"{'s are' if CARTS_PODS[environment] > 1 else ' is'} labelled name=carts",
    }


def _quarantine(environment: str) -> dict[str, object]:
    # The incident-response guardrail selects a label applied on demand: a note, not a warning.
    return {
        "code": "LNT901", "severity": "note", "file": "policies/security/quarantine.yaml",
        "line": 12, "column": 48, "fieldPath": "spec.selector",
        "message": f"GlobalNetworkPolicy security.quarantine matches no endpoint in inventory "
                   f"inventory/{environment}/cluster.yaml: no endpoint has the label "
                   "'security.example.com/quarantine' at all",
        "hint": "if the label is applied on demand (e.g. quarantine), this is expected",
    }


KEYS = ("code", "severity", "file", "line", "column", "fieldPath", "message", "hint")


@pytest.mark.slow
@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_bundled_example_lints_report_exactly_the_sock_shop_bug(at_repository: Path, name: str) -> None:
    config = load_config(None, at_repository)
    environment = config.environment(name)
    loaded, result = validate_environment(config, environment)
    found = lint_environment(config, environment, loaded, result.checked)
    report = [{"code": d.code, "severity": d.severity.value, "file": d.span.file if d.span else None,
               "line": d.span.line if d.span else None, "column": d.span.col if d.span else None,
               "fieldPath": d.field_path, "message": d.message, "hint": d.hint} for d in found]
    assert report == [_quarantine(name), _carts(name)]


@pytest.mark.slow
@pytest.mark.parametrize("name", ENVIRONMENTS)
def test_validate_env_reports_the_sock_shop_bug(at_repository: Path, name: str,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--env", name, "-f", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert [{key: d[key] for key in KEYS} for d in report["diagnostics"]] == [_carts(name)]
    # The quarantine note is waived in policies/security/quarantine.yaml (tierguard.io/ignore).
    assert [{key: d[key] for key in (*KEYS, "suppressed", "justification")} for d in report["suppressed"]] == [
        _quarantine(name) | {"suppressed": True,
                             "justification": "selects pods only while someone applies the quarantine label"}]


def _environment(inventory: str) -> Environment:
    return Environment("dev", "overlays/dev", "eks-dev", CalicoVersion(3, 32), Edition.OSS, inventory=inventory)


def test_inventory_may_be_a_directory_of_files(tmp_path: Path) -> None:
    (tmp_path / "inventory").mkdir()
    header, _, items = INVENTORY.partition("items:\n")
    namespaces = "".join(line + "\n" for line in items.splitlines() if "kind: Namespace" in line
                         or "kind: ServiceAccount" in line)
    pods = items[len(namespaces):]
    (tmp_path / "inventory/namespaces.yaml").write_text(header + "items:\n" + namespaces)
    (tmp_path / "inventory/pods.yaml").write_text(header + "items:\n" + pods)
    inventory, problems = load_environment_inventory(Config(tmp_path), _environment("inventory"))
    assert problems == []
    assert inventory is not None
    assert sorted((e.name, e.labels.get("pcns.team")) for e in inventory.endpoints) == [
        ("carts-1", "shop"), ("carts-2", "shop"), ("front-end-1", "shop"), ("web-1", "web")]


def test_missing_or_unconfigured_inventory_means_no_inventory_lints(tmp_path: Path) -> None:
    assert load_environment_inventory(Config(tmp_path), _environment("inventory/absent.yaml")) == (None, [])
    assert load_environment_inventory(Config(tmp_path), _environment("")) == (None, [])


def test_empty_inventory_skips_the_inventory_lints() -> None:
    empty = "apiVersion: v1\nkind: List\nitems: []\n"
    policy = ("apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\n"
              "spec:\n  selector: name == 'cart'\n")
    assert list(run_all(context(policy, inventory=empty))) == []


def test_lint_resources_runs_the_lints_that_need_no_inventory() -> None:
    text = ("apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {name: p, namespace: shop}\n"
            "spec:\n  selector: name == 'cart'\n  egress:\n    - action: Allow\n    - action: Deny\n")
    found = lint_resources(checked_resources(text), CalicoVersion(3, 31), Edition.OSS)
    assert [(d.code, d.span.line if d.span else 0, d.field_path) for d in found] == [
        ("LNT905", 8, "spec.egress[1]")]
