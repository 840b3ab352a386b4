"""Evaluation results: verdicts, policy hits, flow-log hit strings (§6.1) and explain steps."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from tierguard.diagnostics import Span
from tierguard.engine.ir import (
    Action,
    CalicoVersion,
    CompiledPolicy,
    CompiledRule,
    CompiledTier,
    Direction,
    Edition,
    PolicyKind,
)
from tierguard.engine.match import Why
from tierguard.engine.order import FORMAT_B_SINCE, bare_name, tier_rest
from tierguard.engine.packet import Packet
from tierguard.fastinit import fast_init

PROFILE_TIER = "__PROFILE__"
NO_MATCH_PROFILE = "__NO_MATCH__"


class Mode(enum.Enum):
    """Which policies count: the dataplane's, Calico's pending view, or our replace preview."""

    ENFORCED = "enforced"
    PENDING = "pending"  # Calico's STAGED_AS_ENFORCED (calico-semantics §5.2)
    # tierguard extension, not Calico behaviour: a staged Set replaces its enforced namesake
    # and a staged Delete removes it.
    REPLACE = "replace-preview"


class Verdict(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"


class TraceFormat(enum.Enum):
    """Policy-hit string format: A (OSS <=3.31 and Enterprise) or B (OSS >=3.32), §6.1."""

    A = "A"
    B = "B"

    @classmethod
    def for_calico(cls, version: CalicoVersion, edition: Edition) -> TraceFormat:
        if edition is Edition.OSS and version >= FORMAT_B_SINCE:
            return cls.B
        return cls.A


@dataclass(frozen=True, slots=True)
class Hit:
    """One entry of a reporter's policy trace."""

    tier: str
    action: Action
    rule_index: int  # -1: end of tier (defaultAction) for the attributed policy
    policy: CompiledPolicy | None = None
    profile: str = ""  # profile name for profile hits ("" for policy hits)
    rule: CompiledRule | None = None

    @property
    def end_of_tier(self) -> bool:
        return self.rule_index == -1

    @property
    def span(self) -> Span | None:
        """Where the hit is written: the matched rule, or the policy for end-of-tier."""
        if self.rule is not None and self.rule.span is not None:
            return self.rule.span
        return None if self.policy is None else self.policy.span


def name_part(policy: CompiledPolicy, fmt: TraceFormat) -> str:
    """The policy name as a flow log writes it."""
    kind = policy.kind
    if fmt is TraceFormat.B:
        ns = f"{policy.namespace}/" if kind.is_namespaced else ""
        return f"{kind.short}:{ns}{bare_name(policy)}"
    ns = f"{policy.namespace}/" if kind.is_namespaced else ""
    if kind is PolicyKind.KUBERNETES_NETWORK_POLICY:
        return f"{ns}knp.default.{bare_name(policy)}"
    if kind is PolicyKind.STAGED_KUBERNETES_NETWORK_POLICY:
        return f"{ns}staged:knp.default.{bare_name(policy)}"
    if kind is PolicyKind.ADMIN_NETWORK_POLICY:
        return f"kanp.adminnetworkpolicy.{bare_name(policy)}"
    if kind is PolicyKind.BASELINE_ADMIN_NETWORK_POLICY:
        return f"kbanp.baselineadminnetworkpolicy.{bare_name(policy)}"
    if kind is PolicyKind.KUBERNETES_CLUSTER_NETWORK_POLICY:
        return f"kcnp.{policy.tier}.{bare_name(policy)}"
    staged = "staged:" if kind.is_staged else ""
    return f"{ns}{policy.tier}.{staged}{tier_rest(policy)}"


def hit_name(hit: Hit, fmt: TraceFormat) -> str:
    if hit.policy is not None:
        return name_part(hit.policy, fmt)
    return f"pro:{hit.profile}" if fmt is TraceFormat.B else f"{PROFILE_TIER}.{hit.profile}"


def hit_string(index: int, hit: Hit, fmt: TraceFormat, name: str | None = None) -> str:
    """`<idx>|<tier>|<name>|<action>|<rule>` as Calico flow logs carry it (`name`: the hit's
    `hit_name`, when the caller has it already)."""
    if name is None:
        name = hit_name(hit, fmt)
    return f"{index}|{hit.tier}|{name}|{hit.action.trace_word}|{hit.rule_index}"


@dataclass(frozen=True, slots=True)
class RuleStep:
    """One rule tried: `why` is None when it matched."""

    index: int
    action: Action
    why: Why | None


@dataclass(frozen=True, slots=True)
class PolicyStep:
    policy: CompiledPolicy
    rules: tuple[RuleStep, ...]


@dataclass(frozen=True, slots=True)
class TierStep:
    """A tier with at least one applicable policy; `hit` is how the tier ended for this packet."""

    tier: CompiledTier
    policies: tuple[PolicyStep, ...]
    hit: Hit | None


@dataclass(frozen=True, slots=True)
class ProfileStep:
    name: str
    rules: tuple[RuleStep, ...]


@dataclass(frozen=True, slots=True)
class Uncertainty:
    """A rule that might have matched but could not be decided from the flow."""

    policy: CompiledPolicy | None
    profile: str
    rule_index: int
    why: Why


@dataclass(frozen=True, slots=True)
class SideResult:
    """One endpoint's verdict for one direction (one reporter's trace)."""

    direction: Direction
    verdict: Verdict
    hits: tuple[Hit, ...]
    uncertain: tuple[Uncertainty, ...] = ()
    tiers: tuple[TierStep, ...] = ()  # filled only when evaluated for explain
    profiles: tuple[ProfileStep, ...] = ()

    def strings(self, fmt: TraceFormat) -> list[str]:
        return [hit_string(i, h, fmt) for i, h in enumerate(self.hits)]


@dataclass(frozen=True, slots=True)
class ModeResult:
    """Both reporters for one mode; `dst` is None when no dst record exists (§9.2)."""

    mode: Mode
    verdict: Verdict
    src: SideResult | None
    dst: SideResult | None


@fast_init  # built once per flow record
@dataclass(frozen=True, slots=True)
class FlowResult:
    packet: Packet | None
    enforced: ModeResult | None
    pending: ModeResult | None
    replace: ModeResult | None = None
    notes: tuple[str, ...] = ()
    error: str | None = None
    # Reasons the verdict may differ that no single rule explains (e.g. the source address was
    # aggregated away and may be the destination's own node, §3.6): they make it uncertain.
    doubts: tuple[str, ...] = ()

    @property
    def uncertain(self) -> bool:
        return bool(self.doubts) or any(
            side is not None and side.uncertain
            for mode in (self.enforced, self.pending, self.replace) if mode is not None
            for side in (mode.src, mode.dst))
