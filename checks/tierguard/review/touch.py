"""Which endpoints a change touches, so only their flows are re-evaluated.

A policy takes part in a verdict only for the endpoints its (effective) selector selects, in the
directions it governs (calico-semantics §3.2-§3.4): egress at the source, ingress at the
destination. So a flow's verdict can differ between base and head only if a policy that changed
(added, removed or edited; or any policy of a tier whose order or default action changed)
selects the flow's source for egress or its destination for ingress. Everything else keeps its
verdict and is not evaluated again. Network sets are peers, not policy targets: when they change,
every flow with a peer outside the workload inventory is treated as touched.

Pure: IR and inventory types in, sets out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tierguard.engine.ir import (
    CompiledPolicy,
    CompiledRule,
    CompiledTier,
    Direction,
    PolicySet,
)
from tierguard.inventory.model import Endpoint

PolicyId = tuple[str, str, str]  # (kind, namespace, name)


def policy_id(policy: CompiledPolicy) -> PolicyId:
    return (policy.kind.value, policy.namespace, policy.name)


def policy_label(policy: CompiledPolicy) -> str:
    scope = f"{policy.namespace}/" if policy.namespace else ""
    return f"{policy.kind.value} {scope}{policy.name} (tier {policy.tier})"


def _without_span_rule(rule: CompiledRule) -> CompiledRule:
    return dataclasses.replace(rule, span=None)


def fingerprint(policy: CompiledPolicy) -> CompiledPolicy:
    """The policy with source positions removed: moving lines around is not a change."""
    return dataclasses.replace(
        policy, span=None,
        ingress=tuple(_without_span_rule(r) for r in policy.ingress),
        egress=tuple(_without_span_rule(r) for r in policy.egress))


def _tier_fingerprint(tier: CompiledTier) -> CompiledTier:
    return dataclasses.replace(tier, span=None)


@dataclass(frozen=True, slots=True)
class Change:
    """The policies whose behaviour differs between base and head (either version of each)."""

    policies: tuple[CompiledPolicy, ...]  # base and head versions of every changed policy
    labels: tuple[str, ...]  # "NetworkPolicy sock-shop/carts (tier application)", sorted
    everything: bool = False  # Calico version/edition changed: nothing can be assumed

    @property
    def empty(self) -> bool:
        return not self.policies and not self.everything


def policy_change(base: PolicySet, head: PolicySet) -> Change:
    if (base.version, base.edition) != (head.version, head.edition):
        return Change(base.policies + head.policies, ("Calico version or edition",), everything=True)
    base_by_id = {policy_id(p): p for p in base.policies}
    head_by_id = {policy_id(p): p for p in head.policies}
    changed_ids = {pid for pid in base_by_id.keys() | head_by_id.keys()
                   if (base_by_id.get(pid) is None or head_by_id.get(pid) is None
                       or fingerprint(base_by_id[pid]) != fingerprint(head_by_id[pid]))}
    base_tiers = {t.name: _tier_fingerprint(t) for t in base.tiers}
    head_tiers = {t.name: _tier_fingerprint(t) for t in head.tiers}
    changed_tiers = {name for name in base_tiers.keys() | head_tiers.keys()
                     if base_tiers.get(name) != head_tiers.get(name)}
    chosen: list[CompiledPolicy] = []
    labels: set[str] = set()
    for policy in (*base.policies, *head.policies):
        if policy_id(policy) in changed_ids or policy.tier in changed_tiers:
            chosen.append(policy)
            labels.add(policy_label(policy))
    labels.update(f"Tier {name}" for name in changed_tiers)
    return Change(tuple(chosen), tuple(sorted(labels)))


@dataclass(frozen=True, slots=True)
class Touched:
    """Endpoints (by identity in the inventory) whose egress or ingress chain may have changed."""

    egress: frozenset[int]
    ingress: frozenset[int]
    all_external: bool = False  # network sets changed: every flow with an outside peer is touched

    def flow(self, source: Endpoint | None, destination: Endpoint | None) -> bool:
        if self.all_external and (source is None or destination is None):
            return True
        return ((source is not None and id(source) in self.egress)
                or (destination is not None and id(destination) in self.ingress))

    @property
    def endpoint_ids(self) -> frozenset[int]:
        return self.egress | self.ingress


def touched_endpoints(change: Change, endpoints: Sequence[Endpoint],
                      network_sets_changed: bool = False) -> Touched:
    """Apply each changed policy's selector once per label class, not once per pod."""
    if change.everything:
        every = frozenset(id(ep) for ep in endpoints)
        return Touched(every, every, True)
    egress: set[int] = set()
    ingress: set[int] = set()
    for members in _label_classes(endpoints):
        labels = members[0].labels
        for policy in change.policies:
            if not policy.selector.matches(labels):
                continue
            ids = {id(ep) for ep in members}
            if policy.governs(Direction.EGRESS):
                egress |= ids
            if policy.governs(Direction.INGRESS):
                ingress |= ids
    return Touched(frozenset(egress), frozenset(ingress), network_sets_changed)


def _label_classes(endpoints: Iterable[Endpoint]) -> list[list[Endpoint]]:
    classes: dict[tuple[tuple[str, str], ...], list[Endpoint]] = {}
    for ep in endpoints:
        classes.setdefault(tuple(sorted(ep.labels.items())), []).append(ep)
    return list(classes.values())


def staged_policies(policy_set: PolicySet) -> tuple[CompiledPolicy, ...]:
    return tuple(p for p in policy_set.policies if p.kind.is_staged)
