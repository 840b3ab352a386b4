"""Command line of the example generator.

    python -m tierguard.examplegen inventory --env dev --seed 7 --out inventory/dev/cluster.yaml
    python -m tierguard.examplegen flows --env dev --seed 7 --out flows/dev/
    python -m tierguard.examplegen flows --env prod --seed 7 --records 1000000 --out /tmp/bench/prod/
    python -m tierguard.examplegen all --seed 7 --root .      # regenerate everything committed
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from tierguard.examplegen.generate import flow_files, inventory_yaml, write_flows
from tierguard.examplegen.topology import Topology, TopologyError, load_topology
from tierguard.examplegen.writer import write_if_changed

DEFAULT_TOPOLOGY = Path("inventory/topology.yaml")
DEFAULT_SEED = 7


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tierguard.examplegen",
        description="Generate the bundled example's inventory snapshots and Calico Enterprise flow logs "
                    "deterministically from a topology file and a seed.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--topology", type=Path, default=DEFAULT_TOPOLOGY,
                        help=f"topology file (default: {DEFAULT_TOPOLOGY})")
    common.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default: {DEFAULT_SEED})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    inventory = sub.add_parser("inventory", parents=[common], help="write one environment's inventory snapshot")
    inventory.add_argument("--env", required=True, help="environment name from the topology")
    inventory.add_argument("--out", type=Path, required=True, help="output file, e.g. inventory/dev/cluster.yaml")
    flows = sub.add_parser("flows", parents=[common], help="write one environment's flow logs (one file per day)")
    flows.add_argument("--env", required=True, help="environment name from the topology")
    flows.add_argument("--out", type=Path, required=True, help="output directory, e.g. flows/dev/")
    flows.add_argument("--days", type=_positive_int, help="recording length in days (default: the topology's)")
    flows.add_argument("--records", type=_positive_int,
                       help="stop after this many records, extending the recording as needed (benchmarks)")
    flows.add_argument("--scale", type=_positive_float, default=1.0,
                       help="multiply every connection rate (default 1.0)")
    everything = sub.add_parser("all", parents=[common],
                                help="regenerate inventory/<env>/cluster.yaml and flows/<env>/ for every environment")
    everything.add_argument("--root", type=Path, default=Path("."), help="repository root (default: .)")
    return parser


def _check_env(topology: Topology, env: str) -> None:
    topology.environment(env)  # raises TopologyError naming the known environments


def run(args: argparse.Namespace) -> int:
    topology = load_topology(args.topology)
    if args.command == "inventory":
        _check_env(topology, args.env)
        written = write_if_changed(args.out, inventory_yaml(topology, args.env, args.seed).encode("utf-8"))
        print(f"{args.out}: {'written' if written else 'unchanged'}")
        return 0
    if args.command == "flows":
        _check_env(topology, args.env)
        files = flow_files(topology, args.env, args.seed, days=args.days, records=args.records, scale=args.scale)
        size = write_flows(args.out, files)
        print(f"{args.out}: {len(files)} files, {sum(f.records for f in files)} records, {size} bytes")
        return 0
    for env in topology.environments:
        inventory_path = args.root / "inventory" / env.name / "cluster.yaml"
        write_if_changed(inventory_path, inventory_yaml(topology, env.name, args.seed).encode("utf-8"))
        files = flow_files(topology, env.name, args.seed)
        size = write_flows(args.root / "flows" / env.name, files)
        print(f"{env.name}: {inventory_path}; flows/{env.name}/: {len(files)} files, "
              f"{sum(f.records for f in files)} records, {size} bytes")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except TopologyError as error:
        print(f"examplegen: error: {error}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"examplegen: error: {error.filename or ''}: {error.strerror or error}", file=sys.stderr)
        return 2
