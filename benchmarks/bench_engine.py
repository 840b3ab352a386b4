"""Engine benchmarks: full pairwise verdict matrix, and 1,000,000 flow-log records end to end.

Run: .venv/bin/python benchmarks/bench_engine.py [--pods 3000] [--namespaces 100]
     [--policies 1500] [--flow-policies 2000] [--flows 1000000] [--skip-matrix] [--skip-flows]

All data is generated here (deterministic seed): a kubectl-style JSON inventory, YAML policies
in four tiers (security, platform, default, baseline) mixing GlobalNetworkPolicy,
NetworkPolicy, Kubernetes NetworkPolicy and StagedNetworkPolicy, and Calico Enterprise flow-log
JSON lines. Figures are printed; peak memory is max RSS (ru_maxrss): of this process for the
matrix, of the largest `tierguard simulate` process (run as a command) for the flows.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

APPS = ("web", "api", "db", "cache", "worker", "auth")
REPLICAS = 5


def _ip(ns: int, pod: int) -> str:
    return f"10.{ns // 200 + 1}.{ns % 200}.{pod + 10}"


def inventory(namespaces: int, pods: int) -> dict[str, object]:
    """A kubectl `get ... -o json` List: namespaces, service accounts, pods, nodes."""
    items: list[dict[str, object]] = []
    per_ns = pods // namespaces
    for n in range(namespaces):
        ns = f"ns-{n:03d}"
        items.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": ns, "labels": {"kubernetes.io/metadata.name": ns, "team": f"t{n % 10}",
                                   "env": "prod" if n % 3 else "dev"}}})
        items.append({"apiVersion": "v1", "kind": "ServiceAccount",
                      "metadata": {"name": "default", "namespace": ns}})
        for p in range(per_ns):
            app = APPS[(p // REPLICAS) % len(APPS)]
            rs = f"{app}-{n:03d}{p // REPLICAS:02d}"
            items.append({"apiVersion": "v1", "kind": "Pod", "metadata": {
                "name": f"{rs}-{p:05d}", "namespace": ns, "generateName": f"{rs}-",
                "labels": {"app": app, "tier": "backend" if app in ("db", "cache") else "frontend"}},
                "spec": {"serviceAccountName": "default", "nodeName": f"node-{p % 20}",
                         "containers": [{"name": "main", "image": "x", "ports": [
                             {"name": "http", "containerPort": 8080, "protocol": "TCP"}]}]},
                "status": {"phase": "Running", "podIP": _ip(n, p), "podIPs": [{"ip": _ip(n, p)}]}})
    for node in range(20):
        items.append({"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"node-{node}"},
                      "status": {"addresses": [{"type": "InternalIP",
                                                "address": f"192.168.0.{node + 1}"}]}})
    return {"apiVersion": "v1", "kind": "List", "items": items}


def _tiers() -> str:
    return "".join(
        f"---\napiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: {name}\n"
        f"spec:\n  order: {order}\n  defaultAction: {action}\n"
        for name, order, action in (("security", 100, "Deny"), ("platform", 200, "Pass"),
                                    ("baseline", 5000, "Pass")))


def _global_policies(count: int) -> list[str]:
    docs = []
    for i in range(count):
        if i % 2 == 0:
            docs.append(
                f"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n"
                f"  name: block-{i}\nspec:\n  tier: security\n  order: {i}\n"
                f"  selector: has(projectcalico.org/namespace)\n  types: [Ingress]\n  ingress:\n"
                f"  - action: Deny\n    source:\n      nets: [10.250.{i % 250}.0/24]\n"
                f"  - action: Pass\n")
        else:
            docs.append(
                f"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n"
                f"  name: platform-{i}\nspec:\n  tier: platform\n  order: {i}\n"
                f"  namespaceSelector: team == 't{i % 10}'\n  selector: app == 'web'\n"
                f"  types: [Ingress, Egress]\n  ingress:\n"
                f"  - action: Allow\n    protocol: TCP\n    source:\n"
                f"      namespaceSelector: env == 'prod'\n      selector: app == 'api'\n"
                f"    destination:\n      ports: [9090]\n"
                f"  egress:\n  - action: Deny\n    destination:\n      nets: [169.254.0.0/16]\n")
    return docs


def _namespace_policies(n: int, count: int, namespaces: int) -> list[str]:
    ns = f"ns-{n:03d}"
    peer = f"ns-{(n + 1) % namespaces:03d}"
    templates = [
        # Kubernetes NetworkPolicies: default deny + app-to-app allows.
        (f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny\n"
         f"  namespace: {ns}\nspec:\n  podSelector: {{}}\n  policyTypes: [Ingress]\n"),
        (f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: web-from-any\n"
         f"  namespace: {ns}\nspec:\n  podSelector:\n    matchLabels: {{app: web}}\n  ingress:\n"
         f"  - ports:\n    - port: 80\n    - port: 8080\n"),
        (f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: api-from-web\n"
         f"  namespace: {ns}\nspec:\n  podSelector:\n    matchLabels: {{app: api}}\n  ingress:\n"
         f"  - from:\n    - podSelector:\n        matchLabels: {{app: web}}\n    ports:\n"
         f"    - port: http\n"),
        (f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: db-from-api\n"
         f"  namespace: {ns}\nspec:\n  podSelector:\n    matchLabels: {{app: db}}\n  ingress:\n"
         f"  - from:\n    - podSelector:\n        matchLabels: {{app: api}}\n"
         f"    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: {peer}\n"
         f"    ports:\n    - port: 5432\n"),
        (f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: cache-egress\n"
         f"  namespace: {ns}\nspec:\n  podSelector:\n    matchLabels: {{app: cache}}\n"
         f"  policyTypes: [Egress]\n  egress:\n  - to:\n    - ipBlock:\n        cidr: 10.0.0.0/8\n"
         f"        except: [10.250.0.0/16]\n"),
    ]
    calico = [
        lambda k: (f"apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n"
                   f"  name: allow-range-{k}\n  namespace: {ns}\nspec:\n  order: {100 + k}\n"
                   f"  selector: app == '{APPS[k % len(APPS)]}'\n  ingress:\n  - action: Allow\n"
                   f"    protocol: TCP\n    source:\n      selector: tier == 'frontend'\n"
                   f"    destination:\n      ports: ['{8000 + k}:{8100 + k}']\n"),
        lambda k: (f"apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n"
                   f"  name: deny-worker-{k}\n  namespace: {ns}\nspec:\n  order: {50 + k}\n"
                   f"  selector: app == 'worker'\n  types: [Ingress, Egress]\n  ingress:\n"
                   f"  - action: Deny\n    source:\n      notSelector: app == 'api'\n"
                   f"  egress:\n  - action: Allow\n    protocol: UDP\n    destination:\n"
                   f"      ports: [53]\n  - action: Allow\n    destination:\n"
                   f"      namespaceSelector: all()\n      selector: app == 'db'\n"),
        lambda k: (f"apiVersion: projectcalico.org/v3\nkind: StagedNetworkPolicy\nmetadata:\n"
                   f"  name: lockdown-{k}\n  namespace: {ns}\nspec:\n  order: {10 + k}\n"
                   f"  selector: app == '{APPS[(k + 2) % len(APPS)]}'\n  ingress:\n"
                   f"  - action: Allow\n    source:\n      selector: app == 'web'\n"),
    ]
    docs = list(templates[:count])
    k = 0
    while len(docs) < count:
        docs.append(calico[k % len(calico)](k))
        k += 1
    return docs


def policies(total: int, namespaces: int) -> str:
    globals_count = max(total // 15, 2)
    per_ns = (total - globals_count) // namespaces
    docs = _global_policies(globals_count + (total - globals_count) % namespaces)
    for n in range(namespaces):
        docs += _namespace_policies(n, per_ns, namespaces)
    docs.append("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n"
                "  name: baseline-egress\nspec:\n  tier: baseline\n  selector: all()\n"
                "  types: [Egress]\n  egress:\n  - action: Allow\n    protocol: UDP\n"
                "    destination:\n      ports: [53]\n")
    return _tiers() + "---\n" + "---\n".join(docs), len(docs)  # type: ignore[return-value]


def flow_lines(count: int, namespaces: int, pods: int, seed: int = 7) -> list[str]:
    """Calico Enterprise flow-log JSON lines: IPs at aggregation 1, names only at level 2."""
    rng = random.Random(seed)
    per_ns = pods // namespaces
    lines = []
    for i in range(count):
        sn, sp, dn, dp = (rng.randrange(namespaces), rng.randrange(per_ns),
                          rng.randrange(namespaces), rng.randrange(per_ns))
        port, proto = rng.choice(((80, "tcp"), (8080, "tcp"), (5432, "tcp"), (53, "udp"),
                                  (9090, "tcp"), (8042, "tcp")))
        src_app = APPS[(sp // REPLICAS) % len(APPS)]
        dst_app = APPS[(dp // REPLICAS) % len(APPS)]
        src_rs, dst_rs = f"{src_app}-{sn:03d}{sp // REPLICAS:02d}", f"{dst_app}-{dn:03d}{dp // REPLICAS:02d}"
        aggregated = i % 3 == 0
        external = i % 50 == 0
        record = {
            "start_time": 1754300000 + i // 1000, "end_time": 1754300300 + i // 1000,
            "source_ip": None if aggregated else _ip(sn, sp), "source_name": "-" if aggregated
            else f"{src_rs}-{sp:05d}", "source_name_aggr": f"{src_rs}-*",
            "source_namespace": f"ns-{sn:03d}", "source_port": None, "source_type": "wep",
            "source_labels": {"labels": [f"app={src_app}"]},
            "dest_ip": None if aggregated else _ip(dn, dp),
            "dest_name": "-" if aggregated else f"{dst_rs}-{dp:05d}",
            "dest_name_aggr": f"{dst_rs}-*", "dest_namespace": f"ns-{dn:03d}", "dest_port": port,
            "dest_type": "wep", "dest_labels": {"labels": [f"app={dst_app}"]},
            "dest_service_name": "-", "dest_service_namespace": "-", "dest_service_port": "-",
            "dest_service_port_num": None, "dest_domains": None, "proto": proto,
            "action": "allow", "reporter": "dst" if i % 2 else "src",
            "policies": {"enforced_policies": ["0|__PROFILE__|__PROFILE__.kns.x|allow|0"],
                         "pending_policies": ["0|__PROFILE__|__PROFILE__.kns.x|allow|0"]},
            "bytes_in": 388, "bytes_out": 1113, "packets_in": 6, "packets_out": 5,
            "num_flows": 1, "num_flows_started": 1, "num_flows_completed": 1,
            "process_name": "-", "num_process_names": 0, "process_id": "-", "num_process_ids": 0,
            "original_source_ips": None, "num_original_source_ips": 0}
        if external:
            record.update(source_ip=f"203.0.113.{i % 250}", source_name="-",
                          source_name_aggr="pub", source_namespace="-", source_type="net",
                          source_labels=None)
        lines.append(json.dumps(record, separators=(",", ":")))
    return lines


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_matrix(work: Path, pods: int, namespaces: int, policy_count: int) -> None:
    from tierguard.cli.commands.simulate import load_setup
    from tierguard.engine.matrix import verdict_matrix

    policy_text, written = policies(policy_count, namespaces)
    (work / "matrix-policies.yaml").write_text(policy_text)  # type: ignore[arg-type]
    args = argparse.Namespace(policies=[str(work / "matrix-policies.yaml")],
                              inventory=str(work / "inventory.json"), calico_version="3.32",
                              edition="oss", replace_preview=False)
    t0 = time.perf_counter()
    setup = load_setup(args)
    t1 = time.perf_counter()
    c1 = _cpu()
    errors = [d for d in setup.diagnostics if d.severity.value == "error"]
    matrix = verdict_matrix(setup.evaluator, protocol=6, port=80)
    t2 = time.perf_counter()
    c2 = _cpu()
    total = len(matrix.endpoints) ** 2
    print(f"matrix: {len(matrix.endpoints)} pods, {namespaces} namespaces, {written} policies "
          f"({len(setup.evaluator.policy_set.policies)} compiled, {len(errors)} load errors), "
          f"{len(setup.evaluator.tiers)} tiers")
    print(f"matrix: load+compile {t1 - t0:.2f} s; pairwise TCP/80 verdicts for {total:,} pairs "
          f"in {t2 - t1:.2f} s wall / {c2 - c1:.2f} s CPU ({matrix.allowed_pairs():,} allowed); "
          f"speed-up vs 309 s: {309 / (t2 - t1):.0f}x (matrix only), "
          f"{309 / (t2 - t0):.0f}x (incl. load)")
    print(f"matrix: peak RSS so far {_rss_mb():.0f} MB")


def bench_flows(work: Path, pods: int, namespaces: int, policy_count: int, flows: int,
                jobs: int) -> None:
    policy_text, written = policies(policy_count, namespaces)
    (work / "flow-policies.yaml").write_text(policy_text)  # type: ignore[arg-type]
    t0 = time.perf_counter()
    flow_file = work / "flows.jsonl"
    with flow_file.open("w") as handle:
        chunk = 100_000
        for start in range(0, flows, chunk):
            lines = flow_lines(min(chunk, flows - start), namespaces, pods, seed=start)
            handle.write("\n".join(lines) + "\n")
    t1 = time.perf_counter()
    out = work / "out.jsonl"
    # The command itself, in its own process, as a user runs it: interpreter start, imports,
    # loading, simulation and exit all count. (Run inside this process instead, after the
    # generator has filled and freed ~750 MB of heap, the same simulation took half as long
    # again: scattered free memory and copy-on-write in the forked worker.)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [sys.executable, "-m", "tierguard", "simulate", "--policies",
         str(work / "flow-policies.yaml"), "--inventory", str(work / "inventory.json"),
         "--flows", str(flow_file), "--format", "jsonl", "--output-file", str(out),
         "--jobs", str(jobs)], check=False, stderr=subprocess.PIPE, text=True)
    t2 = time.perf_counter()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    with out.open() as handle:
        produced = sum(1 for _ in handle)
    print(f"flows: generated {flows:,} records ({flow_file.stat().st_size / 1e6:.0f} MB) "
          f"in {t1 - t0:.1f} s")
    print(f"flows: `tierguard simulate --jobs {jobs}` end to end ({written} policies; start, "
          f"load, read + resolve + evaluate + write jsonl, exit): {t2 - t1:.1f} s wall, "
          f"{cpu:.1f} s CPU over all processes, {flows / (t2 - t1):,.0f} records/s, "
          f"exit {done.returncode}, {produced:,} output lines, "
          f"{len(done.stderr.splitlines())} diagnostic lines")
    print(f"flows: peak RSS {after.ru_maxrss / 1024:.0f} MB (largest simulate process)")


def machine_reference() -> float:
    """Seconds for a fixed pure-Python loop. This machine's speed drifts (the same loop has
    taken 0.95 s and 1.95 s on different hours), so figures are printed beside it."""
    start = time.perf_counter()
    sum(i * i for i in range(10**7))
    return time.perf_counter() - start


def run(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pods", type=int, default=3000)
    parser.add_argument("--namespaces", type=int, default=100)
    parser.add_argument("--policies", type=int, default=1500)
    parser.add_argument("--flow-policies", type=int, default=2000)
    parser.add_argument("--flows", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=2, help="simulate --jobs (default 2)")
    parser.add_argument("--skip-matrix", action="store_true")
    parser.add_argument("--skip-flows", action="store_true")
    args = parser.parse_args(argv)
    print(f"machine reference: {machine_reference():.2f} s (fixed Python loop; lower is faster)")
    with tempfile.TemporaryDirectory(prefix="tierguard-bench-") as tmp:
        work = Path(tmp)
        (work / "inventory.json").write_text(json.dumps(inventory(args.namespaces, args.pods)))
        if not args.skip_matrix:
            bench_matrix(work, args.pods, args.namespaces, args.policies)
        if not args.skip_flows:
            bench_flows(work, args.pods, args.namespaces, args.flow_policies, args.flows,
                        args.jobs)
    print(f"python {sys.version.split()[0]}; peak RSS {_rss_mb():.0f} MB; machine reference "
          f"now {machine_reference():.2f} s")


if __name__ == "__main__":
    run()
