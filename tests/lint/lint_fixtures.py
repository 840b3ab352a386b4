"""Build lint contexts from small YAML fixtures (policies and an inventory), as `validate --env` does."""

from __future__ import annotations

from tierguard.diagnostics import Diagnostic
from tierguard.engine.ir import CalicoVersion, Edition
from tierguard.inventory.load import inventory_from_text
from tierguard.lint import get
from tierguard.lint.context import LintContext, build_context
from tierguard.lint.environment import repository_endpoints
from tierguard.loader.resources import extract_resources
from tierguard.loader.yaml_source import load_yaml_text
from tierguard.validation.dispatch import Checked, check_resource
from tierguard.validation.k8s_schema import K8sSchemas

SCHEMAS = K8sSchemas("1.32")
POLICY_FILE = "policies.yaml"
INVENTORY_FILE = "cluster.yaml"

# A namespace `shop` (team=shop) with carts and front-end pods, and a namespace `web` with a web pod.
INVENTORY = """\
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: shop, labels: {team: shop}}}
- {apiVersion: v1, kind: Namespace, metadata: {name: web, labels: {team: web}}}
- {apiVersion: v1, kind: ServiceAccount, metadata: {name: default, namespace: shop}}
- {apiVersion: v1, kind: ServiceAccount, metadata: {name: default, namespace: web}}
- apiVersion: v1
  kind: Pod
  metadata: {name: carts-1, namespace: shop, labels: {name: carts}}
  spec: {nodeName: n1, serviceAccountName: default}
  status: {podIP: 10.0.0.1}
- apiVersion: v1
  kind: Pod
  metadata: {name: carts-2, namespace: shop, labels: {name: carts}}
  spec: {nodeName: n1, serviceAccountName: default}
  status: {podIP: 10.0.0.2}
- apiVersion: v1
  kind: Pod
  metadata: {name: front-end-1, namespace: shop, labels: {name: front-end}}
  spec: {nodeName: n1, serviceAccountName: default}
  status: {podIP: 10.0.0.3}
- apiVersion: v1
  kind: Pod
  metadata: {name: web-1, namespace: web, labels: {app: web}}
  spec: {nodeName: n1, serviceAccountName: default}
  status: {podIP: 10.0.1.1}
"""


def checked_resources(text: str) -> list[Checked]:
    loaded = load_yaml_text(text, POLICY_FILE)
    assert loaded.diagnostics == ()
    resources = extract_resources(loaded.documents).resources
    checked = []
    for resource in resources:
        result, problems = check_resource(resource, SCHEMAS)
        assert problems == [], problems  # lint fixtures are schema-valid
        checked.append(result)
    return checked


def context(text: str, inventory: str | None = INVENTORY, version: str = "3.32",
            edition: Edition = Edition.OSS) -> LintContext:
    checked = checked_resources(text)
    found = None
    endpoints = []
    if inventory is not None:
        found, problems = inventory_from_text(inventory, INVENTORY_FILE)
        assert problems == [], problems
        endpoints = list(found.endpoints)
    endpoints += repository_endpoints(checked, found, edition)
    return build_context(checked, CalicoVersion.parse(version), edition, found, endpoints,
                         INVENTORY_FILE if inventory is not None else "")


def run(code: str, text: str, inventory: str | None = INVENTORY, version: str = "3.32") -> list[Diagnostic]:
    return list(get(code).check(context(text, inventory, version)))


def located(diagnostics: list[Diagnostic]) -> list[tuple[str, str, int, int, str]]:
    """(code, severity, line, column, field path) of each diagnostic, all in POLICY_FILE."""
    out = []
    for diagnostic in diagnostics:
        assert diagnostic.span is not None and diagnostic.span.file == POLICY_FILE
        out.append((diagnostic.code, diagnostic.severity.value, diagnostic.span.line, diagnostic.span.col,
                    diagnostic.field_path))
    return out
