"""The proof step: replay the flows a recommendation was learnt from, with it enforced.

Uses the engine's pending (staged-as-enforced, calico-semantics §5.2) evaluation on a policy set
made of the enforced policies plus the recommendations only (other staged policies are left out
so they cannot blur the answer). For each observation the reporting side is evaluated twice:
ENFORCED (today) and PENDING (today + recommendations promoted). An observed allowed flow that
PENDING denies is a break. Also counts how far the recommendations narrow reachability between
inventory workloads on the ports they serve.

Flow-log `net` peers aggregated to `pvt`/`pub` carry no IP; they are replayed with a stand-in
address of the same class (private or public, owned by no endpoint, network set or node), which
is exactly what the flow log asserts about the real peer.

Pure: a PolicySet, a Topology, profiles and observations in; results out.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from tierguard.engine.evaluate import Evaluator
from tierguard.engine.ir import CompiledPolicy, CompiledProfile, Direction, PolicySet
from tierguard.engine.packet import Packet, protocol_name
from tierguard.engine.resolve import Resolver, make_packet
from tierguard.engine.simulate import query_from_flow
from tierguard.engine.topology import Topology
from tierguard.engine.trace import Mode, SideResult, Verdict
from tierguard.flows.model import EndpointType, FlowRecord
from tierguard.flows.model import Peer as FlowPeer
from tierguard.inventory.model import Endpoint, EndpointKind, IPAddress, Service
from tierguard.recommend.model import Observation, Scope
from tierguard.review.reach import served_ports

_WITNESSES = {
    Scope.PRIVATE: ("10.255.255.254", "172.31.255.254", "192.168.255.254"),
    # Documentation ranges (RFC 5737): public for Calico (not RFC 1918), never really routed.
    Scope.PUBLIC: ("203.0.113.254", "198.51.100.254", "192.0.2.254"),
}


# Labels that differ between rollouts of the same workload (never selected on by policy).
_PER_ROLLOUT = frozenset({"pod-template-hash", "controller-revision-hash", "pod-template-generation"})


class Status(enum.Enum):
    ALLOWED = "allowed"  # still allowed with the recommendation enforced
    BROKEN = "broken"  # allowed today, denied with the recommendation enforced
    DISAGREES = "disagrees"  # the engine denies it even today: inventory/policy drift, not ours
    UNVERIFIABLE = "unverifiable"  # a peer is unknown or a rule could not be decided


@dataclass(frozen=True, slots=True)
class FlowCheck:
    """Observations that replay identically, with how many records they stand for."""

    status: Status
    namespace: str
    direction: Direction
    flow: str  # "src -> dst PROTO/port"
    detail: str  # pending trace of the deny, or why it could not be replayed
    records: int
    first: Observation


@dataclass(frozen=True, slots=True)
class Reach:
    """Weighted (source pod, destination pod, served port) triples touching the namespace."""

    triples: int
    before: int
    after: int


@dataclass(frozen=True, slots=True)
class Proof:
    namespace: str
    records: int
    checks: tuple[FlowCheck, ...]
    witnessed: int  # records replayed with a stand-in pub/pvt address
    reach: Reach
    stand_in_pods: int = 0  # records replayed with a current pod of a workload whose pod is gone

    def count(self, status: Status) -> int:
        return sum(c.records for c in self.checks if c.status is status)

    def of(self, status: Status) -> tuple[FlowCheck, ...]:
        return tuple(c for c in self.checks if c.status is status)


def proof_policy_set(policy_set: PolicySet, recommended: Iterable[CompiledPolicy]) -> PolicySet:
    """Enforced policies plus the recommendations; every other staged policy is left out."""
    mine = list(recommended)
    ids = {id(p) for p in mine}
    keep = [p for p in policy_set.policies if not p.kind.is_staged and id(p) not in ids]
    return replace(policy_set, policies=tuple(keep + mine))


def witness_addresses(topology: Topology) -> dict[Scope, IPAddress]:
    """A private and a public address that no endpoint, network set or node owns."""
    out: dict[Scope, IPAddress] = {}
    for scope, candidates in _WITNESSES.items():
        for text in candidates:
            ip = ipaddress.ip_address(text)
            if not topology.owners_of(ip) and topology.node_of_ip(ip) is None:
                out[scope] = ip
                break
    return out


class Prover:
    """Replays observations against one evaluator built for the proof."""

    def __init__(self, policy_set: PolicySet, topology: Topology, profiles: Iterable[CompiledProfile],
                 recommended: Iterable[CompiledPolicy] = ()) -> None:
        self.evaluator = Evaluator(policy_set, topology, profiles)
        self.recommended = {p.namespace: p for p in recommended}
        self.resolver = Resolver(topology)
        self.witnesses = witness_addresses(topology)
        self.fmt = self.evaluator.trace_format

    def covered(self, observation: Observation, pkt: Packet) -> bool:
        """Whether a rule of the namespace's recommendation itself matches the flow."""
        policy = self.recommended.get(observation.namespace)
        if policy is None:
            return False
        matcher = self.evaluator.matcher
        return any(matcher.check(rule, pkt, policy.namespace) is None
                   for rule in policy.rules(observation.direction))

    def _record(self, observation: Observation) -> tuple[FlowRecord, bool, bool]:
        """The record to replay, with stand-ins for peers the inventory cannot resolve:
        (record, stand-in address used, stand-in pod used)."""
        record = observation.record
        assert record is not None
        egress = observation.direction is Direction.EGRESS
        peer = record.dest if egress else record.source
        address = False
        if not peer.ip and peer.type in (EndpointType.NETWORK, EndpointType.HOST) \
                and observation.scope in self.witnesses:
            stand_in = replace(peer, ip=str(self.witnesses[observation.scope]))
            record = replace(record, dest=stand_in) if egress else replace(record, source=stand_in)
            address = True
        source, dest = self._gone(record.source), self._gone(record.dest)
        if source is not None or dest is not None:
            record = replace(record, source=source or record.source, dest=dest or record.dest)
        return record, address, source is not None or dest is not None

    def _gone(self, peer: FlowPeer) -> FlowPeer | None:
        """For a workload the inventory no longer has (an older ReplicaSet), a current pod of the
        same namespace carrying every label the flow log reported except the per-rollout hashes."""
        if peer.type is not EndpointType.WORKLOAD or peer.ip:
            return None
        if self.resolver.flow_peer(peer.type.value, peer.namespace, peer.name, peer.name_aggr, None).peer:
            return None
        stable = {k: v for k, v in peer.label_map.items() if k not in _PER_ROLLOUT}
        if not stable:
            return None
        candidates = [e for e in self.resolver.topology.endpoints
                      if e.kind is EndpointKind.WORKLOAD and e.namespace == peer.namespace and e.ips
                      and all(e.labels.get(k) == v for k, v in stable.items())]
        if not candidates:
            return None
        pod = min(candidates, key=lambda e: e.name)
        return replace(peer, ip=str(pod.ips[0]))

    def check(self, observation: Observation) -> tuple[Status, str, str, bool, bool]:
        """(status, flow text, detail, stand-in address used, stand-in pod used)."""
        record, witnessed, pod = self._record(observation)
        query = query_from_flow(self.resolver, record)
        port = f"/{observation.port}" if observation.port is not None else ""
        flow = f"{query.source} -> {query.dest} {protocol_name(observation.protocol)}{port}"
        if query.packet is None:
            return Status.UNVERIFIABLE, flow, query.error, witnessed, pod
        pkt = query.packet
        local = pkt.src if observation.direction is Direction.EGRESS else pkt.dst
        if local.endpoint is None or not local.is_enforcing:
            return Status.UNVERIFIABLE, flow, "the reporting endpoint is not in the inventory", witnessed, pod
        endpoint = local.endpoint
        before = self.evaluator.side(endpoint, observation.direction, pkt, Mode.ENFORCED)
        after = self.evaluator.side(endpoint, observation.direction, pkt, Mode.PENDING)
        if after.verdict is Verdict.ALLOW:
            return Status.ALLOWED, flow, "", witnessed, pod
        trace = ", ".join(after.strings(self.fmt))
        if after.uncertain:
            return Status.UNVERIFIABLE, flow, f"a rule could not be decided ({_doubts(after)}); {trace}", witnessed, pod
        if before.verdict is Verdict.DENY and self.covered(observation, pkt):
            return Status.DISAGREES, flow, ("denied even without the recommendation (whose rules do allow "
                                            f"it): {trace}"), witnessed, pod
        if before.verdict is Verdict.DENY:
            return Status.BROKEN, flow, f"no rule of the recommendation allows it: {trace}", witnessed, pod
        return Status.BROKEN, flow, trace, witnessed, pod

    def prove(self, namespace: str, observations: Sequence[Observation], services: Sequence[Service]) -> Proof:
        grouped: dict[tuple[object, ...], FlowCheck] = {}
        witnessed = pods = 0
        # Records of the same connection differ only in time and counters: replay each once.
        replayed: dict[tuple[object, ...], tuple[Status, str, str, bool, bool]] = {}
        for observation in observations:
            same = _replay_key(observation)
            found_check = replayed.get(same)
            if found_check is None:
                found_check = replayed[same] = self.check(observation)
            status, flow, detail, stand_in, pod = found_check
            witnessed += stand_in
            pods += pod
            key = (status, observation.direction, flow, detail)
            found = grouped.get(key)
            grouped[key] = FlowCheck(status, namespace, observation.direction, flow, detail,
                                     1, observation) if found is None else replace(found, records=found.records + 1)
        checks = tuple(sorted(grouped.values(), key=lambda c: (c.status.value, c.direction.value, c.flow)))
        return Proof(namespace, len(observations), checks, witnessed,
                     reachability(self.evaluator, namespace, services), pods)


