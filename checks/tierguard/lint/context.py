"""What every lint receives: the environment's compiled policy, its inventory, and the checked resources.

A `PolicySource` ties a compiled policy back to the resource it came from, so a lint can judge
the compiled (effective) form and still point at the exact line the user wrote.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from tierguard.diagnostics import Diagnostic, ResourceRef, Severity, Span
from tierguard.engine.compile import PolicyModel, compile_policy, compile_policy_set, operator_tier
from tierguard.engine.ir import (
    Action,
    CalicoVersion,
    CompiledPolicy,
    CompiledTier,
    Edition,
    PolicySet,
)
from tierguard.inventory.model import Endpoint, EndpointKind, Inventory
from tierguard.lint.universe import Universe
from tierguard.loader import paths
from tierguard.loader.resources import ResourceDoc
from tierguard.model.admin import AdminPolicy
from tierguard.model.calico import CalicoPolicy, Tier
from tierguard.model.k8s import K8sNetworkPolicy
from tierguard.validation.dispatch import Checked

_APPLIES_TO_KINDS = frozenset({EndpointKind.WORKLOAD, EndpointKind.HOST})


@dataclass(frozen=True, slots=True)
class PolicySource:
    """A compiled policy with the resource (and typed model) it was compiled from."""

    compiled: CompiledPolicy
    model: PolicyModel
    resource: ResourceDoc

    @property
    def is_staged(self) -> bool:
        return self.compiled.kind.is_staged

    @property
    def ref(self) -> ResourceRef:
        return self.resource.ref

    def span_of(self, path: str) -> Span | None:
        """The span of the node at `path` in the resource, if it exists."""
        node = paths.node_at(self.resource.root, path) if path else None
        return node.span if node is not None else None

    def name_span(self) -> Span:
        return self.span_of("metadata.name") or self.resource.span

    def finding(self, code: str, severity: Severity, message: str, span: Span | None, path: str,
                hint: str | None = None) -> Diagnostic:
        """A diagnostic on this policy; falls back to metadata.name when `span` is unknown."""
        if span is None:
            span, path = self.name_span(), "metadata.name"
        return Diagnostic(code, severity, message, span, self.ref, self.resource.field(path), hint)


@dataclass(frozen=True, slots=True)
class TierSource:
    model: Tier
    resource: ResourceDoc

    def finding(self, code: str, severity: Severity, message: str, path: str, hint: str | None = None
                ) -> Diagnostic:
        """A diagnostic on the node at `path` of this Tier (its metadata.name if `path` is absent)."""
        node = paths.node_at(self.resource.root, path)
        if node is None:
            path = "metadata.name"
            node = paths.node_at(self.resource.root, path)
        span = node.span if node is not None else self.resource.span
        return Diagnostic(code, severity, message, span, self.resource.ref, self.resource.field(path), hint)


@dataclass(frozen=True, slots=True)
class LintContext:
    """Inputs of one lint run. `inventory` is None when the run has none (inventory lints skip)."""

    policy_set: PolicySet
    policies: tuple[PolicySource, ...]
    tiers: tuple[TierSource, ...]
    inventory: Inventory | None = None
    # Every endpoint rule selectors can match: the inventory's, plus network sets and host
    # endpoints kept in the policy repository.
    peers: Universe = field(default_factory=lambda: Universe(()))
    # The endpoints a policy can apply to (pods and host endpoints; network sets are only peers).
    targets: Universe = field(default_factory=lambda: Universe(()))
    inventory_name: str = ""


def _policy_models(checked: Iterable[Checked]) -> Iterable[tuple[PolicyModel, ResourceDoc]]:
    for item in checked:
        if isinstance(item.model, (CalicoPolicy, K8sNetworkPolicy, AdminPolicy)):
            yield item.model, item.resource


def _tiers(checked: Sequence[Checked], policies: Iterable[CompiledPolicy], version: CalicoVersion,
           edition: Edition) -> tuple[CompiledTier, ...]:
    """Built-in and defined tiers, plus the tiers policies name: as `compile_policy_set` builds them
    (operator tiers, or undefined tiers that sort last), without compiling every policy twice."""
    tier_models = [item.model for item in checked if isinstance(item.model, Tier)]
    base, _ = compile_policy_set(tier_models, version, edition)
    tiers = {tier.name: tier for tier in base.tiers}
    for policy in policies:
        if policy.tier not in tiers:
            tiers[policy.tier] = (operator_tier(policy.tier, version, edition)
                                  or CompiledTier(policy.tier, None, Action.DENY, defined=False))
    return tuple(tiers.values())


def build_context(checked: Sequence[Checked], version: CalicoVersion, edition: Edition,
                  inventory: Inventory | None = None, endpoints: Sequence[Endpoint] = (),
                  inventory_name: str = "") -> LintContext:
    """Compile the checked resources (policies that do not compile are left to the CAL/ENG checks)."""
    sources: list[PolicySource] = []
    for model, resource in _policy_models(checked):
        compiled, _ = compile_policy(model, version, edition)
        if compiled is not None:
            sources.append(PolicySource(compiled, model, resource))
    policies = tuple(source.compiled for source in sources)
    policy_set = PolicySet(version, edition, _tiers(checked, policies, version, edition), policies)
    tiers = tuple(TierSource(item.model, item.resource) for item in checked if isinstance(item.model, Tier))
    targets = Universe(e for e in endpoints if e.kind in _APPLIES_TO_KINDS)
    return LintContext(policy_set, tuple(sources), tiers, inventory, Universe(endpoints), targets, inventory_name)
