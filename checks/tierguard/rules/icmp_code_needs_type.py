"""CAL202: an ICMP `code` needs a `type`."""

from __future__ import annotations

from collections.abc import Iterator

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.rules.context import RuleContext
from tierguard.rules.shapes import calico_policy, finding, rules_of

ID = "CAL202"
NAME = "icmp-code-needs-type"
DEFAULT_SEVERITY = Severity.ERROR
DOC = CodeDoc(
    ID, NAME, DEFAULT_SEVERITY,
    "An `icmp` or `notICMP` match gives a code without a type.",
    why="An ICMP code only means something within a type; Calico rejects the rule.",
    failing="protocol: ICMP\nicmp:\n  code: 0", passing="protocol: ICMP\nicmp:\n  type: 8\n  code: 0",
    references="calico-semantics.md section 1.1",
)


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    policy = calico_policy(ctx)
    if policy is None:
        return
    for rule in rules_of(policy):
        for key, match in (("icmp", rule.icmp), ("notICMP", rule.not_icmp)):
            if match is not None and match.code is not None and match.type is None:
                yield finding(ctx, ID, DEFAULT_SEVERITY,
                              f"{rule.path}.{key} has code {match.code.value} but no type",
                              match.code.span, f"{rule.path}.{key}.code",
                              hint="Add the ICMP type, e.g. `type: 3` for destination-unreachable codes.")
