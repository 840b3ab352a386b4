"""`tierguard observe`: a service graph of recorded traffic, evaluated against the policies.

    tierguard observe --env dev -o out/observe-dev.html
    tierguard observe --policies policies/ --inventory cluster.yaml --flows flows.jsonl -f json

Every flow record is resolved and evaluated by the engine (enforced and pending verdicts);
edges are coloured allowed / denied / would-be-denied / would-be-allowed, and the report lists
the gaps: workloads no enforced policy selects, traffic allowed only by a profile, and
inventory workloads with no observed traffic. Formats: text (default on stdout), json, html
(default for `-o *.html`; self-contained, no network fetches).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tierguard.cli.commands.validate import load_run_config
from tierguard.cli.errors import UsageError
from tierguard.config.model import Config, Environment
from tierguard.diagnostics import Diagnostic, ExitCode, Severity, Span, exit_code_for
from tierguard.engine.compile import compile_policy_set, profiles_for
from tierguard.engine.evaluate import Evaluator
from tierguard.engine.ir import CalicoVersion, Edition
from tierguard.engine.topology import Topology
from tierguard.flows.model import FlowError, FlowRecord
from tierguard.flows.read import read_flows
from tierguard.flows.source import InputError
from tierguard.inventory.build import build_inventory
from tierguard.inventory.load import load_inventory, repository_objects
from tierguard.loader import paths
from tierguard.loader.discovery import DiscoveryError, discover
from tierguard.loader.files import display_name, load_file
from tierguard.loader.kustomize import RendererMissing
from tierguard.loader.nodes import LMap, LSeq, Node
from tierguard.loader.resources import ResourceDoc, extract_resources
from tierguard.loader.sourcemap import SourceIndex
from tierguard.model.build import build_resource
from tierguard.observe.build import Inputs, build_model
from tierguard.observe.formats import format_for_path, formatters
from tierguard.validation.pipeline import validate_environment

NAME = "observe"
HELP = ("Service graph and flow table of recorded traffic evaluated against the policies "
        "(allowed, denied, would-be-denied by staged policies) plus policy gaps.")
DEFAULT_VERSION = "3.32"
# Rendered objects that are peers (inventory), not policy.
_POLICY_KINDS = frozenset({"NetworkPolicy", "GlobalNetworkPolicy", "StagedNetworkPolicy",
                           "StagedGlobalNetworkPolicy", "StagedKubernetesNetworkPolicy",
                           "AdminNetworkPolicy", "BaselineAdminNetworkPolicy",
                           "ClusterNetworkPolicy", "Tier"})


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", metavar="NAME",
                        help="environment of tierguard.yaml: its rendered overlay, inventory, "
                             "flows, Calico version and edition")
    parser.add_argument("-c", "--config", type=Path,
                        help="tierguard.yaml to use instead of discovering one")
    parser.add_argument("--policies", action="append", default=[], metavar="PATH",
                        help="policy YAML file or directory (repeatable; instead of --env)")
    parser.add_argument("--inventory", metavar="FILE",
                        help="kubectl get ... -o yaml|json List of namespaces, pods, services, ...")
    parser.add_argument("--flows", action="append", default=[], metavar="PATH",
                        help="flow-log file or glob in any supported format (repeatable)")
    parser.add_argument("--calico-version", metavar="X.Y",
                        help=f"Calico version whose semantics to use (default: the environment's, "
                             f"else {DEFAULT_VERSION})")
    parser.add_argument("--edition", choices=tuple(e.value for e in Edition),
                        help="Calico edition (default: the environment's, else oss)")
    parser.add_argument("-f", "--format", choices=sorted(formatters()),
                        help="output format (default: from the -o suffix, else text)")
    parser.add_argument("-o", "--output-file", type=Path, metavar="FILE",
                        help="write the report here instead of stdout")


def _keep(span: Span) -> Span:
    return span


@dataclass(frozen=True, slots=True)
class Loaded:
    """The evaluator for one environment or set of paths, and what it was built from."""

    name: str
    evaluator: Evaluator
    flows: tuple[str, ...]
    inputs: tuple[str, ...]
    diagnostics: tuple[Diagnostic, ...]
    notes: tuple[str, ...] = ()
    locate: Callable[[Span], Span] = _keep


def _path_to(node: Node, line: int, col: int, path: str = "") -> str | None:
    """The field path of the map or sequence that starts exactly at (line, col)."""
    if node.span.line == line and node.span.col == col:
        return path
    children: list[tuple[str | int, Node]] = (
        [(str(k.value), v) for k, v in node.entries] if isinstance(node, LMap)
        else list(enumerate(node.items)) if isinstance(node, LSeq) else [])
    for step, child in children:
        if child.span.line <= line and (child.span.end_line == 0 or line <= child.span.end_line):
            found = _path_to(child, line, col, paths.join(path, step))
            if found is not None:
                return found
    return None


class SourceLocator:
    """Moves a span in the rendered overlay to the same policy field in its source file, when
    the source object is unambiguous and has that field (else the rendered span is kept)."""

    def __init__(self, rendered: Sequence[ResourceDoc], index: SourceIndex) -> None:
        self.rendered = [r for r in rendered if r.kind in _POLICY_KINDS]
        self.index = index
        self._cache: dict[Span, Span] = {}

    def __call__(self, span: Span) -> Span:
        found = self._cache.get(span)
        if found is None:
            found = self._cache[span] = self._locate(span)
        return found

    def _locate(self, span: Span) -> Span:
        for resource in self.rendered:
            root = resource.root.span
            if resource.file != span.file or not root.line <= span.line <= (root.end_line or span.line):
                continue
            source = self.index.source_of(resource.ref)
            path = _path_to(resource.root, span.line, span.col)
            if source is None or path is None:
                return span
            node = paths.node_at(source.root, path) if path else source.root
            return node.span if node is not None else span
        return span


def _version(args: argparse.Namespace, environment: Environment | None) -> CalicoVersion:
    if args.calico_version:
        try:
            return CalicoVersion.parse(args.calico_version)
        except ValueError as error:
            raise UsageError(str(error)) from None
    return environment.calico_version if environment else CalicoVersion.parse(DEFAULT_VERSION)


def _edition(args: argparse.Namespace, environment: Environment | None) -> Edition:
    if args.edition:
        return Edition(args.edition)
    return environment.edition if environment else Edition.OSS


def _evaluator(models: Sequence[object], resources: Sequence[ResourceDoc], inventory_path: Path | None,
               version: CalicoVersion, edition: Edition) -> tuple[Evaluator, list[Diagnostic]]:
    """Compile the policies and index the inventory plus the repository's own network sets."""
    enterprise = edition is Edition.ENTERPRISE
    policy_set, diagnostics = compile_policy_set(models, version, edition)
    peers = repository_objects(resources)
    if inventory_path is not None:
        inventory, found = load_inventory(inventory_path, enterprise_labels=enterprise, repository_objects=peers)
    else:
        inventory, found = build_inventory([obj for obj, _ in peers], enterprise_labels=enterprise,
                                           spans=[span for _, span in peers])
    diagnostics += found
    topology = Topology(inventory.endpoints, inventory.services, inventory.nodes)
    profiles = {p.name: p for e in inventory.endpoints for p in profiles_for(e)}
    return Evaluator(policy_set, topology, profiles.values()), diagnostics


