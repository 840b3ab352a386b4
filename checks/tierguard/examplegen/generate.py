"""Produce the example's files for one environment: the inventory snapshot and the daily flow logs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from tierguard.examplegen.flows import FlowGenerator, Record
from tierguard.examplegen.inventory import snapshot
from tierguard.examplegen.topology import Topology
from tierguard.examplegen.world import build_world
from tierguard.examplegen.writer import gzip_bytes, json_line, write_if_changed, yaml_text

# For a --records target, first guess the recording length from this many records per day (every
# environment of the example produces more), and lengthen it if the guess falls short.
_RECORDS_PER_DAY_GUESS = 2000


def inventory_yaml(topology: Topology, env: str, seed: int) -> str:
    world = build_world(topology, env, seed)
    header = (f"# Inventory snapshot of {world.env.cluster} ({env}) at {world.end:%Y-%m-%dT%H:%M:%SZ}, as\n"
              "# kubectl get namespaces,pods,serviceaccounts,services,endpointslices,nodes -A -o yaml\n"
              f"# prints it. Generated: python -m tierguard.examplegen inventory --env {env} --seed {seed}\n")
    return yaml_text(snapshot(world), header)


@dataclass(frozen=True, slots=True)
class FlowFile:
    name: str
    records: int
    data: bytes


def flow_records(topology: Topology, env: str, seed: int, *, days: int | None = None, records: int | None = None,
                 scale: float = 1.0) -> Iterator[tuple[int, Record]]:
    """(day index, record) pairs; `records` caps the count (the recording is extended as needed)."""
    if records is None:
        world = build_world(topology, env, seed, topology.days if days is None else days)
        yield from FlowGenerator(world, scale=scale).records()
        return
    span = days if days is not None else max(topology.days, records // _RECORDS_PER_DAY_GUESS + 1)
    produced = 0
    while True:
        world = build_world(topology, env, seed, span)
        # A longer recording replays the shorter one first (same seed); skip what was yielded.
        for index, (day, record) in enumerate(FlowGenerator(world, scale=scale).records()):
            if index < produced:
                continue
            if produced >= records:
                return
            produced += 1
            yield day, record
        if days is not None or produced >= records:
            return
        span *= 2


def flow_files(topology: Topology, env: str, seed: int, *, days: int | None = None, records: int | None = None,
               scale: float = 1.0) -> list[FlowFile]:
    """One gzip'd JSON-lines file per recording day, named flows-<YYYY-MM-DD>.jsonl.gz."""
    by_day: dict[int, list[str]] = {}
    for day, record in flow_records(topology, env, seed, days=days, records=records, scale=scale):
        by_day.setdefault(day, []).append(json_line(record))
    files = []
    for day in sorted(by_day):
        date = topology.start + timedelta(days=day)
        lines = by_day[day]
        files.append(FlowFile(f"flows-{date:%Y-%m-%d}.jsonl.gz", len(lines), gzip_bytes(lines)))
    return files


def write_flows(out: Path, files: list[FlowFile]) -> int:
    """Write the files into `out`, removing stale flows-*.jsonl.gz there; returns bytes written."""
    out.mkdir(parents=True, exist_ok=True)
    wanted = {f.name for f in files}
    for stale in sorted(out.glob("flows-*.jsonl.gz")):
        if stale.name not in wanted:
            stale.unlink()
    for flow_file in files:
        write_if_changed(out / flow_file.name, flow_file.data)
    return sum(len(f.data) for f in files)
