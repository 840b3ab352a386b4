"""Benchmark `tierguard review`; prints measured figures (not a timed test).

    .venv/bin/python benchmarks/bench_review.py                 # both parts
    .venv/bin/python benchmarks/bench_review.py --records 200000  # smaller large part
    .venv/bin/python benchmarks/bench_review.py --skip-large

Part 1, the README's main job: the bundled example change reviewed in a temporary clone of the
bundled example (3 environments), with a cold and then a warm aggregated-flow cache.

Part 2, 1,000,000 recorded flows in one environment (prod): records are derived from the
example's recorded prod flows (same workloads, earlier weeks, external peers spread over many
addresses so the flow store keeps thousands of distinct keys), imported once into a flow store
(the flows feature's importer; timed separately, as in production where flows are imported
continuously), and the environment's `flows:` points at that store. Two changes are reviewed:
a narrow one (the user service's ingress, a few endpoints) and the bundled example change (it
edits a guardrail that selects all() pods for egress, so every egress flow is touched).
Figures: wall time, CPU time, flow groups total vs re-evaluated.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from tierguard.flows.store import FlowStore
from tierguard.review.example import CHANGE_DIR, copy_example, prepare_clone
from tierguard.review.model import ReviewResult
from tierguard.review.run import Options, run_review

PROJECT = Path(__file__).resolve().parents[1]
T = TypeVar("T")
WEEK_S = 7 * 24 * 3600


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def timed(action: Callable[[], T]) -> tuple[T, float, float]:
    wall, cpu = time.perf_counter(), _cpu()
    result = action()
    return result, time.perf_counter() - wall, _cpu() - cpu


def _load() -> str:
    with open("/proc/loadavg", encoding="ascii") as stream:
        return stream.read().split()[0]


def describe(result: ReviewResult) -> str:
    parts = []
    for env in result.environments:
        cov = env.coverage
        parts.append(f"{env.name}: {cov.flow_groups_reevaluated}/{cov.flow_groups} flow groups re-evaluated "
                     f"({cov.flows:,} records in), {len(env.newly_denied)} newly denied, "
                     f"{len(env.gate.reasons)} gate reasons")
    return "; ".join(parts)


def part_example(scratch: Path) -> None:
    clone = prepare_clone(PROJECT, scratch / "p1")
    cache = scratch / "cache-p1"
    for label in ("cold flow cache", "warm flow cache"):
        result, wall, cpu = timed(lambda: run_review(Options(repo=clone, base="HEAD~1", head="HEAD",
                                                             cache_dir=cache)))
        print(f"example review ({label}): wall {wall:.2f} s, cpu {cpu:.2f} s, load {_load()} | "
              f"{describe(result)}")


def _templates() -> list[dict[str, Any]]:
    records = []
    for path in sorted((PROJECT / "flows/prod").glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as stream:
            records.extend(json.loads(line) for line in stream if line.strip())
    return records


def synthetic(count: int, seed: int = 7) -> Iterator[str]:
    """`count` JSON lines shaped like prod's recorded flows, spread over earlier weeks; external
    peers get one of ~20,000 addresses so the store keeps many distinct flow keys. Each template is
    serialised once with placeholders, so writing a million lines takes seconds, not minutes."""
    rng = random.Random(seed)
    prepared: list[tuple[str, int, int, bool, bool]] = []
    for template in _templates():
        record = dict(template, start_time="@S@", end_time="@E@")
        external = []
        for side in ("source", "dest"):
            is_pub = record.get(f"{side}_type") == "net" and record.get(f"{side}_name_aggr") == "pub"
            if is_pub:
                record[f"{side}_ip"] = f"@{side}@"
            external.append(is_pub)
        prepared.append((json.dumps(record), int(template["start_time"]), int(template["end_time"]),
                         external[0], external[1]))
    for index in range(count):
        text, start, end, src_pub, dst_pub = prepared[index % len(prepared)]
        shift = (index // len(prepared)) * WEEK_S
        line = text.replace('"@S@"', str(start - shift)).replace('"@E@"', str(end - shift))
        if src_pub:
            line = line.replace("@source@", f"198.18.{rng.randrange(80)}.{rng.randrange(1, 255)}")
        if dst_pub:
            line = line.replace("@dest@", f"198.18.{rng.randrange(80)}.{rng.randrange(1, 255)}")
        yield line + "\n"


def _git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "dana.kim@example.com",
                        "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@example.invalid",
                        "HOME": str(root), "PATH": "/usr/local/bin:/usr/bin:/bin"})


def part_large(scratch: Path, records: int) -> None:
    clone = scratch / "p2"
    clone.mkdir()
    copy_example(PROJECT, clone)
    config = clone / "tierguard.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace(
        "flows: flows/prod/*.jsonl.gz", "flows: flows/prod/flows.duckdb"), encoding="utf-8")
    for old in (clone / "flows/prod").iterdir():
        old.unlink()
    raw = scratch / "flows-1m.jsonl"
    def write() -> None:
        with raw.open("w", encoding="utf-8") as stream:
            stream.writelines(synthetic(records))

    _, wall, _ = timed(write)
    print(f"generated {records:,} records ({raw.stat().st_size / 1e6:.0f} MB) in {wall:.1f} s")
    store_path = clone / "flows/prod/flows.duckdb"

    def import_all() -> int:
        with FlowStore(store_path) as store:
            report = store.import_files([raw])
            return report.records

    imported, wall, cpu = timed(import_all)
    with FlowStore(store_path, read_only=True) as store:
        keys = sum(1 for _ in store.records())
    print(f"flow store import (flows feature): {imported:,} records in {wall:.1f} s wall, {cpu:.1f} s cpu "
          f"({imported / wall:,.0f} records/s); {keys:,} distinct flow keys")
    raw.unlink()
    _git(clone, "init", "--quiet", "--initial-branch=main")
    _git(clone, "add", "--all")
    _git(clone, "commit", "--quiet", "-m", "example with 1M flows in prod")
    # Narrow change: the user service no longer accepts orders (one endpoint class's ingress).
    user = clone / "policies/application/sock-shop/user.yaml"
    text = user.read_text(encoding="utf-8")
    orders_rule = ("    - action: Allow\n      protocol: TCP\n      source:\n        selector: name == 'orders'\n"
                   "      destination:\n        ports:\n          - 80\n")
    user.write_text(text.replace(orders_rule, ""), encoding="utf-8")
    options = Options(repo=clone, base="HEAD", head=None, environments=("prod",), cache_dir=scratch / "c2")
    result, wall, cpu = timed(lambda: run_review(options))
    print(f"1M-flow review, narrow change (user ingress): wall {wall:.2f} s, cpu {cpu:.2f} s, load {_load()} | "
          f"{describe(result)}")
    _git(clone, "checkout", "--", ".")
    patch = sorted((PROJECT / CHANGE_DIR).glob("*.patch"))[0]
    _git(clone, "apply", str(patch))
    result, wall, cpu = timed(lambda: run_review(options))
    print(f"1M-flow review, bundled example change (all-pods egress guardrail): wall {wall:.2f} s, "
          f"cpu {cpu:.2f} s, load {_load()} | {describe(result)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--skip-large", action="store_true")
    parser.add_argument("--skip-example", action="store_true")
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}, load average {_load()} at start")
    scratch = Path(tempfile.mkdtemp(prefix="tierguard-bench-review-"))
    try:
        if not args.skip_example:
            part_example(scratch)
        if not args.skip_large:
            part_large(scratch, args.records)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
