"""Models -> `PolicySet` for one Calico version and edition (pure; calico-semantics §1-§3).

Entry points:
- `compile_policy_set(resources, version, edition)`: every modelled policy kind and Tier.
- `builtin_tiers(version)`: the tiers Calico creates itself (§1.5).
- `profiles_for(endpoint)`: the profiles an endpoint is evaluated against after the tiers (§1.8).
A policy holding a value Calico would reject is left out with a diagnostic (ENG650); a policy
in a tier defined nowhere is kept, in a `CompiledTier(defined=False)` (ENG651).
"""

from __future__ import annotations

from collections.abc import Iterable

from tierguard.diagnostics import Diagnostic, ResourceRef, Severity, Span
from tierguard.engine import compile_codes as codes
from tierguard.engine.compile_admin import compile_admin_policy
from tierguard.engine.compile_k8s import compile_k8s_policy
from tierguard.engine.compile_rules import (
    CompileError,
    compile_rule,
    selector_of,
    staged_action_of,
    user_selector,
)
from tierguard.engine.compile_selectors import policy_selector_text
from tierguard.engine.ir import (
    Action,
    CalicoVersion,
    CompiledPolicy,
    CompiledProfile,
    CompiledRule,
    CompiledTier,
    Direction,
    Edition,
    PolicyKind,
    PolicySet,
)
from tierguard.inventory.model import Endpoint
from tierguard.model.admin import AdminPolicy
from tierguard.model.calico import CalicoPolicy, Tier
from tierguard.model.k8s import K8sNetworkPolicy
from tierguard.model.meta import Meta

DEFAULT_TIER = "default"
DEFAULT_TIER_ORDER = 1_000_000.0
ALLOW_ALL_PROFILE = "projectcalico-default-allow"

_V3_29 = CalicoVersion(3, 29)
_V3_30 = CalicoVersion(3, 30)
_V3_32 = CalicoVersion(3, 32)

_CALICO_KINDS = {
    "NetworkPolicy": PolicyKind.NETWORK_POLICY,
    "GlobalNetworkPolicy": PolicyKind.GLOBAL_NETWORK_POLICY,
    "StagedNetworkPolicy": PolicyKind.STAGED_NETWORK_POLICY,
    "StagedGlobalNetworkPolicy": PolicyKind.STAGED_GLOBAL_NETWORK_POLICY,
}


# --- tiers ------------------------------------------------------------------------------------


def builtin_tiers(version: CalicoVersion, edition: Edition = Edition.OSS) -> tuple[CompiledTier, ...]:
    """Tiers Calico creates itself (§1.5). `default` exists in every version.

    Calico Enterprise (code of early 2025) has the admin tiers of OSS 3.30-3.31 whatever the
    version number, since Enterprise numbers its releases differently.
    """
    tiers = [CompiledTier(DEFAULT_TIER, DEFAULT_TIER_ORDER, Action.DENY)]
    if edition is Edition.OSS and version >= _V3_32:
        tiers.append(CompiledTier("kube-admin", 1_000.0, Action.PASS))
        tiers.append(CompiledTier("kube-baseline", 10_000_000.0, Action.PASS))
    elif edition is Edition.ENTERPRISE or version >= _V3_29:
        tiers.append(CompiledTier("adminnetworkpolicy", 1_000.0, Action.PASS))
        if edition is Edition.ENTERPRISE or version >= _V3_30:
            tiers.append(CompiledTier("baselineadminnetworkpolicy", 10_000_000.0, Action.PASS))
    return tuple(tiers)


def operator_tier(name: str, version: CalicoVersion, edition: Edition) -> CompiledTier | None:
    """The operator-managed system tier (`allow-tigera`, renamed `calico-system` in OSS 3.32).

    It exists in every operator install but is not a Calico built-in; it is added only when a
    policy uses it. Its order is not documented (commonly 100, calico-semantics §1.5,
    UNCONFIRMED); its defaultAction is the Tier default, Deny.
    """
    expected = "calico-system" if edition is Edition.OSS and version >= _V3_32 else "allow-tigera"
    return CompiledTier(name, 100.0, Action.DENY) if name == expected else None


def compile_tier(tier: Tier) -> CompiledTier:
    """A Tier object: order (None = applied last) and defaultAction (default Deny)."""
    action = Action.PASS if tier.default_action is not None and tier.default_action.value == "Pass" else Action.DENY
    return CompiledTier(tier.name, tier.order.value if tier.order is not None else None, action,
                        span=tier.meta.span)


