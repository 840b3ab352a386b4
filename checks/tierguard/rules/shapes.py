"""Helpers that walk the shapes rules look at, so each rule stays a few lines long."""

from __future__ import annotations

import ipaddress
import re
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


# rules_of, sides and indexed run for every rule of every policy, in most rules: they return
# tuples rather than being generators, whose resumptions cost more than the loops they feed.


def rules_of(policy: CalicoPolicy) -> tuple[Rule, ...]:
    """Ingress rules, then egress rules."""
    return policy.ingress + policy.egress


def sides(rule: Rule) -> tuple[EntityRule, EntityRule]:
    """A rule's source, then its destination."""
    return rule.source, rule.destination


def is_placeholder(value: str) -> bool:
    """A Flux `${var}` not yet substituted (file mode): its real value is unknown, so not checked."""
    return "${" in value


# A dotted IPv4 address (octets 0-255, no leading zeros) with an optional /0-/32 prefix: a form
# `ipaddress.ip_network(value, strict=False)` always accepts as IPv4. Nearly every CIDR in a
# policy repository has it, and matching it costs a fifth of `ip_network`.
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_PLAIN_IPV4_NETWORK = re.compile(rf"{_OCTET}(?:\.{_OCTET}){{3}}(?:/(?:3[0-2]|[12]?[0-9]))?")


def network_version(value: str) -> int:
    """4 or 6 for a CIDR or bare IP as `ipaddress.ip_network(value, strict=False)` reads it.

    Raises ValueError with ipaddress's message when it does not parse.
    """
    if value.isascii() and _PLAIN_IPV4_NETWORK.fullmatch(value):
        return 4
    return ipaddress.ip_network(value, strict=False).version


def finding(ctx: RuleContext, code: str, severity: Severity, message: str, span: Span | None,
            path: str, hint: str | None = None) -> Diagnostic:
    """A diagnostic about the context's resource, at `span` (or the object when None)."""
    return Diagnostic(code, severity, message, span or ctx.resource.span, ctx.resource.ref,
                      ctx.resource.field(path), hint)


def indexed(items: tuple[Text, ...], path: str) -> tuple[tuple[Text, str], ...]:
    """Each item with its field path `path[i]`."""
    if not items:
        return ()  # the common case: most rule sides have no nets
    return tuple((item, f"{path}[{position}]") for position, item in enumerate(items))


def selector_fields(policy: CalicoPolicy) -> Iterator[tuple[Text, str, bool]]:
    """Every selector string of a Calico policy: (text, field path, is a rule's namespaceSelector)."""
    for key, value in (("selector", policy.selector), ("serviceAccountSelector", policy.service_account_selector),
                       ("namespaceSelector", policy.namespace_selector)):
        if value is not None:
            yield value, f"spec.{key}", False
    for rule in rules_of(policy):
        for side in sides(rule):
            # Written out rather than looped over (key, value) pairs: this runs for every rule side.
            if side.selector is not None:
                yield side.selector, f"{side.path}.selector", False
            if side.not_selector is not None:
                yield side.not_selector, f"{side.path}.notSelector", False
            if side.namespace_selector is not None:
                yield side.namespace_selector, f"{side.path}.namespaceSelector", True
            if side.service_accounts is not None and side.service_accounts.selector is not None:
                yield side.service_accounts.selector, f"{side.path}.serviceAccounts.selector", False


def key_span(ctx: RuleContext, path: str, key: str) -> Span | None:
    """The span of `key` in the mapping at `path` of the resource, if both exist."""
    node = paths.node_at(ctx.resource.root, path)
    return node.key_span(key) if isinstance(node, LMap) else None
