"""Memo keys for side results: what of a packet a chain of rules can possibly observe.

Two packets whose keys are equal get the same verdict and trace from a chain, so the walk runs
once per key instead of once per flow. A key holds, per end of the connection, which of the
chain's selectors the address matches, which of its CIDR lists contain the address, and the
exact address only where a Service rule needs it (calico-semantics §3.5).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tierguard.engine.ir import CompiledRule, Direction, EntityMatch, IPNetwork
from tierguard.engine.packet import Packet, Peer
from tierguard.selector import Selector
from tierguard.selector.compiler import Predicate

Nets = tuple[IPNetwork, ...]


class NetsIndex:
    """Every distinct nets/notNets list of a policy set; an address maps to a membership bitmask."""

    def __init__(self, rules: Iterable[CompiledRule]) -> None:
        self.ids: dict[Nets, int] = {}
        for rule in rules:
            for side in (rule.source, rule.destination):
                for nets in (side.nets, side.not_nets):
                    if nets is not None and nets not in self.ids:
                        self.ids[nets] = len(self.ids)
        # Every CIDR of every list as (family, network as int, netmask as int, the list's bit):
        # integer tests, because `ip in network` costs microseconds and an address is tested
        # against every CIDR of the policy set the first time it is seen.
        self._cidrs = tuple((net.version, int(net.network_address), int(net.netmask), 1 << i)
                            for nets, i in self.ids.items() for net in nets)
        self._bits: dict[int, int] = {}  # Peer.addr -> bits

    def mask(self, sides: Iterable[EntityMatch]) -> int:
        bits = 0
        for side in sides:
            for nets in (side.nets, side.not_nets):
                if nets is not None:
                    bits |= 1 << self.ids[nets]
        return bits

    def bits(self, peer: Peer) -> int:
        """Which CIDR lists contain the peer's address (cached per interned address)."""
        found = self._bits.get(peer.addr)
        if found is None:
            ip = peer.ip
            assert ip is not None
            version, address = ip.version, int(ip)
            found = 0
            for family, network, netmask, bit in self._cidrs:
                if address & netmask == network and family == version:
                    found |= bit
            self._bits[peer.addr] = found
        return found


class SelectorIndex:
    """Every distinct rule selector (by canonical text); a peer maps to a bitmask of matches."""

    def __init__(self, rules: Iterable[CompiledRule]) -> None:
        # Selector -> bit. Selectors hash and compare by canonical text, so equal selectors
        # share a bit; keying by the object (not id()) also keeps it alive.
        self.ids: dict[Selector, int] = {}
        self._selectors: list[Selector] = []
        for rule in rules:
            for side in (rule.source, rule.destination):
                for sel in (side.selector, side.not_selector):
                    if sel is not None and sel not in self.ids:
                        self.ids[sel] = len(self._selectors)
                        self._selectors.append(sel)
        self._bits: dict[int, int] = {}
        self._compiled: list[Predicate] | None = None

    def mask(self, selectors: Iterable[Selector]) -> int:
        bits = 0
        for sel in selectors:
            bits |= 1 << self.ids[sel]
        return bits

    def bits(self, peer: Peer) -> int:
        """Which selectors the peer's address matches (IP-set semantics), cached per identity.

        Same answer as `RuleMatcher.peer_matches` for each selector, computed directly: an identity
        is tested against every rule selector once, and its owners usually share one label set.
        """
        found = self._bits.get(peer.ident)
        if found is None:
            label_sets = list({id(o.labels): o.labels for o in peer.owners}.values())
            found = 0
            # The compiled predicates, not Selector.matches: its per-label-set memo would only
            # fill up here, since each (selector, identity) pair is asked exactly once.
            for i, predicate in enumerate(self._predicates()):
                for labels in label_sets:
                    if predicate(labels):
                        found |= 1 << i
                        break
            self._bits[peer.ident] = found
        return found

    def _predicates(self) -> list[Predicate]:
        if self._compiled is None:
            self._compiled = [sel.compiled() for sel in self._selectors]
        return self._compiled


@dataclass(frozen=True, slots=True)
class KeyFacts:
    """What a chain's rules look at, on the peer's and on the local endpoint's side."""

    peer_selectors: int  # SelectorIndex mask
    peer_nets: int  # NetsIndex mask
    peer_named_ports: bool  # named ports depend on the owners' declared ports
    peer_exact: bool  # Service rules depend on the exact address
    local_nets: int
    local_exact: bool