def _from_environment(args: argparse.Namespace) -> Loaded:
    config: Config = load_run_config(args.config)
    try:
        environment = config.environment(args.env)
    except KeyError as error:
        raise UsageError(str(error.args[0])) from None
    try:
        loaded, validated = validate_environment(config, environment)
    except RendererMissing as error:
        raise UsageError(str(error)) from None
    if loaded.text is None:
        _write_diagnostics(validated.diagnostics)
        raise UsageError(f"cannot render {environment.overlay} (see the diagnostics above)")
    if not environment.flows and not args.flows:
        raise UsageError(f"environment {environment.name} configures no flows; give --flows")
    models = [item.model for item in validated.checked if item.model is not None]
    inventory = args.inventory or (str(config.root / environment.inventory)
                                   if environment.inventory else None)
    notes = () if inventory else ((f"no inventory for {environment.name}: only network sets "
                                   "and host endpoints from the repository are known"),)
    evaluator, found = _evaluator(models, loaded.loaded.resources,
                                  _existing(inventory), _version(args, environment),
                                  _edition(args, environment))
    # Relative to the working directory, so record locations read `flows/dev/x.jsonl.gz:12`.
    flows = tuple(args.flows) or (os.path.relpath(config.root / environment.flows),)
    inputs = (environment.overlay, *(display_name(Path(i), config.root) for i in [inventory] if i),
              *(display_name(Path(f), config.root) for f in flows))
    errors = tuple(d for d in validated.diagnostics if d.severity is Severity.ERROR)
    return Loaded(environment.name, evaluator, flows, inputs, errors + tuple(found), notes,
                  SourceLocator(loaded.loaded.resources, loaded.sources))


