"""Flux post-build substitution: forms, strict unset reporting with stream positions, opt-out."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tierguard.loader.envsubst import substitute_stream

STREAM = "<kustomize overlays/dev>"


def test_forms_and_defaults() -> None:
    text = ("a: ${name}\nb: ${unset:=fallback}\nc: ${empty:-dflt}\nd: ${empty:=x}\ne: ${empty=kept}\n"
            "f: ${unset-dash}\ng: $name\nh: $${literal}\n")
    result = substitute_stream(text, STREAM, {"name": "web", "empty": ""})
    assert result.text == "a: web\nb: fallback\nc: dflt\nd: x\ne: \nf: dash\ng: web\nh: ${literal}\n"
    assert result.diagnostics == ()


def test_unset_variable_is_reported_at_its_stream_position() -> None:
    text = "apiVersion: v1\nkind: ConfigMap\n---\nspec:\n  nets: [\"${VPC_CIDR}\"]\n"
    result = substitute_stream(text, STREAM, {})
    [diag] = result.diagnostics
    assert (diag.code, diag.span.file, diag.span.line, diag.span.col, diag.span.end_col) == \
        ("YML011", STREAM, 5, 11, 22)
    assert "VPC_CIDR" in diag.message
    assert result.text == text  # left in place, so later checks see a placeholder, not a wrong value


def test_bad_expressions() -> None:
    result = substitute_stream("a: ${1abc}\nb: ${open\n", STREAM, {})
    assert [(d.code, d.span.line, d.span.col) for d in result.diagnostics] == [("YML012", 1, 4), ("YML012", 2, 4)]


def test_disabled_by_label_or_annotation() -> None:
    for section in ("labels", "annotations"):
        text = (f"metadata:\n  {section}:\n    kustomize.toolkit.fluxcd.io/substitute: disabled\n"
                "data:\n  script: echo ${HOME}\n---\nother: ${HOME}\n")
        result = substitute_stream(text, STREAM, {"HOME": "/root"})
        assert result.text.endswith("script: echo ${HOME}\n---\nother: /root\n")
        assert result.diagnostics == ()


def test_text_without_dollar_is_unchanged() -> None:
    assert substitute_stream("a: 1\n", STREAM, {"x": "y"}).text == "a: 1\n"


@given(st.text(alphabet=st.characters(blacklist_characters="$"), max_size=200))
def test_no_dollar_means_identity(text: str) -> None:
    result = substitute_stream(text, STREAM, {"a": "b"})
    assert result.text == text and result.diagnostics == ()


@given(st.from_regex(r"[_A-Za-z][_A-Za-z0-9]{0,10}", fullmatch=True), st.text(
    alphabet=st.characters(blacklist_characters="${}\n"), max_size=20))
def test_defined_variable_round_trip(name: str, value: str) -> None:
    result = substitute_stream("x: ${" + name + "}!\n", STREAM, {name: value})
    assert result.text == f"x: {value}!\n" and result.diagnostics == ()
