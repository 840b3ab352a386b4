"""Read an inventory file (YAML or JSON, a `List` or a stream of objects) into an `Inventory`."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from tierguard.diagnostics import Diagnostic, Severity, Span
from tierguard.inventory import codes
from tierguard.inventory.build import build_inventory
from tierguard.inventory.model import Inventory
from tierguard.loader.nodes import LMap, LSeq
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


def load_inventory(path: str | Path, *, enterprise_labels: bool = False) -> tuple[Inventory, list[Diagnostic]]:
    """Read `path` and build the inventory. Problems become diagnostics; this never raises for bad input."""
    file = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        return _empty(), [Diagnostic(codes.INVENTORY_UNREADABLE, Severity.ERROR,
                                     f"cannot read inventory: {error.strerror or error}", Span(file, 1, 1, 1, 2))]
    text, problem = decode_source(data, file, INVENTORY_LIMITS)
    if text is None:
        return _empty(), [problem] if problem else []
    return inventory_from_text(text, file, enterprise_labels=enterprise_labels)


def inventory_from_text(text: str, file: str, *, enterprise_labels: bool = False) -> tuple[Inventory, list[Diagnostic]]:
    """Like `load_inventory` for text already in memory (e.g. stdin)."""
    reader = _from_json if text.lstrip().startswith(("{", "[")) else _from_yaml
    objects, spans, diagnostics = reader(text, file)
    inventory, built = build_inventory(objects, enterprise_labels=enterprise_labels, spans=spans)
    return inventory, diagnostics + built
