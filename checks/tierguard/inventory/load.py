"""Read an inventory file (YAML or JSON, a `List` or a stream of objects) into an `Inventory`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from tierguard.diagnostics import Diagnostic, Severity, Span
from tierguard.inventory import codes
from tierguard.inventory.build import build_inventory
from tierguard.inventory.model import Inventory
from tierguard.loader.nodes import LMap, LSeq
from tierguard.loader.resources import ResourceDoc
from tierguard.loader.yaml_source import Limits, decode_source, load_yaml_text

# Inventories of large clusters are big; they are data we read, not manifests we apply.
INVENTORY_LIMITS = Limits(max_bytes=512 * 1024 * 1024, max_nodes=200_000_000)


def _empty() -> Inventory:
    return Inventory.create((), {}, {}, (), ())


def _from_json(text: str, file: str) -> tuple[list[Mapping[str, object]], list[Span | None], list[Diagnostic]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        span = Span(file, error.lineno, error.colno, error.lineno, error.colno + 1)
        return [], [], [Diagnostic(codes.INVENTORY_UNREADABLE, Severity.ERROR,
                                   f"inventory is not valid JSON: {error.msg}", span)]
    objects = data if isinstance(data, list) else [data]
    return objects, [Span(file, 1, 1, 1, 2)] * len(objects), []


def _from_yaml(text: str, file: str) -> tuple[list[Mapping[str, object]], list[Span | None], list[Diagnostic]]:
    result = load_yaml_text(text, file, INVENTORY_LIMITS)
    objects: list[Mapping[str, object]] = []
    spans: list[Span | None] = []
    diagnostics = list(result.diagnostics)
    for document in result.documents:
        root = document.root
        items = root.get("items") if isinstance(root, LMap) else None
        if isinstance(root, LMap) and isinstance(items, LSeq):
            for item in items:  # keep each List item's own location
                if isinstance(item, LMap):
                    objects.append(item.to_plain())
                    spans.append(item.span)
                else:
                    diagnostics.append(Diagnostic(codes.INVENTORY_BAD_OBJECT, Severity.ERROR,
                                                  "inventory item is not a mapping", item.span))
        elif isinstance(root, LMap):
            objects.append(root.to_plain())
            spans.append(root.span)
        else:
            diagnostics.append(Diagnostic(codes.INVENTORY_UNREADABLE, Severity.ERROR,
                                          "inventory document is not a mapping", root.span))
    return objects, spans, diagnostics


RepositoryObject = tuple[Mapping[str, object], Span | None]

# Calico objects a policy repository may define that are endpoints for selectors, not policies.
REPOSITORY_ENDPOINT_KINDS = frozenset({"NetworkSet", "GlobalNetworkSet", "HostEndpoint"})


def repository_objects(resources: Iterable[ResourceDoc]) -> list[RepositoryObject]:
    """The repository's NetworkSets, GlobalNetworkSets and HostEndpoints, with their source spans."""
    return [(r.root.to_plain(), r.span) for r in resources
            if r.kind in REPOSITORY_ENDPOINT_KINDS and r.api_version == "projectcalico.org/v3"]


def load_inventory(path: str | Path, *, enterprise_labels: bool = False,
                   repository_objects: Sequence[RepositoryObject] = ()) -> tuple[Inventory, list[Diagnostic]]:
    """Read `path` and build the inventory. Problems become diagnostics; this never raises for bad input.

    `repository_objects` are the NetworkSets, GlobalNetworkSets and HostEndpoints kept in the policy
    repository (with their source spans); see `inventory_from_text`.
    """
    file = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        return _empty(), [Diagnostic(codes.INVENTORY_UNREADABLE, Severity.ERROR,
                                     f"cannot read inventory: {error.strerror or error}", Span(file, 1, 1, 1, 2))]
    text, problem = decode_source(data, file, INVENTORY_LIMITS)
    if text is None:
        return _empty(), [problem] if problem else []
    return inventory_from_text(text, file, enterprise_labels=enterprise_labels,
                               repository_objects=repository_objects)


def _identity(obj: Mapping[str, object]) -> tuple[str, str, str]:
    metadata = obj.get("metadata")
    meta = metadata if isinstance(metadata, Mapping) else {}
    return (str(obj.get("kind", "")), str(meta.get("namespace", "") or ""), str(meta.get("name", "")))


def _identities(objects: Sequence[Mapping[str, object]]) -> set[tuple[str, str, str]]:
    """(kind, namespace, name) of every object, looking inside `kind: List` objects."""
    found: set[tuple[str, str, str]] = set()
    for obj in objects:
        items = obj.get("items")
        if obj.get("kind") == "List" and isinstance(items, list):
            found |= _identities([i for i in items if isinstance(i, Mapping)])
        else:
            found.add(_identity(obj))
    return found


def inventory_from_text(text: str, file: str, *, enterprise_labels: bool = False,
                        repository_objects: Sequence[RepositoryObject] = ()) -> tuple[Inventory, list[Diagnostic]]:
    """Like `load_inventory` for text already in memory (e.g. stdin).

    Repository objects join the recorded snapshot before the inventory is built, so namespaced
    NetworkSets inherit their namespace's labels; an object the snapshot already holds (same kind,
    namespace and name) keeps the snapshot's version, which is what the cluster had.
    """
    reader = _from_json if text.lstrip().startswith(("{", "[")) else _from_yaml
    objects, spans, diagnostics = reader(text, file)
    recorded = _identities(objects)
    for obj, span in repository_objects:
        if _identity(obj) not in recorded:
            objects.append(obj)
            spans.append(span)
    inventory, built = build_inventory(objects, enterprise_labels=enterprise_labels, spans=spans)
    return inventory, diagnostics + built
