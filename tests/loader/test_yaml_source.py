"""The located YAML loader: tabs, duplicate keys, bombs, sizes."""

from __future__ import annotations

import time

from tierguard.loader.yaml_source import Limits, load_yaml_text


def _codes(text: str, limits: Limits = Limits()) -> list[tuple[str, int, int]]:
    return [(d.code, d.span.line, d.span.col) for d in load_yaml_text(text, "f.yaml", limits).diagnostics]


def test_tab_is_detected_at_the_error_mark() -> None:
    result = load_yaml_text("a:\n  b: 1\n\tc: 2\n", "f.yaml")
    [diag] = result.diagnostics
    assert (diag.code, diag.span.line, diag.span.col) == ("YML001", 3, 1)
    assert diag.message == "YAML syntax error: tab character in indentation"
    assert diag.hint is not None and "tab" in diag.hint


def test_tab_inside_a_value_is_fine() -> None:
    assert _codes("a: 'x\ty'\n") == []


def test_other_syntax_errors_keep_the_parser_message() -> None:
    [diag] = load_yaml_text("a: [1, 2\n", "f.yaml").diagnostics
    assert diag.code == "YML001" and diag.hint is None and "flow sequence" in diag.message


def test_duplicate_key() -> None:
    assert _codes("spec:\n  order: 1\n  order: 2\n") == [("YML002", 3, 3)]


def test_billion_laughs_is_refused_in_linear_time() -> None:
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi"):
        levels.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    started = time.perf_counter()
    result = load_yaml_text("\n".join(levels) + "\n", "f.yaml")
    assert time.perf_counter() - started < 1.0
    assert [(d.code, d.span.line) for d in result.diagnostics] == [("YML003", 7)]


def test_node_budget_applies_to_huge_plain_documents() -> None:
    text = "items:\n" + "".join(f"- {i}\n" for i in range(50))
    assert _codes(text, Limits(max_nodes=20)) == [("YML003", 19, 3)]


def test_text_over_the_byte_limit() -> None:
    assert _codes("a: " + "x" * 100 + "\n", Limits(max_bytes=50)) == [("YML004", 1, 1)]


def test_empty_and_comment_only() -> None:
    assert _codes("") == [("YML006", 1, 1)]
    assert _codes("# just a comment\n\n") == [("YML006", 1, 1)]


def test_malformed_tagged_scalars_keep_their_text() -> None:
    # PyYAML's constructors raise KeyError / IndexError on these; the loader must not crash.
    text = "a: !!bool x\nb: !!int ''\nc: !!float ''\nd: !!int _\ne: !!bool yes\n"
    result = load_yaml_text(text, "f.yaml")
    assert result.diagnostics == ()
    assert result.documents[0].root.to_plain() == {"a": "x", "b": "", "c": "", "d": "_", "e": True}


def test_a_syntax_error_after_a_malformed_tagged_scalar_wins() -> None:
    assert _codes("[ a: !!bool yes\n a: *a\n") == [("YML001", 2, 3)]


def test_built_nodes_are_the_real_frozen_classes() -> None:
    # The builder fills slotted twins and then gives them their real class (yaml_source._SpanSlots).
    import dataclasses

    import pytest
    from tierguard.diagnostics import Span
    from tierguard.loader.nodes import LMap, LScalar, LSeq

    root = load_yaml_text("a: [x, 1]\nb: {c: 'd'}\n", "f.yaml").documents[0].root
    assert type(root) is LMap and root.index == {"a": 0, "b": 1}
    key, seq = root.entries[0]
    assert type(key) is LScalar and type(key.span) is Span and type(seq) is LSeq
    assert seq == LSeq((LScalar("x", Span("f.yaml", 1, 5, 1, 6)), LScalar(1, Span("f.yaml", 1, 8, 1, 9))),
                       Span("f.yaml", 1, 4, 1, 10))
    assert hash(key.span) == hash(Span("f.yaml", 1, 1, 1, 2)) and key == LScalar("a", Span("f.yaml", 1, 1, 1, 2))
    with pytest.raises(dataclasses.FrozenInstanceError):
        key.span.line = 3  # type: ignore[misc]
