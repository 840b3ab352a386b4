"""The engine's internal form: every policy kind compiles to these types (calico-semantics §1.12).

This module is the contract between `engine.compile` (models -> IR) and `engine.evaluate`
(IR + inventory + packet -> verdict and trace). Keep it free of behaviour beyond small helpers.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass
from typing import Union

from tierguard.diagnostics import Span
from tierguard.selector import Selector

IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


class Action(enum.Enum):
    ALLOW = "Allow"
    DENY = "Deny"
    LOG = "Log"
    PASS = "Pass"

    @property
    def trace_word(self) -> str:
        return self.value.lower()


class Direction(enum.Enum):
    INGRESS = "Ingress"
    EGRESS = "Egress"


class PolicyKind(enum.Enum):
    """Internal kinds as Calico >=3.32 names them; `short` is the flow-log Format B prefix."""

    NETWORK_POLICY = "NetworkPolicy"
    GLOBAL_NETWORK_POLICY = "GlobalNetworkPolicy"
    STAGED_NETWORK_POLICY = "StagedNetworkPolicy"
    STAGED_GLOBAL_NETWORK_POLICY = "StagedGlobalNetworkPolicy"
    STAGED_KUBERNETES_NETWORK_POLICY = "StagedKubernetesNetworkPolicy"
    KUBERNETES_NETWORK_POLICY = "KubernetesNetworkPolicy"
    KUBERNETES_CLUSTER_NETWORK_POLICY = "KubernetesClusterNetworkPolicy"
    ADMIN_NETWORK_POLICY = "AdminNetworkPolicy"
    BASELINE_ADMIN_NETWORK_POLICY = "BaselineAdminNetworkPolicy"

    @property
    def short(self) -> str:
        return _SHORT_KINDS[self]

    @property
    def is_staged(self) -> bool:
        return self in (PolicyKind.STAGED_NETWORK_POLICY, PolicyKind.STAGED_GLOBAL_NETWORK_POLICY,
                        PolicyKind.STAGED_KUBERNETES_NETWORK_POLICY)

    @property
    def is_namespaced(self) -> bool:
        return self in (PolicyKind.NETWORK_POLICY, PolicyKind.STAGED_NETWORK_POLICY,
                        PolicyKind.STAGED_KUBERNETES_NETWORK_POLICY, PolicyKind.KUBERNETES_NETWORK_POLICY)


_SHORT_KINDS = {
    PolicyKind.NETWORK_POLICY: "np",
    PolicyKind.GLOBAL_NETWORK_POLICY: "gnp",
    PolicyKind.STAGED_NETWORK_POLICY: "snp",
    PolicyKind.STAGED_GLOBAL_NETWORK_POLICY: "sgnp",
    PolicyKind.STAGED_KUBERNETES_NETWORK_POLICY: "sknp",
    PolicyKind.KUBERNETES_NETWORK_POLICY: "knp",
    PolicyKind.KUBERNETES_CLUSTER_NETWORK_POLICY: "kcnp",
    # ANP/BANP exist only before 3.32, where Format A strings are used; these are never printed.
    PolicyKind.ADMIN_NETWORK_POLICY: "kanp",
    PolicyKind.BASELINE_ADMIN_NETWORK_POLICY: "kbanp",
}


class StagedAction(enum.Enum):
    SET = "Set"
    DELETE = "Delete"
    LEARN = "Learn"
    IGNORE = "Ignore"


class Edition(enum.Enum):
    OSS = "oss"
    ENTERPRISE = "enterprise"


@dataclass(frozen=True, slots=True, order=True)
class CalicoVersion:
    major: int
    minor: int

    @classmethod
    def parse(cls, text: str) -> CalicoVersion:
        """'3.32' or '3.32.1' or 'v3.31' -> CalicoVersion; raises ValueError otherwise."""
        parts = text.strip().lstrip("v").split(".")
        if len(parts) < 2 or not parts[0].isdigit() or not parts[1].isdigit():
            raise ValueError(f"not a Calico version: {text!r} (expected e.g. 3.32)")
        return cls(int(parts[0]), int(parts[1]))

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}"


@dataclass(frozen=True, slots=True)
class PortRange:
    first: int
    last: int

    def contains(self, port: int) -> bool:
        return self.first <= port <= self.last


@dataclass(frozen=True, slots=True)
class PortMatch:
    """A rule's `ports`/`notPorts`: numeric ranges plus named ports (resolved per endpoint)."""

    ranges: tuple[PortRange, ...] = ()
    names: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ServiceRef:
    name: str
    namespace: str


