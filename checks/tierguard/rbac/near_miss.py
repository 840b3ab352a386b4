"""Why a request was denied: rules that almost grant it, and bindings that grant it elsewhere.

Feeds `--explain`: a bare "no rule grants it" leaves the user guessing which rule to fix.
"""

from __future__ import annotations

from dataclasses import replace

from tierguard.model.rbac import BindingKind
from tierguard.rbac.authorizer import CompiledRule, Grant, RbacIndex, Request

MAX_HINTS = 3


def _mismatch(rule: CompiledRule, request: Request) -> str | None:
    """The one field that stops `rule` from granting `request`, if it is only one."""
    if not request.resource_request:
        if rule.url_matches(request.path) and not rule.verb_matches(request.verb):
            return f"verb {request.verb!r} is not in {list(rule.rule.verbs)}"
        return None
    if not (rule.api_group_matches(request.api_group)
            and rule.resource_matches(request.combined_resource, request.subresource)):
        return None
    verb_ok = rule.verb_matches(request.verb)
    name_ok = rule.resource_name_matches(request.name)
    if verb_ok and not name_ok:
        if not request.name:
            return f"it lists resourceNames {list(rule.rule.resource_names)}, and the request has no name"
        return f"name {request.name!r} is not in resourceNames {list(rule.rule.resource_names)}"
    if name_ok and not verb_ok:
        return f"verb {request.verb!r} is not in {list(rule.rule.verbs)}"
    return None


def near_misses(index: RbacIndex, request: Request) -> list[str]:
    """Up to MAX_HINTS rules of applicable bindings that differ from a grant in one field."""
    namespace = request.namespace if request.resource_request else ""
    hints: list[str] = []
    for i in index.applicable(request.user, namespace):
        for rule in index.rules[i]:
            reason = _mismatch(rule, request)
            if reason is not None:
                grant = Grant(index.bindings[i], rule.rule, rule.origin)
                hints.append(f"almost: {grant.describe()}: {reason}")
                if len(hints) == MAX_HINTS:
                    return hints
    return hints


def granted_elsewhere(index: RbacIndex, request: Request) -> list[str]:
    """RoleBindings of other namespaces that would grant the request there."""
    if not request.resource_request:
        return []
    hints: list[str] = []
    for i in index.candidate_indexes(request.user):
        binding = index.bindings[i]
        if binding.kind is not BindingKind.ROLE_BINDING or binding.namespace == request.namespace:
            continue
        there = replace(request, namespace=binding.namespace)
        if any(rule.allows(there) for rule in index.rules[i]):
            hints.append(f"elsewhere: {binding.ref} grants it in namespace {binding.namespace} only")
            if len(hints) == MAX_HINTS:
                break
    return hints
