"""`tierguard selector check|eval` through `tierguard.cli.main.main`, asserting exact output."""

from __future__ import annotations

from pathlib import Path

import pytest
from tierguard.cli.main import main

INVENTORY = """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata: {name: shop, labels: {team: retail}}
- apiVersion: v1
  kind: Namespace
  metadata: {name: ops}
- apiVersion: v1
  kind: ServiceAccount
  metadata: {name: web, namespace: shop, labels: {tier: front}}
- apiVersion: v1
  kind: Pod
  metadata: {name: web-1, namespace: shop, labels: {app: web}}
  spec: {serviceAccountName: web, containers: [{name: c, image: x}]}
  status: {phase: Running, podIP: 10.0.0.5}
- apiVersion: v1
  kind: Pod
  metadata: {name: db-1, namespace: shop, labels: {app: db}}
  spec: {containers: [{name: c, image: x}]}
  status: {phase: Running, podIP: 10.0.0.6}
- apiVersion: v1
  kind: Pod
  metadata: {name: web-2, namespace: ops, labels: {app: web}}
  spec: {containers: [{name: c, image: x}]}
  status: {phase: Running, podIP: 10.0.0.7}
- apiVersion: projectcalico.org/v3
  kind: NetworkSet
  metadata: {name: partners, namespace: shop, labels: {app: web}}
  spec: {nets: [198.51.100.0/24]}
- apiVersion: projectcalico.org/v3
  kind: GlobalNetworkSet
  metadata: {name: internet, labels: {app: web}}
  spec: {nets: [192.0.2.0/24]}
- apiVersion: projectcalico.org/v3
  kind: HostEndpoint
  metadata: {name: node1-eth0, labels: {app: web}}
  spec: {node: node1, interfaceName: eth0, expectedIPs: [10.1.0.1]}
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, list[str], str]:
    code = main(["selector", *argv])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


@pytest.mark.parametrize(("expression", "canonical"), [
    ("! (has( b)||! has(a ))", "!(has(b) || !has(a))"),
    ("a startswith '\"'", "a starts with '\"'"),
    ("", "all()"),
    ("app == 'web' && tier in {'b', 'a', 'a'}", '(app == "web" && tier in {"a", "b"})'),
])
def test_check_prints_canonical_form(capsys: pytest.CaptureFixture[str], expression: str,
                                     canonical: str) -> None:
    assert run(capsys, "check", expression) == (0, [canonical], "")


def test_check_points_at_the_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "check", "app == 'web' && tier = 'a'") == (1, [
        "invalid selector: expected '==', found a single '=' (column 22)",
        "  app == 'web' && tier = 'a'",
        "                       ^",
    ], "")


def test_check_error_at_end_of_selector(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "check", "has(a) &&") == (1, [
        "invalid selector: expected a selector expression, found end of selector (column 10)",
        "  has(a) &&",
        "           ^",
    ], "")


def test_check_escapes_line_breaks_and_keeps_tabs_aligned(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "check", "a\t== 'x'\n&& b") == (1, [
        ("invalid selector: line break in selector (only spaces and tabs may separate tokens) "
         "(column 9)"),
        "  a\t== 'x'\\n&& b",
        "   \t      ^",
    ], "")


def test_check_wide_characters_keep_the_caret_aligned(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "check", "a == '日本' b") == (1, [
        "invalid selector: unexpected label 'b' after a complete expression (column 11)",
        "  a == '日本' b",
        "              ^",
    ], "")


def write_inventory(tmp_path: Path) -> str:
    path = tmp_path / "inventory.yaml"
    path.write_text(INVENTORY, encoding="utf-8")
    return str(path)


def test_eval_lists_pods_network_sets_and_host_endpoints(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    inventory = write_inventory(tmp_path)
    assert run(capsys, "eval", "app == 'web'", "--inventory", inventory) == (0, [
        'Endpoints matching selector app == "web":',
        "  pod ops/web-2",
        "  pod shop/web-1",
        "  hostendpoint node1-eth0",
        "  networkset shop/partners",
        "  globalnetworkset internet",
    ], "")


def test_eval_uses_effective_labels(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    inventory = write_inventory(tmp_path)
    selector = "pcns.team == 'retail' && pcsa.tier == 'front' && has(projectcalico.org/orchestrator)"
    assert run(capsys, "eval", selector, "--inventory", inventory) == (0, [
        ('Endpoints matching selector (pcns.team == "retail" && pcsa.tier == "front" && '
         "has(projectcalico.org/orchestrator)):"),
        "  pod shop/web-1",
    ], "")
    assert run(capsys, "eval", "has(nothing)", "--inventory", inventory) == (0, [
        "Endpoints matching selector has(nothing):", "  (none)"], "")


def test_eval_with_invalid_selector(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    inventory = write_inventory(tmp_path)
    assert run(capsys, "eval", "app ==", "--inventory", inventory) == (1, [
        "invalid selector: expected a quoted string, found end of selector (column 7)",
        "  app ==",
        "        ^",
    ], "")


def test_eval_missing_inventory_is_a_usage_error(capsys: pytest.CaptureFixture[str],
                                                 tmp_path: Path) -> None:
    missing = str(tmp_path / "missing.yaml")
    assert run(capsys, "eval", "has(a)", "--inventory", missing) == (
        2, [], f"tierguard: error: inventory file not found: {missing}\n")


def test_missing_action_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "frobnicate")
    assert (code, out) == (2, [])
    assert "invalid choice: 'frobnicate'" in err
