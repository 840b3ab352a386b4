"""Validate benchmark: policy documents per second through the whole `tierguard validate` core.

Run: .venv/bin/python benchmarks/bench_validate.py [--documents N] [--repeat R]

A deterministic stream of N realistic policy documents (Calico NetworkPolicy and
GlobalNetworkPolicy with selectors, nets, ports and tiers; Kubernetes NetworkPolicy; a few
GlobalNetworkSets and Tiers) goes through every stage on one core: YAML parsing with locations,
resource extraction, schema checking and typed models, and all Calico admission rules. No
result is cached between documents (each selector and CIDR is distinct). The figure recorded
is documents per second of process CPU time (best of R runs); wall time is printed too.
"""

from __future__ import annotations

import argparse
import random
import time

from tierguard import rules
from tierguard.engine.ir import CalicoVersion, Edition
from tierguard.loader.gcpause import paused_gc
from tierguard.loader.resources import extract_resources
from tierguard.loader.yaml_source import load_yaml_text
from tierguard.rules.context import RuleContext, builtin_tiers
from tierguard.selector import SelectorCache
from tierguard.validation.dispatch import check_resource
from tierguard.validation.pipeline import Settings, Validator

TARGET = 2000


def _calico(i: int, rng: random.Random) -> str:
    tier = rng.choice(["security", "platform", "application"])
    kind = "GlobalNetworkPolicy" if i % 4 == 0 else "NetworkPolicy"
    namespace = "" if kind == "GlobalNetworkPolicy" else f"  namespace: team-{i % 40}\n"
    return (f"apiVersion: projectcalico.org/v3\nkind: {kind}\nmetadata:\n  name: {tier}.policy-{i}\n{namespace}"
            f"spec:\n  tier: {tier}\n  order: {100 + i % 900}\n"
            f"  selector: app == 'app-{i}' && tier in {{'web', 'api-{i % 7}'}}\n  types: [Ingress, Egress]\n"
            f"  ingress:\n  - action: Allow\n    protocol: TCP\n    source:\n"
            f"      selector: role == 'client-{i}' || has(debug-{i % 11})\n"
            f"      namespaceSelector: team == 'team-{i % 40}'\n    destination:\n"
            f"      ports: [{1024 + i % 5000}, '8000:{8001 + i % 900}', http]\n"
            f"  - action: Deny\n    source:\n      nets: [10.{i % 250}.{i % 200}.0/24, 192.168.{i % 250}.0/24]\n"
            f"  egress:\n  - action: Allow\n    protocol: UDP\n    destination:\n"
            f"      selector: k8s-app == 'kube-dns'\n      namespaceSelector: global()\n      ports: [53]\n"
            f"  - action: Pass\n    destination:\n      notNets: [172.{16 + i % 16}.{i % 250}.0/24]\n")


def _kubernetes(i: int) -> str:
    return (f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: knp-{i}\n"
            f"  namespace: team-{i % 40}\nspec:\n  podSelector:\n    matchLabels: {{app: app-{i}}}\n"
            f"  policyTypes: [Ingress]\n  ingress:\n  - from:\n    - podSelector:\n"
            f"        matchLabels: {{role: client-{i}}}\n    - ipBlock: {{cidr: 10.{i % 250}.0.0/16}}\n"
            f"    ports:\n    - {{port: {1024 + i % 5000}, protocol: TCP}}\n")


def _other(i: int) -> str:
    if i % 2:
        return f"apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: tier-{i}\nspec:\n  order: {i}\n"
    return (f"apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata:\n  name: set-{i}\n"
            f"  labels: {{zone: zone-{i}}}\nspec:\n  nets: [203.0.{i % 250}.0/24, 198.51.{i % 250}.0/24]\n")


def corpus(count: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    documents = []
    for i in range(count):
        roll = i % 10
        documents.append(_calico(i, rng) if roll < 7 else _kubernetes(i) if roll < 9 else _other(i))
    return "---\n".join(documents)


TIERS = frozenset({"security", "platform", "application"})


def run_once(text: str, validator: Validator) -> tuple[float, float, int, int]:
    """One validation of the whole stream, as `tierguard validate` runs it (cyclic GC paused)."""
    cpu, wall = time.process_time(), time.perf_counter()
    with paused_gc():
        loaded = load_yaml_text(text, "bench.yaml")
        resources = extract_resources(loaded.documents).resources
        result = validator.validate(resources, TIERS)
    return time.process_time() - cpu, time.perf_counter() - wall, len(resources), len(result.diagnostics)


def stages(text: str, validator: Validator) -> list[tuple[str, float]]:
    """CPU seconds of each stage, to show where the time goes."""
    settings = validator.settings
    with paused_gc():  # as the validate command does
        marks = [time.process_time()]
        documents = load_yaml_text(text, "bench.yaml").documents
        marks.append(time.process_time())
        resources = extract_resources(documents).resources
        marks.append(time.process_time())
        checked = [check_resource(resource, validator.schemas)[0] for resource in resources]
        marks.append(time.process_time())
        known = builtin_tiers(settings.calico_version, settings.edition) | TIERS
        selectors = SelectorCache()  # one per run, as Validator.validate shares it
        for item in checked:
            ctx = RuleContext(item.resource, item.model, settings.calico_version, settings.edition, known, selectors)
            list(rules.run_all(ctx))
        marks.append(time.process_time())
    names = ("YAML parse with locations", "resource extraction", "schemas and typed models", "admission rules")
    return [(name, marks[i + 1] - marks[i]) for i, name in enumerate(names)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--documents", type=int, default=4000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    text = corpus(args.documents)
    validator = Validator(Settings("1.32", CalicoVersion(3, 31), Edition.OSS))
    run_once(corpus(50), validator)  # build and cache the schema validators once, as a real run does
    best_cpu = best_wall = float("inf")
    for _ in range(args.repeat):
        cpu, wall, documents, findings = run_once(text, validator)
        best_cpu, best_wall = min(best_cpu, cpu), min(best_wall, wall)
    assert findings == 0, f"the benchmark corpus must be valid, got {findings} findings"
    rate = documents / best_cpu
    print(f"validate: {documents} documents ({len(text) / 1e6:.1f} MB of YAML), 0 findings")
    print(f"  CPU : {best_cpu:.3f} s -> {rate:,.0f} documents/s (target >= {TARGET:,})")
    print(f"  wall: {best_wall:.3f} s -> {documents / best_wall:,.0f} documents/s")
    print("stages (CPU, one run):")
    for name, seconds in stages(text, validator):
        print(f"  {name:28} {seconds:6.3f} s  {seconds / documents * 1000:5.3f} ms/document")
    print("PASS" if rate >= TARGET else "BELOW TARGET")


if __name__ == "__main__":
    main()
