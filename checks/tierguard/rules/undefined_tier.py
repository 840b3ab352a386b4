"""CAL210: a policy's tier must be defined in the repository or be a built-in tier of the version."""

from __future__ import annotations

from collections.abc import Iterator

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.rules.context import RuleContext
from tierguard.rules.shapes import calico_policy, finding, is_placeholder

ID = "CAL210"
NAME = "undefined-tier"
DEFAULT_SEVERITY = Severity.ERROR
DOC = CodeDoc(
    ID, NAME, DEFAULT_SEVERITY,
    "A policy names a tier that no Tier object in the repository defines and that is not built in.",
    why="The Calico API server refuses a policy whose tier does not exist, so the whole Flux "
        "Kustomization or Argo CD sync fails its dry-run.",
    failing="spec:\n  tier: securty", passing="spec:\n  tier: security   # tiers/security.yaml defines it",
    references="calico-semantics.md section 1.5; ecosystem.md section 6.3 item 2",
)


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    policy = calico_policy(ctx)
    if policy is None or policy.tier is None:
        return
    tier = policy.tier_name
    if tier in ctx.known_tiers or is_placeholder(tier):
        return
    known = ", ".join(sorted(ctx.known_tiers))
    yield finding(ctx, ID, DEFAULT_SEVERITY,
                  f"tier {tier!r} is not defined anywhere in the repository and is not a built-in tier",
                  policy.tier.span, "spec.tier",
                  hint=f"Add a Tier named {tier!r} under tiers/, or fix the spelling. Tiers known for "
                       f"Calico {ctx.calico_version}: {known}.")
