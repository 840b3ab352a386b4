"""The observe model: graph nodes, observed edges with verdict status, and policy gaps.

Everything here is plain frozen data; `build.build_model` creates it, formatters render it.
Strings that come from flow logs or the inventory (names, namespaces, labels) are untrusted:
formatters must escape them for their output format.
"""

from __future__ import annotations

import dataclasses
import enum
from dataclasses import dataclass


class Status(enum.Enum):
    """Enforced verdict combined with the pending (staged-as-enforced) verdict (calico-semantics §5.2)."""

    ALLOWED = "allowed"  # enforced allow, pending allow
    DENIED = "denied"  # enforced deny, pending deny
    WOULD_BE_DENIED = "would-be-denied"  # enforced allow, staged policies would deny
    WOULD_BE_ALLOWED = "would-be-allowed"  # enforced deny, staged policies would allow

    @classmethod
    def of(cls, enforced_allow: bool, pending_allow: bool) -> Status:
        if enforced_allow:
            return cls.ALLOWED if pending_allow else cls.WOULD_BE_DENIED
        return cls.WOULD_BE_ALLOWED if pending_allow else cls.DENIED


STATUS_ORDER = (Status.ALLOWED, Status.DENIED, Status.WOULD_BE_DENIED, Status.WOULD_BE_ALLOWED)


class NodeKind(enum.Enum):
    WORKLOAD = "workload"  # pods of one controller (flow-log name_aggr) or a bare pod
    NETWORK_SET = "network-set"
    HOST = "host"  # a node / host endpoint
    EXTERNAL = "external"  # pub / pvt addresses outside the inventory


class GroupKind(enum.Enum):
    NAMESPACE = "namespace"
    GLOBAL = "global"  # global network sets
    HOSTS = "hosts"
    EXTERNAL = "external"


@dataclass(frozen=True, slots=True)
class Group:
    """A column box of the graph: one namespace, or one of the cluster-wide groups."""

    kind: GroupKind
    name: str  # the namespace; for other kinds a fixed word

    @property
    def id(self) -> str:
        return f"{self.kind.value}:{self.name}"

    @property
    def sort_key(self) -> tuple[str, str]:
        return (self.kind.value, self.name)

    def __lt__(self, other: Group) -> bool:
        return self.sort_key < other.sort_key

    @property
    def title(self) -> str:
        if self.kind is GroupKind.NAMESPACE:
            return self.name
        return {GroupKind.GLOBAL: "global network sets", GroupKind.HOSTS: "hosts",
                GroupKind.EXTERNAL: "outside the cluster"}[self.kind]


@dataclass(frozen=True, slots=True)
class NodeKey:
    kind: NodeKind
    group: Group
    name: str

    @property
    def sort_key(self) -> tuple[str, str, str, str]:
        return (*self.group.sort_key, self.kind.value, self.name)

    def __lt__(self, other: NodeKey) -> bool:
        return self.sort_key < other.sort_key

    @property
    def id(self) -> str:
        return f"{self.kind.value}:{self.group.name}/{self.name}"

    @property
    def display(self) -> str:
        """`namespace/name` for namespaced nodes, else the name."""
        if self.group.kind is GroupKind.NAMESPACE:
            return f"{self.group.name}/{self.name}"
        return self.name


@dataclass(frozen=True, slots=True)
class GraphNode:
    key: NodeKey
    pods: int = 0  # inventory endpoints behind a workload node
    labels: tuple[tuple[str, str], ...] = ()  # labels of the first endpoint (hover text)
    in_inventory: bool = True


@dataclass(frozen=True, slots=True)
class Decision:
    """The hit that decided one reporter side in one mode, pointing at the policy source."""

    mode: str  # "enforced" | "pending"
    side: str  # "egress" (source reporter) | "ingress" (destination reporter)
    tier: str
    policy: str  # flow-log name part, e.g. `np:sock-shop/front-end` or `pro:kns.default`
    action: str  # allow | deny | pass
    rule_index: int  # -1 = end of tier
    file: str | None = None
    line: int | None = None

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.file and self.line else ""

    @property
    def rule(self) -> str:
        return "end of tier" if self.rule_index == -1 else f"rule {self.rule_index}"


