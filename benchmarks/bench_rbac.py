"""Benchmark the tier-aware RBAC authorizer on generated data (prints figures; not a timed test).

    .venv/bin/python benchmarks/bench_rbac.py [--roles 5000] [--bindings 20000] [--seed 7]

Targets (issue 6): one can-i <= 50 ms after loading; the whole tier matrix <= 5 s.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from collections.abc import Callable
from typing import TypeVar

from tierguard.loader.yaml_source import Limits, load_yaml_text
from tierguard.model.rbac import rbac_set_from_documents
from tierguard.rbac.authorizer import Request, authorize, build_index
from tierguard.rbac.identity import impersonate
from tierguard.rbac.matrix import known_tiers, tier_matrix
from tierguard.rbac.tiers import CALICO_GROUP, decide

T = TypeVar("T")
RBAC = "rbac.authorization.k8s.io"
VERBS = ["get", "list", "watch", "create", "update", "patch", "delete"]
RESOURCES = [("", "pods"), ("", "pods/log"), ("", "configmaps"), ("", "secrets"), ("apps", "deployments"),
             ("apps", "*/scale"), (CALICO_GROUP, "networkpolicies"), (CALICO_GROUP, "globalnetworksets"),
             ("networking.k8s.io", "networkpolicies"), ("batch", "jobs"), ("*", "*")]
POLICIES = ["networkpolicies", "stagednetworkpolicies", "globalnetworkpolicies"]


class Universe:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.tiers = [f"tier-{i:02d}" for i in range(40)]
        self.namespaces = [f"ns-{i:03d}" for i in range(300)]
        self.teams = [f"team-{i:03d}" for i in range(400)]
        self.users = [f"user-{i:04d}" for i in range(3000)]
        self.accounts = [(rng.choice(self.namespaces), f"sa-{i:03d}") for i in range(300)]

    def subject(self) -> dict[str, str]:
        pick = self.rng.random()
        if pick < 0.5:
            return {"kind": "User", "name": self.rng.choice(self.users), "apiGroup": RBAC}
        if pick < 0.85:
            return {"kind": "Group", "name": self.rng.choice(self.teams), "apiGroup": RBAC}
        namespace, name = self.rng.choice(self.accounts)
        return {"kind": "ServiceAccount", "name": name, "namespace": namespace}


def _rule(rng: random.Random) -> dict[str, object]:
    if rng.random() < 0.03:
        return {"nonResourceURLs": [rng.choice(["/healthz", "/metrics", "/apis/*"])], "verbs": ["get"]}
    group, resource = rng.choice(RESOURCES)
    out: dict[str, object] = {"apiGroups": [group], "resources": [resource],
                              "verbs": rng.sample(VERBS, rng.randint(1, 4))}
    if rng.random() < 0.1:
        out["resourceNames"] = [f"obj-{rng.randint(0, 50)}"]
    return out


def _role(kind: str, name: str, rules: list[dict[str, object]], namespace: str = "",
          labels: dict[str, str] | None = None) -> dict[str, object]:
    meta: dict[str, object] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    if labels:
        meta["labels"] = labels
    return {"apiVersion": f"{RBAC}/v1", "kind": kind, "metadata": meta, "rules": rules}


def _binding(kind: str, name: str, role_kind: str, role: str, subjects: list[dict[str, str]],
             namespace: str = "") -> dict[str, object]:
    meta: dict[str, object] = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    return {"apiVersion": f"{RBAC}/v1", "kind": kind, "metadata": meta, "subjects": subjects,
            "roleRef": {"apiGroup": RBAC, "kind": role_kind, "name": role}}


def _tier_roles(world: Universe) -> list[dict[str, object]]:
    roles: list[dict[str, object]] = []
    for tier in world.tiers:
        roles.append(_role("ClusterRole", f"see-{tier}", [
            {"apiGroups": [CALICO_GROUP], "resources": ["tiers"], "resourceNames": [tier], "verbs": ["get"]}]))
        roles.append(_role("ClusterRole", f"edit-{tier}", [
            {"apiGroups": [CALICO_GROUP], "resources": POLICIES, "verbs": VERBS},
            {"apiGroups": [CALICO_GROUP], "resources": [f"tier.{p}" for p in POLICIES],
             "resourceNames": [f"{tier}.*"], "verbs": VERBS}]))
    return roles


def generate(n_roles: int, n_bindings: int, seed: int) -> str:
    rng = random.Random(seed)
    world = Universe(rng)
    objects = _tier_roles(world)
    for k in range(20):
        objects.append({"apiVersion": f"{RBAC}/v1", "kind": "ClusterRole", "metadata": {"name": f"aggregate-{k}"},
                        "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"agg": str(k)}}]}})
    role_names: dict[str, list[str]] = {}
    n_cluster = n_roles - len(objects) - n_roles // 5
    for i in range(n_cluster):
        labels = {"agg": str(rng.randrange(20))} if rng.random() < 0.1 else None
        objects.append(_role("ClusterRole", f"generic-{i}", [_rule(rng) for _ in range(rng.randint(1, 4))],
                             labels=labels))
    for i in range(n_roles // 5):
        namespace = rng.choice(world.namespaces)
        role_names.setdefault(namespace, []).append(f"local-{i}")
        objects.append(_role("Role", f"local-{i}", [_rule(rng) for _ in range(rng.randint(1, 3))], namespace))
    cluster_roles = [str(o["metadata"]["name"]) for o in objects if o["kind"] == "ClusterRole"]  # type: ignore[index]
    bindings: list[dict[str, object]] = []
    for team_index, team in enumerate(world.teams):  # each team: one tier, a few namespaces
        tier = world.tiers[team_index % len(world.tiers)]
        subject = [{"kind": "Group", "name": team, "apiGroup": RBAC}]
        bindings.append(_binding("ClusterRoleBinding", f"{team}-see", "ClusterRole", f"see-{tier}", subject))
        for namespace in rng.sample(world.namespaces, 3):
            bindings.append(_binding("RoleBinding", f"{team}-edit", "ClusterRole", f"edit-{tier}", subject, namespace))
    while len(bindings) < n_bindings:
        subjects = [world.subject() for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.1:
            bindings.append(_binding("ClusterRoleBinding", f"crb-{len(bindings)}", "ClusterRole",
                                     rng.choice(cluster_roles), subjects))
            continue
        namespace = rng.choice(world.namespaces)
        local = role_names.get(namespace)
        if local and rng.random() < 0.3:
            bindings.append(_binding("RoleBinding", f"rb-{len(bindings)}", "Role", rng.choice(local), subjects, namespace))
        else:
            bindings.append(_binding("RoleBinding", f"rb-{len(bindings)}", "ClusterRole", rng.choice(cluster_roles),
                                     subjects, namespace))
    documents = objects + bindings
    # JSON is YAML; one flow-style document per object keeps generation fast.
    return "\n---\n".join(json.dumps(d) for d in documents) + "\n"


def timed(label: str, action: Callable[[], T]) -> T:
    """Wall and CPU time: on a shared machine the CPU figure is the one to compare."""
    start, cpu = time.perf_counter(), time.process_time()
    result = action()
    print(f"{label:<44} {time.perf_counter() - start:8.3f} s wall {time.process_time() - cpu:8.3f} s cpu")
    return result


def _latencies(action: Callable[[int], object], count: int) -> list[float]:
    samples: list[float] = []
    for i in range(count):
        start = time.process_time()
        action(i)
        samples.append((time.process_time() - start) * 1000)
    return samples


def _report(label: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    print(f"{label:<44} cpu p50 {statistics.median(ordered):7.3f} ms  p99 {p99:7.3f} ms  "
          f"max {ordered[-1]:7.3f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--roles", type=int, default=5000)
    parser.add_argument("--bindings", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args()
    text = timed("generate YAML", lambda: generate(args.roles, args.bindings, args.seed))
    print(f"{'  size':<44} {len(text) / 1e6:8.1f} MB")
    loaded = timed("load YAML (located nodes)", lambda: load_yaml_text(text, "bench.yaml", Limits(max_bytes=1 << 30,
                                                                                             max_nodes=1 << 26)))
    rbac, problems = timed("build RBAC model", lambda: rbac_set_from_documents(loaded.documents))
    index = timed("index (aggregation + subject index)", lambda: build_index(rbac))
    print(f"{'  roles / bindings / diagnostics':<44} {len(rbac.roles)} / {len(rbac.bindings)} / {len(problems)}")
    rng = random.Random(args.seed + 1)
    world = Universe(rng)
    users = [impersonate(rng.choice(world.users), rng.sample(world.teams, 2)) for _ in range(args.samples)]

    def tiered(i: int) -> object:
        request = Request(users[i], "create", "networkpolicies", CALICO_GROUP,
                          namespace=rng.choice(world.namespaces))
        return decide(index, request, tiers=[rng.choice(world.tiers)])

    def plain(i: int) -> object:
        return authorize(index, Request(users[i], rng.choice(VERBS), "pods", "", namespace=rng.choice(world.namespaces)))

    _report("can-i, tiered create (3 grants)", _latencies(tiered, args.samples))
    _report("can-i, plain RBAC get pods", _latencies(plain, args.samples))
    tiers = known_tiers(index)
    rows = timed(f"tier matrix ({len(tiers)} tiers, all subjects)", lambda: tier_matrix(index, tiers=tiers))
    print(f"{'  matrix rows':<44} {len(rows)}")


if __name__ == "__main__":
    main()
