"""Effective selectors, built as Calico builds them: as text (calico-semantics §1.9, §3.2, §3.5).

Calico composes selectors by string formatting (`(%s) && %s`) and rewrites `all()`/`global()`
textually; only the prefixed namespace/service-account parts are parsed and re-printed in
canonical form (`parseSelectorAttachPrefix`). We reproduce the text exactly (keeping it for traces and
`explain`), then parse it. Label prefixing and the LabelSelector clauses come from
`tierguard.selector`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tierguard.selector import parse
from tierguard.selector.kubernetes import label_selector_clauses
from tierguard.selector.scoping import prefix_labels

NAMESPACE_PREFIX = "pcns."
SERVICE_ACCOUNT_PREFIX = "pcsa."
NAMESPACE_LABEL = "projectcalico.org/namespace"
SERVICE_ACCOUNT_LABEL = "projectcalico.org/serviceaccount"
ORCHESTRATOR_CLAUSE = "projectcalico.org/orchestrator == 'k8s'"
HAS_NAMESPACE = f"has({NAMESPACE_LABEL})"
NOT_HAS_NAMESPACE = f"!has({NAMESPACE_LABEL})"
HAS_SERVICE_ACCOUNT = f"has({SERVICE_ACCOUNT_LABEL})"


def attach_prefix(text: str, prefix: str) -> str:
    """parseSelectorAttachPrefix: parse, prefix every label key, print canonically.

    Raises SelectorError for invalid text.
    """
    return str(prefix_labels(parse(text), prefix))


def namespace_clause(namespace: str) -> str:
    return f"{NAMESPACE_LABEL} == '{namespace}'"


def policy_selector_text(selector: str, namespace: str, *, namespace_selector: str = "",
                         service_account_selector: str = "") -> str:
    """The applies-to selector of a (staged, Kubernetes) NetworkPolicy or GlobalNetworkPolicy (§3.2).

    `namespace` is "" for global kinds; `namespace_selector` applies to global kinds only.
    """
    if namespace:
        result = f"({selector}) && {namespace_clause(namespace)}" if selector else namespace_clause(namespace)
    else:
        result = selector
        if namespace_selector:
            result = _and_prefixed(result, namespace_selector, NAMESPACE_PREFIX)
            result = result.replace("all()", HAS_NAMESPACE)
    if service_account_selector:
        result = _and_prefixed(result, service_account_selector, SERVICE_ACCOUNT_PREFIX)
        result = result.replace("all()", HAS_SERVICE_ACCOUNT)
    return result


def _and_prefixed(current: str, extra: str, prefix: str) -> str:
    prefixed = attach_prefix(extra, prefix)
    return f"({current}) && {prefixed}" if current else prefixed


def service_account_text(names: Sequence[str], selector: str) -> str:
    """A rule's `serviceAccounts` match as a selector: pcsa.-prefixed selector AND name set."""
    prefixed = attach_prefix(selector, SERVICE_ACCOUNT_PREFIX) if selector else ""
    if not names:
        return prefixed
    in_names = f"{SERVICE_ACCOUNT_LABEL} in {{ '" + "', '".join(names) + "' }"
    return f"{prefixed} && {in_names}" if prefixed else in_names


def rule_namespace_text(namespace_selector: str, policy_namespace: str) -> str:
    """The namespace part of a rule side: prefixed namespaceSelector, or the policy's namespace."""
    if namespace_selector:
        text = attach_prefix(namespace_selector, NAMESPACE_PREFIX)
        return text.replace("all()", HAS_NAMESPACE).replace("global()", NOT_HAS_NAMESPACE)
    if policy_namespace:
        return namespace_clause(policy_namespace)
    return ""


def entity_selector_text(*, selector: str, not_selector: str, namespace_selector: str,
                         service_account_names: Sequence[str], service_account_selector: str,
                         policy_namespace: str) -> str:
    """getEndpointSelector: the effective positive selector of one rule side (§3.5).

    "" means no positive selector constraint. `notSelector` is not part of it (it stays raw),
    but its presence triggers the namespace scope.
    """
    ns_text = rule_namespace_text(namespace_selector, policy_namespace)
    sa_text = service_account_text(service_account_names, service_account_selector)
    if sa_text and selector:
        text = f"({sa_text}) && ({selector})"
    else:
        text = sa_text or selector
    if ns_text and (text or not_selector or namespace_selector):
        text = f"({ns_text}) && ({text})" if text else ns_text
    return text


def k8s_label_selector_text(label_selector: Mapping[str, object] | None, *, pods: bool) -> str:
    """k8sSelectorToCalico (§1.9) as text. `pods` adds the orchestrator clause; a present but
    empty namespace selector is `all()`; an absent one (None) is "" (no namespace constraint).

    Raises LabelSelectorError for selectors the API server would reject.
    """
    parts = [ORCHESTRATOR_CLAUSE] if pods else []
    if label_selector is None:
        return " && ".join(parts)
    clauses = label_selector_clauses(label_selector)
    if not pods and not clauses:
        return "all()"
    return " && ".join(parts + clauses)
