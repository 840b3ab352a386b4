"""The review's seam to the rest of tierguard: render+validate, compile, inventory, flows, RBAC.

Everything here calls the other packages' public entry points:
- `validation.pipeline.validate_environment` (kustomize build + Flux `${var}` substitution +
  schema and Calico rules, diagnostics pointed at source files);
- `engine.compile.compile_policy_set` (models -> PolicySet) and `engine.evaluate.Evaluator`;
- `inventory.build.build_inventory` (recorded snapshot plus the tree's own network sets);
- `flows.read.read_flows` (every flow-log format and the DuckDB store);
- `rbac` change authorization and the Flux tenant check (see `authorize`).
The review itself never re-implements any of these.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tierguard.config.model import Config, Environment
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.engine.compile import compile_policy_set
from tierguard.engine.evaluate import Evaluator
from tierguard.engine.ir import PolicySet
from tierguard.engine.topology import Topology
from tierguard.flows.model import FlowError, FlowRecord
from tierguard.flows.read import read_flows
from tierguard.flows.source import InputError
from tierguard.inventory.build import build_inventory
from tierguard.inventory.model import Endpoint, EndpointKind, Inventory
from tierguard.loader.files import display_name, load_file
from tierguard.loader.kustomize import RendererMissing
from tierguard.loader.resources import ResourceDoc
from tierguard.loader.sourcemap import SourceIndex, remap_all
from tierguard.review import rbac_bridge
from tierguard.review.model import RbacDecision
from tierguard.review.workspace import Author
from tierguard.validation.pipeline import validate_environment

# Rendered kinds that belong in the inventory: peers and host endpoints, not policy.
INVENTORY_KINDS = frozenset({"NetworkSet", "GlobalNetworkSet", "HostEndpoint"})
_INVENTORY_SUFFIXES = (".yaml", ".yml", ".json")


class SetupError(Exception):
    """A tool the review needs is missing (kubectl): exit 2, not a finding."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """One environment of one tree, ready for evaluation (or the reason it is not)."""

    policy_set: PolicySet | None
    inventory: Inventory | None
    network_sets: frozenset[tuple[object, ...]]  # fingerprint: did peers change between trees?
    sources: SourceIndex | None
    diagnostics: tuple[Diagnostic, ...]
    resources: tuple[ResourceDoc, ...] = ()
    blocking: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class InventorySnapshot:
    """The recorded cluster objects of an environment (from the head tree; recorded reality)."""

    objects: tuple[Mapping[str, object], ...]
    notes: tuple[str, ...] = ()


def load_inventory_objects(config: Config, environment: Environment) -> InventorySnapshot:
    if not environment.inventory:
        return InventorySnapshot((), (f"no inventory configured for {environment.name}: only "
                                      "network sets and host endpoints from the repository are known",))
    path = config.root / environment.inventory
    files = sorted(p for p in path.rglob("*") if p.suffix in _INVENTORY_SUFFIXES) if path.is_dir() \
        else [path]
    objects: list[Mapping[str, object]] = []
    notes: list[str] = []
    for file in files:
        loaded = load_file(file, display_name(file, config.root))
        notes += [f"inventory {d.span}: {d.message}" for d in loaded.diagnostics
                  if d.severity is Severity.ERROR]
        for document in loaded.documents:
            plain = document.root.to_plain()
            if isinstance(plain, dict):
                objects.append(plain)
    if not files or not path.exists():
        notes.append(f"inventory {environment.inventory} does not exist")
    return InventorySnapshot(tuple(objects), tuple(notes))


def prepare(config: Config, environment: Environment, snapshot: InventorySnapshot) -> Prepared:
    try:
        loaded, validated = validate_environment(config, environment)
    except RendererMissing as error:
        raise SetupError(str(error)) from error
    if loaded.text is None:
        why = "; ".join(d.message for d in validated.diagnostics) or "kustomize build failed"
        return Prepared(None, None, frozenset(), loaded.sources, validated.diagnostics,
                        blocking=(f"cannot render {environment.overlay}: {why}",))
    models = [item.model for item in validated.checked if item.model is not None]
    policy_set, compile_problems = compile_policy_set(models, environment.calico_version,
                                                      environment.edition)
    resources = loaded.loaded.resources
    diagnostics = validated.diagnostics + tuple(remap_all(compile_problems, resources, loaded.sources))
    peers = [r.root.to_plain() for r in resources if r.kind in INVENTORY_KINDS]
    inventory, inventory_problems = build_inventory([*snapshot.objects, *peers])
    notes = list(snapshot.notes) + [f"inventory: {d.message}" for d in inventory_problems
                                    if d.severity is Severity.ERROR]
    return Prepared(policy_set, inventory, _peer_fingerprint(inventory.endpoints), loaded.sources,
                    diagnostics, resources, notes=tuple(notes))


def empty_like(prepared: Prepared) -> Prepared:
    """A base for an environment that does not exist in base: no policy at all."""
    policy_set = prepared.policy_set
    empty = PolicySet(policy_set.version, policy_set.edition, (), ()) if policy_set else None
    return Prepared(empty, prepared.inventory, prepared.network_sets, None, (),
                    notes=("the environment is new in head; base has no policy for it",))


def _peer_fingerprint(endpoints: Sequence[Endpoint]) -> frozenset[tuple[object, ...]]:
    kinds = (EndpointKind.NETWORK_SET, EndpointKind.GLOBAL_NETWORK_SET, EndpointKind.HOST)
    return frozenset((e.kind, e.namespace, e.name, tuple(sorted(e.labels.items())), e.nets, e.ips)
                     for e in endpoints if e.kind in kinds)


def evaluator(prepared: Prepared) -> Evaluator:
    assert prepared.policy_set is not None and prepared.inventory is not None
    inventory = prepared.inventory
    return Evaluator(prepared.policy_set, Topology(inventory.endpoints, inventory.services,
                                                   inventory.nodes))


@dataclass(slots=True)
class EnvironmentFlows:
    """Flow records of an environment, streamed; problems are counted and summarised as notes."""

    paths: tuple[Path, ...]
    errors: int = 0
    samples: list[str] = field(default_factory=list)

    def records(self) -> Iterator[FlowRecord]:
        for path in self.paths:
            try:
                yield from self._read(path)
            except InputError as error:
                self.errors += 1
                self.samples.append(f"{path.name}: {error}")

    def _read(self, path: Path) -> Iterator[FlowRecord]:
        if True:
            for item in read_flows(path):
                if isinstance(item, FlowError):
                    if item.severity is Severity.ERROR:
                        self.errors += 1
                        if len(self.samples) < 3:
                            self.samples.append(f"{item.diagnostic.span}: {item.diagnostic.message}")
                    continue
                yield item

    @property
    def notes(self) -> tuple[str, ...]:
        if not self.errors:
            return ()
        return (f"{self.errors} malformed flow records were skipped (e.g. {'; '.join(self.samples)})",)


def environment_flows(config: Config, environment: Environment) -> tuple[EnvironmentFlows, tuple[str, ...]]:
    if not environment.flows:
        return EnvironmentFlows(()), (f"no flows configured for {environment.name}: nothing to replay",)
    path = config.root / environment.flows
    if not path.exists():
        return EnvironmentFlows(()), (f"flows {environment.flows} do not exist: nothing to replay",)
    if path.is_dir():  # every flow file (or store) in the directory, in name order
        files = tuple(sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")))
        if not files:
            return EnvironmentFlows(()), (f"flows {environment.flows} is empty: nothing to replay",)
        return EnvironmentFlows(files), ()
    return EnvironmentFlows((path,)), ()


def authorize(base_config: Config, head_config: Config, environment: Environment, base: Prepared,
              head: Prepared, authors: Sequence[Author]) -> tuple[RbacDecision, ...]:
    return rbac_bridge.decisions(base_config, head_config, environment, base.resources,
                                 head.resources, base.sources, head.sources, authors)
