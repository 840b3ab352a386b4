"""Policy hygiene lints (LNT9xx): findings about what the policy does in an environment, not its syntax.

ONE explicit table maps each code to its lint module. Nothing registers itself on import.
Every module exposes ID, NAME, DEFAULT_SEVERITY, NEEDS_INVENTORY, DOC (a CodeDoc) and a pure
`check(ctx: LintContext) -> Iterator[Diagnostic]`. Lints with NEEDS_INVENTORY run only when
the context has a non-empty inventory. `lint.environment.lint_environment` runs them for `validate --env`.
"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType

from tierguard.diagnostics import Diagnostic
from tierguard.lint import (
    duplicate_tier_order,
    http_rule_not_enforced,
    pass_without_later_tier,
    policy_selects_nothing,
    rule_peer_matches_nothing,
    staged_policy_left_behind,
    unreachable_rule,
)
from tierguard.lint.context import LintContext


def table() -> dict[str, ModuleType]:
    """code -> lint module."""
    return {
        policy_selects_nothing.ID: policy_selects_nothing,
        rule_peer_matches_nothing.ID: rule_peer_matches_nothing,
        staged_policy_left_behind.ID: staged_policy_left_behind,
        pass_without_later_tier.ID: pass_without_later_tier,
        unreachable_rule.ID: unreachable_rule,
        duplicate_tier_order.ID: duplicate_tier_order,
        http_rule_not_enforced.ID: http_rule_not_enforced,
    }


def get(code: str) -> ModuleType:
    """The lint module for `code`; fails loudly on an unknown code."""
    lints = table()
    if code not in lints:
        raise KeyError(f"unknown lint {code!r}")
    return lints[code]


def run_all(ctx: LintContext) -> Iterator[Diagnostic]:
    """Every applicable lint's findings, in table order.

    Inventory lints are skipped without an inventory, and with an empty one (a cluster with no
    recorded endpoint would make every selector "match nothing").
    """
    has_inventory = ctx.inventory is not None and bool(ctx.inventory.endpoints)
    for module in table().values():
        if module.NEEDS_INVENTORY and not has_inventory:
            continue
        yield from module.check(ctx)
