"""Documents to Kubernetes resource documents: `kind: List` flattening and type-field extraction."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from tierguard.diagnostics import Diagnostic, ResourceRef, Severity, Span
from tierguard.loader import codes
from tierguard.loader.nodes import Document, LMap, LScalar, LSeq, Node


@dataclass(frozen=True, slots=True)
class ResourceDoc:
    """One Kubernetes object as written: its located root mapping plus the identifying fields.

    `path_prefix` is the field path of the object inside its document ("" for a top-level
    object, "items[3]" for the fourth item of a `kind: List`).
    """

    root: LMap
    api_version: str
    kind: str
    name: str
    namespace: str
    file: str
    document_index: int
    path_prefix: str = ""

    @property
    def ref(self) -> ResourceRef:
        """The object's kind, name and namespace."""
        return ResourceRef(self.kind, self.name, self.namespace)

    @property
    def span(self) -> Span:
        """Where the object's mapping is."""
        return self.root.span

    @property
    def group(self) -> str:
        """The API group ('' for the core group), e.g. 'projectcalico.org'."""
        return self.api_version.rpartition("/")[0]

    def field(self, path: str) -> str:
        """A field path inside this object, prefixed for `kind: List` items."""
        if not self.path_prefix:
            return path
        return f"{self.path_prefix}.{path}" if path else self.path_prefix


@dataclass(frozen=True, slots=True)
class ExtractResult:
    """The objects found in some documents, and the diagnostics of documents that are not objects."""

    resources: tuple[ResourceDoc, ...]
    diagnostics: tuple[Diagnostic, ...]


def scalar_text(node: Node | None) -> str | None:
    """The text of a scalar node holding a non-empty string, else None."""
    if isinstance(node, LScalar) and isinstance(node.value, str) and node.value:
        return node.value
    return None


def _kind_name(node: Node) -> str:
    if isinstance(node, LSeq):
        return "a sequence"
    if isinstance(node, LScalar):
        return "null" if node.value is None else f"a scalar ({type(node.value).__name__})"
    return "a mapping"


def _not_mapping(node: Node, where: str) -> Diagnostic:
    return Diagnostic(codes.YAML_NOT_MAPPING, Severity.ERROR,
                      f"{where} is {_kind_name(node)}, not a Kubernetes object (a mapping with "
                      "apiVersion and kind)", node.span)


def _missing_type(root: LMap, prefix: str) -> Diagnostic | None:
    for key in ("apiVersion", "kind"):
        value = root.get(key)
        if value is None:
            return Diagnostic(codes.YAML_MISSING_TYPE, Severity.ERROR,
                              f"object has no '{key}'; every Kubernetes object needs apiVersion and kind",
                              root.span, field_path=f"{prefix}.{key}" if prefix else key)
        if scalar_text(value) is None:
            return Diagnostic(codes.YAML_MISSING_TYPE, Severity.ERROR,
                              f"'{key}' must be a non-empty string", value.span,
                              field_path=f"{prefix}.{key}" if prefix else key)
    return None


def _resource(root: LMap, document: Document, prefix: str) -> ResourceDoc:
    metadata = root.get("metadata")
    name = namespace = ""
    if isinstance(metadata, LMap):
        name = scalar_text(metadata.get("name")) or ""
        namespace = scalar_text(metadata.get("namespace")) or ""
    return ResourceDoc(root, scalar_text(root.get("apiVersion")) or "", scalar_text(root.get("kind")) or "",
                       name, namespace, document.file, document.index, prefix)


def _is_list(root: LMap) -> bool:
    return scalar_text(root.get("kind")) == "List" and scalar_text(root.get("apiVersion")) == "v1"


def _from_document(document: Document) -> Iterator[ResourceDoc | Diagnostic]:
    root = document.root
    if isinstance(root, LScalar) and root.value is None:
        return  # an empty document (`---` twice, or a trailing `---`): kubectl skips it too
    if not isinstance(root, LMap):
        yield _not_mapping(root, f"document {document.index + 1}")
        return
    if not _is_list(root):
        yield _missing_type(root, "") or _resource(root, document, "")
        return
    items = root.get("items")
    if items is None or (isinstance(items, LScalar) and items.value is None):
        return
    if not isinstance(items, LSeq):
        yield Diagnostic(codes.YAML_MISSING_TYPE, Severity.ERROR, "'items' of a List must be a sequence",
                         items.span, field_path="items")
        return
    for position, item in enumerate(items):
        prefix = f"items[{position}]"
        if not isinstance(item, LMap):
            yield _not_mapping(item, f"List item {position}")
            continue
        yield _missing_type(item, prefix) or _resource(item, document, prefix)


def extract_resources(documents: Iterable[Document]) -> ExtractResult:
    """Every object of the documents, Lists flattened; bad documents become diagnostics."""
    resources: list[ResourceDoc] = []
    diagnostics: list[Diagnostic] = []
    for document in documents:
        for outcome in _from_document(document):
            if isinstance(outcome, Diagnostic):
                diagnostics.append(outcome)
            else:
                resources.append(outcome)
    return ExtractResult(tuple(resources), tuple(diagnostics))