# --- Calico policies --------------------------------------------------------------------------


def default_types(policy: CalicoPolicy) -> frozenset[Direction]:
    """`types` as written, or defaulted as the API server does (§3.2)."""
    if policy.types:
        return frozenset(Direction(t.value) for t in policy.types if t.value in ("Ingress", "Egress"))
    if policy.egress and policy.ingress:
        return frozenset({Direction.INGRESS, Direction.EGRESS})
    if policy.egress:
        return frozenset({Direction.EGRESS})
    return frozenset({Direction.INGRESS})


def calico_v1_name(kind: PolicyKind, name: str, namespace: str, tier: str) -> str:
    """The felix v1 key name of Calico <=3.31 / Enterprise (§2): `[<ns>/][staged:]<tier>.<name>`.

    Names already stored as `<tier>.<rest>` are kept; default-tier names are kept as created.
    """
    if tier != DEFAULT_TIER and not name.startswith(f"{tier}."):
        name = f"{tier}.{name}"
    staged = "staged:" if kind.is_staged else ""
    return f"{namespace}/{staged}{name}" if kind.is_namespaced else f"{staged}{name}"


def calico_selector_text(policy: CalicoPolicy, namespace: str) -> str:
    """The effective applies-to selector text of a Calico policy (§3.2)."""
    selector = user_selector(policy.selector, "spec.selector")
    account_selector = user_selector(policy.service_account_selector, "spec.serviceAccountSelector")
    namespace_selector = user_selector(policy.namespace_selector, "spec.namespaceSelector") if policy.is_global else ""
    return policy_selector_text(selector, namespace, namespace_selector=namespace_selector,
                                service_account_selector=account_selector)


def compile_calico_policy(policy: CalicoPolicy) -> CompiledPolicy:
    """NetworkPolicy / GlobalNetworkPolicy and their staged kinds. Raises CompileError."""
    kind = _CALICO_KINDS[policy.kind]
    namespace = "" if policy.is_global else (policy.meta.namespace or "default")
    selector_text = calico_selector_text(policy, namespace)
    return CompiledPolicy(
        kind=kind, name=policy.meta.name, namespace=namespace, tier=policy.tier_name,
        order=policy.order.value if policy.order is not None else None,
        selector=selector_of(selector_text, policy.meta.span, "spec.selector"), selector_text=selector_text,
        types=default_types(policy),
        ingress=tuple(compile_rule(rule, namespace) for rule in policy.ingress),
        egress=tuple(compile_rule(rule, namespace) for rule in policy.egress),
        staged_action=staged_action_of(policy.staged_action) if policy.is_staged else None,
        span=policy.meta.span, v1_name=calico_v1_name(kind, policy.meta.name, namespace, policy.tier_name),
        do_not_track=bool(policy.do_not_track), pre_dnat=bool(policy.pre_dnat),
        apply_on_forward=bool(policy.apply_on_forward))


# --- version gating ---------------------------------------------------------------------------


def _unsupported_reason(kind: str, version: CalicoVersion, edition: Edition) -> str | None:
    """Why a kind has no effect in this Calico version and edition, or None if it has one."""
    if edition is Edition.ENTERPRISE:
        # Enterprise (early 2025) converts ANP/BANP like OSS 3.30-3.31 and always had staged kinds.
        if kind == "ClusterNetworkPolicy":
            return "ClusterNetworkPolicy is converted only by Calico Open Source 3.32 and later"
        return None
    if kind == "AdminNetworkPolicy" and not (_V3_29 <= version < _V3_32):
        return f"AdminNetworkPolicy is converted only by Calico 3.29-3.31, not {version}"
    if kind == "BaselineAdminNetworkPolicy" and not (_V3_30 <= version < _V3_32):
        return f"BaselineAdminNetworkPolicy is converted only by Calico 3.30-3.31, not {version}"
    if kind == "ClusterNetworkPolicy" and version < _V3_32:
        return f"ClusterNetworkPolicy is converted only by Calico 3.32 and later, not {version}"
    if kind.startswith("Staged") and version < _V3_30:
        return f"staged policies exist in Calico Open Source only from 3.30, not {version}"
    return None


# --- assembly ---------------------------------------------------------------------------------

PolicyModel = CalicoPolicy | K8sNetworkPolicy | AdminPolicy


def _policy_span(meta: Meta) -> Span | None:
    return meta.name_text.span if meta.name_text is not None else meta.span


