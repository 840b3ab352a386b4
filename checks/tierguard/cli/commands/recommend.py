"""`tierguard recommend`: StagedNetworkPolicy recommendations from recorded flows, with a proof.

    tierguard recommend --env dev [--namespace NS]... [--out DIR]
    tierguard recommend --inventory FILE --flows FILE... [--policies PATH]... [--calico-version X.Y]

One StagedNetworkPolicy per namespace (calico-semantics §8), written to DIR/<ns>.yaml (plus
DIR/tier.yaml when the tier is defined nowhere) or to stdout. The generated text is compiled with
the existing policies and the same flows are replayed with it enforced; the proof summary goes to
stdout with --out, else to stderr. Exit 1 when it would deny an observed allowed flow.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from tierguard.cli.commands.validate import load_run_config
from tierguard.cli.errors import UsageError
from tierguard.diagnostics import Diagnostic, ExitCode, Severity, exit_code_for
from tierguard.engine.ir import CalicoVersion, Edition, StagedAction
from tierguard.flows.model import FlowError, FlowRecord
from tierguard.flows.read import read_flows
from tierguard.flows.source import InputError
from tierguard.inventory.load import load_inventory, repository_objects
from tierguard.loader.discovery import DiscoveryError
from tierguard.loader.kustomize import RendererMissing
from tierguard.loader.resources import ResourceDoc
from tierguard.model.build import build_resource
from tierguard.recommend.model import DEFAULT_MAX_RULES, DEFAULT_TIER, Options
from tierguard.recommend.names import is_namespace_name, is_object_name
from tierguard.recommend.pipeline import Result, World, run_recommend
from tierguard.recommend.render import timestamp
from tierguard.recommend.verify import Proof, Status
from tierguard.validation.pipeline import validate_environment
from tierguard.validation.sources import load_paths

NAME = "recommend"
HELP = ("Recommend staged policies (one per namespace) from recorded flows, and prove them against "
        "the same flows.")
DEFAULT_VERSION = "3.32"
_SHOWN = 20  # broken/unverifiable flow groups printed per namespace


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", metavar="NAME",
                        help="environment of tierguard.yaml: its rendered overlay, inventory, flows, "
                             "Calico version and edition")
    parser.add_argument("-c", "--config", type=Path, help="tierguard.yaml to use instead of discovering one")
    parser.add_argument("--inventory", metavar="FILE", help="inventory file (instead of --env)")
    parser.add_argument("--flows", action="append", default=[], metavar="FILE",
                        help="flow log file, glob or flow store (repeatable; instead of --env)")
    parser.add_argument("--policies", action="append", default=[], metavar="PATH",
                        help="existing policy files or directories (repeatable; instead of --env)")
    parser.add_argument("--calico-version", metavar="X.Y",
                        help=f"Calico version (default: the environment's, else {DEFAULT_VERSION})")
    parser.add_argument("--edition", choices=("oss", "enterprise"),
                        help="Calico edition (default: the environment's, else oss)")
    parser.add_argument("--namespace", "-n", action="append", default=[], metavar="NS",
                        help="namespace to recommend for (repeatable; default: every namespace with "
                             "pods except kube-*, calico-*, tigera-*, openshift-*)")
    parser.add_argument("--tier", default=DEFAULT_TIER,
                        help=f"tier of the recommendations (default {DEFAULT_TIER}, as Calico Enterprise)")
    parser.add_argument("--since", metavar="TIME", help="only flows ending at or after TIME (ISO 8601, UTC)")
    parser.add_argument("--until", metavar="TIME", help="only flows starting at or before TIME (ISO 8601)")
    parser.add_argument("--max-rules", type=int, default=DEFAULT_MAX_RULES, metavar="N",
                        help=f"rules per direction before merging (default {DEFAULT_MAX_RULES}, as Calico)")
    parser.add_argument("--staged-action", choices=("Learn", "Set"), default="Learn",
                        help="stagedAction of the recommendations (default Learn)")
    parser.add_argument("--only-undecided", action="store_true",
                        help="learn only from flows no real policy decided (profile allow hits), as "
                             "Calico's engine does; default: every allowed flow")
    parser.add_argument("--out", metavar="DIR",
                        help="write DIR/<namespace>.yaml (and DIR/tier.yaml if needed); default stdout")


def _time_ms(text: str | None, flag: str) -> int | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UsageError(f"{flag} {text!r} is not an ISO 8601 time such as 2026-11-20T00:00:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def _version(text: str) -> CalicoVersion:
    try:
        return CalicoVersion.parse(text)
    except ValueError as error:
        raise UsageError(str(error)) from None


def _options(args: argparse.Namespace, version: CalicoVersion, edition: Edition) -> Options:
    if args.max_rules < 1:
        raise UsageError("--max-rules must be at least 1")
    if not is_object_name(args.tier):
        raise UsageError(f"--tier {args.tier!r} is not a valid tier name")
    if edition is Edition.OSS and version < CalicoVersion(3, 30):
        raise UsageError(f"Calico Open Source {version} has no staged policies (they exist from 3.30)")
    for namespace in args.namespace:
        if not is_namespace_name(namespace):
            raise UsageError(f"--namespace {namespace!r} is not a valid namespace name")
    since, until = _time_ms(args.since, "--since"), _time_ms(args.until, "--until")
    if since is not None and until is not None and since > until:
        raise UsageError("--since is after --until")
    return Options(tier=args.tier, max_rules=args.max_rules, staged_action=StagedAction(args.staged_action),
                   only_undecided=args.only_undecided, version=version, edition=edition,
                   since_ms=since, until_ms=until)


def _models(resources: Sequence[ResourceDoc]) -> list[object]:
    models: list[object] = []
    for resource in resources:
        model, _ = build_resource(resource.root, resource.file)
        if model is not None:
            models.append(model)
    return models


def _world(resources: Sequence[ResourceDoc], inventory_path: Path, edition: Edition) -> tuple[World, list[Diagnostic]]:
    """Inventory endpoints plus the network sets and host endpoints kept with the policies."""
    inventory, problems = load_inventory(inventory_path, enterprise_labels=edition is Edition.ENTERPRISE,
                                         repository_objects=repository_objects(resources))
    world = World(inventory.endpoints, inventory.services, inventory.nodes, tuple(_models(resources)))
    return world, problems


def _from_env(args: argparse.Namespace) -> tuple[World, list[str], Options, list[Diagnostic], str]:
    config = load_run_config(args.config)
    try:
        environment = config.environment(args.env)
    except KeyError as error:
        raise UsageError(str(error.args[0])) from None
    if not environment.inventory or not environment.flows:
        raise UsageError(f"environment {environment.name} has no inventory or flows in tierguard.yaml")
    inventory = config.root / environment.inventory
    if not inventory.is_file():
        raise UsageError(f"{inventory}: no such inventory file")
    try:
        loaded, _ = validate_environment(config, environment)
    except RendererMissing as error:
        raise UsageError(str(error)) from None
    version = _version(args.calico_version) if args.calico_version else environment.calico_version
    edition = Edition(args.edition) if args.edition else environment.edition
    world, problems = _world(loaded.loaded.resources, inventory, edition)
    flows = [str(config.root / environment.flows)]
    label = f"{environment.name} (Calico {version} {edition.value})"
    return world, flows, _options(args, version, edition), problems, label


def _explicit(args: argparse.Namespace) -> tuple[World, list[str], Options, list[Diagnostic], str]:
    if not args.inventory or not args.flows:
        raise UsageError("give --env NAME, or --inventory FILE and --flows FILE")
    if not Path(args.inventory).is_file():
        raise UsageError(f"{args.inventory}: no such file")
    try:
        loaded = load_paths(args.policies, Path.cwd(), Path.cwd()) if args.policies else None
    except DiscoveryError as error:
        raise UsageError(str(error)) from None
    version = _version(args.calico_version or DEFAULT_VERSION)
    edition = Edition(args.edition or "oss")
    world, problems = _world(loaded.resources if loaded else (), Path(args.inventory), edition)
    return world, list(args.flows), _options(args, version, edition), problems, \
        f"Calico {version} {edition.value}"


class _Records:
    """Flow records from the inputs; read errors are kept (first few) and counted."""

    def __init__(self, inputs: list[str]) -> None:
        self.inputs = inputs
        self.problems: list[Diagnostic] = []
        self.lost = 0

    def __iter__(self) -> Iterator[FlowRecord]:
        try:
            for item in read_flows(self.inputs):
                if isinstance(item, FlowError):
                    if item.severity is Severity.ERROR:
                        self.lost += 1
                        if len(self.problems) < _SHOWN:
                            self.problems.append(item.diagnostic)
                    continue
                yield item
        except InputError as error:
            raise UsageError(str(error)) from None


def _safe(text: str) -> str:
    """Flow-log names are untrusted: show control characters escaped, never send them to a terminal."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _percent(before: int, after: int) -> str:
    return f" ({(after - before) * 100 / before:+.0f}%)" if before else ""


