"""load_inventory: YAML List / multi-document / JSON input, located diagnostics, unreadable files."""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path

from tierguard.inventory.load import inventory_from_text, load_inventory

LIST_YAML = """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Namespace
  metadata: {name: app, labels: {env: prod}}
- apiVersion: v1
  kind: Pod
  metadata: {name: web-1, namespace: app, labels: {app: web}}
  spec: {serviceAccountName: default}
  status: {phase: Running, podIP: 10.0.0.5}
- apiVersion: v1
  kind: Pod
  metadata: {name: bad, namespace: app}
  status: {phase: Running, podIP: not-an-ip}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata: {name: corp}
spec: {nets: [192.0.2.0/24]}
"""


def test_yaml_list_and_extra_documents(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(LIST_YAML)
    inventory, diagnostics = load_inventory(path)
    web = inventory.pod("app", "web-1")
    assert web is not None and web.labels["pcns.env"] == "prod"
    assert inventory.network_set("", "corp") is not None
    assert [(d.code, d.span.line if d.span else 0, d.field_path) for d in diagnostics] == [
        ("SCH173", 7, "spec.serviceAccountName"),  # the item's own line inside the List
        ("SCH171", 12, "status.podIPs[0].ip"),
    ]
    assert diagnostics[0].span is not None and diagnostics[0].span.file == str(path)


def test_json_list(tmp_path: Path) -> None:
    document = {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app"}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "a", "namespace": "app"},
         "spec": {}, "status": {"phase": "Running", "podIPs": [{"ip": "10.0.0.1"}, {"ip": "fd00::1"}]}}]}
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(document))
    inventory, diagnostics = load_inventory(path)
    assert diagnostics == []
    pod = inventory.pod("app", "a")
    assert pod is not None and pod.ips == (ipaddress.ip_address("10.0.0.1"), ipaddress.ip_address("fd00::1"))
    assert inventory.endpoint_by_ip(ipaddress.ip_address("fd00::1")) is pod


def test_unreadable_inputs(tmp_path: Path) -> None:
    inventory, diagnostics = load_inventory(tmp_path / "missing.yaml")
    assert inventory.endpoints == () and [d.code for d in diagnostics] == ["SCH177"]
    assert diagnostics[0].message.startswith("cannot read inventory: ")
    _, diagnostics = inventory_from_text('{"kind": "List", "items": [', "inv.json")
    assert [(d.code, d.span.line if d.span else 0) for d in diagnostics] == [("SCH177", 1)]
    _, diagnostics = inventory_from_text("- just\n- a list\n", "inv.yaml")
    assert [(d.code, d.message) for d in diagnostics] == [("SCH177", "inventory document is not a mapping")]
    _, diagnostics = inventory_from_text("a: [1, 2\n", "inv.yaml")
    assert [d.code for d in diagnostics] == ["YML001"]
    binary = tmp_path / "inv.bin"
    binary.write_bytes(b"\x00\x01")
    _, diagnostics = load_inventory(binary)
    assert [d.code for d in diagnostics] == ["YML007"]
