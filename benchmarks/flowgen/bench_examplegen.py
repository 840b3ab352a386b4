"""Measure the example flow generator: records per second and compressed bytes per record.

    .venv/bin/python benchmarks/flowgen/bench_examplegen.py [--env prod] [--records 200000]

Prints measured figures; it is not a timed test. To produce a large flow set for other benchmarks
(e.g. 1,000,000 records for the review), use the CLI:

    python -m tierguard.examplegen flows --env prod --records 1000000 --out /tmp/bench/prod/
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from tierguard.examplegen.generate import flow_records
from tierguard.examplegen.topology import load_topology
from tierguard.examplegen.writer import gzip_bytes, json_line

REPO = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="prod")
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    topology = load_topology(REPO / "inventory" / "topology.yaml")
    started = time.process_time()
    lines = [json_line(record) for _, record in flow_records(topology, args.env, args.seed, records=args.records)]
    generated = time.process_time() - started
    started = time.process_time()
    data = gzip_bytes(lines)
    compressed = time.process_time() - started
    print(f"env={args.env} records={len(lines)}")
    print(f"generate+serialize: {generated:.2f} s CPU, {len(lines) / generated:,.0f} records/s")
    print(f"gzip -9: {compressed:.2f} s CPU, {len(data):,} bytes, {len(data) / len(lines):.1f} bytes/record")


if __name__ == "__main__":
    main()