def _replay_key(observation: Observation) -> tuple[object, ...]:
    """Everything of an observation the replay depends on."""
    record = observation.record
    assert record is not None
    ends = tuple((p.type, p.namespace, p.name, p.name_aggr, p.ip, p.port, p.labels)
                 for p in (record.source, record.dest))
    return (observation.direction, observation.scope, observation.namespace, observation.protocol,
            observation.port, ends)


def _doubts(side: SideResult) -> str:
    return "; ".join(sorted({u.why.value for u in side.uncertain}))


def _classes(topology: Topology) -> list[tuple[Endpoint, int]]:
    groups: dict[int, list[Endpoint]] = {}
    for endpoint in topology.endpoints:
        if endpoint.kind is EndpointKind.WORKLOAD:
            groups.setdefault(topology.class_of(endpoint), []).append(endpoint)
    return [(min(eps, key=lambda e: e.name), len(eps)) for _, eps in sorted(groups.items())]


def reachability(evaluator: Evaluator, namespace: str, services: Sequence[Service]) -> Reach:
    """Allowed (src pod, dst pod, port) triples before and after, over the inventory workloads.

    Ports: container ports of the destination plus target ports of Services it backs. Pods are
    evaluated per label class and weighted by class sizes (a pod to itself is not counted).
    """
    topology = evaluator.topology
    classes = _classes(topology)
    triples = before = after = 0
    for src, src_count in classes:
        for dst, dst_count in classes:
            if namespace not in (src.namespace, dst.namespace):
                continue
            weight = src_count * dst_count - (src_count if src is dst else 0)
            if weight <= 0:
                continue
            for port, protocol in served_ports(dst, services):
                pkt = make_packet(topology.peer_for_endpoint(src), topology.peer_for_endpoint(dst), protocol, port)
                result = evaluator.evaluate(pkt)
                if result.enforced is None or result.pending is None:
                    continue
                triples += weight
                before += weight if result.enforced.verdict is Verdict.ALLOW else 0
                after += weight if result.pending.verdict is Verdict.ALLOW else 0
    return Reach(triples, before, after)


def prove_all(policy_set: PolicySet, recommended: Sequence[CompiledPolicy], topology: Topology,
              profiles: Iterable[CompiledProfile], observations: Mapping[str, Sequence[Observation]],
              services: Sequence[Service]) -> list[Proof]:
    """One proof per recommended namespace, in namespace order."""
    prover = Prover(proof_policy_set(policy_set, recommended), topology, profiles, recommended)
    return [prover.prove(ns, observations.get(ns, ()), services)
            for ns in sorted({p.namespace for p in recommended})]
