"""Namespace and service-account scoping of selectors (calico-semantics §3.2, §3.5, §4.4).

Users write namespace and service-account selectors without prefixes; Calico prefixes every
label with `pcns.` / `pcsa.` (the labels endpoints inherit from the `kns.`/`ksa.` profiles) and
turns `all()` into "is namespaced" / "has a service account". Calico does the `all()` and
`global()` rewrites as *textual* replacements on selector strings (`strings.Replace`); these
helpers do the same so that quirks carry over, e.g. a value that spells `all()` inside quotes is
rewritten too.
"""

from __future__ import annotations

from tierguard.selector.ast import AndNode, Node, ValueNode, ValueOp
from tierguard.selector.core import Selector, parse
from tierguard.selector.walk import map_labels

NAMESPACE_PREFIX = "pcns."
SERVICE_ACCOUNT_PREFIX = "pcsa."
NAMESPACE_LABEL = "projectcalico.org/namespace"
SERVICE_ACCOUNT_LABEL = "projectcalico.org/serviceaccount"
ORCHESTRATOR_LABEL = "projectcalico.org/orchestrator"

_HAS_NAMESPACE = f"has({NAMESPACE_LABEL})"
_NOT_NAMESPACED = f"!has({NAMESPACE_LABEL})"
_HAS_SERVICE_ACCOUNT = f"has({SERVICE_ACCOUNT_LABEL})"


def prefix_labels(selector: Selector, prefix: str) -> Selector:
    """Calico's PrefixVisitor: every label in every node gets `prefix`; all() is untouched."""
    return Selector.from_node(map_labels(selector, lambda label: prefix + label))


def conjoin(*selectors: Selector) -> Selector:
    """`(a) && (b) && …` as one selector; a single selector is returned unchanged.

    Equal to parsing Calico's `fmt.Sprintf("(%s) && %s", a, b)`: each operand stays one node.
    """
    if not selectors:
        raise ValueError("conjoin needs at least one selector")
    if len(selectors) == 1:
        return selectors[0]
    return Selector.from_node(AndNode(tuple(selector.root for selector in selectors)))


def namespace_equals(namespace: str) -> Node:
    """`projectcalico.org/namespace == 'N'`, the implicit scope of namespaced objects."""
    return ValueNode(NAMESPACE_LABEL, ValueOp.EQ, namespace)


def rule_namespace_selector(text: str) -> Selector:
    """A rule's `namespaceSelector` as Calico evaluates it (§3.5).

    Prefix every label with `pcns.`, then in the canonical text replace `all()` with
    `has(projectcalico.org/namespace)` and `global()` with `!has(projectcalico.org/namespace)`.
    """
    prefixed = str(prefix_labels(parse(text), NAMESPACE_PREFIX))
    return parse(prefixed.replace("all()", _HAS_NAMESPACE).replace("global()", _NOT_NAMESPACED))


def rule_service_account_selector(text: str) -> Selector:
    """A `serviceAccounts.selector` of a rule: every label prefixed with `pcsa.`."""
    return prefix_labels(parse(text), SERVICE_ACCOUNT_PREFIX)


def namespaced_policy_selector(selector: str, namespace: str,
                               service_account_selector: str = "") -> Selector:
    """Effective applies-to selector of a NetworkPolicy/StagedNetworkPolicy/KNP (§3.2).

    `(<selector>) && projectcalico.org/namespace == 'N'` (just the namespace clause when the
    selector is empty), then `&& <serviceAccountSelector prefixed pcsa.>` when one is set.
    """
    scoped: Node = namespace_equals(namespace)
    if selector.strip():
        scoped = AndNode((parse(selector).root, scoped))
    if service_account_selector:
        sa = prefix_labels(parse(service_account_selector), SERVICE_ACCOUNT_PREFIX)
        scoped = AndNode((scoped, sa.root))
    return Selector.from_node(scoped)


def global_policy_selector(selector: str, namespace_selector: str = "",
                           service_account_selector: str = "") -> Selector:
    """Effective applies-to selector of a GlobalNetworkPolicy (§3.2), textually as Calico does.

    With a namespaceSelector: `(<selector>) && <nsSel prefixed pcns.>`, then every `all()` in
    the whole string (including the policy's own selector text) becomes
    `has(projectcalico.org/namespace)`; likewise for the serviceAccountSelector with `pcsa.` and
    `has(projectcalico.org/serviceaccount)`. Each input is parsed first so that a syntax error
    points into the field that has it.
    """
    combined = selector
    parse(selector)
    if namespace_selector:
        combined = _append_prefixed(combined, namespace_selector, NAMESPACE_PREFIX)
        combined = combined.replace("all()", _HAS_NAMESPACE)
    if service_account_selector:
        combined = _append_prefixed(combined, service_account_selector, SERVICE_ACCOUNT_PREFIX)
        combined = combined.replace("all()", _HAS_SERVICE_ACCOUNT)
    return parse(combined)


def _append_prefixed(current: str, extra: str, prefix: str) -> str:
    prefixed = str(prefix_labels(parse(extra), prefix))
    # Calico tests `current != ""`; a blank selector is treated as empty here (it would
    # otherwise print as the invalid `(  )`).
    return f"({current}) && {prefixed}" if current.strip() else prefixed
