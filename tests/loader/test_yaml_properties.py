"""Property tests: the located loader agrees with PyYAML on values, and spans point at the text."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from tierguard.loader.codes import YAML_EMPTY
from tierguard.loader.nodes import LMap, LScalar, LSeq, Node
from tierguard.loader.yaml_source import load_yaml_text

_KEYS = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-_./0123456789", min_size=1, max_size=12)
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                     st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=20))
_DATA = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(_KEYS, inner, max_size=4)), max_leaves=20)


def _scalars(node: Node) -> list[LScalar]:
    if isinstance(node, LScalar):
        return [node]
    if isinstance(node, LSeq):
        return [s for item in node for s in _scalars(item)]
    return [s for key, value in node.entries for s in [key, *_scalars(value)]]


@settings(max_examples=150, deadline=None)
@given(_DATA, st.sampled_from([False, None, True]))
def test_values_match_pyyaml_and_spans_point_at_the_text(data: Any, flow: bool | None) -> None:
    text = yaml.safe_dump({"root": data}, default_flow_style=flow, allow_unicode=True)
    result = load_yaml_text(text, "f.yaml")
    assert result.diagnostics == ()
    [document] = result.documents
    assert document.root.to_plain() == {"root": data}
    lines = text.split("\n")
    for scalar in _scalars(document.root):
        span = scalar.span
        assert 1 <= span.line <= len(lines) and span.col >= 1
        if isinstance(scalar.value, str) and scalar.value and scalar.style == "" and span.line == span.end_line:
            # A plain single-line scalar's span is exactly its text.
            assert lines[span.line - 1][span.col - 1:span.end_col - 1] == scalar.value


@settings(max_examples=100, deadline=None)
@given(st.lists(st.dictionaries(_KEYS, _SCALARS, min_size=1, max_size=3), min_size=1, max_size=4))
def test_multi_document_indexes_and_lines(documents: list[dict[str, Any]]) -> None:
    text = yaml.safe_dump_all(documents, explicit_start=True)
    result = load_yaml_text(text, "f.yaml")
    assert [d.index for d in result.documents] == list(range(len(documents)))
    assert [d.root.to_plain() for d in result.documents] == documents
    assert all(isinstance(d.root, LMap) for d in result.documents)


def _blank_or_comments(text: str) -> bool:
    """The loader's former emptiness test, kept as the reference of the one that stops early."""
    return not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines())


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.sampled_from(list(" \t\n\r\x0b\x0c\x1c\x1e\x85\u2028\u3000#a")), max_size=14))
def test_empty_file_warning_exactly_for_blank_or_comment_only_text(text: str) -> None:
    codes = [d.code for d in load_yaml_text(text, "f.yaml").diagnostics]
    assert (codes == [YAML_EMPTY]) == _blank_or_comments(text)