def _existing(path: str | None) -> Path | None:
    if path is None:
        return None
    if not Path(path).is_file():
        raise UsageError(f"{path}: no such inventory file")
    return Path(path)


def _from_paths(args: argparse.Namespace) -> Loaded:
    if not args.policies or not args.inventory or not args.flows:
        raise UsageError("give --env NAME, or all of --policies PATH, --inventory FILE and "
                         "--flows PATH")
    cwd = Path.cwd()
    try:
        files = discover(args.policies, cwd)
    except DiscoveryError as error:
        raise UsageError(str(error)) from None
    diagnostics: list[Diagnostic] = []
    models: list[object] = []
    resources: list[ResourceDoc] = []
    for path in files:
        loaded = load_file(path, display_name(path, cwd))
        extracted = extract_resources(loaded.documents)
        diagnostics += list(loaded.diagnostics) + list(extracted.diagnostics)
        for resource in extracted.resources:
            model, found = build_resource(resource.root, resource.file)
            diagnostics += found
            if model is not None:
                models.append(model)
            resources.append(resource)
    evaluator, found = _evaluator(models, resources, _existing(args.inventory),
                                  _version(args, None), _edition(args, None))
    inputs = (*args.policies, args.inventory, *args.flows)
    return Loaded("", evaluator, tuple(args.flows), inputs, tuple(diagnostics + found))


@dataclass(slots=True)
class _FlowProblems:
    errors: list[Diagnostic]
    warnings: int = 0


def _records(paths: Sequence[str], problems: _FlowProblems) -> Iterator[FlowRecord]:
    try:
        for item in read_flows(list(paths)):
            if isinstance(item, FlowError):
                if item.severity is Severity.ERROR:
                    problems.errors.append(item.diagnostic)
                elif item.severity is Severity.WARNING:
                    problems.warnings += 1
                continue
            yield item
    except InputError as error:
        raise UsageError(str(error)) from None


def _write_diagnostics(diagnostics: Sequence[Diagnostic]) -> None:
    for diag in diagnostics:
        span = diag.span
        where = f"{span.file}:{span.line}:{span.col}: " if span else ""
        sys.stderr.write(f"{where}{diag.code} {diag.severity.value}: {diag.message}\n")


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    return format_for_path(args.output_file) if args.output_file is not None else "text"


def _worth_showing(diagnostics: Sequence[Diagnostic]) -> tuple[Diagnostic, ...]:
    # Notes (e.g. a ServiceAccount missing from the inventory) do not change any verdict here.
    return tuple(d for d in diagnostics if d.severity is not Severity.NOTE)


def run(args: argparse.Namespace) -> int:
    name = _format(args)
    loaded = _from_environment(args) if args.env else _from_paths(args)
    loaded = dataclasses.replace(loaded, diagnostics=_worth_showing(loaded.diagnostics))
    problems = _FlowProblems([])
    notes = list(loaded.notes)
    model = build_model(loaded.evaluator, _records(loaded.flows, problems),
                        Inputs(loaded.name, loaded.inputs, tuple(notes)), loaded.locate)
    extra = []
    if problems.errors:
        extra.append(f"{len(problems.errors)} malformed flow record(s) were skipped "
                     "(listed on stderr)")
    if problems.warnings:
        extra.append(f"{problems.warnings} flow record(s) were reported as duplicates or with "
                     "clock skew (duplicates skipped)")
    if loaded.diagnostics:
        extra.append(f"{len(loaded.diagnostics)} policy/inventory problem(s) while loading "
                     "(listed on stderr)")
    if extra:
        model = model.with_notes(tuple(extra))
    output = formatters()[name].render(model)
    if args.output_file is not None:
        try:
            args.output_file.parent.mkdir(parents=True, exist_ok=True)
            args.output_file.write_text(output, encoding="utf-8")
        except OSError as error:
            raise UsageError(f"cannot write {args.output_file}: {error.strerror or error}") from None
        sys.stderr.write(f"tierguard observe: wrote {args.output_file} ({name})\n")
    else:
        sys.stdout.write(output)
    diagnostics = list(loaded.diagnostics) + problems.errors
    _write_diagnostics(diagnostics)
    return int(exit_code_for(diagnostics)) if diagnostics else int(ExitCode.CLEAN)
