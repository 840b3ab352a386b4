"""Mapping diagnostics on a rendered overlay back to source files (stand-in rendered text, no kubectl)."""

from __future__ import annotations

from pathlib import Path

from tierguard.diagnostics import Diagnostic, ResourceRef, Severity, Span
from tierguard.loader.resources import extract_resources
from tierguard.loader.sourcemap import SourceIndex, kustomization_sources, remap
from tierguard.loader.yaml_source import load_yaml_text

SOURCE = """\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: allow-web
spec:
  selector: app == 'web' &&
  order: 10
"""
# What `kustomize build` with `namespace: shop` and a patch of `order` would print (stand-in).
RENDERED = """\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: allow-web
  namespace: shop
spec:
  order: 20
  selector: app == 'web' &&
"""
STREAM = "<kustomize overlays/dev>"


def _repo(tmp_path: Path) -> Path:
    files = {
        "policies/kustomization.yaml": "resources: [web.yaml, sub]\n",
        "policies/web.yaml": SOURCE,
        "policies/sub/kustomization.yaml": "resources: [other.yaml]\n",
        "policies/sub/other.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n",
        "components/extra/kustomization.yaml": "kind: Component\nresources: [extra.yaml]\n",
        "components/extra/extra.yaml": "apiVersion: v1\nkind: Namespace\nmetadata: {name: extra}\n",
        "overlays/dev/kustomization.yaml": ("namespace: shop\nresources:\n- ../../policies\n"
                                            "- https://github.com/org/repo//base?ref=v1\n"
                                            "components: [../../components/extra]\n"),
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def test_kustomization_graph_is_walked(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    found = [p.relative_to(root.resolve()).as_posix() for p in kustomization_sources(root / "overlays/dev")]
    assert found == ["policies/web.yaml", "components/extra/extra.yaml", "policies/sub/other.yaml"]


def _rendered_resource():  # type: ignore[no-untyped-def]
    [resource] = extract_resources(load_yaml_text(RENDERED, STREAM).documents).resources
    return resource


def test_selector_column_is_moved_to_the_source_line(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    index = SourceIndex.build(kustomization_sources(root / "overlays/dev"), root)
    rendered = _rendered_resource()
    diag = Diagnostic("CAL212", Severity.ERROR, "bad selector", Span(STREAM, 8, 28, 8, 29),
                      ResourceRef("NetworkPolicy", "allow-web", "shop"), "spec.selector")
    moved = remap(diag, rendered, index)
    assert moved.span == Span("policies/web.yaml", 6, 28, 6, 29)
    assert ("rendered", f"{STREAM}:8:28") in moved.data


def test_patched_value_stays_in_the_rendered_stream(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    index = SourceIndex.build(kustomization_sources(root / "overlays/dev"), root)
    diag = Diagnostic("X", Severity.ERROR, "order", Span(STREAM, 7, 10, 7, 12),
                      ResourceRef("NetworkPolicy", "allow-web", "shop"), "spec.order")
    kept = remap(diag, _rendered_resource(), index)
    assert kept.span == diag.span
    assert ("source", "policies/web.yaml:1:1") in kept.data


def test_ambiguous_sources_are_not_guessed(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / "policies/copy.yaml").write_text(SOURCE)
    files = [root / "policies/web.yaml", root / "policies/copy.yaml"]
    index = SourceIndex.build(files, root)
    diag = Diagnostic("CAL212", Severity.ERROR, "bad", Span(STREAM, 8, 28, 8, 29),
                      ResourceRef("NetworkPolicy", "allow-web", "shop"), "spec.selector")
    assert remap(diag, _rendered_resource(), index) == diag
