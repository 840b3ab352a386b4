"""LNT903: a staged policy whose enforced twin exists with the same spec (promotion left it behind)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.engine.ir import CompiledPolicy, CompiledRule, PolicyKind, StagedAction
from tierguard.lint.context import LintContext, PolicySource

ID = "LNT903"
NAME = "staged-policy-left-behind"
DEFAULT_SEVERITY = Severity.WARNING
NEEDS_INVENTORY = False
DOC = CodeDoc(
    ID, NAME, DEFAULT_SEVERITY,
    "A StagedNetworkPolicy, StagedGlobalNetworkPolicy or StagedKubernetesNetworkPolicy (stagedAction Set) "
    "has an enforced twin of the same kind family, namespace and name whose spec is equivalent: the "
    "policy was promoted but the staged copy was not deleted.",
    why="The staged copy no longer previews anything (it matches exactly what is enforced), keeps "
        "producing pending-policy entries in flow logs, and will silently diverge the next time someone "
        "edits only one of the two. Promotion should delete the staged object in the same change.",
    failing="kind: StagedNetworkPolicy\nmetadata: {name: application.api, namespace: shop}\n---\n"
            "kind: NetworkPolicy\nmetadata: {name: application.api, namespace: shop}\n# same spec",
    passing="kind: NetworkPolicy\nmetadata: {name: application.api, namespace: shop}",
    references="ecosystem.md section 6.3 item 6; calico-semantics.md section 5.4",
)

_TWIN_KIND = {
    PolicyKind.STAGED_NETWORK_POLICY: PolicyKind.NETWORK_POLICY,
    PolicyKind.STAGED_GLOBAL_NETWORK_POLICY: PolicyKind.GLOBAL_NETWORK_POLICY,
    PolicyKind.STAGED_KUBERNETES_NETWORK_POLICY: PolicyKind.KUBERNETES_NETWORK_POLICY,
}


def _rules(rules: tuple[CompiledRule, ...]) -> tuple[CompiledRule, ...]:
    return tuple(dataclasses.replace(rule, span=None) for rule in rules)


def behaviour(policy: CompiledPolicy) -> tuple[object, ...]:
    """What decides verdicts: tier, order, selector, types and rules (locations left out)."""
    return (policy.tier, policy.order, policy.selector, policy.types, _rules(policy.ingress),
            _rules(policy.egress), policy.do_not_track, policy.pre_dnat, policy.apply_on_forward)


def _twin(ctx: LintContext, staged: PolicySource) -> PolicySource | None:
    kind = _TWIN_KIND.get(staged.compiled.kind)
    for candidate in ctx.policies:
        policy = candidate.compiled
        if policy.kind is kind and (policy.namespace, policy.name) == (staged.compiled.namespace,
                                                                       staged.compiled.name):
            return candidate
    return None


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for source in ctx.policies:
        staged = source.compiled
        if not source.is_staged or staged.staged_action not in (StagedAction.SET, None):
            continue
        twin = _twin(ctx, source)
        if twin is None or behaviour(twin.compiled) != behaviour(staged):
            continue
        yield source.finding(
            ID, DEFAULT_SEVERITY,
            f"{source.ref} is an exact staged copy of the enforced {twin.ref}; "
            "the policy was promoted but the staged copy was left behind",
            source.span_of("kind"), "kind",
            hint=f"delete the {staged.kind.value} in the change that enforces the policy (with prune "
                 "enabled, Flux or Argo CD then removes it from the cluster)")
