"""Object metadata shared by every modelled kind."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from tierguard.diagnostics import ResourceRef, Span
from tierguard.loader.nodes import LMap
from tierguard.model.located import Text, mapping, str_map, text


@dataclass(frozen=True, slots=True)
class Meta:
    api_version: str
    kind: str
    name: str
    namespace: str  # "" when absent (the kustomization or kubectl context supplies it)
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    span: Span | None = None  # the whole document
    name_text: Text | None = None
    namespace_text: Text | None = None

    @property
    def ref(self) -> ResourceRef:
        return ResourceRef(self.kind, self.name, self.namespace)


def read_meta(root: LMap) -> Meta:
    metadata = mapping(root.get("metadata"))
    name, namespace = text(metadata, "name"), text(metadata, "namespace")
    api_version, kind = text(root, "apiVersion"), text(root, "kind")
    return Meta(
        api_version=api_version.value if api_version else "",
        kind=kind.value if kind else "",
        name=name.value if name else "",
        namespace=namespace.value if namespace else "",
        labels=str_map(metadata, "labels"),
        annotations=str_map(metadata, "annotations"),
        span=root.span,
        name_text=name,
        namespace_text=namespace,
    )
