"""Replay observed flows under base and head: newly denied, newly allowed, staged impact.

Flow records are first folded into evaluation groups (resolved source, resolved destination,
protocol, port), so a million records cost one dictionary update each and one evaluation per
group. Only groups whose endpoints the change touches (`review.touch`) are evaluated under both
trees; the verdict of every other group is unchanged by construction.

Pure: flow records, inventory endpoints and evaluators in; result types out.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tierguard.engine.evaluate import Evaluator
from tierguard.engine.ir import Direction
from tierguard.engine.packet import Packet, Peer, protocol_name
from tierguard.engine.resolve import make_packet, resolve_flow_peer
from tierguard.engine.topology import Topology
from tierguard.engine.trace import FlowResult, Hit, Mode, ModeResult
from tierguard.engine.trace import Verdict as EngineVerdict
from tierguard.flows.model import FlowRecord, Reporter
from tierguard.flows.model import Peer as FlowPeer
from tierguard.inventory.model import Endpoint, EndpointKind
from tierguard.review.model import (
    FlowChange,
    FlowKey,
    FlowStats,
    RuleLocation,
    StagedImpact,
    Verdict,
)
from tierguard.review.touch import PolicyId, Touched, policy_id

# How a peer is identified across trees: an inventory endpoint, an IP, a network set, or nothing.
PeerToken = tuple[str, object]
Locate = Callable[[Hit, Direction], RuleLocation]


@dataclass(frozen=True, slots=True)
class Tree:
    """One side of the review for one environment: its evaluator and rule locator."""

    evaluator: Evaluator
    locate: Locate
    # Policies the change added, removed or edited: when one of them took part in a verdict
    # (a Pass, say) that another rule or a profile then decided, the changed rule is the one a
    # reviewer has to look at, so it is the one reported as responsible.
    changed: frozenset[PolicyId] = frozenset()

    @property
    def topology(self) -> Topology:
        return self.evaluator.topology

    def own(self, endpoint: Endpoint) -> Endpoint:
        """This tree's object for an endpoint resolved in another tree (same namespace and name)."""
        if endpoint.kind in (EndpointKind.WORKLOAD, EndpointKind.HOST):
            found = self.topology.find(endpoint.namespace, endpoint.name)
            if found is not None:
                return found
        return endpoint


@dataclass(slots=True)
class _Tally:
    flows: dict[Reporter, int] = field(default_factory=dict)
    bytes: dict[Reporter, int] = field(default_factory=dict)
    last_ms: int = 0

    def add(self, record: FlowRecord) -> None:
        reporter = record.reporter
        self.flows[reporter] = self.flows.get(reporter, 0) + max(record.counts.flows, 1)
        self.bytes[reporter] = self.bytes.get(reporter, 0) + record.counts.bytes
        self.last_ms = max(self.last_ms, record.end_ms)

    def stats(self) -> FlowStats:
        # The same connection is usually reported by both ends; count it once.
        last = datetime.fromtimestamp(self.last_ms / 1000, tz=UTC) if self.last_ms else None
        return FlowStats(max(self.flows.values(), default=0), max(self.bytes.values(), default=0),
                         last.strftime("%Y-%m-%dT%H:%M:%SZ") if last else "")


@dataclass(frozen=True, slots=True)
class Group:
    """Observed flows that evaluate identically: same resolved peers, protocol and port."""

    key: FlowKey  # display grouping (workload names)
    source: PeerToken
    destination: PeerToken
    protocol: int
    port: int | None
    stats: FlowStats
    source_endpoint: Endpoint | None
    destination_endpoint: Endpoint | None
    problem: str = ""  # why a peer could not be resolved


@dataclass(frozen=True, slots=True)
class GroupingResult:
    groups: tuple[Group, ...]
    records: int
    unresolved: int  # records with a peer that is not in the inventory (kept, verdict unknown)


def workload_name(ep: Endpoint) -> str:
    name = ep.workload or ep.name
    return f"{ep.namespace}/{name}" if ep.namespace else name


def _display(peer: FlowPeer, endpoint: Endpoint | None) -> str:
    if endpoint is not None:
        return workload_name(endpoint)
    scope = f"{peer.namespace}/" if peer.namespace and peer.namespace != "-" else ""
    name = peer.name if peer.name and peer.name != "-" else peer.name_aggr
    if peer.ip and name in ("", "-", "pub", "pvt"):
        return peer.ip
    return f"{scope}{name}" if name else (peer.ip or "unknown")


