"""Differential property tests: the event-based loader equals the old compose-and-convert loader.

Equality is on everything a caller can see: every document's tree (values, spans, styles, keys)
and every diagnostic (code, message, span, hint), on random YAML that includes anchors and
aliases, tags, quoting and block styles, duplicate keys and anchors, undefined and recursive
aliases, syntax errors, several documents, and node budgets small enough to trip.
"""

from __future__ import annotations

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from loader_reference import reference_load_yaml_text
from tierguard.loader.yaml_source import Limits, load_yaml_text

_KEYS = ["a", "b", "kind", "name", "1", "true", "null", "'a'", '"b"', "<<", "? c"]
_SCALARS = ["x", "0", "17", "017", "0x1f", "0o17", "1_000", "1:20", "-3", "+4", "1.5", "1e3", ".inf", "-.Inf",
            ".nan", "yes", "No", "on", "off", "true", "False", "~", "null", "", "2001-12-14", "2001-12-14 21:59:43.1",
            "10.0.0.0/24", "app == 'x' && b", "&&", "a & b", "=", "<<", "'quoted'", '"dq \\t \\u00e9"', "'it''s'",
            "!!str 5", "!!int 7", "!!int x", "!!float 1", "!!bool yes", "!!null ''", "!!binary aGk=",
            "!!timestamp 2001-12-14", "!!bool x", "!!int ''", "!foo bar", "! 12", "!!map x", "!!python/none ''", "!!merge <<", "é ü"]
_ANCHORS = ["a", "b"]


@st.composite
def _node(draw: st.DrawFn, indent: int, depth: int) -> str:
    """A YAML value written inline after `key: ` or `- ` at `indent` (block values start a new line)."""
    prefix = ""
    if draw(st.integers(0, 11)) == 0:
        return "*" + draw(st.sampled_from(_ANCHORS))
    if draw(st.integers(0, 3)) == 0:
        prefix = "&" + draw(st.sampled_from(_ANCHORS)) + " "
    shape = draw(st.sampled_from(["scalar", "scalar", "block_map", "block_seq", "flow", "literal"]) if depth < 3
                 else st.just("scalar"))
    pad = " " * max(indent + 2, 1)
    if shape == "scalar":
        return prefix + draw(st.sampled_from(_SCALARS))
    if shape == "literal":
        return prefix + draw(st.sampled_from(["|", ">", "|-", ">+"])) + "\n" + pad + "line one\n" + pad + "line two"
    if shape == "flow":
        items = draw(st.lists(st.sampled_from([s for s in _SCALARS[:30] if s] + ["&b y", "*a"]), max_size=4))
        if draw(st.booleans()):
            return prefix + "[" + ", ".join(items) + "]"
        keys = draw(st.lists(st.sampled_from(_KEYS[:6]), min_size=len(items), max_size=len(items)))
        return prefix + "{" + ", ".join(f"{k}: {v}" for k, v in zip(keys, items)) + "}"
    count = draw(st.integers(1, 3))
    lines = []
    for _ in range(count):
        child = draw(_node(indent + 2, depth + 1))
        if shape == "block_map":
            lines.append(f"{pad}{draw(st.sampled_from(_KEYS))}: {child}")
        else:
            lines.append(f"{pad}- {child}")
    return prefix.rstrip() + "\n" + "\n".join(lines)


@st.composite
def _documents(draw: st.DrawFn) -> str:
    documents = []
    for _ in range(draw(st.integers(1, 3))):
        body = draw(_node(-2, 0))
        documents.append(body.lstrip("\n") if not body.startswith(("&", "*")) else body)
    text = "\n---\n".join(documents) + "\n"
    if draw(st.integers(0, 5)) == 0:  # damage the text somewhere
        position = draw(st.integers(0, len(text)))
        text = text[:position] + draw(st.sampled_from(["[", "]", ": :", "\t", "\n  - x\n", "{", "'", "%", "*"])) \
            + text[position:]
    return text


def _same(text: str, limits: Limits) -> None:
    expected = reference_load_yaml_text(text, "f.yaml", limits)
    actual = load_yaml_text(text, "f.yaml", limits)
    assert repr(actual) == repr(expected)
    assert [(d.root, d.file, d.index) for d in actual.documents if repr(d.root).count("nan") == 0] \
        == [(d.root, d.file, d.index) for d in expected.documents if repr(d.root).count("nan") == 0]
    assert actual.diagnostics == expected.diagnostics


@settings(max_examples=600, deadline=None)
@given(_documents(), st.sampled_from([2_000_000, 2_000_000, 40, 12, 5, 1]))
def test_random_yaml_gives_the_same_result_as_the_reference(text: str, max_nodes: int) -> None:
    _same(text, Limits(max_nodes=max_nodes))


_DATA = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False),
              st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)), max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(st.lists(_DATA, min_size=1, max_size=3), st.sampled_from([False, None, True]), st.booleans())
def test_dumped_data_gives_the_same_result_as_the_reference(data: list[object], flow: bool | None,
                                                            canonical: bool) -> None:
    text = yaml.safe_dump_all(data, default_flow_style=flow, allow_unicode=True, canonical=canonical)
    _same(text, Limits())


def test_shared_cases() -> None:
    cases = [
        "a: &x [1, *x]\n",  # recursive alias
        "a: &x 1\nb: &x 2\n",  # duplicate anchor
        "a: *b\n",  # undefined alias
        "a: 1\na: 2\nb: [\n",  # duplicate key, then a syntax error in the same document wins
        "a: 1\n---\nb: 1\nb: 2\n---\nc: [\n",
        "x: &a [1, 2]\ny: *a\nz: *a\ns: a && b\n",
        "? [1, 2]\n: v\n? {k: v}\n: w\n",
        "--- 1\n--- !!str 2\n---\n...\n",
        "a: " + "[" * 1200 + "]" * 1200 + "\n",
    ]
    for text in cases:
        for max_nodes in (2_000_000, 3):
            _same(text, Limits(max_nodes=max_nodes))