@dataclass(frozen=True, slots=True)
class Edge:
    """Observed traffic src -> dst on one protocol/port with one status, aggregated over records.

    Counts are de-duplicated across reporters: a flow seen by both the source and the destination
    counts once (the larger of the two reporters' sums).
    """

    src: NodeKey
    dst: NodeKey
    protocol: str
    port: int | None
    status: Status
    records: int
    flows: int
    packets: int
    bytes: int
    first_ms: int
    last_ms: int
    decisions: tuple[Decision, ...]
    profile_allowed: tuple[str, ...] = ()  # sides ("egress"/"ingress") allowed only by a profile
    recorded: tuple[tuple[str, int], ...] = ()  # recorded flow-log actions and their record counts
    uncertain: bool = False
    notes: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        port = "" if self.port is None else str(self.port)
        return f"{self.src.id}|{self.dst.id}|{self.protocol}/{port}|{self.status.value}"

    @property
    def recorded_differs(self) -> bool:
        """The recorded flow logs show the opposite outcome to what the tree's policies decide
        (a record denied by any reporter counts as denied)."""
        actions = dict(self.recorded)
        if not actions:
            return False
        recorded_allow = "deny" not in actions
        enforced_allow = self.status in (Status.ALLOWED, Status.WOULD_BE_DENIED)
        return recorded_allow != enforced_allow

    @property
    def service(self) -> str:
        return self.protocol if self.port is None else f"{self.protocol}/{self.port}"


class Coverage(enum.Enum):
    """Why a workload's traffic in one direction falls through to its profile (allow all)."""

    NOT_SELECTED = "not-selected"  # no enforced policy in any tier selects it
    PASS_ONLY = "pass-only"  # only tiers whose defaultAction is Pass select it

    @property
    def explanation(self) -> str:
        if self is Coverage.NOT_SELECTED:
            return "no enforced policy in any tier selects it"
        return ("only tiers with defaultAction Pass select it: traffic their rules do not match "
                "falls through to the profile")


@dataclass(frozen=True, slots=True)
class UnselectedWorkload:
    """A workload whose traffic in one direction is decided by its namespace profile (allow all)
    unless a rule matches: `pods_affected` of its `pods` are in that state."""

    node: NodeKey
    direction: str  # "ingress" | "egress"
    coverage: Coverage
    pods: int
    pods_affected: int


@dataclass(frozen=True, slots=True)
class Unresolved:
    """Flow records the engine could not evaluate, grouped by reason (never silently dropped)."""

    reason: str
    records: int
    example: str  # file:line of the first such record


@dataclass(frozen=True, slots=True)
class Gaps:
    unselected: tuple[UnselectedWorkload, ...]
    profile_allowed: tuple[Edge, ...]  # observed edges allowed only by a profile (__PROFILE__)
    quiet: tuple[GraphNode, ...]  # inventory workloads with no observed traffic


@dataclass(frozen=True, slots=True)
class ObserveModel:
    environment: str
    calico_version: str
    edition: str
    inputs: tuple[str, ...]
    nodes: tuple[GraphNode, ...]
    edges: tuple[Edge, ...]
    gaps: Gaps
    records: int  # flow records read
    evaluated: int
    unresolved: tuple[Unresolved, ...] = ()
    notes: tuple[str, ...] = ()

    def status_counts(self) -> dict[Status, int]:
        counts = {s: 0 for s in STATUS_ORDER}
        for edge in self.edges:
            counts[edge.status] += 1
        return counts

    def with_notes(self, notes: tuple[str, ...]) -> ObserveModel:
        return dataclasses.replace(self, notes=self.notes + notes)

    @property
    def groups(self) -> tuple[Group, ...]:
        return tuple(sorted({n.key.group for n in self.nodes}))
