"""A small, self-contained policy repository for review tests, written into a temporary git repo.

One environment (`prod`, Calico 3.32 OSS), namespace `shop` with web -> api:8080 -> db:5432, a
security tier guardrail, tier RBAC for two teams, and a handful of synthetic Calico Enterprise
flow records. Small on purpose: every expected line number and flow count below is exact.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

ALICE = ("Alice Shop", "alice@example.com")  # team shop: application tier, namespace shop
SAM = ("Sam Sec", "sam@example.com")  # security team: security tier

TIERGUARD_YAML = """\
environments:
  - name: prod
    overlay: overlays/prod
    calicoVersion: "3.32"
    flows: flows/prod
    inventory: inventory/prod.yaml
identities:
  users:
    - author: alice@example.com
      user: alice
      groups: [team-shop]
    - author: sam@example.com
      user: sam
      groups: [team-security]
"""

TIERS = """\
apiVersion: projectcalico.org/v3
kind: Tier
metadata:
  name: security
spec:
  order: 100
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata:
  name: application
spec:
  order: 300
"""

RBAC = """\
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: tier-application-editor
rules:
  - apiGroups: ["projectcalico.org"]
    resources: ["tiers"]
    resourceNames: ["application"]
    verbs: ["get"]
  - apiGroups: ["projectcalico.org"]
    resources: ["networkpolicies", "stagednetworkpolicies"]
    verbs: ["get", "list", "create", "update", "patch", "delete"]
  - apiGroups: ["projectcalico.org"]
    resources: ["tier.networkpolicies", "tier.stagednetworkpolicies"]
    resourceNames: ["application.*"]
    verbs: ["get", "list", "create", "update", "patch", "delete"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: shop-sees-application
subjects:
  - kind: Group
    name: team-shop
    apiGroup: rbac.authorization.k8s.io
roleRef:
  kind: ClusterRole
  name: tier-application-editor
  apiGroup: rbac.authorization.k8s.io
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: tier-security-editor
rules:
  - apiGroups: ["projectcalico.org"]
    resources: ["tiers"]
    resourceNames: ["security"]
    verbs: ["get"]
  - apiGroups: ["projectcalico.org"]
    resources: ["globalnetworkpolicies", "stagedglobalnetworkpolicies"]
    verbs: ["get", "list", "create", "update", "patch", "delete"]
  - apiGroups: ["projectcalico.org"]
    resources: ["tier.globalnetworkpolicies", "tier.stagedglobalnetworkpolicies"]
    resourceNames: ["security.*"]
    verbs: ["get", "list", "create", "update", "patch", "delete"]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: security-edits-security
subjects:
  - kind: Group
    name: team-security
    apiGroup: rbac.authorization.k8s.io
roleRef:
  kind: ClusterRole
  name: tier-security-editor
  apiGroup: rbac.authorization.k8s.io
"""

GUARDRAIL = """\
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: block-metadata
spec:
  tier: security
  order: 10
  selector: all()
  types: [Egress]
  egress:
    - action: Deny
      protocol: TCP
      destination:
        nets: [169.254.169.254/32]
    - action: Pass
"""

# Line numbers matter: tests assert `policies/application/shop.yaml:<line>`.
SHOP = """\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: api-ingress
  namespace: shop
spec:
  tier: application
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
kind: NetworkPolicy
metadata:
  name: db-ingress
  namespace: shop
spec:
  tier: application
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
"""

KUSTOMIZATION_POLICIES = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - security/block-metadata.yaml
  - application/shop.yaml
"""

KUSTOMIZATION_OVERLAY = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../tiers/tiers.yaml
  - ../../policies
"""


def _pod(name: str, app: str, ip: str, port: tuple[str, int] | None) -> dict[str, object]:
    container: dict[str, object] = {"name": app, "image": f"shop/{app}:1"}
    if port is not None:
        container["ports"] = [{"name": port[0], "containerPort": port[1], "protocol": "TCP"}]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "shop", "labels": {"app": app},
                         "generateName": name[: name.rindex("-") + 1],
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                                              "name": f"{app}-7d4b9c", "controller": True}]},
            "spec": {"serviceAccountName": "default", "nodeName": "node-1", "containers": [container]},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}}


def inventory() -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "List", "items": [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop", "labels": {"team": "shop"}}},
        {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "shop"}},
        _pod("web-7d4b9c-aaaaa", "web", "10.0.0.10", None),
        _pod("api-7d4b9c-bbbbb", "api", "10.0.0.20", ("http", 8080)),
        _pod("db-7d4b9c-ccccc", "db", "10.0.0.30", ("pg", 5432)),
        _pod("worker-7d4b9c-ddddd", "worker", "10.0.0.40", None),
    ]}


def flow(src: tuple[str, str, str], dst: tuple[str, str, str], port: int, reporter: str,
         flows: int, nbytes: int, end: int, action: str = "allow") -> dict[str, object]:
    """A Calico Enterprise flow-log record between two shop pods: (name, name_aggr, ip)."""
    return {"start_time": end - 300, "end_time": end,
            "source_type": "wep", "source_namespace": "shop", "source_name": src[0],
            "source_name_aggr": src[1], "source_ip": src[2],
            "dest_type": "wep", "dest_namespace": "shop", "dest_name": dst[0],
            "dest_name_aggr": dst[1], "dest_ip": dst[2], "dest_port": port,
            "proto": "tcp", "reporter": reporter, "action": action,
            "num_flows": flows, "bytes_in": nbytes // 2, "bytes_out": nbytes - nbytes // 2,
            "packets_in": flows, "packets_out": flows,
            "policies": {"enforced_policies": [], "pending_policies": []}}


WEB = ("web-7d4b9c-aaaaa", "web-7d4b9c-*", "10.0.0.10")
API = ("api-7d4b9c-bbbbb", "api-7d4b9c-*", "10.0.0.20")
DB = ("db-7d4b9c-ccccc", "db-7d4b9c-*", "10.0.0.30")
WORKER = ("worker-7d4b9c-ddddd", "worker-7d4b9c-*", "10.0.0.40")
T0 = 1_790_000_000  # 2026-09-21T14:13:20Z


def flow_records() -> list[dict[str, object]]:
    return [
        flow(WEB, API, 8080, "src", 40, 40_000, T0),
        flow(WEB, API, 8080, "dst", 40, 40_000, T0),
        flow(WEB, API, 8080, "src", 2, 2_000, T0 + 3600),
        flow(API, DB, 5432, "src", 7, 7_000, T0 + 60),
        flow(API, DB, 5432, "dst", 7, 7_000, T0 + 60),
        flow(WORKER, DB, 5432, "src", 3, 300, T0 + 120, action="deny"),
    ]


def write_files(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def git(root: Path, *args: str, author: tuple[str, str] = SAM) -> str:
    env = {"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
           "GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1],
           "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, env=env,
                          check=True)
    return done.stdout


def make_repo(root: Path) -> Path:
    """Write the repository, `git init` it and commit it as the base (author: Sam)."""
    write_files(root, {
        "tierguard.yaml": TIERGUARD_YAML,
        "tiers/tiers.yaml": TIERS,
        "tiers/rbac/roles.yaml": RBAC,
        "policies/kustomization.yaml": KUSTOMIZATION_POLICIES,
        "policies/security/block-metadata.yaml": GUARDRAIL,
        "policies/application/shop.yaml": SHOP,
        "overlays/prod/kustomization.yaml": KUSTOMIZATION_OVERLAY,
        "inventory/prod.yaml": json.dumps(inventory(), indent=1) + "\n",
        "flows/prod/flows.jsonl": "".join(json.dumps(r) + "\n" for r in flow_records()),
    })
    git(root, "init", "--quiet", "--initial-branch=main")
    git(root, "config", "user.name", SAM[0])
    git(root, "config", "user.email", SAM[1])
    commit_all(root, "base", SAM)
    return root


def commit_all(root: Path, message: str, author: tuple[str, str]) -> None:
    git(root, "add", "--all")
    git(root, "commit", "--quiet", "--no-verify", "-m", message, author=author)
