"""Point diagnostics on a rendered overlay back at the source file line, when that is unambiguous.

Approach: walk the overlay's kustomization graph (`resources`, `components`, `bases`; local paths
only) to collect the source files, and index their objects by (kind, namespace, name) and by
(kind, name) -- kustomize's `namespace:` may change the namespace. A diagnostic on a rendered
object is moved to the source only when exactly one source object matches, the diagnostic's
field path exists in that source object, and the source value is the rendered one (or holds a
Flux `${var}`, which substitution replaced). Otherwise it keeps its position in the rendered
stream and gains a `source` entry naming the source object's file and line, if one was found.
Patches, name prefixes and generators therefore leave diagnostics in the rendered stream, which
is always correct, just less convenient.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tierguard.diagnostics import Diagnostic, ResourceRef, Span
from tierguard.loader import paths
from tierguard.loader.files import display_name, load_file
from tierguard.loader.kustomize import kustomization_file
from tierguard.loader.nodes import LMap, LScalar, LSeq, Node
from tierguard.loader.resources import ResourceDoc, extract_resources
from tierguard.loader.yaml_source import Limits

_GRAPH_KEYS = ("resources", "components", "bases")


def _entries(kustomization: Path, limits: Limits) -> Iterator[str]:
    loaded = load_file(kustomization, str(kustomization), limits)
    for document in loaded.documents:
        if not isinstance(document.root, LMap):
            continue
        for key in _GRAPH_KEYS:
            values = document.root.get(key)
            if isinstance(values, LSeq):
                yield from (str(v.value) for v in values if isinstance(v, LScalar) and v.value)


def kustomization_sources(overlay: Path, limits: Limits = Limits()) -> tuple[Path, ...]:
    """Every local resource file the overlay's kustomization graph includes, each once."""
    found: list[Path] = []
    visited: set[Path] = set()
    pending = [overlay]
    while pending:
        directory = pending.pop(0).resolve()
        if directory in visited:
            continue
        visited.add(directory)
        kustomization = kustomization_file(directory)
        if kustomization is None:
            continue
        for entry in _entries(kustomization, limits):
            if "://" in entry or entry.startswith(("github.com/", "git@")):
                continue  # remote bases cannot be read offline; they stay in the rendered stream
            target = (directory / entry).resolve()
            if target.is_dir():
                pending.append(target)
            elif target.is_file() and target not in found:
                found.append(target)
    return tuple(found)


@dataclass(frozen=True, slots=True)
class SourceIndex:
    """Source objects by (kind, namespace, name) and by (kind, name)."""

    by_full: dict[tuple[str, str, str], tuple[ResourceDoc, ...]]
    by_name: dict[tuple[str, str], tuple[ResourceDoc, ...]]

    @classmethod
    def build(cls, files: Iterable[Path], root: Path, limits: Limits = Limits()) -> SourceIndex:
        """Index every object of `files` (names relative to `root`)."""
        full: dict[tuple[str, str, str], list[ResourceDoc]] = {}
        named: dict[tuple[str, str], list[ResourceDoc]] = {}
        for path in files:
            loaded = load_file(path, display_name(path, root), limits)
            for resource in extract_resources(loaded.documents).resources:
                full.setdefault((resource.kind, resource.namespace, resource.name), []).append(resource)
                named.setdefault((resource.kind, resource.name), []).append(resource)
        return cls({k: tuple(v) for k, v in full.items()}, {k: tuple(v) for k, v in named.items()})

    def source_of(self, ref: ResourceRef) -> ResourceDoc | None:
        """The one source object a rendered object comes from, or None when unknown or ambiguous."""
        exact = self.by_full.get((ref.kind, ref.namespace, ref.name), ())
        if len(exact) == 1:
            return exact[0]
        if exact:
            return None
        named = self.by_name.get((ref.kind, ref.name), ())
        return named[0] if len(named) == 1 else None


def _same_value(source: Node, rendered: Node) -> bool:
    if isinstance(source, LScalar) and isinstance(rendered, LScalar):
        if isinstance(source.value, str) and "$" in source.value:
            return True
        return source.value == rendered.value
    return type(source) is type(rendered)


def _quote(node: LScalar) -> int:
    return 1 if node.style in ("'", '"') else 0


def _moved(span: Span, rendered: Node, source: Node) -> Span:
    """`span` re-based from the rendered node onto the source node (keeps an in-scalar offset)."""
    start = rendered.span
    if (span.line == start.line and span.end_line == span.line and span.col >= start.col
            and isinstance(source, LScalar) and isinstance(rendered, LScalar)
            and source.value == rendered.value and source.span.line == source.span.end_line):
        # The offset inside the value; quoting may differ between the source and kustomize's output.
        offset = span.col - start.col - _quote(rendered)
        return source.span.shifted(max(offset, 0) + _quote(source), span.end_col - span.col)
    return source.span


def remap(diagnostic: Diagnostic, rendered: ResourceDoc, index: SourceIndex) -> Diagnostic:
    """The diagnostic pointed at its source file, or annotated with the source object's location."""
    if diagnostic.span is None or diagnostic.span.file != rendered.file:
        return diagnostic
    source = index.source_of(rendered.ref)
    if source is None:
        return diagnostic
    local_path = diagnostic.field_path
    if rendered.path_prefix and local_path.startswith(rendered.path_prefix):
        local_path = local_path[len(rendered.path_prefix):].lstrip(".")
    rendered_node = paths.node_at(rendered.root, local_path) if local_path else None
    source_node = paths.node_at(source.root, local_path) if local_path else None
    rendered_at = ("rendered", str(diagnostic.span))
    if rendered_node is not None and source_node is not None and _same_value(source_node, rendered_node):
        span = _moved(diagnostic.span, rendered_node, source_node)
        return dataclasses.replace(diagnostic, span=span, data=diagnostic.data + (rendered_at,))
    return dataclasses.replace(diagnostic, data=diagnostic.data + (("source", str(source.span)),))


def remap_all(diagnostics: Iterable[Diagnostic], rendered: Iterable[ResourceDoc],
              index: SourceIndex) -> list[Diagnostic]:
    """Remap every diagnostic that belongs to a rendered object (matched by its resource ref)."""
    by_ref = {r.ref: r for r in rendered}
    out: list[Diagnostic] = []
    for diagnostic in diagnostics:
        target = by_ref.get(diagnostic.resource) if diagnostic.resource is not None else None
        out.append(remap(diagnostic, target, index) if target is not None else diagnostic)
    return out
