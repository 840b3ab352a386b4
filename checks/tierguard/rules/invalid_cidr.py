"""CAL207: every CIDR in nets/notNets, network sets, ipBlock and admin `networks` must parse."""

from __future__ import annotations

from collections.abc import Iterator

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.model.admin import AdminPolicy
from tierguard.model.calico import NetworkSet
from tierguard.model.k8s import K8sNetworkPolicy
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

ID = "CAL207"
NAME = "invalid-cidr"
DEFAULT_SEVERITY = Severity.ERROR
DOC = CodeDoc(
    ID, NAME, DEFAULT_SEVERITY,
    "A CIDR (or IP) in nets, notNets, a network set, an ipBlock or admin `networks` does not parse.",
    why="The API server rejects the object; a typo such as 10.0.0.0/33 or 10.0.0.256/24 would otherwise "
        "only surface when Flux or Argo CD fails to apply.",
    failing="nets: [10.0.0.0/33]", passing="nets: [10.0.0.0/16]",
    references="ecosystem.md section 1.3",
)


def _problem(value: str, *, prefix_required: bool) -> str | None:
    if is_placeholder(value):
        return None
    if prefix_required and "/" not in value:
        return "a CIDR needs a prefix length (e.g. /32)"
    try:
        network_version(value)
    except ValueError as error:
        return str(error)
    return None


def _texts(ctx: RuleContext) -> Iterator[tuple[Text, str, bool]]:
    """(value, field path, prefix required) for every CIDR-valued field of the resource."""
    policy = calico_policy(ctx)
    if policy is not None:
        for rule in rules_of(policy):
            for side in sides(rule):
                for key, nets in (("nets", side.nets), ("notNets", side.not_nets)):
                    if not nets:
                        continue  # most sides have none: skip making the path
                    # Calico accepts a bare IP as a /32 or /128 (ParseCIDROrIP).
                    yield from ((t, p, False) for t, p in indexed(nets, f"{side.path}.{key}"))
    model = ctx.model
    if isinstance(model, NetworkSet):
        yield from ((t, p, False) for t, p in indexed(model.nets, "spec.nets"))
    if isinstance(model, K8sNetworkPolicy):
        for k8s_rule in model.ingress + model.egress:
            for peer in k8s_rule.peers:
                if peer.ip_block is not None:
                    if peer.ip_block.cidr is not None:
                        yield peer.ip_block.cidr, f"{peer.path}.ipBlock.cidr", True
                    yield from ((t, p, True) for t, p in indexed(peer.ip_block.except_, f"{peer.path}.ipBlock.except"))
    if isinstance(model, AdminPolicy):
        for admin_rule in model.egress:
            for admin_peer in admin_rule.peers:
                yield from ((t, p, True) for t, p in indexed(admin_peer.networks, f"{admin_peer.path}.networks"))


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    for text, path, prefix_required in _texts(ctx):
        problem = _problem(text.value, prefix_required=prefix_required)
        if problem is not None:
            yield finding(ctx, ID, DEFAULT_SEVERITY, f"{path}: {text.value!r} is not a valid CIDR: {problem}",
                          text.span, path)