class Grouper:
    """Folds flow records into groups, resolving each distinct peer once."""

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self._peers: dict[tuple[object, ...], tuple[PeerToken, Endpoint | None, str]] = {}
        self._tallies: dict[tuple[PeerToken, PeerToken, int, int | None], _Tally] = {}
        self._keys: dict[tuple[PeerToken, PeerToken, int, int | None], tuple[FlowKey, Endpoint | None,
                                                                              Endpoint | None, str]] = {}
        self.records = 0
        self.unresolved = 0

    def _peer(self, peer: FlowPeer) -> tuple[PeerToken, Endpoint | None, str]:
        cache_key = (peer.type, peer.namespace, peer.name, peer.name_aggr, peer.ip)
        found = self._peers.get(cache_key)
        if found is None:
            resolved = resolve_flow_peer(self.topology, peer.type.value, peer.namespace, peer.name,
                                         peer.name_aggr, peer.ip)
            found = self._peers[cache_key] = _token(resolved.peer, peer, resolved.error)
        return found

    def add(self, record: FlowRecord) -> None:
        self.records += 1
        src_token, src_ep, src_problem = self._peer(record.source)
        dst_token, dst_ep, dst_problem = self._peer(record.dest)
        number = record.protocol.number if record.protocol.number is not None else 0
        group_key = (src_token, dst_token, number, record.dest_port)
        tally = self._tallies.get(group_key)
        if tally is None:
            tally = self._tallies[group_key] = _Tally()
            display = FlowKey(_display(record.source, src_ep), _display(record.dest, dst_ep),
                              record.dest_port or 0, protocol_name(number))
            self._keys[group_key] = (display, src_ep, dst_ep, src_problem or dst_problem)
        if src_problem or dst_problem:
            self.unresolved += 1
        tally.add(record)

    def result(self) -> GroupingResult:
        groups = []
        for group_key, tally in self._tallies.items():
            display, src_ep, dst_ep, problem = self._keys[group_key]
            src, dst, number, port = group_key
            groups.append(Group(display, src, dst, number, port, tally.stats(), src_ep, dst_ep, problem))
        groups.sort(key=lambda g: (g.key, str(g.source), str(g.destination)))
        return GroupingResult(tuple(groups), self.records, self.unresolved)


def _token(peer: Peer | None, flow_peer: FlowPeer, error: str) -> tuple[PeerToken, Endpoint | None, str]:
    if peer is None:
        return ("unresolved", (flow_peer.namespace, flow_peer.name or flow_peer.name_aggr)), None, error
    if peer.endpoint is not None and peer.endpoint.kind in (EndpointKind.WORKLOAD, EndpointKind.HOST):
        return ("endpoint", peer.endpoint), peer.endpoint, ""
    if peer.ip is not None:
        return ("ip", peer.ip), None, ""
    sets = tuple((o.namespace, o.name) for o in peer.owners)
    return ("set", sets) if sets else ("none", flow_peer.name_aggr), None, ""


def group_records(records: Iterable[FlowRecord], topology: Topology) -> GroupingResult:
    grouper = Grouper(topology)
    for record in records:
        grouper.add(record)
    return grouper.result()


def peer_in(tree: Tree, token: PeerToken) -> Peer | None:
    """The engine peer a token stands for in one tree (network sets may differ per tree)."""
    kind, value = token
    topology = tree.topology
    if kind == "endpoint" and isinstance(value, Endpoint):
        return topology.peer_for_endpoint(tree.own(value))
    if kind == "ip" and isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return topology.peer_for_ip(value)
    if kind == "set" and isinstance(value, tuple):
        owners = tuple(s for ns, name in value if (s := topology.network_set(ns, name)) is not None)
        return topology.peer_without_ip(owners)
    if kind == "none":
        return topology.peer_without_ip()
    return None


def packet_in(tree: Tree, source: PeerToken, destination: PeerToken, protocol: int,
              port: int | None) -> Packet | None:
    src = peer_in(tree, source)
    dst = peer_in(tree, destination)
    if src is None or dst is None:
        return None
    return make_packet(src, dst, protocol, port)


@dataclass(frozen=True, slots=True)
class Outcome:
    """Enforced and pending verdicts of one packet under one tree, with the deciding rules."""

    enforced: Verdict
    pending: Verdict
    enforced_rule: RuleLocation | None
    pending_rule: RuleLocation | None
    note: str = ""


