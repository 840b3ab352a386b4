"""CAL201: `ports`/`notPorts` need protocol TCP, UDP or SCTP unless every entry is a named port."""

from __future__ import annotations

from collections.abc import Iterator

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.model.protocol import PORT_PROTOCOLS, protocol_number
from tierguard.rules.context import RuleContext
from tierguard.rules.shapes import calico_policy, finding, rules_of, sides

ID = "CAL201"
NAME = "ports-need-protocol"
DEFAULT_SEVERITY = Severity.ERROR
DOC = CodeDoc(
    ID, NAME, DEFAULT_SEVERITY,
    "A rule matches on numeric ports but its protocol is not TCP, UDP or SCTP.",
    why="Ports only exist for TCP, UDP and SCTP; the Calico API server rejects such a rule "
        "(validateRule), so the whole policy fails to apply.",
    failing="- action: Allow\n  destination:\n    ports: [443]",
    passing="- action: Allow\n  protocol: TCP\n  destination:\n    ports: [443]",
    references="calico-semantics.md sections 1.1 and 9.8",
)


def _numeric(value: int | str) -> bool:
    return isinstance(value, int) or (value[:1].isdigit())


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    policy = calico_policy(ctx)
    if policy is None:
        return
    for rule in rules_of(policy):
        number = protocol_number(rule.protocol.value) if rule.protocol is not None else None
        if number in PORT_PROTOCOLS:
            continue
        for side in sides(rule):
            for key, ports in (("ports", side.ports), ("notPorts", side.not_ports)):
                if ports and any(_numeric(p.value) for p in ports):
                    got = f"protocol {rule.protocol.value}" if rule.protocol is not None else "no protocol"
                    yield finding(ctx, ID, DEFAULT_SEVERITY,
                                  f"{side.path}.{key} lists numeric ports but the rule has {got}; "
                                  "ports need protocol TCP, UDP or SCTP",
                                  ports[0].span, f"{side.path}.{key}",
                                  hint="Add `protocol: TCP` (or UDP/SCTP) to the rule.")
