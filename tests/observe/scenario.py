"""A small synthetic shop: tier, enforced and staged policies, an inventory and Calico Enterprise
flow lines, written as real files so the tests go through the same loaders as the CLI.

Traffic and what the tree decides (enforced / pending = staged-as-enforced):
- web -> api TCP 8080: allowed (api's ingress policy allows web; web's egress: profile)
- debug -> api TCP 8080: denied at debug's egress (tools/app.debug-egress end of tier)
- web -> db TCP 5432: would-be-denied (db: profile today; staged app.db-lockdown denies)
- api -> db TCP 5432: allowed (profile today; staged app.db-lockdown allows)
- debug -> web TCP 80: would-be-allowed (debug-egress denies; staged app.debug-web allows)
- web -> pub TCP 443: allowed (web's egress: profile)
`idle` has no traffic.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

POLICIES = """\
apiVersion: projectcalico.org/v3
kind: Tier
metadata:
  name: app
spec:
  order: 100
  defaultAction: Deny
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: app.api
  namespace: shop
spec:
  tier: app
  order: 100
  selector: app == 'api'
  types: [Ingress]
  ingress:
    - action: Allow
      protocol: TCP
      source:
        selector: app == 'web'
      destination:
        ports: [8080]
---
apiVersion: projectcalico.org/v3
kind: StagedNetworkPolicy
metadata:
  name: app.db-lockdown
  namespace: shop
spec:
  tier: app
  order: 100
  selector: app == 'db'
  types: [Ingress]
  ingress:
    - action: Allow
      protocol: TCP
      source:
        selector: app == 'api'
      destination:
        ports: [5432]
---
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: app.debug-egress
  namespace: tools
spec:
  tier: app
  order: 100
  selector: app == 'debug'
  types: [Egress]
  egress:
    - action: Allow
      protocol: UDP
      destination:
        ports: [53]
---
apiVersion: projectcalico.org/v3
kind: StagedNetworkPolicy
metadata:
  name: app.debug-web
  namespace: tools
spec:
  tier: app
  order: 10
  selector: app == 'debug'
  types: [Egress]
  egress:
    - action: Allow
      protocol: TCP
      destination:
        namespaceSelector: projectcalico.org/name == 'shop'
        selector: app == 'web'
        ports: [80]
"""



def line_of(needle: str, after: str = "") -> int:
    """1-based line in POLICIES of the first `needle` after the line holding `after`."""
    lines = POLICIES.splitlines()
    start = next(i for i, text in enumerate(lines) if after in text) if after else 0
    return next(i for i, text in enumerate(lines) if i >= start and needle in text) + 1


def document_line(name: str) -> int:
    """The `apiVersion` line of the policy called `name` (end-of-tier hits point at the policy)."""
    lines = POLICIES.splitlines()
    at = line_of(f"name: {name}") - 1
    return max(i for i in range(at) if lines[i].startswith("apiVersion:")) + 1


def _pod(name: str, namespace: str, app: str, generate: str = "", node: str = "node-1",
         extra_labels: Mapping[str, str] | None = None) -> dict[str, object]:
    metadata: dict[str, object] = {"name": name, "namespace": namespace,
                                   "labels": {"app": app, **(extra_labels or {})}}
    if generate:
        metadata["generateName"] = generate
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata,
            "spec": {"serviceAccountName": "default", "nodeName": node,
                     "containers": [{"name": app, "image": "example/app"}]},
            "status": {"phase": "Running"}}


def inventory(web_labels: Mapping[str, str] | None = None, namespace: str = "shop") -> dict[str, object]:
    """A v1 List: two namespaces and five pods (web and api are controller-owned)."""
    items: list[dict[str, object]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": {}}},
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "tools", "labels": {}}},
        _pod("web-5f7c9d-abcde", namespace, "web", "web-5f7c9d-", extra_labels=web_labels),
        _pod("api-6b8d4f-fghij", namespace, "api", "api-6b8d4f-"),
        _pod("db-0", namespace, "db"),
        _pod("idle-0", namespace, "idle"),
        _pod("debug", "tools", "debug"),
    ]
    return {"apiVersion": "v1", "kind": "List", "items": items}


@dataclass(frozen=True)
class Flow:
    src: tuple[str, str, str]  # type, namespace, name_aggr
    dst: tuple[str, str, str]
    port: int
    proto: str = "tcp"
    action: str = "allow"
    reporters: Sequence[str] = ("src", "dst")
    flows: int = 3
    end: int = 1_794_963_600


FLOWS = (
    Flow(("wep", "shop", "web-5f7c9d-*"), ("wep", "shop", "api-6b8d4f-*"), 8080, flows=10),
    Flow(("wep", "tools", "debug"), ("wep", "shop", "api-6b8d4f-*"), 8080, action="deny",
         reporters=("src",), flows=2),
    Flow(("wep", "shop", "web-5f7c9d-*"), ("wep", "shop", "db-0"), 5432, flows=4),
    Flow(("wep", "shop", "api-6b8d4f-*"), ("wep", "shop", "db-0"), 5432, flows=5),
    Flow(("wep", "tools", "debug"), ("wep", "shop", "web-5f7c9d-*"), 80, action="deny",
         reporters=("src",), flows=1, end=1_794_967_200),
    Flow(("wep", "shop", "web-5f7c9d-*"), ("net", "", "pub"), 443, reporters=("src",), flows=7),
)


def flow_lines(flows: Sequence[Flow] = FLOWS) -> list[dict[str, object]]:
    lines = []
    for flow in flows:
        for reporter in flow.reporters:
            line: dict[str, object] = {
                "start_time": flow.end - 3600, "end_time": flow.end, "proto": flow.proto,
                "dest_port": flow.port, "reporter": reporter, "action": flow.action,
                "num_flows": flow.flows, "bytes_in": 100 * flow.flows, "bytes_out": 10 * flow.flows,
                "packets_in": flow.flows, "packets_out": flow.flows,
                "policies": {"enforced_policies": [], "pending_policies": []},
            }
            for side, (kind, namespace, aggr) in (("source", flow.src), ("dest", flow.dst)):
                line.update({f"{side}_type": kind, f"{side}_namespace": namespace or "-",
                             f"{side}_name": "-", f"{side}_name_aggr": aggr, f"{side}_ip": None})
            lines.append(line)
    return lines


@dataclass(frozen=True)
class Files:
    policies: Path
    inventory: Path
    flows: Path


def write(directory: Path, inventory_doc: Mapping[str, object] | None = None,
          flows: Sequence[dict[str, object]] | None = None) -> Files:
    directory.mkdir(parents=True, exist_ok=True)
    policies = directory / "policies.yaml"
    policies.write_text(POLICIES, encoding="utf-8")
    inv = directory / "inventory.json"
    inv.write_text(json.dumps(inventory_doc or inventory()), encoding="utf-8")
    flow_file = directory / "flows.jsonl"
    flow_file.write_text("".join(json.dumps(line) + "\n" for line in (flows or flow_lines())),
                         encoding="utf-8")
    return Files(policies, inv, flow_file)
