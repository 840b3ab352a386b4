"""LNT904: a Pass (rule or tier defaultAction) after which no later tier has a policy for those endpoints."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.engine.ir import Action, CompiledPolicy, Direction, StagedAction
from tierguard.engine.order import tier_sort_key
from tierguard.lint.context import LintContext
from tierguard.model.calico import CalicoPolicy

ID = "LNT904"
NAME = "pass-without-later-tier"
DEFAULT_SEVERITY = Severity.WARNING
NEEDS_INVENTORY = False
DOC = CodeDoc(
    ID, NAME, DEFAULT_SEVERITY,
    "A Pass rule, or a tier's defaultAction Pass, hands traffic to the next tier, but no later tier has a "
    "policy that applies (in that direction) to any endpoint the passing policies select. With an "
    "inventory, endpoints are taken from it; without one, any later policy for the direction counts.",
    why="After the last tier Calico evaluates the endpoint's profiles, and a Kubernetes pod's profile "
        "allows everything. A Pass that reaches no later policy is therefore an Allow in disguise, which "
        "is rarely what a guardrail author meant.",
    failing="# tier security (order 100), no later tier selects these pods\negress:\n  - action: Pass",
    passing="egress:\n  - action: Deny\n    destination:\n      nets: [169.254.169.254/32]\n"
            "# and a later tier (e.g. application) with policies for the pods",
    references="calico-semantics.md sections 3.3 and 3.4 (Pass, end of tier, profiles)",
)


def tier_ranks(ctx: LintContext) -> dict[str, int]:
    """Tier name -> position in Calico's tier order (calico-semantics §3.3)."""
    ordered = sorted(ctx.policy_set.tiers, key=tier_sort_key)
    return {tier.name: position for position, tier in enumerate(ordered)}


def _later(ctx: LintContext, ranks: Mapping[str, int], tier: str, direction: Direction,
           staged: bool) -> list[CompiledPolicy]:
    """Policies of later tiers governing `direction` (staged ones only for a staged passer)."""
    mine = ranks.get(tier, len(ranks))
    return [p for p in ctx.policy_set.policies
            if ranks.get(p.tier, len(ranks)) > mine and p.governs(direction)
            and (staged or not p.kind.is_staged) and p.staged_action is not StagedAction.DELETE]


def reaches_nothing(ctx: LintContext, ranks: Mapping[str, int], passers: Sequence[CompiledPolicy], tier: str,
                    direction: Direction, staged: bool) -> bool:
    """True when passed traffic of `passers` meets no later policy (no inventory: any later policy)."""
    later = _later(ctx, ranks, tier, direction, staged)
    if ctx.inventory is None:
        return not later
    selected = {id(c) for p in passers for c in ctx.targets.matching(p.selector)}
    if not selected:
        return False  # selects nothing: LNT901's finding, not this one
    return not any(id(c) in selected and p.selector.matches(c.labels)
                   for p in later for c in ctx.targets.candidates(p.selector))


def _pass_rules(ctx: LintContext, ranks: Mapping[str, int]) -> Iterator[Diagnostic]:
    for source in ctx.policies:
        if not isinstance(source.model, CalicoPolicy):
            continue  # admin policies' Pass means "defer to NetworkPolicy" by design
        policy = source.compiled
        for direction in (Direction.INGRESS, Direction.EGRESS):
            passes = [r for r in policy.rules(direction) if r.action is Action.PASS]
            if not passes or not policy.governs(direction):
                continue
            if not reaches_nothing(ctx, ranks, [policy], policy.tier, direction, source.is_staged):
                continue
            for rule in passes:
                path = f"spec.{direction.value.lower()}[{rule.index}].action"
                yield source.finding(
                    ID, DEFAULT_SEVERITY,
                    f"{source.ref} {path}: Pass goes to the next tier, but no tier after {policy.tier!r} has "
                    f"an {direction.value.lower()} policy for the endpoints this policy selects; the traffic "
                    "falls through to the profiles, which allow it",
                    source.span_of(path), path,
                    hint="use Allow if allowing is intended, or add the policy the later tier is missing")


def _default_pass(ctx: LintContext, ranks: Mapping[str, int]) -> Iterator[Diagnostic]:
    for tier in ctx.tiers:
        action = tier.model.default_action
        if action is None or action.value != "Pass":
            continue
        for direction in (Direction.INGRESS, Direction.EGRESS):
            passers = [p for p in ctx.policy_set.policies if p.tier == tier.model.name and p.governs(direction)
                       and not p.kind.is_staged]
            if passers and reaches_nothing(ctx, ranks, passers, tier.model.name, direction, False):
                yield tier.finding(
                    ID, DEFAULT_SEVERITY,
                    f"Tier {tier.model.name} has defaultAction Pass, but no later tier has an "
                    f"{direction.value.lower()} policy for the endpoints its policies select; unmatched "
                    "traffic falls through to the profiles, which allow it",
                    "spec.defaultAction", hint="use defaultAction Deny if unmatched traffic should be dropped")


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    ranks = tier_ranks(ctx)
    yield from _pass_rules(ctx, ranks)
    yield from _default_pass(ctx, ranks)