UNKNOWN = Outcome(Verdict.UNKNOWN, Verdict.UNKNOWN, None, None)


def _verdict(mode: ModeResult | None) -> Verdict:
    if mode is None:
        return Verdict.UNKNOWN
    return Verdict.ALLOW if mode.verdict is EngineVerdict.ALLOW else Verdict.DENY


def deciding_hit(mode: ModeResult | None,
                 changed: frozenset[PolicyId] = frozenset()) -> tuple[Hit, Direction] | None:
    """The trace entry behind a mode's verdict: the denying side's last hit, else the
    destination's (or the source's, when no destination record exists); but when that hit is
    not from a changed policy and a changed policy's hit is in the trace, that one."""
    if mode is None:
        return None
    sides = [s for s in (mode.src, mode.dst) if s is not None]
    if mode.verdict is EngineVerdict.DENY:
        sides = sorted(sides, key=lambda s: s.verdict is not EngineVerdict.DENY)
    else:
        sides = sides[::-1]
    deciding = next(((s.hits[-1], s.direction) for s in sides if s.hits), None)
    if deciding is None or not changed or _is_changed(deciding[0], changed):
        return deciding
    for side in sides:
        for hit in reversed(side.hits):
            if _is_changed(hit, changed):
                return hit, side.direction
    return deciding


def _is_changed(hit: Hit, changed: frozenset[PolicyId]) -> bool:
    return hit.policy is not None and policy_id(hit.policy) in changed


def outcome(tree: Tree, packet: Packet | None) -> Outcome:
    if packet is None:
        return UNKNOWN
    result: FlowResult = tree.evaluator.evaluate(packet)
    if result.error:
        return Outcome(Verdict.UNKNOWN, Verdict.UNKNOWN, None, None, result.error)
    return Outcome(_verdict(result.enforced), _verdict(result.pending),
                   _locate(tree, deciding_hit(result.enforced, tree.changed)),
                   _locate(tree, deciding_hit(result.pending)),
                   "; ".join(result.notes) + (" (undecidable rule involved)" if result.uncertain else ""))


def enforced_unchanged(base: Tree, head: Tree, before: Packet | None, after: Packet | None,
                       egress: bool, ingress: bool) -> bool:
    """True when the enforced verdict cannot differ: every side whose chain the change touches
    (`egress` at the source, `ingress` at the destination) gives the same verdict in both trees.

    The connection verdict is a function of the two side verdicts (§3.1), and a side whose
    chain the change does not touch evaluates identically in both trees, so comparing only the
    touched sides is exact, and much cheaper than two full evaluations.
    """
    if before is None or after is None:
        return False
    sides = ((egress, Direction.EGRESS, before.src, after.src),
             (ingress, Direction.INGRESS, before.dst, after.dst))
    for wanted, direction, old, new in sides:
        if not wanted or not old.is_enforcing or not new.is_enforcing:
            continue
        assert old.endpoint is not None and new.endpoint is not None
        was = base.evaluator.side(old.endpoint, direction, before, Mode.ENFORCED).verdict
        now = head.evaluator.side(new.endpoint, direction, after, Mode.ENFORCED).verdict
        if was is not now:
            return False
    return True


def _locate(tree: Tree, decided: tuple[Hit, Direction] | None) -> RuleLocation | None:
    return None if decided is None else tree.locate(*decided)


