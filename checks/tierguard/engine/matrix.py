"""The full pairwise verdict matrix (every pod to every pod) for one protocol and port.

It asks the very same `Evaluator.side` as `simulate`, but only once per distinct memo key:
peers that a chain cannot tell apart (same selector matches, same CIDR memberships) share one
walk. Rows and columns are pods; row `i` is a bitmask of the destinations `i` may reach.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tierguard.engine.evaluate import Evaluator
from tierguard.engine.ir import Direction
from tierguard.engine.packet import Packet, Peer
from tierguard.engine.trace import Mode, Verdict
from tierguard.inventory.model import Endpoint, EndpointKind


@dataclass(frozen=True, slots=True)
class VerdictMatrix:
    endpoints: tuple[Endpoint, ...]
    allowed: tuple[int, ...]  # allowed[i] bit j: endpoints[i] -> endpoints[j] is allowed

    def allows(self, source: int, dest: int) -> bool:
        return bool((self.allowed[source] >> dest) & 1)

    def allowed_pairs(self) -> int:
        return sum(row.bit_count() for row in self.allowed)


def _groups(evaluator: Evaluator, peers: Sequence[Peer]) -> dict[tuple[int, int], list[int]]:
    """Pods with the same label class and identity: their chains are the same."""
    groups: dict[tuple[int, int], list[int]] = {}
    for i, peer in enumerate(peers):
        assert peer.endpoint is not None
        groups.setdefault((evaluator.topology.class_of(peer.endpoint), peer.ident), []).append(i)
    return groups


@dataclass(frozen=True, slots=True)
class _PeerClass:
    """Pods no rule can tell apart except by exact address: same identity, same CIDR bits."""

    rep: Peer
    mask: int  # bitmask over all pods
    members: tuple[int, ...]


def _peer_classes(evaluator: Evaluator, peers: Sequence[Peer]) -> list[_PeerClass]:
    nets = evaluator.side_keys.index
    found: dict[tuple[int, int], list[int]] = {}
    for j, peer in enumerate(peers):
        bits = nets.bits(peer) if peer.ip is not None else -1
        found.setdefault((peer.ident, bits), []).append(j)
    return [_PeerClass(peers[m[0]], sum(1 << j for j in m), tuple(m)) for m in found.values()]


def _allowed_peers(evaluator: Evaluator, local: Peer, peers: Sequence[Peer],
                   classes: Sequence[_PeerClass], direction: Direction, mode: Mode,
                   protocol: int, port: int) -> int:
    """Bitmask over `peers` that `local` allows in `direction` (one walk per distinct key)."""
    assert local.endpoint is not None
    chain = evaluator.chain(local.endpoint, direction, mode)
    keys = evaluator.side_keys
    ingress = direction is Direction.INGRESS
    verdicts: dict[tuple[object, ...], bool] = {}
    mask = 0
    # Service rules see the exact address: then every pod is its own class.
    units = ([_PeerClass(p, 1 << j, (j,)) for j, p in enumerate(peers)]
             if chain.facts.peer_exact else classes)
    for unit in units:
        peer = unit.rep
        pkt = (Packet(peer, local, protocol, port) if ingress
               else Packet(local, peer, protocol, port))
        key = keys.key(id(chain), chain.facts, local, peer, pkt)
        allowed = verdicts.get(key)
        if allowed is None:
            side = evaluator.side(local.endpoint, direction, pkt, mode)
            allowed = verdicts[key] = side.verdict is Verdict.ALLOW
        if allowed:
            mask |= unit.mask
    return mask


def verdict_matrix(evaluator: Evaluator, protocol: int, port: int,
                   mode: Mode = Mode.ENFORCED) -> VerdictMatrix:
    """Every pod (workload endpoint with an IP) to every pod, on one protocol and port."""
    pods = tuple(sorted((e for e in evaluator.topology.endpoints
                         if e.kind is EndpointKind.WORKLOAD and e.ips),
                        key=lambda e: (e.namespace, e.name)))
    peers = [evaluator.topology.peer_for_endpoint(e) for e in pods]
    classes = _peer_classes(evaluator, peers)
    egress = [0] * len(pods)
    ingress = [0] * len(pods)
    for members in _groups(evaluator, peers).values():
        for direction, target in ((Direction.EGRESS, egress), (Direction.INGRESS, ingress)):
            chain = evaluator.chain(pods[members[0]], direction, mode)
            # A local-side CIDR or Service rule can tell group members apart by address.
            exact = chain.facts.local_exact or chain.facts.local_nets != 0
            shared = None if exact else _allowed_peers(evaluator, peers[members[0]], peers,
                                                       classes, direction, mode, protocol, port)
            for i in members:
                target[i] = shared if shared is not None else _allowed_peers(
                    evaluator, peers[i], peers, classes, direction, mode, protocol, port)
    # pair (s, d) needs s's egress to allow d and d's ingress to allow s (calico-semantics §3.1)
    distinct: dict[int, int] = {}
    for d, sources in enumerate(ingress):
        distinct[sources] = distinct.get(sources, 0) | (1 << d)
    rows = []
    for s in range(len(pods)):
        reachable_by_ingress = 0
        for sources, dests in distinct.items():
            if (sources >> s) & 1:
                reachable_by_ingress |= dests
        rows.append(egress[s] & reachable_by_ingress)
    return VerdictMatrix(pods, tuple(rows))
