"""LNT906: two tiers with the same order (Calico then orders them by name)."""

from __future__ import annotations

from collections.abc import Iterator

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.lint.context import LintContext

ID = "LNT906"
NAME = "duplicate-tier-order"
DEFAULT_SEVERITY = Severity.WARNING
NEEDS_INVENTORY = False
DOC = CodeDoc(
    ID, NAME, DEFAULT_SEVERITY,
    "Two tiers (defined in the repository, or built into the configured Calico) have the same order.",
    why="Calico breaks the tie by comparing tier names byte-wise, so which guardrail runs first depends "
        "on spelling; renaming a tier silently reorders evaluation.",
    failing="kind: Tier\nmetadata: {name: security}\nspec: {order: 100}\n---\n"
            "kind: Tier\nmetadata: {name: platform}\nspec: {order: 100}",
    passing="kind: Tier\nmetadata: {name: security}\nspec: {order: 100}\n---\n"
            "kind: Tier\nmetadata: {name: platform}\nspec: {order: 200}",
    references="calico-semantics.md section 3.3 (TierLess)",
)


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    by_order: dict[float, list[str]] = {}
    for compiled in ctx.policy_set.tiers:
        if compiled.order is not None and compiled.defined:
            by_order.setdefault(compiled.order, []).append(compiled.name)
    for tier in ctx.tiers:
        order = tier.model.order
        if order is None:
            continue
        others = sorted(set(by_order.get(order.value, ())) - {tier.model.name})
        if not others:
            continue
        ordered = sorted(others + [tier.model.name], key=str.encode)
        yield tier.finding(
            ID, DEFAULT_SEVERITY,
            f"Tier {tier.model.name} has order {order.value:g}, the same as {', '.join(others)}; Calico "
            f"orders tied tiers by name: {' before '.join(ordered)}",
            "spec.order", hint="give every tier a distinct order")
