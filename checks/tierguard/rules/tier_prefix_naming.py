"""CAL209: in Calico OSS 3.29-3.31 and Enterprise, a policy in a non-default tier is named `<tier>.<name>`."""

from __future__ import annotations

from collections.abc import Iterator

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.engine.ir import CalicoVersion, Edition
from tierguard.rules.context import RuleContext
from tierguard.rules.shapes import calico_policy, finding

ID = "CAL209"
NAME = "tier-prefix-naming"
DEFAULT_SEVERITY = Severity.ERROR
DOC = CodeDoc(
    ID, NAME, DEFAULT_SEVERITY,
    "A policy in a non-default tier is not named `<tier>.<name>`, where the configured Calico version "
    "requires it (OSS 3.29 to 3.31, and Enterprise).",
    why="Those versions reject the policy at apply time; Calico OSS 3.32 removed the requirement "
        "(calico#11232), so the rule follows the environment's calicoVersion and edition.",
    failing="metadata:\n  name: allow-dns\nspec:\n  tier: platform",
    passing="metadata:\n  name: platform.allow-dns\nspec:\n  tier: platform",
    references="calico-semantics.md section 2; ecosystem.md section 6.3 item 3",
)

_FIRST = CalicoVersion(3, 29)
_REMOVED = CalicoVersion(3, 32)


def prefix_required(version: CalicoVersion, edition: Edition) -> bool:
    """True where Calico rejects a non-default-tier policy without the `<tier>.` prefix."""
    return edition is Edition.ENTERPRISE or _FIRST <= version < _REMOVED


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    policy = calico_policy(ctx)
    if policy is None or not prefix_required(ctx.calico_version, ctx.edition):
        return
    tier = policy.tier_name
    name = policy.meta.name
    if tier == "default" or not name or name.startswith(f"{tier}."):
        return
    where = "Calico Enterprise" if ctx.edition is Edition.ENTERPRISE else f"Calico {ctx.calico_version}"
    span = policy.meta.name_text.span if policy.meta.name_text is not None else None
    yield finding(ctx, ID, DEFAULT_SEVERITY,
                  f"{policy.kind} {name!r} is in tier {tier!r}; {where} requires the name to start with "
                  f"'{tier}.'", span, "metadata.name", hint=f"Rename it to '{tier}.{name}'.")
