"""Name and locate the rule behind a verdict: `policy`, `ingress[2]`, and file:line in the head
tree's source files (not in the rendered kustomize stream, which reviewers never see).

The compiled rule carries a span in the rendered stream; the loader's `SourceIndex` finds the
source object of the same kind and name, and the rule is located at `spec.<direction>[<index>]`
in it. When that is ambiguous (patches, name prefixes), the source object's own line is used, and
failing that the rendered position is kept.
"""

from __future__ import annotations

from dataclasses import dataclass

from tierguard.diagnostics import ResourceRef, Span
from tierguard.engine.ir import CompiledPolicy, Direction, PolicyKind
from tierguard.engine.order import bare_name
from tierguard.engine.trace import Hit
from tierguard.loader import paths
from tierguard.loader.resources import ResourceDoc
from tierguard.loader.sourcemap import SourceIndex
from tierguard.review.model import RuleLocation

_SOURCE_KIND = {
    PolicyKind.NETWORK_POLICY: "NetworkPolicy",
    PolicyKind.GLOBAL_NETWORK_POLICY: "GlobalNetworkPolicy",
    PolicyKind.STAGED_NETWORK_POLICY: "StagedNetworkPolicy",
    PolicyKind.STAGED_GLOBAL_NETWORK_POLICY: "StagedGlobalNetworkPolicy",
    PolicyKind.STAGED_KUBERNETES_NETWORK_POLICY: "StagedKubernetesNetworkPolicy",
    PolicyKind.KUBERNETES_NETWORK_POLICY: "NetworkPolicy",
    PolicyKind.KUBERNETES_CLUSTER_NETWORK_POLICY: "ClusterNetworkPolicy",
    PolicyKind.ADMIN_NETWORK_POLICY: "AdminNetworkPolicy",
    PolicyKind.BASELINE_ADMIN_NETWORK_POLICY: "BaselineAdminNetworkPolicy",
}

_TWIN_KINDS = {
    PolicyKind.STAGED_NETWORK_POLICY: ("NetworkPolicy",),
    PolicyKind.STAGED_GLOBAL_NETWORK_POLICY: ("GlobalNetworkPolicy",),
    PolicyKind.STAGED_KUBERNETES_NETWORK_POLICY: ("NetworkPolicy",),
}


def policy_display(policy: CompiledPolicy) -> str:
    """`kind:[namespace/]name` as Calico >=3.32 flow logs write it (e.g. np:sock-shop/carts)."""
    scope = f"{policy.namespace}/" if policy.kind.is_namespaced else ""
    return f"{policy.kind.short}:{scope}{bare_name(policy)}"


@dataclass(frozen=True, slots=True)
class Locator:
    index: SourceIndex | None

    def source_of(self, policy: CompiledPolicy) -> ResourceDoc | None:
        if self.index is None:
            return None
        namespace = policy.namespace if policy.kind.is_namespaced else ""
        # A staged policy made from an enforced one by a kustomize patch has no source of its own
        # kind; its enforced twin's file is where a reviewer edits it.
        kinds = (_SOURCE_KIND[policy.kind], *_TWIN_KINDS.get(policy.kind, ()))
        for kind in kinds:
            for name in dict.fromkeys((policy.name, bare_name(policy))):
                found = self.index.source_of(ResourceRef(kind, name, namespace))
                if found is not None:
                    return found
        return None

    def rule_span(self, policy: CompiledPolicy, direction: Direction, rule_index: int,
                  fallback: Span | None) -> Span | None:
        source = self.source_of(policy)
        if source is not None:
            if rule_index >= 0:
                node = paths.node_at(source.root, f"spec.{direction.value.lower()}[{rule_index}]")
                if node is not None:
                    return node.span
            return source.span
        return fallback or policy.span

    def __call__(self, hit: Hit, direction: Direction) -> RuleLocation:
        action = hit.action.trace_word
        if hit.policy is None:
            return RuleLocation(f"profile {hit.profile}", hit.tier,
                                "(no tier decided)", action)
        policy = hit.policy
        if hit.end_of_tier:
            rule = f"end of tier {hit.tier} (no rule matched)"
        else:
            rule = f"{direction.value.lower()}[{hit.rule_index}]"
        span = self.rule_span(policy, direction, hit.rule_index, hit.span)
        return RuleLocation(policy_display(policy), hit.tier, rule, action, span)
