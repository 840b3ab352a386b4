"""Calico admission rules that a schema cannot express (calico-semantics sections 1, 2 and 9.8).

ONE explicit table maps each code to its rule module. Nothing registers itself on import.
Every module exposes ID, NAME, DEFAULT_SEVERITY, DOC (a CodeDoc) and a pure
`check(ctx: RuleContext) -> Iterator[Diagnostic]`.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

from tierguard.diagnostics import Diagnostic
from tierguard.rules import (
    cluster_scoped_namespace,
    global_placement,
    icmp_code_needs_type,
    invalid_cidr,
    invalid_selector,
    mixed_ip_versions,
    port_range,
    ports_need_protocol,
    services_exclusive,
    staged_delete_spec,
    tier_prefix_naming,
    undefined_tier,
)
from tierguard.rules.context import RuleContext


def table() -> dict[str, ModuleType]:
    """code -> rule module."""
    return {
        ports_need_protocol.ID: ports_need_protocol,
        icmp_code_needs_type.ID: icmp_code_needs_type,
        mixed_ip_versions.ID: mixed_ip_versions,
        services_exclusive.ID: services_exclusive,
        global_placement.ID: global_placement,
        staged_delete_spec.ID: staged_delete_spec,
        invalid_cidr.ID: invalid_cidr,
        port_range.ID: port_range,
        tier_prefix_naming.ID: tier_prefix_naming,
        undefined_tier.ID: undefined_tier,
        cluster_scoped_namespace.ID: cluster_scoped_namespace,
        invalid_selector.ID: invalid_selector,
    }


def get(code: str) -> ModuleType:
    """The rule module for `code`; fails loudly on an unknown code."""
    rules = table()
    if code not in rules:
        raise KeyError(f"unknown rule {code!r}")
    return rules[code]


# The rule modules in table order, built once: run_all runs for every resource of a run.
_IN_ORDER: tuple[ModuleType, ...] = tuple(table().values())


def run_all(ctx: RuleContext) -> Iterator[Diagnostic]:
    """Every rule's findings for one resource, in table order."""
    for module in _IN_ORDER:
        yield from module.check(ctx)
