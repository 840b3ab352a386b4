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

import glob
import hashlib
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tierguard.config.model import Config, Environment
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.engine.compile import compile_policy_set
from tierguard.engine.evaluate import Evaluator
from tierguard.engine.ir import Edition, PolicySet
from tierguard.engine.topology import Topology
from tierguard.flows import codes as flow_codes
from tierguard.flows.model import FlowError, FlowRecord
from tierguard.flows.read import read_flows
from tierguard.flows.source import InputError
from tierguard.flows.store import FlowStore, StoreError, content_hash
from tierguard.flows.store_schema import SCHEMA_VERSION
from tierguard.inventory.build import build_inventory
from tierguard.inventory.model import Endpoint, EndpointKind, Inventory
from tierguard.loader.files import display_name
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
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


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
    """Plain objects of the recorded inventory (one file, or every YAML/JSON file of a directory).

    Recorded data needs no source positions, so it is parsed with the plain (C) YAML loader;
    unreadable files become notes, never exceptions.
    """
    if not environment.inventory:
        return InventorySnapshot((), (f"no inventory configured for {environment.name}: only "
                                      "network sets and host endpoints from the repository are known",))
    path = config.root / environment.inventory
    if not path.exists():
        return InventorySnapshot((), (f"inventory {environment.inventory} does not exist",))
    files = sorted(p for p in path.rglob("*") if p.suffix in _INVENTORY_SUFFIXES) if path.is_dir() \
        else [path]
    objects: list[Mapping[str, object]] = []
    notes: list[str] = []
    for file in files:
        try:
            documents = list(yaml.load_all(file.read_text(encoding="utf-8"), Loader=_YAML_LOADER))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            notes.append(f"inventory {display_name(file, config.root)} is unreadable: {error}")
            continue
        objects.extend(d for d in documents if isinstance(d, dict))
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
    enterprise = environment.edition is Edition.ENTERPRISE
    inventory, inventory_problems = build_inventory([*snapshot.objects, *peers], enterprise_labels=enterprise)
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


# Above this many bytes of raw flow files, records are imported into the flow store (DuckDB)
# and read back aggregated per flow key: one row per key instead of one object per raw record.
STORE_THRESHOLD_BYTES = 1024 * 1024
STORE_SUFFIXES = (".duckdb", ".ddb")


@dataclass(slots=True)
class EnvironmentFlows:
    """Flow records of an environment, streamed; problems are counted and summarised as notes.

    Raw files above the threshold go through a flow store kept in `cache_dir`, keyed by the files'
    content: recorded flows rarely change between reviews, so later reviews read the aggregated
    store directly.
    """

    paths: tuple[Path, ...]
    cache_dir: Path | None = None
    errors: int = 0
    samples: list[str] = field(default_factory=list)
    aggregated: str = ""  # "", "imported" or "cached"

    def records(self) -> Iterator[FlowRecord]:
        stores = [p for p in self.paths if p.suffix in STORE_SUFFIXES]
        raw = [p for p in self.paths if p.suffix not in STORE_SUFFIXES]
        for store in stores:
            yield from self._read(store)
        if sum(p.stat().st_size for p in raw) > STORE_THRESHOLD_BYTES:
            yield from self._through_store(raw)
        else:
            for path in raw:
                yield from self._read(path)

    def _problem(self, text: str) -> None:
        self.errors += 1
        if len(self.samples) < 3:
            self.samples.append(text)

    def _read(self, path: Path) -> Iterator[FlowRecord]:
        try:
            for item in read_flows(path):
                if isinstance(item, FlowError):
                    if item.severity is Severity.ERROR:
                        self._problem(f"{item.diagnostic.span}: {item.diagnostic.message}")
                    continue
                yield item
        except (InputError, StoreError) as error:
            self._problem(f"{path.name}: {error}")

    def _through_store(self, paths: Sequence[Path]) -> Iterator[FlowRecord]:
        cached = self._cache_path(paths)
        if cached is not None and cached.is_file():
            self.aggregated = "cached"
            yield from self._read(cached)
            return
        self.aggregated = "imported"
        with tempfile.TemporaryDirectory(prefix="tierguard-flows-", dir=self._scratch_parent()) as scratch:
            location = Path(scratch) / "review.duckdb"
            with FlowStore(location) as store:
                report = store.import_files(list(paths))
                for code, count in report.problem_counts.items():
                    if code in _ERROR_CODES:
                        self.errors += count
                self.samples.extend(f"{d.span}: {d.message}" for d in report.diagnostics[:3]
                                    if d.severity is Severity.ERROR)
                yield from store.records()
            if cached is not None and not self.errors:
                os.replace(location, cached)  # atomic: a concurrent review sees all or nothing

    def _scratch_parent(self) -> str | None:
        return str(self.cache_dir) if self.cache_dir is not None and self.cache_dir.is_dir() else None

    def _cache_path(self, paths: Sequence[Path]) -> Path | None:
        if self.cache_dir is None:
            return None
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
        except OSError:
            self.cache_dir = None
            return None
        digest = hashlib.sha256(f"store-schema-{SCHEMA_VERSION}".encode())
        for path in paths:
            digest.update(f"{path.name}\0{content_hash(path)}\0".encode())
        return self.cache_dir / f"flows-{digest.hexdigest()[:24]}.duckdb"

    @property
    def notes(self) -> tuple[str, ...]:
        notes = []
        if self.aggregated:
            notes.append(f"flow records were aggregated per flow key by the flow store "
                         f"({'read from the cache' if self.aggregated == 'cached' else 'imported now'})")
        if self.errors:
            notes.append(f"{self.errors} malformed flow records were skipped "
                         f"(e.g. {'; '.join(self.samples[:3])})")
        return tuple(notes)


_ERROR_CODES = frozenset(doc.code for doc in flow_codes.CODES if doc.default_severity is Severity.ERROR)


def environment_flows(config: Config, environment: Environment,
                      cache_dir: Path | None = None) -> tuple[EnvironmentFlows, tuple[str, ...]]:
    """The environment's flow inputs: a file, a directory, a glob, or a flow store."""
    if not environment.flows:
        return EnvironmentFlows(()), (f"no flows configured for {environment.name}: nothing to replay",)
    pattern = str(config.root / environment.flows)
    if glob.has_magic(environment.flows):
        files = tuple(Path(p) for p in sorted(glob.glob(pattern, recursive=True)) if Path(p).is_file())
    elif Path(pattern).is_dir():  # every flow file (or store) in the directory, in name order
        files = tuple(sorted(p for p in Path(pattern).rglob("*")
                             if p.is_file() and not p.name.startswith(".")))
    else:
        files = (Path(pattern),) if Path(pattern).is_file() else ()
    if not files:
        return EnvironmentFlows(()), (f"flows {environment.flows} match no file: nothing to replay",)
    return EnvironmentFlows(files, cache_dir), ()


def authorize(base_config: Config, head_config: Config, environment: Environment, base: Prepared,
              head: Prepared, authors: Sequence[Author]) -> tuple[RbacDecision, ...]:
    return rbac_bridge.decisions(base_config, head_config, environment, base.resources,
                                 head.resources, base.sources, head.sources, authors)