def _print_proof(proof: Proof, result: Result, stream: TextIO) -> None:
    rec = next(r for r in result.recommendations if r.namespace == proof.namespace)
    output = next(o for o in result.outputs if o.namespace == proof.namespace)
    stream.write(f"namespace {proof.namespace}: {rec.name} -> {output.name}\n")
    stream.write(f"  rules: ingress {len(rec.ingress)}, egress {len(rec.egress)}; learnt from {rec.flows} "
                 f"records, {timestamp(rec.first_ms)} .. {timestamp(rec.last_ms)}\n")
    stand_ins = [f"{proof.witnessed} with a stand-in pub/pvt address"] if proof.witnessed else []
    if proof.stand_in_pods:
        stand_ins.append(f"{proof.stand_in_pods} with a current pod standing in for a gone one")
    witnessed = f" ({'; '.join(stand_ins)})" if stand_ins else ""
    stream.write(f"  proof: {proof.records} observed allowed records replayed{witnessed}: "
                 f"{proof.count(Status.ALLOWED)} still allowed, {proof.count(Status.BROKEN)} would be DENIED, "
                 f"{proof.count(Status.UNVERIFIABLE)} unverifiable, {proof.count(Status.DISAGREES)} denied "
                 "already without it\n")
    reach = proof.reach
    stream.write(f"  reach: {reach.before} of {reach.triples} pod->pod served-port triples allowed today, "
                 f"{reach.after} with the recommendation enforced{_percent(reach.before, reach.after)}\n")
    for status in (Status.BROKEN, Status.UNVERIFIABLE, Status.DISAGREES):
        checks = proof.of(status)
        stream.writelines(_safe(f"  {status.value.upper()} {check.direction.value.lower()} {check.flow} "
                                f"x{check.records}: {check.detail}") + "\n" for check in checks[:_SHOWN])
        if len(checks) > _SHOWN:
            stream.write(f"  ... {len(checks) - _SHOWN} more {status.value} flow groups\n")