def compile_policy(policy: PolicyModel, version: CalicoVersion, edition: Edition
                   ) -> tuple[CompiledPolicy | None, list[Diagnostic]]:
    """One policy model -> IR, or None (with a diagnostic) when it cannot or does not apply."""
    reason = _unsupported_reason(policy.meta.kind, version, edition)
    if reason is not None:
        return None, [Diagnostic(codes.KIND_NOT_IN_VERSION, Severity.WARNING, f"{reason}; it is ignored",
                                 _policy_span(policy.meta), policy.meta.ref)]
    try:
        if isinstance(policy, CalicoPolicy):
            return compile_calico_policy(policy), []
        if isinstance(policy, K8sNetworkPolicy):
            compiled, diagnostics = compile_k8s_policy(policy)
            return compiled, diagnostics
        compiled, diagnostics = compile_admin_policy(policy)
        return compiled, diagnostics
    except CompileError as error:
        return None, [Diagnostic(codes.POLICY_NOT_COMPILED, Severity.ERROR,
                                 f"{error.message}; Calico would reject this policy, so it is left out of "
                                 "the simulation", error.span or _policy_span(policy.meta), policy.meta.ref,
                                 error.field_path)]


def _tiers(defined: Iterable[Tier], policies: Iterable[CompiledPolicy], version: CalicoVersion,
           edition: Edition, diagnostics: list[Diagnostic], spans: dict[int, Span | None]
           ) -> tuple[CompiledTier, ...]:
    tiers: dict[str, CompiledTier] = {tier.name: tier for tier in builtin_tiers(version, edition)}
    for tier in defined:
        tiers[tier.name] = compile_tier(tier)  # a Tier object in the repository wins
    for policy in policies:
        if policy.tier in tiers and tiers[policy.tier].defined:
            continue
        system = operator_tier(policy.tier, version, edition)
        if system is not None:
            tiers[policy.tier] = system
            continue
        tiers.setdefault(policy.tier, CompiledTier(policy.tier, None, Action.DENY, defined=False))
        diagnostics.append(Diagnostic(
            codes.UNDEFINED_TIER, Severity.ERROR,
            f"tier {policy.tier!r} is not defined by any Tier object and is not built into Calico {version}",
            spans.get(id(policy)) or policy.span, _ref(policy), "spec.tier"))
    return tuple(tiers.values())


def compile_policy_set(resources: Iterable[object], version: CalicoVersion, edition: Edition
                       ) -> tuple[PolicySet, list[Diagnostic]]:
    """Every Tier and policy model among `resources` (others are ignored) -> PolicySet + diagnostics.

    Policies keep input order; the evaluator sorts them (§3.3). Staged policies with
    stagedAction Delete are included (staged_action=DELETE) for the replace preview mode.
    """
    diagnostics: list[Diagnostic] = []
    tiers: list[Tier] = []
    compiled: list[CompiledPolicy] = []
    tier_spans: dict[int, Span | None] = {}
    for resource in resources:
        if isinstance(resource, Tier):
            tiers.append(resource)
        elif isinstance(resource, (CalicoPolicy, K8sNetworkPolicy, AdminPolicy)):
            policy, found = compile_policy(resource, version, edition)
            diagnostics.extend(found)
            if policy is not None:
                compiled.append(policy)
                tier_field = resource.tier if isinstance(resource, CalicoPolicy) else None
                tier_spans[id(policy)] = tier_field.span if tier_field is not None else None
    policy_set = PolicySet(version, edition, _tiers(tiers, compiled, version, edition, diagnostics, tier_spans),
                           tuple(compiled))
    return policy_set, diagnostics


def _ref(policy: CompiledPolicy) -> ResourceRef:
    return ResourceRef(policy.kind.value, policy.name, policy.namespace)


# --- profiles ---------------------------------------------------------------------------------

_ALLOW_ALL = (CompiledRule(Action.ALLOW, 0),)


def profile(name: str) -> CompiledProfile:
    """A synthesised profile: kns.<ns> and projectcalico-default-allow allow all; ksa.* has no rules."""
    if name.startswith("kns.") or name == ALLOW_ALL_PROFILE:
        return CompiledProfile(name, _ALLOW_ALL, _ALLOW_ALL)
    return CompiledProfile(name)


def profiles_for(endpoint: Endpoint) -> tuple[CompiledProfile, ...]:
    """The endpoint's profiles in evaluation order (kns.<ns>, then ksa.<ns>.<sa>; HEP: spec.profiles)."""
    return tuple(profile(name) for name in endpoint.profiles)
