"""Tier and policy ordering (calico-semantics §3.3) and the v1 policy names older Calico sorts by."""

from __future__ import annotations

import math
from collections.abc import Callable

from tierguard.engine.ir import CalicoVersion, CompiledPolicy, CompiledTier, Edition, PolicyKind

FORMAT_B_SINCE = CalicoVersion(3, 32)
_KNP_PREFIX = "knp.default."
_PREFIXED_GLOBAL = {
    PolicyKind.ADMIN_NETWORK_POLICY: "kanp.adminnetworkpolicy.",
    PolicyKind.BASELINE_ADMIN_NETWORK_POLICY: "kbanp.baselineadminnetworkpolicy.",
}


def tier_sort_key(tier: CompiledTier) -> tuple[int, int, float, bytes]:
    """felix TierLess: defined tiers first, then non-nil order, ascending order, name bytewise."""
    return (0 if tier.defined else 1, 0 if tier.order is not None else 1,
            tier.order if tier.order is not None else 0.0, tier.name.encode())


def bare_name(policy: CompiledPolicy) -> str:
    """The policy's name without a `staged:` marker or the kind's fixed prefix."""
    name = policy.name.removeprefix("staged:")
    if policy.kind in (PolicyKind.KUBERNETES_NETWORK_POLICY,
                       PolicyKind.STAGED_KUBERNETES_NETWORK_POLICY):
        return name.removeprefix(_KNP_PREFIX)
    prefix = _PREFIXED_GLOBAL.get(policy.kind)
    return name.removeprefix(prefix) if prefix else name


def tier_rest(policy: CompiledPolicy) -> str:
    """The name with a leading `<tier>.` removed (felix strips it and re-adds it in Format A)."""
    return bare_name(policy).removeprefix(f"{policy.tier}.")


def v1_name(policy: CompiledPolicy) -> str:
    """The felix v1 key name of Calico <=3.31 and Enterprise (calico-semantics §2)."""
    kind = policy.kind
    staged = "staged:" if kind.is_staged else ""
    ns = f"{policy.namespace}/" if kind.is_namespaced else ""
    if kind in (PolicyKind.KUBERNETES_NETWORK_POLICY, PolicyKind.STAGED_KUBERNETES_NETWORK_POLICY):
        return f"{ns}{staged}{_KNP_PREFIX}{bare_name(policy)}"
    prefix = _PREFIXED_GLOBAL.get(kind)
    if prefix:
        return prefix + bare_name(policy)
    name = bare_name(policy)
    # Default-tier names are kept as created (3.29.4+); other tiers require "<tier>." already.
    if policy.tier != "default" and not name.startswith(f"{policy.tier}."):
        name = f"{policy.tier}.{name}"
    return f"{ns}{staged}{name}"


def _order(policy: CompiledPolicy) -> float:
    return math.inf if policy.order is None else policy.order


def policy_sort_key(version: CalicoVersion, edition: Edition
                    ) -> Callable[[CompiledPolicy], tuple[float, bytes, int]]:
    """The within-tier sort key for a Calico version and edition (felix PolKVLess)."""
    if edition is Edition.ENTERPRISE:
        # model.PolicyNameLessThan: compare without "staged:"; the staged copy sorts first.
        return lambda p: (_order(p), v1_name(p).replace("staged:", "", 1).encode(),
                          0 if p.kind.is_staged else 1)
    if version >= FORMAT_B_SINCE:
        return lambda p: (_order(p), f"{bare_name(p)}/{p.namespace if p.kind.is_namespaced else ''}"
                          f"/{p.kind.value}".encode(), 0)
    return lambda p: (_order(p), v1_name(p).encode(), 0)
