"""kind: List flattening, type-field extraction, and non-mapping documents."""

from __future__ import annotations

from tierguard.loader.resources import extract_resources
from tierguard.loader.yaml_source import load_yaml_text


def _extract(text: str):  # type: ignore[no-untyped-def]
    return extract_resources(load_yaml_text(text, "f.yaml").documents)


def test_list_is_flattened_with_item_paths() -> None:
    result = _extract("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Namespace\n  metadata:\n"
                      "    name: a\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata: {name: b, namespace: a}\n")
    assert [(r.kind, r.name, r.namespace, r.path_prefix, r.span.line) for r in result.resources] == [
        ("Namespace", "a", "", "items[0]", 4), ("ServiceAccount", "b", "a", "items[1]", 8)]
    assert result.resources[1].field("metadata.name") == "items[1].metadata.name"
    assert result.diagnostics == ()


def test_multi_document_and_groups() -> None:
    result = _extract("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata: {name: t}\n---\n"
                      "apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n")
    assert [(r.group, r.kind, r.document_index) for r in result.resources] == [
        ("projectcalico.org", "Tier", 0), ("", "Namespace", 1)]


def test_non_mapping_documents_and_items() -> None:
    result = _extract("- a\n---\n42\n---\napiVersion: v1\nkind: List\nitems: [7]\n")
    assert [(d.code, d.span.line, d.span.col) for d in result.diagnostics] == [
        ("YML005", 1, 1), ("YML005", 3, 1), ("YML005", 7, 9)]
    assert "a sequence" in result.diagnostics[0].message
    assert "a scalar (int)" in result.diagnostics[1].message


def test_missing_or_non_string_type_fields() -> None:
    result = _extract("kind: Namespace\n---\napiVersion: v1\nkind: [x]\n")
    assert [(d.code, d.span.line, d.field_path) for d in result.diagnostics] == [
        ("YML009", 1, "apiVersion"), ("YML009", 4, "kind")]


def test_empty_documents_are_skipped_like_kubectl_does() -> None:
    result = _extract("---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n---\n---\n")
    assert [r.name for r in result.resources] == ["a"]
    assert result.diagnostics == ()
