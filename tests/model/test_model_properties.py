"""Fuzz: any YAML mapping under a modelled kind gives a model and diagnostics, never an exception."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from tierguard.loader.nodes import LMap
from tierguard.loader.yaml_source import load_yaml_text
from tierguard.model.build import MODELLED_KINDS, build_resource

FIELDS = st.sampled_from(["selector", "ingress", "egress", "action", "source", "destination", "ports", "nets",
                          "podSelector", "matchLabels", "from", "to", "subject", "priority", "tier", "order",
                          "types", "namespaces", "pods", "protocols", "ipBlock", "cidr", "x"])
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.floats(allow_nan=False, allow_infinity=False),
              st.text(st.characters(min_codepoint=32, max_codepoint=0x7E), max_size=8)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(FIELDS, inner, max_size=4)),
    max_leaves=20)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(MODELLED_KINDS)), JSON, JSON)
def test_build_never_raises(kind: tuple[str, str], spec: object, metadata: object) -> None:
    document = {"apiVersion": kind[0], "kind": kind[1], "metadata": metadata, "spec": spec}
    result = load_yaml_text(json.dumps(document), "fuzz.yaml")
    root = result.documents[0].root
    assert isinstance(root, LMap)
    model, diagnostics = build_resource(root)
    assert model is not None
    assert all(d.code.startswith("SCH1") and d.span is not None for d in diagnostics)
