"""Helpers that walk the shapes rules look at, so each rule stays a few lines long."""

from __future__ import annotations

from collections.abc import Iterator

from tierguard.diagnostics import Diagnostic, Severity, Span
from tierguard.loader import paths
from tierguard.loader.nodes import LMap
from tierguard.model.calico import CalicoPolicy, EntityRule, Rule
from tierguard.model.located import Text
from tierguard.rules.context import RuleContext


def calico_policy(ctx: RuleContext) -> CalicoPolicy | None:
    """The Calico policy model of the context, or None for other kinds."""
    return ctx.model if isinstance(ctx.model, CalicoPolicy) else None


def rules_of(policy: CalicoPolicy) -> Iterator[Rule]:
    """Ingress rules, then egress rules."""
    yield from policy.ingress
    yield from policy.egress


def sides(rule: Rule) -> Iterator[EntityRule]:
    """A rule's source, then its destination."""
    yield rule.source
    yield rule.destination


def is_placeholder(value: str) -> bool:
    """A Flux `${var}` not yet substituted (file mode): its real value is unknown, so not checked."""
    return "${" in value


def finding(ctx: RuleContext, code: str, severity: Severity, message: str, span: Span | None,
            path: str, hint: str | None = None) -> Diagnostic:
    """A diagnostic about the context's resource, at `span` (or the object when None)."""
    return Diagnostic(code, severity, message, span or ctx.resource.span, ctx.resource.ref,
                      ctx.resource.field(path), hint)


def indexed(items: tuple[Text, ...], path: str) -> Iterator[tuple[Text, str]]:
    """Each item with its field path `path[i]`."""
    for position, item in enumerate(items):
        yield item, f"{path}[{position}]"


def selector_fields(policy: CalicoPolicy) -> Iterator[tuple[Text, str, bool]]:
    """Every selector string of a Calico policy: (text, field path, is a rule's namespaceSelector)."""
    for key, value in (("selector", policy.selector), ("serviceAccountSelector", policy.service_account_selector),
                       ("namespaceSelector", policy.namespace_selector)):
        if value is not None:
            yield value, f"spec.{key}", False
    for rule in rules_of(policy):
        for side in sides(rule):
            for key, value in (("selector", side.selector), ("notSelector", side.not_selector),
                               ("namespaceSelector", side.namespace_selector)):
                if value is not None:
                    yield value, f"{side.path}.{key}", key == "namespaceSelector"
            if side.service_accounts is not None and side.service_accounts.selector is not None:
                yield side.service_accounts.selector, f"{side.path}.serviceAccounts.selector", False


def key_span(ctx: RuleContext, path: str, key: str) -> Span | None:
    """The span of `key` in the mapping at `path` of the resource, if both exist."""
    node = paths.node_at(ctx.resource.root, path)
    return node.key_span(key) if isinstance(node, LMap) else None
