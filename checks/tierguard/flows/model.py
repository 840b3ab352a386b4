"""The one normalized flow record every reader produces (calico-semantics §6, flow-formats.md).

Every format loses something (names, IPs, labels or time); the record keeps what was reported and
leaves the rest empty rather than guessing. Empty string = "not reported / not applicable",
`None` = "aggregated away or unknown" for IPs and ports.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tierguard.diagnostics import Diagnostic, Severity
from tierguard.fastinit import fast_init


class EndpointType(enum.Enum):
    WORKLOAD = "wep"
    HOST = "hep"
    NETWORK_SET = "ns"
    NETWORK = "net"
    # IP-only records (VPC Flow Logs, EKS agent) before workload resolution.
    UNKNOWN = "unknown"


class Reporter(enum.Enum):
    SRC = "src"
    DST = "dst"
    FWD = "fwd"
    # VPC v2 and old EKS agent lines do not say which side observed the flow.
    UNKNOWN = "unknown"


class Action(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"
    # Not reported: only hand-written simulation inputs read with `ReadOptions(partial=True)`.
    UNKNOWN = "unknown"


class HitAction(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"
    PASS = "pass"


class HitKind(enum.Enum):
    """Policy kinds as named by the Format B prefixes (calico-semantics §6.1)."""

    GLOBAL_NETWORK_POLICY = "gnp"
    NETWORK_POLICY = "np"
    K8S_NETWORK_POLICY = "knp"
    STAGED_GLOBAL_NETWORK_POLICY = "sgnp"
    STAGED_NETWORK_POLICY = "snp"
    STAGED_K8S_NETWORK_POLICY = "sknp"
    CLUSTER_NETWORK_POLICY = "kcnp"
    ADMIN_NETWORK_POLICY = "kanp"
    BASELINE_ADMIN_NETWORK_POLICY = "kbanp"
    PROFILE = "pro"
    # Policies of other products (Cilium) that have no Calico kind.
    OTHER = "other"

    @property
    def staged(self) -> bool:
        return self in _STAGED

    @property
    def namespaced(self) -> bool:
        return self in _NAMESPACED


_STAGED = frozenset({HitKind.STAGED_GLOBAL_NETWORK_POLICY, HitKind.STAGED_NETWORK_POLICY,
                     HitKind.STAGED_K8S_NETWORK_POLICY})
_NAMESPACED = frozenset({HitKind.NETWORK_POLICY, HitKind.K8S_NETWORK_POLICY,
                         HitKind.STAGED_NETWORK_POLICY, HitKind.STAGED_K8S_NETWORK_POLICY})


class HitFormat(enum.Enum):
    LEGACY = "A"  # <ns>/<tier>.<name>, __PROFILE__.kns.<ns> ...
    EXPLICIT_KIND = "B"  # gnp:<name>, np:<ns>/<name> ... (OSS >= 3.32)


class SourceFormat(enum.Enum):
    CALICO_ENTERPRISE = "calico-enterprise"
    GOLDMANE = "goldmane"
    WHISKER = "whisker"
    HUBBLE = "hubble"
    VPC = "vpc"
    VPC_PARQUET = "vpc-parquet"
    EKS_AGENT = "eks-agent"
    STORE = "store"


# Rule index sentinels of the hit strings.
END_OF_TIER = -1
RULE_UNKNOWN = -2


@dataclass(frozen=True, slots=True)
class PolicyHit:
    """One `<index>|<tier>|<name part>|<action>|<rule index>` entry, parsed.

    `rule_index` is None when the string had `-` or no rule field (legacy 4-field form).
    End-of-tier hits keep the kind and name of the policy they are attributed to.
    """

    index: int
    tier: str
    kind: HitKind
    namespace: str
    name: str
    action: HitAction
    rule_index: int | None
    raw: str
    format: HitFormat

    @property
    def staged(self) -> bool:
        return self.kind.staged

    @property
    def end_of_tier(self) -> bool:
        return self.rule_index == END_OF_TIER

    @property
    def qualified_name(self) -> str:
        """`kind:[ns/]name`, the Format B name part, whatever format was read."""
        scope = f"{self.namespace}/" if self.namespace else ""
        return f"{self.kind.value}:{scope}{self.name}"


@dataclass(frozen=True, slots=True)
class Peer:
    """One side of a flow, as reported (then possibly filled in by workload resolution)."""

    type: EndpointType
    namespace: str = ""
    name: str = ""  # full pod / HEP / network-set name; "" when aggregated away
    name_aggr: str = ""  # "frontend-6b8c7d9f4b-*", "pub", "pvt", network-set name
    ip: str | None = None  # canonical text form (ipaddress), None when aggregated away
    port: int | None = None
    labels: tuple[str, ...] = ()  # "k=v" strings as reported, sorted
    workload: str = ""  # "Deployment/frontend" when known (Hubble, or resolution)
    resolved_by: str = ""  # "", "pod-ip", "node-ip", "service-ip", "public-ip"
    # Readers share one Peer between the records that report it, and the duplicate check
    # hashes every record: the hash is computed once (0 = not yet).
    _hash: int = field(default=0, init=False, repr=False, compare=False)

    def __hash__(self) -> int:
        cached = self._hash
        if not cached:
            cached = hash((self.type, self.namespace, self.name, self.name_aggr, self.ip,
                           self.port, self.labels, self.workload, self.resolved_by)) or 1
            object.__setattr__(self, "_hash", cached)
        return cached

    @property
    def label_map(self) -> Mapping[str, str]:
        pairs = (text.partition("=") for text in self.labels)
        return {key: value for key, _, value in pairs}


@dataclass(frozen=True, slots=True)
class ServiceRef:
    namespace: str
    name: str
    port_name: str = ""
    port: int | None = None


@dataclass(frozen=True, slots=True)
class Protocol:
    number: int | None  # None only for names felix does not number (never seen in practice)
    name: str  # felix spelling: tcp, udp, icmp, icmp6, sctp, ... or the decimal number


@fast_init  # built once per flow record
@dataclass(frozen=True, slots=True)
class Counts:
    flows: int = 0
    packets_in: int = 0
    packets_out: int = 0
    bytes_in: int = 0
    bytes_out: int = 0

    @property
    def packets(self) -> int:
        return self.packets_in + self.packets_out

    @property
    def bytes(self) -> int:
        return self.bytes_in + self.bytes_out


@fast_init  # built once per flow record
@dataclass(frozen=True, slots=True)
class FlowRecord:
    """A normalized flow record. Times are unix milliseconds, inclusive window.

    `pending_raw` is None when the source reports no pending (staged-as-enforced) trace, e.g.
    legacy Enterprise lines that only carry `all_policies`.
    """

    start_ms: int
    end_ms: int
    source: Peer
    dest: Peer
    dest_port: int | None
    protocol: Protocol
    reporter: Reporter
    action: Action
    enforced: tuple[PolicyHit, ...]
    pending: tuple[PolicyHit, ...]
    enforced_raw: tuple[str, ...]
    pending_raw: tuple[str, ...] | None
    counts: Counts
    format: SourceFormat
    file: str
    line: int
    dest_service: ServiceRef | None = None
    observer: str = ""  # node name (host), ENI id: who reported the record
    attributes: tuple[tuple[str, str], ...] = field(default=())  # format-specific extras

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(self.start_ms / 1000, tz=UTC)

    @property
    def end(self) -> datetime:
        return datetime.fromtimestamp(self.end_ms / 1000, tz=UTC)

    def attribute(self, key: str) -> str:
        return dict(self.attributes).get(key, "")


@dataclass(frozen=True, slots=True)
class FlowError:
    """A problem found while reading flows. ERROR: the record was lost (malformed);
    WARNING: the record was kept or skipped for a stated reason (duplicate, clock skew);
    NOTE: informational (e.g. counted reply events)."""

    diagnostic: Diagnostic

    @property
    def code(self) -> str:
        return self.diagnostic.code

    @property
    def severity(self) -> Severity:
        return self.diagnostic.severity

    @property
    def file(self) -> str:
        return self.diagnostic.span.file if self.diagnostic.span else ""

    @property
    def line(self) -> int:
        return self.diagnostic.span.line if self.diagnostic.span else 0

    @property
    def message(self) -> str:
        return self.diagnostic.message