def _write(result: Result, out: str | None) -> None:
    if out is None:
        sys.stdout.write("---\n".join(o.text for o in result.outputs))
        return
    directory = Path(out)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for output in result.outputs:
            Path(output.name).write_text(output.text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"{out}: cannot write: {error.strerror or error}") from None


def _write_diagnostics(diagnostics: Sequence[Diagnostic], stream: TextIO) -> None:
    stream.writelines(_safe(f"{_where(diag)}{diag.code} {diag.severity.value}: {diag.message}") + "\n"
                      for diag in diagnostics)


def _where(diag: Diagnostic) -> str:
    return f"{diag.span.file}:{diag.span.line}:{diag.span.col}: " if diag.span else ""


def run(args: argparse.Namespace) -> int:
    if args.env and (args.inventory or args.flows or args.policies):
        raise UsageError("--env cannot be combined with --inventory, --flows or --policies")
    world, flows, options, problems, label = _from_env(args) if args.env else _explicit(args)
    records = _Records(flows)
    directory = (args.out or "<stdout>").rstrip("/") or "."
    result = run_recommend(records, world, options, args.namespace, directory)
    _write(result, args.out)
    summary = sys.stdout if args.out else sys.stderr
    summary.write(f"tierguard recommend: {label}, tier {options.tier}, {result.records} flow records read, "
                  f"{result.used} used for {len(result.recommendations)} namespace(s)"
                  f"{' (only flows no policy decided)' if options.only_undecided else ''}\n")
    for proof in result.proofs:
        _print_proof(proof, result, summary)
    errors = [d for d in problems if d.severity is Severity.ERROR]
    if errors:
        summary.write(f"note: the inventory has {len(errors)} error(s); see `tierguard validate` / "
                      "`tierguard flows`\n")
    diagnostics = list(records.problems) + list(result.diagnostics)
    if records.lost > len(records.problems):
        summary.write(f"note: {records.lost} flow records could not be read (first {len(records.problems)} "
                      "listed)\n")
    _write_diagnostics(diagnostics, sys.stderr)
    return int(exit_code_for(diagnostics)) if diagnostics else int(ExitCode.CLEAN)