def _has_named_ports(side: EntityMatch) -> bool:
    return any(m is not None and bool(m.names) for m in (side.ports, side.not_ports))


# One rule's contribution to KeyFacts, in KeyFacts field order.
_RuleFacts = tuple[int, int, bool, bool, int, bool]


class FactsIndex:
    """KeyFacts of rule lists. A chain's facts are the union of its rules' facts, and the same
    rules recur in many chains (a global policy selects most endpoints), so each rule's share
    is worked out once per direction."""

    def __init__(self, nets: NetsIndex, selectors: SelectorIndex) -> None:
        self.nets = nets
        self.selectors = selectors
        # (id(rule), ingress) -> (rule, its facts); the rule is kept so its id stays unique.
        self._rules: dict[tuple[int, bool], tuple[CompiledRule, _RuleFacts]] = {}

    def _rule(self, rule: CompiledRule, ingress: bool) -> _RuleFacts:
        peer, local = (rule.source, rule.destination) if ingress else (rule.destination, rule.source)
        sels = [sel for sel in (peer.selector, peer.not_selector) if sel is not None]
        return (self.selectors.mask(sels), self.nets.mask((peer,)), _has_named_ports(peer),
                peer.service is not None, self.nets.mask((local,)), local.service is not None)

    def facts(self, rules: Iterable[CompiledRule], direction: Direction) -> KeyFacts:
        ingress = direction is Direction.INGRESS
        peer_selectors = peer_nets = local_nets = 0
        named = peer_exact = local_exact = False
        known = self._rules
        for rule in rules:
            entry = known.get((id(rule), ingress))
            if entry is None or entry[0] is not rule:
                entry = known[(id(rule), ingress)] = (rule, self._rule(rule, ingress))
            sel, nets, has_named, exact, local, local_svc = entry[1]
            peer_selectors |= sel
            peer_nets |= nets
            local_nets |= local
            named = named or has_named
            peer_exact = peer_exact or exact
            local_exact = local_exact or local_svc
        return KeyFacts(peer_selectors, peer_nets, named, peer_exact, local_nets, local_exact)


def packet_part(pkt: Packet) -> tuple[object, ...]:
    """What of the L4 header and family a memo key holds (the same for all sides of a packet)."""
    return (pkt.protocol, pkt.dst_port, pkt.src_port, pkt.ip_version, pkt.icmp_type, pkt.icmp_code)


class SideKeys:
    """Builds memo keys from the per-address selector and CIDR bitmasks.

    A key is (local part, peer part, peer space, packet part): the local part says which chain
    and what of the local endpoint's address it observes, the peer part what of the peer's
    (which selectors and CIDR lists match, or the exact address where a Service rule needs it).
    """

    def __init__(self, nets: NetsIndex, selectors: SelectorIndex) -> None:
        self.index = nets
        self.selectors = selectors

    def _nets(self, peer: Peer, mask: int) -> int:
        if not mask:
            return 0
        return -1 if peer.ip is None else self.index.bits(peer) & mask

    def local_part(self, chain_id: int, facts: KeyFacts, local: Peer) -> tuple[object, ...]:
        """The same for every packet of one local peer under one chain (callers may cache it)."""
        local_part = local.ip if facts.local_exact else self._nets(local, facts.local_nets)
        return (chain_id, local.ident, local_part)

    def peer_part(self, facts: KeyFacts, peer: Peer) -> object:
        if facts.peer_exact:
            return (peer.ident, peer.ip)
        selected = (self.selectors.bits(peer) & facts.peer_selectors
                    if facts.peer_selectors else 0)
        return (selected, self._nets(peer, facts.peer_nets),
                peer.ident if facts.peer_named_ports else 0)

    def key(self, chain_id: int, facts: KeyFacts, local: Peer, peer: Peer,
            pkt: Packet) -> tuple[object, ...]:
        # `space`: an unknown address's pvt/pub hint decides nets and may make selectors uncertain.
        return (self.local_part(chain_id, facts, local), self.peer_part(facts, peer), peer.space,
                packet_part(pkt))
