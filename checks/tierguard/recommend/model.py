"""The recommendation model: observations learnt from flows, rules grouped as Calico does (§8).

Pure types. `collect` turns flow records into `Observation`s, `build` groups them into a
`Recommendation` per namespace, `render` writes YAML text, `verify` proves it against the flows.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from tierguard.engine.ir import CalicoVersion, Direction, Edition, StagedAction
from tierguard.flows.model import FlowRecord

DEFAULT_TIER = "namespace-isolation"
DEFAULT_MAX_RULES = 20
# Calico Enterprise auto-creates the recommendation tier at this order (calico-semantics §1.5).
RECOMMENDATION_TIER_ORDER = 10_000
# Namespaces Calico's default PolicyRecommendationScope selector leaves out (§8).
EXCLUDED_PREFIXES = ("kube-", "calico-", "tigera-", "openshift-")
PRIVATE_NETS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
DNS_PORT = 53
DEFAULT_VERSION = CalicoVersion(3, 32)


class Scope(enum.Enum):
    """Rule groups in output order; values are the `policyrecommendation.tigera.io/scope` texts.

    DNS is a tierguard group (Calico puts DNS among the namespace rules): it narrows port 53 to
    the DNS pods and adds the TCP fallback.
    """

    DNS = "DNS"
    NAMESPACE = "Namespace"
    NETWORK_SET = "NetworkSet"
    PRIVATE = "Private"
    PUBLIC = "Public"

    @property
    def rank(self) -> int:
        return list(Scope).index(self)


@dataclass(frozen=True, slots=True)
class Options:
    tier: str = DEFAULT_TIER
    max_rules: int = DEFAULT_MAX_RULES
    staged_action: StagedAction = StagedAction.LEARN
    # True: only flows that no real policy decided (a __PROFILE__ allow hit), as Calico does.
    only_undecided: bool = False
    version: CalicoVersion = DEFAULT_VERSION
    edition: Edition = Edition.OSS
    since_ms: int | None = None
    until_ms: int | None = None


@dataclass(frozen=True, slots=True)
class Observation:
    """One allowed flow record as seen by an endpoint of `namespace`, classified by peer."""

    namespace: str
    direction: Direction
    scope: Scope
    protocol: int
    port: int | None
    peer_namespace: str = ""  # DNS / Namespace / namespaced NetworkSet
    peer_name: str = ""  # NetworkSet name
    peer_labels: tuple[str, ...] = ()  # "k=v", as the flow log reported them (DNS)
    record: FlowRecord | None = None
    undecided: bool = True  # no real policy decided it (a profile allow hit)

    @property
    def end_ms(self) -> int:
        return self.record.end_ms if self.record is not None else 0


@dataclass(frozen=True, slots=True)
class PortRange:
    first: int
    last: int

    def text(self) -> str | int:
        return self.first if self.first == self.last else f"{self.first}:{self.last}"


@dataclass(frozen=True, slots=True)
class Peer:
    """The peer constraint of a rule (`source` for ingress, `destination` for egress)."""

    namespace_selector: str = ""
    selector: str = ""
    nets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RuleSpec:
    """One Allow rule. `ports` None = every port of the protocol (or a protocol without ports)."""

    scope: Scope
    protocol: int
    ports: tuple[PortRange, ...] | None
    peer: Peer
    flows: int  # flow records the rule was learnt from
    last_ms: int  # end of the latest of them
    peer_namespaces: tuple[str, ...] = ()  # Namespace/DNS peers; namespaces of network sets
    peer_names: tuple[str, ...] = ()  # network-set names
    note: str = ""  # why the rule exists without observed flows (the DNS TCP fallback)
    set_kind: str = ""  # Enterprise network-set rules: the projectcalico.org/kind value selected


@dataclass(frozen=True, slots=True)
class Recommendation:
    namespace: str
    name: str
    tier: str
    staged_action: StagedAction
    ingress: tuple[RuleSpec, ...]
    egress: tuple[RuleSpec, ...]
    flows: int
    first_ms: int
    last_ms: int

    @property
    def types(self) -> tuple[Direction, ...]:
        out = []
        if self.ingress:
            out.append(Direction.INGRESS)
        if self.egress:
            out.append(Direction.EGRESS)
        return tuple(out)

    @property
    def selector(self) -> str:
        return f"projectcalico.org/namespace == '{self.namespace}'"
