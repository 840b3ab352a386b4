"""Run the lints for one environment of tierguard.yaml (the only part of `lint` that reads files).

Used by `validate_environment`: the environment's inventory is loaded from `inventory:` in
tierguard.yaml, network sets and host endpoints of the rendered overlay are added to it, and
the findings are pointed back at source files like every other validation diagnostic.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from tierguard.config.model import Config, Environment
from tierguard.diagnostics import Diagnostic, Severity, Span
from tierguard.engine.ir import CalicoVersion, Edition
from tierguard.inventory.build import build_inventory
from tierguard.inventory.load import INVENTORY_LIMITS, load_inventory
from tierguard.inventory.model import Endpoint, EndpointKind, Inventory
from tierguard.lint import run_all
from tierguard.lint.context import build_context
from tierguard.loader.files import display_name, load_file
from tierguard.loader.nodes import LMap
from tierguard.loader.sourcemap import remap_all
from tierguard.validation.dispatch import Checked
from tierguard.validation.sources import LoadedEnvironment

_REPOSITORY_ENDPOINT_KINDS = frozenset({"NetworkSet", "GlobalNetworkSet", "HostEndpoint"})
_CALICO_API_VERSION = "projectcalico.org/v3"
_INVENTORY_SUFFIXES = (".yaml", ".yml", ".json")


def repository_endpoints(checked: Sequence[Checked], inventory: Inventory | None, edition: Edition
                         ) -> list[Endpoint]:
    """Network sets and host endpoints defined by the rendered resources, as endpoints.

    The inventory's namespaces are passed along so namespaced NetworkSets get their `pcns.` labels.
    """
    objects: list[dict[str, object]] = [
        item.resource.root.to_plain() for item in checked
        if item.resource.kind in _REPOSITORY_ENDPOINT_KINDS and item.resource.api_version == _CALICO_API_VERSION]
    if not objects:
        return []
    namespaces: list[dict[str, object]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns.name, "labels": dict(ns.labels)}}
        for ns in (inventory.namespaces.values() if inventory is not None else ())]
    # Problems in these objects (bad CIDRs, ...) are reported by the admission rules already.
    built, _ = build_inventory(namespaces + objects, enterprise_labels=edition is Edition.ENTERPRISE)
    return [e for e in built.endpoints if e.kind is not EndpointKind.WORKLOAD]


def _directory_inventory(directory: Path, root: Path, enterprise: bool) -> tuple[Inventory, list[Diagnostic]]:
    """Every YAML/JSON file below `directory`, as one inventory (a snapshot split into files)."""
    objects: list[Mapping[str, object]] = []
    spans: list[Span | None] = []
    diagnostics: list[Diagnostic] = []
    for path in sorted(p for p in directory.rglob("*") if p.suffix in _INVENTORY_SUFFIXES and p.is_file()):
        loaded = load_file(path, display_name(path, root), INVENTORY_LIMITS)
        diagnostics += loaded.diagnostics
        for document in loaded.documents:
            objects.append(document.root.to_plain() if isinstance(document.root, LMap) else {})
            spans.append(document.root.span)
    inventory, built = build_inventory(objects, enterprise_labels=enterprise, spans=spans)
    return inventory, diagnostics + built


def load_environment_inventory(config: Config, environment: Environment
                               ) -> tuple[Inventory | None, list[Diagnostic]]:
    """The environment's recorded inventory (a file or a directory of files), or None when it has none.

    A configured path that does not exist also gives None: the inventory lints then do not run
    (`simulate` and `review`, which cannot work without it, report the missing path).
    """
    if not environment.inventory:
        return None, []
    path = config.root / environment.inventory
    enterprise = environment.edition is Edition.ENTERPRISE
    if path.is_dir():
        return _directory_inventory(path, config.root, enterprise)
    if not path.is_file():
        return None, []
    return load_inventory(path, enterprise_labels=enterprise)


def lint_environment(config: Config, environment: Environment, loaded: LoadedEnvironment,
                     checked: Sequence[Checked]) -> list[Diagnostic]:
    """LNT9xx findings for an environment (inventory lints only when it has an inventory),
    plus the inventory's own load diagnostics, remapped to source files."""
    inventory, problems = load_environment_inventory(config, environment)
    # Only inventory errors are reported here (they make the lint results incomplete); notes and
    # warnings about recorded data belong to the commands that replay it.
    diagnostics = [d for d in problems if d.severity is Severity.ERROR]
    endpoints = list(inventory.endpoints) if inventory is not None else []
    known = {(e.kind, e.namespace, e.name) for e in endpoints}
    endpoints += [e for e in repository_endpoints(checked, inventory, environment.edition)
                  if (e.kind, e.namespace, e.name) not in known]
    ctx = build_context(checked, environment.calico_version, environment.edition, inventory, endpoints,
                        environment.inventory)
    found = remap_all(run_all(ctx), loaded.loaded.resources, loaded.sources)
    return diagnostics + found


def lint_resources(checked: Sequence[Checked], version: CalicoVersion, edition: Edition) -> list[Diagnostic]:
    """The lints that need no inventory, for files validated outside an environment (`validate PATH`).

    Resources still holding Flux `${var}` placeholders may not compile; they are linted in
    environment runs, after substitution.
    """
    ctx = build_context(checked, version, edition, None, repository_endpoints(checked, None, edition))
    return list(run_all(ctx))