@dataclass(frozen=True, slots=True)
class EntityMatch:
    """One side (source or destination) of a compiled rule.

    `selector` is the *effective* selector after the implicit namespace and service-account
    scoping of calico-semantics §3.5; `not_selector` is passed through raw (never scoped).
    None means "no constraint".
    """

    nets: tuple[IPNetwork, ...] | None = None
    not_nets: tuple[IPNetwork, ...] | None = None
    selector: Selector | None = None
    not_selector: Selector | None = None
    ports: PortMatch | None = None
    not_ports: PortMatch | None = None
    service: ServiceRef | None = None
    domains: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IcmpMatch:
    type: int
    code: int | None = None


@dataclass(frozen=True, slots=True)
class CompiledRule:
    action: Action
    index: int
    source: EntityMatch = EntityMatch()
    destination: EntityMatch = EntityMatch()
    protocol: int | None = None
    not_protocol: int | None = None
    ip_version: int | None = None
    icmp: IcmpMatch | None = None
    not_icmp: IcmpMatch | None = None
    # L7 match present: not evaluable from L3/L4 flows; reported, never silently treated as matching.
    has_http: bool = False
    span: Span | None = None
    # The rule's name where the source kind has one (AdminNetworkPolicy / ClusterNetworkPolicy
    # `name`, stored by Calico as the rule annotation `name`); "" otherwise.
    name: str = ""


@dataclass(frozen=True, slots=True)
class CompiledPolicy:
    kind: PolicyKind
    name: str
    namespace: str
    tier: str
    order: float | None
    selector: Selector  # effective applies-to selector (calico-semantics §3.2)
    types: frozenset[Direction]
    ingress: tuple[CompiledRule, ...] = ()
    egress: tuple[CompiledRule, ...] = ()
    staged_action: StagedAction | None = None
    span: Span | None = None
    # The name Calico <=3.31 and Enterprise use internally and in Format A strings
    # (e.g. "ns/tier.name", "ns/knp.default.name", "kanp.adminnetworkpolicy.name").
    v1_name: str = ""
    # The effective applies-to selector exactly as Calico composes it as text (§1.9, §3.2), e.g.
    # "(projectcalico.org/orchestrator == 'k8s' && app == 'db') && projectcalico.org/namespace == 'app'";
    # `selector` is its parsed (canonical) form. Filled by engine.compile.
    selector_text: str = ""
    # GlobalNetworkPolicy host-endpoint options (§1.3, §3.2, §3.6b); False for every other kind.
    do_not_track: bool = False
    pre_dnat: bool = False
    apply_on_forward: bool = False

    def governs(self, direction: Direction) -> bool:
        return direction in self.types

    def rules(self, direction: Direction) -> tuple[CompiledRule, ...]:
        return self.ingress if direction is Direction.INGRESS else self.egress


@dataclass(frozen=True, slots=True)
class CompiledTier:
    name: str
    order: float | None
    default_action: Action  # DENY or PASS
    defined: bool = True  # False for a tier referenced by a policy but defined nowhere
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class CompiledProfile:
    name: str  # kns.<ns> or ksa.<ns>.<sa>
    ingress: tuple[CompiledRule, ...] = ()
    egress: tuple[CompiledRule, ...] = ()


@dataclass(frozen=True, slots=True)
class PolicySet:
    """Everything the evaluator needs about policy, for one Calico version and edition."""

    version: CalicoVersion
    edition: Edition
    tiers: tuple[CompiledTier, ...]
    policies: tuple[CompiledPolicy, ...]