class AddressClasses:
    """Addresses outside the inventory that no CIDR of either tree tells apart.

    Outside peers enter an evaluation only through `nets`/`notNets` rules, network-set
    membership, node addresses and Service backends, so two addresses contained in exactly the same CIDRs of
    both trees get the same verdicts and the same deciding rules. Evaluating one per class keeps
    a million flows to thousands of public addresses at a handful of evaluations.
    """

    def __init__(self, base: Tree, head: Tree) -> None:
        nets: set[ipaddress.IPv4Network | ipaddress.IPv6Network] = set()
        for tree in (base, head):
            for policy in tree.evaluator.policy_set.policies:
                for rule in (*policy.ingress, *policy.egress):
                    for side in (rule.source, rule.destination):
                        nets.update(side.nets or ())
                        nets.update(side.not_nets or ())
            for endpoint in tree.topology.endpoints:
                nets.update(endpoint.nets)
            for node in tree.topology.nodes:
                nets.update(ipaddress.ip_network(address) for address in node.addresses)
            for service in tree.topology.services.values():  # selector-less Services may
                nets.update(ipaddress.ip_network(b[0]) for b in service.backends)  # point outside
        self.nets = tuple(sorted(nets, key=lambda n: (n.version, str(n))))
        self._memo: dict[object, tuple[int, ...]] = {}

    def key(self, token: PeerToken) -> object:
        kind, value = token
        if kind != "ip" or not isinstance(value, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
            return token
        found = self._memo.get(value)
        if found is None:
            found = self._memo[value] = (value.version,) + tuple(
                i for i, net in enumerate(self.nets) if net.version == value.version and value in net)
        return ("address-class", found)


@dataclass(frozen=True, slots=True)
class ReplayResult:
    newly_denied: tuple[FlowChange, ...]
    newly_allowed: tuple[FlowChange, ...]
    staged_impact: tuple[StagedImpact, ...]
    reevaluated: int  # groups touched by the change, evaluated under both trees
    staged: int  # groups reached by head's staged policies (evaluated for staged impact)
    observed_keys: frozenset[FlowKey]


def replay(groups: Sequence[Group], base: Tree, head: Tree, touched: Touched,
           staged: Touched) -> ReplayResult:
    """Evaluate touched groups under base and head; staged impact for groups staged policies reach."""
    denied: list[FlowChange] = []
    allowed: list[FlowChange] = []
    impact: list[StagedImpact] = []
    reevaluated = staged_count = 0
    classes = AddressClasses(base, head)
    done: dict[tuple[object, ...], tuple[Outcome, Outcome] | None] = {}
    for group in groups:
        is_touched = touched.flow(group.source_endpoint, group.destination_endpoint)
        is_staged = staged.flow(group.source_endpoint, group.destination_endpoint)
        if not is_touched and not is_staged:
            continue
        reevaluated += is_touched
        staged_count += is_staged
        key = (classes.key(group.source), classes.key(group.destination), group.protocol, group.port)
        if key not in done:
            done[key] = _evaluate_group(group, base, head, touched, is_staged)
        found = done[key]
        if found is None:
            continue
        before, after = found
        if is_touched and before.enforced is not after.enforced:
            change = FlowChange(group.key, group.stats, before.enforced, after.enforced,
                                after.enforced_rule)
            if before.enforced is Verdict.ALLOW and after.enforced is Verdict.DENY:
                denied.append(change)
            elif before.enforced is Verdict.DENY and after.enforced is Verdict.ALLOW:
                allowed.append(change)
        if is_staged and after.pending is not after.enforced and after.pending is not Verdict.UNKNOWN:
            impact.append(StagedImpact(group.key, group.stats, after.enforced, after.pending,
                                       before.pending, after.pending_rule))
    return ReplayResult(_merge(denied), _merge(allowed), tuple(impact), reevaluated, staged_count,
                        frozenset(g.key for g in groups))


def _evaluate_group(group: Group, base: Tree, head: Tree, touched: Touched,
                    is_staged: bool) -> tuple[Outcome, Outcome] | None:
    """Both outcomes, or None when the touched sides prove the enforced verdict unchanged."""
    old_packet = packet_in(base, group.source, group.destination, group.protocol, group.port)
    new_packet = packet_in(head, group.source, group.destination, group.protocol, group.port)
    if not is_staged and enforced_unchanged(
            base, head, old_packet, new_packet,
            group.source_endpoint is not None and id(group.source_endpoint) in touched.egress,
            group.destination_endpoint is not None
            and id(group.destination_endpoint) in touched.ingress):
        return None
    return outcome(base, old_packet), outcome(head, new_packet)


def _merge(changes: list[FlowChange]) -> tuple[FlowChange, ...]:
    """Several evaluation groups can share one display key (a workload's pods with different
    label sets, or several IPs); sum them, keep the first responsible rule."""
    merged: dict[FlowKey, FlowChange] = {}
    for change in changes:
        found = merged.get(change.key)
        if found is None:
            merged[change.key] = change
            continue
        stats = FlowStats(found.stats.flows + change.stats.flows, found.stats.bytes + change.stats.bytes,
                          max(found.stats.last_seen, change.stats.last_seen))
        merged[change.key] = FlowChange(found.key, stats, found.before, found.after,
                                        found.responsible or change.responsible)
    return tuple(sorted(merged.values(), key=lambda c: (-c.stats.flows, c.key)))

