"""CAL203: one rule must not mix IPv4 and IPv6 CIDRs (nor contradict its ipVersion)."""

from __future__ import annotations

from collections.abc import Iterator

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.model.located import Text
from tierguard.rules.context import RuleContext
from tierguard.rules.shapes import (
    calico_policy,
    finding,
    indexed,
    is_placeholder,
    network_version,
    rules_of,
    sides,
)

ID = "CAL203"
NAME = "mixed-ip-versions"
DEFAULT_SEVERITY = Severity.ERROR
DOC = CodeDoc(
    ID, NAME, DEFAULT_SEVERITY,
    "A rule's nets/notNets mix IPv4 and IPv6 CIDRs, or disagree with the rule's ipVersion.",
    why="A Calico rule is rendered for one IP family; the API server rejects a rule whose CIDRs "
        "belong to both families or to the other one.",
    failing="source:\n  nets: [10.0.0.0/8, 'fd00::/8']",
    passing="- action: Allow\n  source:\n    nets: [10.0.0.0/8]\n- action: Allow\n  source:\n    nets: ['fd00::/8']",
    references="calico-semantics.md sections 1.1 and 9.8",
)


def _version(value: Text) -> int | None:
    if is_placeholder(value.value):
        return None
    try:
        return network_version(value.value)
    except ValueError:
        return None  # CAL207 reports it


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    policy = calico_policy(ctx)
    if policy is None:
        return
    for rule in rules_of(policy):
        first: tuple[int, str] | None = (rule.ip_version.value, f"{rule.path}.ipVersion") \
            if rule.ip_version is not None else None
        for side in sides(rule):
            for key, nets in (("nets", side.nets), ("notNets", side.not_nets)):
                if not nets:
                    continue  # most sides have none: skip making the path
                for net, path in indexed(nets, f"{side.path}.{key}"):
                    version = _version(net)
                    if version is None:
                        continue
                    if first is None:
                        first = (version, path)
                    elif version != first[0]:
                        yield finding(ctx, ID, DEFAULT_SEVERITY,
                                      f"{path} is IPv{version} ({net.value}) but {first[1]} is IPv{first[0]}; "
                                      "a rule cannot mix IP versions", net.span, path,
                                      hint="Split the rule into one IPv4 rule and one IPv6 rule.")
