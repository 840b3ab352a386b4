"""CAL204: `services` cannot be combined with selectors, nets or service accounts (nor ports, in destination)."""

from __future__ import annotations

from collections.abc import Iterator

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.rules.context import RuleContext
from tierguard.rules.shapes import calico_policy, finding, key_span, rules_of, sides

ID = "CAL204"
NAME = "services-exclusive"
DEFAULT_SEVERITY = Severity.ERROR
DOC = CodeDoc(
    ID, NAME, DEFAULT_SEVERITY,
    "An entity rule combines `services` with selector, notSelector, namespaceSelector, nets, notNets "
    "or serviceAccounts, or a destination with `services` also lists ports.",
    why="A Service match stands on its own (its endpoints and ports come from the Service); the Calico "
        "API server rejects the combination.",
    failing="destination:\n  services: {name: api}\n  selector: app == 'api'",
    passing="destination:\n  services: {name: api, namespace: prod}",
    references="calico-semantics.md section 1.1",
)

_EXCLUSIVE = ("selector", "notSelector", "namespaceSelector", "nets", "notNets", "serviceAccounts")


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    policy = calico_policy(ctx)
    if policy is None:
        return
    for rule in rules_of(policy):
        for side in sides(rule):
            if side.services is None:
                continue
            clashing = [key for key in side.keys if key in _EXCLUSIVE]
            if side is rule.destination:
                clashing += [key for key in side.keys if key in ("ports", "notPorts")]
            for key in clashing:
                yield finding(ctx, ID, DEFAULT_SEVERITY,
                              f"{side.path} combines services with {key}; services must stand alone",
                              key_span(ctx, side.path, key) or side.services.span, f"{side.path}.{key}",
                              hint=f"Remove {key}, or use a separate rule without services.")
