"""Lint benchmark: every LNT9xx lint over generated policies and a generated inventory.

Run: .venv/bin/python benchmarks/bench_lint.py [--namespaces 100] [--pods-per-app 5] [--seed 1]

Per namespace: six apps (web, api, db, cache, worker, auth) with `--pods-per-app` pods each, a
NetworkPolicy per app (one in ten misspells its app label, the Sock Shop bug), and rules that
reference the other apps; plus a few tiers and GlobalNetworkPolicies with Pass rules. Prints the
time to build the lint context (compilation) and to run the lints, and the findings per code.
"""

from __future__ import annotations

import argparse
import random
import time
from collections import Counter

from tierguard.engine.ir import CalicoVersion, Edition
from tierguard.inventory.build import build_inventory
from tierguard.lint import run_all
from tierguard.lint.context import build_context
from tierguard.loader.resources import extract_resources
from tierguard.loader.yaml_source import load_yaml_text
from tierguard.validation.dispatch import check_resource
from tierguard.validation.k8s_schema import K8sSchemas

APPS = ("web", "api", "db", "cache", "worker", "auth")

GUARDS = """\
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: security}
spec: {order: 100, defaultAction: Pass}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata: {name: application}
spec: {order: 300}
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata: {name: security.metadata}
spec:
  tier: security
  selector: all()
  types: [Egress]
  egress:
    - action: Deny
      destination: {nets: [169.254.169.254/32]}
    - action: Pass
"""


def _policy(namespace: str, app: str, typo: bool, rng: random.Random) -> str:
    selected = app[:-1] if typo else app
    peers = rng.sample(APPS, 2)
    rules = "".join(f"    - action: Allow\n      protocol: TCP\n      source: {{selector: app == '{peer}'}}\n"
                    f"      destination: {{ports: [80]}}\n" for peer in peers)
    return (f"apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata: {{name: application.{app}, "
            f"namespace: {namespace}}}\nspec:\n  tier: application\n  selector: app == '{selected}'\n"
            f"  types: [Ingress]\n  ingress:\n{rules}")


def _inventory(namespaces: int, pods_per_app: int) -> list[dict[str, object]]:
    objects: list[dict[str, object]] = []
    for n in range(namespaces):
        namespace = f"team-{n}"
        objects.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace,
                                                                            "labels": {"team": namespace}}})
        objects.append({"apiVersion": "v1", "kind": "ServiceAccount",
                        "metadata": {"name": "default", "namespace": namespace}})
        for a, app in enumerate(APPS):
            for p in range(pods_per_app):
                objects.append({"apiVersion": "v1", "kind": "Pod",
                                "metadata": {"name": f"{app}-{p}", "namespace": namespace, "labels": {"app": app}},
                                "spec": {"nodeName": "n1", "serviceAccountName": "default"},
                                "status": {"podIP": f"10.{n // 200 + 1}.{n % 200}.{a * 40 + p + 1}"}})
    return objects


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--namespaces", type=int, default=100)
    parser.add_argument("--pods-per-app", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    texts = [GUARDS] + [_policy(f"team-{n}", app, rng.random() < 0.1, rng)
                        for n in range(args.namespaces) for app in APPS]
    loaded = load_yaml_text("\n---\n".join(texts), "bench.yaml")
    schemas = K8sSchemas("1.32")
    checked = [check_resource(r, schemas)[0] for r in extract_resources(loaded.documents).resources]
    inventory, _ = build_inventory(_inventory(args.namespaces, args.pods_per_app))
    started = time.perf_counter()
    ctx = build_context(checked, CalicoVersion(3, 32), Edition.OSS, inventory, inventory.endpoints, "bench")
    compiled = time.perf_counter()
    found = list(run_all(ctx))
    finished = time.perf_counter()
    print(f"policies: {len(ctx.policies)}  endpoints: {sum(c.count for c in ctx.peers.classes)}  label classes: {len(ctx.peers.classes)}")
    print(f"context (compile): {compiled - started:.3f} s")
    print(f"lints:             {finished - compiled:.3f} s")
    print("findings:", dict(sorted(Counter(f"{d.code}/{d.severity.value}" for d in found).items())))


if __name__ == "__main__":
    main()
