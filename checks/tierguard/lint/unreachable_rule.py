"""LNT905: a rule after an unconditional Allow/Deny/Pass rule of the same policy and direction never matches."""

from __future__ import annotations

from collections.abc import Iterator

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.engine.ir import Action, CompiledRule, Direction, EntityMatch
from tierguard.lint.context import LintContext
from tierguard.model.calico import CalicoPolicy

ID = "LNT905"
NAME = "unreachable-rule"
DEFAULT_SEVERITY = Severity.WARNING
NEEDS_INVENTORY = False
DOC = CodeDoc(
    ID, NAME, DEFAULT_SEVERITY,
    "A rule comes after a rule with no match criteria at all (no protocol, ports, ICMP, IP version, "
    "selectors, nets, services or HTTP match) whose action is Allow, Deny or Pass, in the same policy "
    "and direction. The earlier rule matches every packet, so the later one is never reached.",
    why="Rules are evaluated in order and the first matching Allow/Deny/Pass decides. A rule below a "
        "catch-all is dead code that reviewers will read as if it had an effect.",
    failing="egress:\n  - action: Deny\n  - action: Allow\n    protocol: UDP\n"
            "    destination:\n      ports: [53]",
    passing="egress:\n  - action: Allow\n    protocol: UDP\n    destination:\n      ports: [53]\n"
            "  - action: Deny",
    references="calico-semantics.md sections 3.4 and 3.5",
)

_DECIDING = frozenset({Action.ALLOW, Action.DENY, Action.PASS})


def _open(side: EntityMatch) -> bool:
    return side == EntityMatch()


def unconditional(rule: CompiledRule) -> bool:
    """True when the rule matches every packet and decides (Log rules never decide)."""
    return (rule.action in _DECIDING and _open(rule.source) and _open(rule.destination)
            and rule.protocol is None and rule.not_protocol is None and rule.ip_version is None
            and rule.icmp is None and rule.not_icmp is None and not rule.has_http)


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for source in ctx.policies:
        if not isinstance(source.model, CalicoPolicy):
            continue  # Kubernetes rules are all Allow, so their order has no effect
        for direction in (Direction.INGRESS, Direction.EGRESS):
            rules = source.compiled.rules(direction)
            first = next((r for r in rules if unconditional(r)), None)
            if first is None:
                continue
            where = direction.value.lower()
            for rule in rules[rules.index(first) + 1:]:
                path = f"spec.{where}[{rule.index}]"
                yield source.finding(
                    ID, DEFAULT_SEVERITY,
                    f"{source.ref} {path} is unreachable: spec.{where}[{first.index}] "
                    f"({first.action.value} with no match criteria) matches every packet first",
                    source.span_of(path), path,
                    hint="move this rule above the catch-all rule, or delete it")
