"""Evaluated flow records -> `ObserveModel` (pure: no file I/O, no printing).

Each record is resolved and evaluated by the engine exactly as `tierguard simulate` does
(`engine.simulate.query_from_flow`, `Evaluator.evaluate`); the verdicts of the policies in the
tree, not the recorded action, decide the edge status. Records then aggregate per
(source node, destination node, protocol, port, status).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from tierguard.diagnostics import Span
from tierguard.engine.evaluate import Evaluator
from tierguard.engine.ir import Action, Direction
from tierguard.engine.packet import Peer, protocol_name
from tierguard.engine.resolve import Resolver
from tierguard.engine.simulate import query_from_flow
from tierguard.engine.trace import (
    PROFILE_TIER,
    Mode,
    ModeResult,
    SideResult,
    TraceFormat,
    Verdict,
    hit_name,
)
from tierguard.flows.model import FlowRecord
from tierguard.flows.model import Peer as FlowPeer
from tierguard.inventory.model import Endpoint, EndpointKind
from tierguard.observe.model import (
    STATUS_ORDER,
    Coverage,
    Decision,
    Edge,
    Gaps,
    GraphNode,
    NodeKey,
    ObserveModel,
    Status,
    Unresolved,
    UnselectedWorkload,
)
from tierguard.observe.nodes import endpoint_node, peer_node

# Distinct unresolved reasons kept; the rest are counted under one "other reasons" entry.
MAX_UNRESOLVED_REASONS = 50
_SIDE_NAMES = (("src", "egress"), ("dst", "ingress"))


@dataclass(frozen=True, slots=True)
class Inputs:
    """What the model describes: environment name, Calico target and the input files."""

    environment: str
    inputs: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(slots=True)
class _EdgeSum:
    records: int = 0
    by_reporter: dict[str, list[int]] = field(default_factory=dict)  # reporter -> flows, pkts, bytes
    first_ms: int | None = None
    last_ms: int = 0
    decisions: set[Decision] = field(default_factory=set)
    profile_allowed: set[str] = field(default_factory=set)
    recorded: Counter[str] = field(default_factory=Counter)
    uncertain: bool = False
    notes: set[str] = field(default_factory=set)

    def add(self, record: FlowRecord) -> None:
        self.records += 1
        sums = self.by_reporter.setdefault(record.reporter.value, [0, 0, 0])
        sums[0] += record.counts.flows
        sums[1] += record.counts.packets
        sums[2] += record.counts.bytes
        self.first_ms = record.start_ms if self.first_ms is None else min(self.first_ms, record.start_ms)
        self.last_ms = max(self.last_ms, record.end_ms)
        self.recorded[record.action.value] += 1

    def totals(self) -> tuple[int, int, int]:
        """Each connection is logged by every reporter that saw it: count it once."""
        rows = list(self.by_reporter.values()) or [[0, 0, 0]]
        return max(r[0] for r in rows), max(r[1] for r in rows), max(r[2] for r in rows)


Locate = Callable[[Span], Span]


def _as_is(span: Span) -> Span:
    return span


def _decision(mode: str, side_name: str, side: SideResult, fmt: TraceFormat,
              locate: Locate = _as_is) -> Decision | None:
    if not side.hits:
        return None
    hit = side.hits[-1]  # the hit that ended the walk for this side
    span = locate(hit.span) if hit.span is not None else None
    return Decision(mode, side_name, hit.tier, hit_name(hit, fmt), hit.action.trace_word,
                    hit.rule_index, span.file if span else None, span.line if span else None)


def deciding_sides(result: ModeResult) -> list[tuple[str, SideResult]]:
    """The sides that decided a verdict: the denying side for a deny, every side for an allow."""
    present = [(name, side) for attr, name in _SIDE_NAMES
               if (side := getattr(result, attr)) is not None]
    if result.verdict is Verdict.DENY:
        return [(n, s) for n, s in present if s.verdict is Verdict.DENY][:1]
    return present


def _decisions(result: ModeResult, fmt: TraceFormat, locate: Locate = _as_is) -> list[Decision]:
    found = (_decision(result.mode.value, name, side, fmt, locate)
             for name, side in deciding_sides(result))
    return [d for d in found if d is not None]


def profile_allowed_sides(result: ModeResult) -> list[str]:
    """Sides whose allow came from a profile (no enforced policy decided): the `__PROFILE__` hits."""
    if result.verdict is not Verdict.ALLOW:
        return []
    return [name for name, side in deciding_sides(result)
            if side.hits and side.hits[-1].tier == PROFILE_TIER]


class _Builder:
    def __init__(self, evaluator: Evaluator, locate: Locate) -> None:
        self.evaluator = evaluator
        self.locate = locate
        self.topology = evaluator.topology
        self.resolver = Resolver(evaluator.topology)
        self.fmt = evaluator.trace_format
        self.edges: dict[tuple[NodeKey, NodeKey, str, int | None, Status], _EdgeSum] = {}
        self.unresolved: dict[str, tuple[int, str]] = {}  # reason -> (count, first file:line)
        self.records = 0
        self.evaluated = 0
        self._verdicts: dict[tuple[int, int], tuple[ModeResult, ModeResult,
                                                    tuple[Status, tuple[Decision, ...],
                                                          tuple[str, ...]]]] = {}

    def add(self, record: FlowRecord) -> None:
        self.records += 1
        query = query_from_flow(self.resolver, record)
        if query.packet is None:
            self._unresolved(query.error or "not evaluated", record)
            return
        result = self.evaluator.evaluate(query.packet)
        if result.enforced is None or result.pending is None:
            self._unresolved(result.error or "not evaluated", record)
            return
        self.evaluated += 1
        packet = query.packet
        status, decisions, profile_sides = self._verdict(result.enforced, result.pending)
        key = (self._node(packet.src, record.source), self._node(packet.dst, record.dest),
               protocol_name(packet.protocol), packet.dst_port, status)
        total = self.edges.setdefault(key, _EdgeSum())
        total.add(record)
        total.decisions.update(decisions)
        total.profile_allowed.update(profile_sides)
        total.uncertain = total.uncertain or result.uncertain
        total.notes.update(result.notes)
        total.notes.update(query.notes)

    def _verdict(self, enforced: ModeResult, pending: ModeResult
                 ) -> tuple[Status, tuple[Decision, ...], tuple[str, ...]]:
        """Status, deciding hits and profile-only sides; cached per (interned) mode results."""
        key = (id(enforced), id(pending))
        found = self._verdicts.get(key)
        if found is not None and found[0] is enforced and found[1] is pending:
            return found[2]
        status = Status.of(enforced.verdict is Verdict.ALLOW, pending.verdict is Verdict.ALLOW)
        decisions = _decisions(enforced, self.fmt, self.locate)
        if status in (Status.WOULD_BE_DENIED, Status.WOULD_BE_ALLOWED):
            decisions += _decisions(pending, self.fmt, self.locate)
        value = (status, tuple(decisions), tuple(profile_allowed_sides(enforced)))
        self._verdicts[key] = (enforced, pending, value)
        return value

    def _node(self, peer: Peer, reported: FlowPeer) -> NodeKey:
        return peer_node(peer, reported, self.topology)

    def _unresolved(self, reason: str, record: FlowRecord) -> None:
        if reason not in self.unresolved and len(self.unresolved) >= MAX_UNRESOLVED_REASONS:
            reason = "other reasons (more distinct reasons than are listed)"
        count, first = self.unresolved.get(reason, (0, f"{record.file}:{record.line}"))
        self.unresolved[reason] = (count + 1, first)


def _edge(key: tuple[NodeKey, NodeKey, str, int | None, Status], total: _EdgeSum) -> Edge:
    src, dst, protocol, port, status = key
    flows, packets, octets = total.totals()
    return Edge(src, dst, protocol, port, status, total.records, flows, packets, octets,
                total.first_ms or 0, total.last_ms, tuple(sorted(total.decisions, key=_decision_key)),
                tuple(sorted(total.profile_allowed)), tuple(sorted(total.recorded.items())),
                total.uncertain, tuple(sorted(total.notes)))


def _decision_key(d: Decision) -> tuple[object, ...]:
    return (d.mode != "enforced", d.side != "egress", d.tier, d.policy, d.rule_index)


def edge_sort_key(edge: Edge) -> tuple[object, ...]:
    return (STATUS_ORDER.index(edge.status), edge.src, edge.dst, edge.protocol,
            -1 if edge.port is None else edge.port)


def _workload_nodes(endpoints: Sequence[Endpoint]) -> dict[NodeKey, list[Endpoint]]:
    nodes: dict[NodeKey, list[Endpoint]] = {}
    for ep in endpoints:
        if ep.kind is EndpointKind.WORKLOAD:
            nodes.setdefault(endpoint_node(ep), []).append(ep)
    return nodes


def _shown_labels(ep: Endpoint) -> tuple[tuple[str, str], ...]:
    # Inherited namespace/service-account labels (pcns./pcsa.) would drown the pod's own.
    return tuple(sorted((k, v) for k, v in ep.labels.items() if not k.startswith(("pcns.", "pcsa."))))


def coverage(evaluator: Evaluator, ep: Endpoint, direction: Direction) -> Coverage | None:
    """None when some enforced tier selecting the endpoint ends in Deny (the tier decides)."""
    tiers = evaluator.chain(ep, direction, Mode.ENFORCED).tiers
    if not tiers:
        return Coverage.NOT_SELECTED
    if all(tier.default_action is Action.PASS for tier, _ in tiers):
        return Coverage.PASS_ONLY
    return None


def unselected_workloads(evaluator: Evaluator, workloads: dict[NodeKey, list[Endpoint]]
                         ) -> tuple[UnselectedWorkload, ...]:
    """Workloads with pods whose traffic falls through to the profile, per direction (worst case)."""
    found: list[UnselectedWorkload] = []
    for key in sorted(workloads):
        pods = workloads[key]
        for direction in (Direction.INGRESS, Direction.EGRESS):
            states = [coverage(evaluator, ep, direction) for ep in pods]
            for state in (Coverage.NOT_SELECTED, Coverage.PASS_ONLY):
                affected = sum(1 for s in states if s is state)
                if affected:
                    found.append(UnselectedWorkload(key, direction.value.lower(), state,
                                                    len(pods), affected))
                    break
    return tuple(found)


def build_model(evaluator: Evaluator, records: Iterable[FlowRecord], inputs: Inputs,
                locate: Locate = _as_is) -> ObserveModel:
    """Evaluate every record and aggregate the results into the graph, table and gaps.

    `locate` maps a policy span to where a reader should look (e.g. from a rendered overlay
    back to the source file); by default spans are kept as compiled.
    """
    builder = _Builder(evaluator, locate)
    for record in records:
        builder.add(record)
    edges = tuple(sorted((_edge(k, t) for k, t in builder.edges.items()), key=edge_sort_key))
    workloads = _workload_nodes(evaluator.topology.endpoints)
    nodes: dict[NodeKey, GraphNode] = {
        key: GraphNode(key, len(pods), _shown_labels(pods[0])) for key, pods in workloads.items()}
    for edge in edges:
        for key in (edge.src, edge.dst):
            if key not in nodes:
                nodes[key] = GraphNode(key, in_inventory=key.kind.value != "external")
    touched = {k for e in edges for k in (e.src, e.dst)}
    quiet = tuple(nodes[k] for k in sorted(workloads) if k not in touched)
    gaps = Gaps(unselected_workloads(evaluator, workloads),
                tuple(e for e in edges if e.profile_allowed), quiet)
    unresolved = tuple(Unresolved(reason, count, first) for reason, (count, first)
                       in sorted(builder.unresolved.items(), key=lambda item: (-item[1][0], item[0])))
    policy_set = evaluator.policy_set
    return ObserveModel(inputs.environment, str(policy_set.version), policy_set.edition.value,
                        inputs.inputs, tuple(nodes[k] for k in sorted(nodes)), edges, gaps,
                        builder.records, builder.evaluated, unresolved, inputs.notes)
