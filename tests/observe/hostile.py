"""A scenario whose names, namespaces and labels are hostile strings (as flow logs may carry)."""

from __future__ import annotations

from pathlib import Path

from tests.observe import scenario

NAMESPACE = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(2)>'
TEMPLATE = "{{ 7*7 }}"
ESCAPE = "evil\x1b[2J"


def inventory() -> dict[str, object]:
    items: list[dict[str, object]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE, "labels": {}}},
        {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": IMG + "-x1", "generateName": IMG + "-", "namespace": NAMESPACE,
                      "labels": {"app": "web", "note": IMG, TEMPLATE: TEMPLATE}},
         "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "i"}]}},
        {"apiVersion": "v1", "kind": "Pod",
         "metadata": {"name": TEMPLATE, "namespace": NAMESPACE, "labels": {"app": "api"}},
         "spec": {"nodeName": "node-1", "containers": [{"name": "c", "image": "i"}]}},
    ]
    return {"apiVersion": "v1", "kind": "List", "items": items}


FLOWS = (
    scenario.Flow(("wep", NAMESPACE, IMG + "-*"), ("wep", NAMESPACE, TEMPLATE), 8080),
    scenario.Flow(("wep", NAMESPACE, TEMPLATE), ("net", "", "pub"), 443, reporters=("src",)),
    # Not in the inventory: reported as unresolved, with the hostile names in the reason.
    scenario.Flow(("wep", NAMESPACE, ESCAPE + "-*"), ("wep", NAMESPACE, TEMPLATE), 80,
                  reporters=("src",)),
)


def write(directory: Path) -> scenario.Files:
    return scenario.write(directory, inventory(), scenario.flow_lines(FLOWS))
