"""The Calico selector language (calico-semantics §4): parse, evaluate, print canonically.

Public API (conformance tests use exactly this):
- `parse(text) -> Selector`; the empty or blank string means `all()`;
- `SelectorError`: `.column` is the 0-based offset inside the selector string (== len(text)
  when the selector ends too early), `.reason` a short phrase;
- `Selector.matches(labels: Mapping[str, str]) -> bool`; `str(selector)` is the canonical form.
Helpers: AST nodes and `walk`, scoping (`pcns.`/`pcsa.` prefixes, `all()`/`global()` rewrites,
`conjoin`), Kubernetes LabelSelector conversion, interned `LabelSet`s, `SelectorCache`.
"""

from __future__ import annotations

from tierguard.selector.ast import (
    AllNode,
    AndNode,
    GlobalNode,
    HasNode,
    LabelNode,
    Node,
    NotNode,
    OrNode,
    SetNode,
    SetOp,
    ValueNode,
    ValueOp,
)
from tierguard.selector.core import (
    MAX_SELECTOR_LENGTH,
    Selector,
    SelectorCache,
    length_error,
    parse,
)
from tierguard.selector.errors import LabelSelectorError, SelectorError
from tierguard.selector.kubernetes import namespace_selector, pod_selector
from tierguard.selector.labelset import LabelInterner, LabelSet
from tierguard.selector.scoping import (
    NAMESPACE_LABEL,
    NAMESPACE_PREFIX,
    ORCHESTRATOR_LABEL,
    SERVICE_ACCOUNT_LABEL,
    SERVICE_ACCOUNT_PREFIX,
    conjoin,
    global_policy_selector,
    namespace_equals,
    namespaced_policy_selector,
    prefix_labels,
    rule_namespace_selector,
    rule_service_account_selector,
)
from tierguard.selector.walk import global_nodes, is_only_global, labels_used, map_labels, walk

__all__ = [
    "MAX_SELECTOR_LENGTH", "NAMESPACE_LABEL", "NAMESPACE_PREFIX", "ORCHESTRATOR_LABEL",
    "SERVICE_ACCOUNT_LABEL", "SERVICE_ACCOUNT_PREFIX",
    "AllNode", "AndNode", "GlobalNode", "HasNode", "LabelInterner", "LabelNode",
    "LabelSelectorError", "LabelSet", "Node", "NotNode", "OrNode", "Selector", "SelectorCache",
    "SelectorError", "SetNode", "SetOp", "ValueNode", "ValueOp",
    "conjoin", "global_nodes", "global_policy_selector", "is_only_global", "labels_used",
    "length_error", "map_labels", "namespace_equals", "namespace_selector",
    "namespaced_policy_selector", "parse", "pod_selector", "prefix_labels",
    "rule_namespace_selector", "rule_service_account_selector", "walk",
]
