"""The fast YAML path must give exactly what the PyYAML path gives, or step aside (return None)."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tierguard.loader.fast_yaml import parse_documents
from tierguard.loader.yaml_source import _plain_resolver, load_with_pyyaml, load_yaml_text
from yaml.constructor import SafeConstructor

KUSTOMIZE_STYLE = """\
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  labels:
    app.kubernetes.io/part-of: netpol
  name: security.deny-cross-env
spec:
  egress:
  - action: Deny
    destination:
      nets:
      - 10.20.0.0/16
      selector: security.example.com/zone == 'other' && !has(x)
  order: 200
  selector: all()
  tier: security
  types:
  - Egress
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: web
  namespace: shop
spec:
  podSelector: {}
  ingress:
  - ports:
    - port: 8080
      protocol: TCP
"""

HAND_WRITTEN = """\
# A comment before the first document
---
apiVersion: projectcalico.org/v3   # trailing comment
kind: NetworkPolicy
metadata: {name: allow-web, namespace: shop}
spec:
  selector: "app == 'web'"
  types: [Ingress, Egress]
  order: 10.5
  ingress:
    - action: Allow
      protocol: TCP
      source:
        nets: [192.0.2.0/24, '10.0.0.0/8']
      destination:
        ports: [80, '8000:9000', http]
    - action: Deny
  egress:

  empty:
  yes: on
  octal: 010
  nothing: ~
"""


def _fast(text: str) -> Any:
    return parse_documents(text, "f.yaml", _plain_resolver(SafeConstructor()), 2_000_000)


FOLDED = """\
spec:
  selector: app.kubernetes.io/name == 'ingress-nginx' && app.kubernetes.io/component
    == 'controller'
  other:
  - first part
    second part
"""


@pytest.mark.parametrize("text", [KUSTOMIZE_STYLE, HAND_WRITTEN, FOLDED, "a: 1", "- a\n- b: 1\n  c:\n  - x\n"])
def test_fast_path_is_taken_and_identical(text: str) -> None:
    roots = _fast(text)
    assert roots is not None
    assert list(roots) == [d.root for d in load_with_pyyaml(text, "f.yaml").documents]
    assert load_yaml_text(text, "f.yaml") == load_with_pyyaml(text, "f.yaml")


@pytest.mark.parametrize("text", [
    "a: &x 1\nb: *x\n", "a: !!str 1\n", "a: |\n  text\n", "a: 'multi\n  line'\n", "a: \"esc\\n\"\n",
    "a: b\n\n  continued\n", "a: b\n  c: d\n", "a: 1\na: 2\n", "a:\n\tb: 1\n", "a: 1\n---\n", "? complex\n: key\n",
    "a: [1, [2]]\n", "'quoted key': 1\n", "a: 1\r\nb: 2\r\n", "- - nested\n", "a: b: c\n", "--- a: 1\n",
    "just a scalar\n", "a: [1,2]\n",
])
def test_outside_the_subset_falls_back(text: str) -> None:
    assert _fast(text) is None
    assert load_yaml_text(text, "f.yaml") == load_with_pyyaml(text, "f.yaml")


_KEYS = st.from_regex(r"[a-z][a-z0-9_./-]{0,8}", fullmatch=True)
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6),
                     st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=15),
                     st.sampled_from(["yes", "No", "~", "null", "0o17", "0x1F", "1_000", "1e3", ".5", "-", "a: b",
                                      "'q'", "x #y", "#z", "[a]", "{b}", "*c", "&d", "!e", "@f", "%g", "-h", "?i"]))
_DATA = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                       st.dictionaries(_KEYS, inner, max_size=4)), max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.dictionaries(_KEYS, _DATA, min_size=1, max_size=4), min_size=1, max_size=3),
       st.sampled_from([False, None]), st.booleans(), st.sampled_from([2, 4]), st.sampled_from([80, 12]))
def test_fast_path_equals_pyyaml(documents: list[dict[str, Any]], flow: bool | None, start: bool,
                                 indent: int, width: int) -> None:
    # A small width makes PyYAML fold long plain scalars onto continuation lines, as kustomize does.
    text = yaml.safe_dump_all(documents, default_flow_style=flow, explicit_start=start, sort_keys=False,
                              indent=indent, width=width, allow_unicode=True)
    expected = load_with_pyyaml(text, "f.yaml")
    roots = _fast(text)
    if roots is not None:
        assert list(roots) == [d.root for d in expected.documents]
    assert load_yaml_text(text, "f.yaml") == expected
