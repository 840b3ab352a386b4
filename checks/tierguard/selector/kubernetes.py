"""Kubernetes `LabelSelector` -> Calico selector, as Calico's k8sSelectorToCalico does (§1.9).

Calico builds the selector text as: `projectcalico.org/orchestrator == 'k8s'` (pod selectors
only), then each matchLabels `k == 'v'` with keys sorted, then each matchExpression in order
(`In` -> `k in { 'a', 'b' }`, `NotIn` -> `k not in {…}`, `Exists` -> `has(k)`,
`DoesNotExist` -> `! has(k)`), joined with ` && `. A present but empty namespace selector means
`all()`. We build the same text and parse it, so keys that are not valid selector labels fail
the same way they do in Calico.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tierguard.selector.core import Selector, parse
from tierguard.selector.errors import LabelSelectorError, SelectorError
from tierguard.selector.scoping import ORCHESTRATOR_LABEL

ORCHESTRATOR_CLAUSE = f"{ORCHESTRATOR_LABEL} == 'k8s'"


def pod_selector(label_selector: Mapping[str, object] | None, *,
                 orchestrator_clause: bool = True) -> Selector:
    """A podSelector (policy-level or peer) as a Calico selector.

    `None` (no podSelector) gives just the orchestrator clause, as for a peer that has only a
    namespaceSelector; `{}` gives the same. Without the clause, an empty selector is `all()`.
    """
    clauses = [ORCHESTRATOR_CLAUSE] if orchestrator_clause else []
    if label_selector is not None:
        clauses += label_selector_clauses(label_selector)
    return _parse_clauses(clauses)


def namespace_selector(label_selector: Mapping[str, object] | None) -> Selector | None:
    """A peer namespaceSelector: None when absent, `all()` when present but empty."""
    if label_selector is None:
        return None
    clauses = label_selector_clauses(label_selector)
    return _parse_clauses(clauses) if clauses else parse("all()")


def label_selector_clauses(label_selector: Mapping[str, object]) -> list[str]:
    """Calico's clause strings for matchLabels (keys sorted) then matchExpressions."""
    if not isinstance(label_selector, Mapping):
        raise LabelSelectorError("a label selector must be a mapping")
    match_labels = label_selector.get("matchLabels") or {}
    expressions = label_selector.get("matchExpressions") or []
    if not isinstance(match_labels, Mapping):
        raise LabelSelectorError("matchLabels must be a mapping", "matchLabels")
    if not isinstance(expressions, Sequence) or isinstance(expressions, str):
        raise LabelSelectorError("matchExpressions must be a list", "matchExpressions")
    clauses = []
    for key in sorted(_string(k, "matchLabels") for k in match_labels):
        value = _string(match_labels[key], f"matchLabels.{key}")
        clauses.append(f"{key} == '{value}'")
    for index, expression in enumerate(expressions):
        clauses.append(_expression_clause(expression, f"matchExpressions[{index}]"))
    return clauses


def _expression_clause(expression: object, path: str) -> str:
    if not isinstance(expression, Mapping):
        raise LabelSelectorError("a match expression must be a mapping", path)
    key = _string(expression.get("key"), f"{path}.key")
    operator = expression.get("operator")
    values = expression.get("values") or []
    if not isinstance(values, Sequence) or isinstance(values, str):
        raise LabelSelectorError("values must be a list of strings", f"{path}.values")
    texts = [_string(value, f"{path}.values[{i}]") for i, value in enumerate(values)]
    if operator in ("In", "NotIn"):
        if not texts:
            # The API server rejects this; Calico alone would produce `k in { '' }`.
            raise LabelSelectorError(f"operator {operator} needs at least one value", path)
        word = "in" if operator == "In" else "not in"
        joined = "', '".join(texts)
        return f"{key} {word} {{ '{joined}' }}"
    if operator in ("Exists", "DoesNotExist"):
        if texts:
            raise LabelSelectorError(f"operator {operator} takes no values", f"{path}.values")
        return f"has({key})" if operator == "Exists" else f"! has({key})"
    raise LabelSelectorError(
        f"unknown operator {operator!r} (expected In, NotIn, Exists or DoesNotExist)",
        f"{path}.operator")


def _string(value: object, path: str) -> str:
    if not isinstance(value, str):
        raise LabelSelectorError(f"expected a string, found {type(value).__name__}", path)
    return value


def _parse_clauses(clauses: list[str]) -> Selector:
    text = " && ".join(clauses)
    try:
        return parse(text)
    except SelectorError as error:
        raise LabelSelectorError(f"not expressible as a Calico selector: {error.reason} in "
                                 f"{text!r}") from error
