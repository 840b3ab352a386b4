"""Rule matching (calico-semantics §3.5): one function answers "does rule r match packet p?".

`RuleMatcher.check` returns None when the rule matches, otherwise the first criterion that
failed (`Why`). The walkthrough of `tierguard explain` renders those reasons; `simulate` only
looks at None / not None, so both share this single code path.
"""

from __future__ import annotations

import enum

from tierguard.engine.ir import CompiledRule, EntityMatch, IcmpMatch, IPNetwork, PortMatch
from tierguard.engine.packet import AddressSpace, Overlap, Packet, Peer
from tierguard.engine.topology import Topology
from tierguard.inventory.model import EndpointKind
from tierguard.selector import Selector


class Why(enum.Enum):
    """The first criterion of a rule that did not hold for the packet."""

    IP_VERSION = "ip-version"
    FAMILY = "other-family-cidrs"
    PROTOCOL = "protocol"
    NOT_PROTOCOL = "not-protocol"
    ICMP = "icmp"
    NOT_ICMP = "not-icmp"
    ICMP_UNKNOWN = "icmp-unknown"
    SRC_NETS = "source-nets"
    SRC_NOT_NETS = "source-not-nets"
    SRC_SELECTOR = "source-selector"
    SRC_NOT_SELECTOR = "source-not-selector"
    SRC_SERVICE = "source-service"
    SRC_PORTS = "source-ports"
    SRC_NOT_PORTS = "source-not-ports"
    SRC_IP_UNKNOWN = "source-ip-unknown"
    SRC_PORT_UNKNOWN = "source-port-unknown"
    SRC_DOMAINS = "source-domains"
    SRC_SELECTOR_UNKNOWN = "source-selector-ip-unknown"
    SRC_NOT_SELECTOR_UNKNOWN = "source-not-selector-ip-unknown"
    DST_NETS = "destination-nets"
    DST_NOT_NETS = "destination-not-nets"
    DST_SELECTOR = "destination-selector"
    DST_NOT_SELECTOR = "destination-not-selector"
    DST_SERVICE = "destination-service"
    DST_PORTS = "destination-ports"
    DST_NOT_PORTS = "destination-not-ports"
    DST_IP_UNKNOWN = "destination-ip-unknown"
    DST_PORT_UNKNOWN = "destination-port-unknown"
    DST_DOMAINS = "destination-domains"
    DST_SELECTOR_UNKNOWN = "destination-selector-ip-unknown"
    DST_NOT_SELECTOR_UNKNOWN = "destination-not-selector-ip-unknown"
    HTTP = "http"

    @property
    def uncertain(self) -> bool:
        """The rule might match: the flow lacks what is needed to decide (treated as no match)."""
        return self in _UNCERTAIN


_UNCERTAIN = frozenset({Why.ICMP_UNKNOWN, Why.SRC_IP_UNKNOWN, Why.SRC_PORT_UNKNOWN, Why.SRC_DOMAINS,
                        Why.DST_IP_UNKNOWN, Why.DST_PORT_UNKNOWN, Why.DST_DOMAINS, Why.HTTP,
                        Why.SRC_SELECTOR_UNKNOWN, Why.SRC_NOT_SELECTOR_UNKNOWN,
                        Why.DST_SELECTOR_UNKNOWN, Why.DST_NOT_SELECTOR_UNKNOWN})
# Per side: (selector, notSelector) undecidable because the peer's address is unknown.
_SELECTOR_UNKNOWN = {
    "src": (Why.SRC_SELECTOR_UNKNOWN, Why.SRC_NOT_SELECTOR_UNKNOWN),
    "dst": (Why.DST_SELECTOR_UNKNOWN, Why.DST_NOT_SELECTOR_UNKNOWN),
}

# Per side: (nets, not_nets, selector, not_selector, service, ports, not_ports, ip?, port?, domains)
_SIDE_WHY = {
    "src": (Why.SRC_NETS, Why.SRC_NOT_NETS, Why.SRC_SELECTOR, Why.SRC_NOT_SELECTOR, Why.SRC_SERVICE,
            Why.SRC_PORTS, Why.SRC_NOT_PORTS, Why.SRC_IP_UNKNOWN, Why.SRC_PORT_UNKNOWN,
            Why.SRC_DOMAINS),
    "dst": (Why.DST_NETS, Why.DST_NOT_NETS, Why.DST_SELECTOR, Why.DST_NOT_SELECTOR, Why.DST_SERVICE,
            Why.DST_PORTS, Why.DST_NOT_PORTS, Why.DST_IP_UNKNOWN, Why.DST_PORT_UNKNOWN,
            Why.DST_DOMAINS),
}


def _families(nets: tuple[IPNetwork, ...] | None) -> frozenset[int] | None:
    return None if not nets else frozenset(n.version for n in nets)


def _rule_families(rule: CompiledRule) -> tuple[frozenset[int], ...]:
    fields = (rule.source.nets, rule.source.not_nets, rule.destination.nets,
              rule.destination.not_nets)
    return tuple(f for f in (_families(n) for n in fields) if f is not None)


_MAYBE = Why.SRC_IP_UNKNOWN  # sentinel of `_nets_in_space`: the outcome depends on the address


def _nets_in_space(ent: EntityMatch, space: AddressSpace | None, w_nets: Why,
                   w_not_nets: Why) -> Why | None:
    """nets/notNets for an address known only by its space (`pvt`/`pub`): None when both hold
    for every address of the space, the failing criterion when it fails for every address,
    else `_MAYBE`. Without a space nothing can be decided."""
    if space is None:
        return _MAYBE
    if ent.nets is not None:
        overlap = space.overlap(ent.nets)
        if overlap is not Overlap.ALL:
            return w_nets if overlap is Overlap.NONE else _MAYBE
    if ent.not_nets is not None:
        overlap = space.overlap(ent.not_nets)
        if overlap is Overlap.ALL:
            return w_not_nets
        if overlap is Overlap.SOME:
            return _MAYBE
    return None


def _icmp_holds(match: IcmpMatch, pkt: Packet) -> bool:
    return match.type == pkt.icmp_type and (match.code is None or match.code == pkt.icmp_code)


class RuleMatcher:
    """Matches compiled rules against packets, caching selector results per peer identity."""

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        # Never keyed by a bare id(): ids are recycled once an object is collected, and callers
        # such as the recommender check temporary rules, so a cache entry would then answer
        # for a different rule. Selectors are keys themselves (they hash by canonical text);
        # rules are cached by id for speed *with* the rule kept in the entry (a strong
        # reference, so the id stays taken) and checked by identity.
        self._selector_cache: dict[tuple[Selector, int], bool] = {}
        self._family_cache: dict[int, tuple[CompiledRule, tuple[frozenset[int], ...]]] = {}
        self._maybe_cache: dict[tuple[Selector, AddressSpace], bool] = {}

    def check(self, rule: CompiledRule, pkt: Packet, policy_namespace: str) -> Why | None:
        """None if `rule` matches `pkt`, else the first criterion that failed."""
        if rule.ip_version is not None and rule.ip_version != pkt.ip_version:
            return Why.IP_VERSION
        cached = self._family_cache.get(id(rule))
        if cached is None or cached[0] is not rule:
            cached = self._family_cache[id(rule)] = (rule, _rule_families(rule))
        families = cached[1]
        # felix does not render a rule for a family none of its CIDR fields mention (§3.5.1).
        if any(pkt.ip_version not in f for f in families):
            return Why.FAMILY
        why = self._check_l4(rule, pkt)
        if why is not None:
            return why
        why = self._check_side(rule.source, pkt.src, pkt.src_port, pkt, "src", policy_namespace)
        if why is not None:
            return why
        why = self._check_side(rule.destination, pkt.dst, pkt.dst_port, pkt, "dst",
                               policy_namespace)
        if why is not None:
            return why
        # L7 criteria cannot be decided from an L3/L4 flow: conservatively no match, flagged.
        return Why.HTTP if rule.has_http else None

    def _check_l4(self, rule: CompiledRule, pkt: Packet) -> Why | None:
        if rule.protocol is not None and rule.protocol != pkt.protocol:
            return Why.PROTOCOL
        if rule.not_protocol is not None and rule.not_protocol == pkt.protocol:
            return Why.NOT_PROTOCOL
        if rule.icmp is not None or rule.not_icmp is not None:
            if pkt.icmp_type is None:
                return Why.ICMP_UNKNOWN
            if rule.icmp is not None and not _icmp_holds(rule.icmp, pkt):
                return Why.ICMP
            if rule.not_icmp is not None and _icmp_holds(rule.not_icmp, pkt):
                return Why.NOT_ICMP
        return None

    def _check_side(self, ent: EntityMatch, peer: Peer, port: int | None, pkt: Packet,
                    side: str, policy_namespace: str) -> Why | None:
        (w_nets, w_not_nets, w_sel, w_not_sel, w_svc, w_ports, w_not_ports, w_ip, w_port,
         w_domains) = _SIDE_WHY[side]
        if ent.nets is not None or ent.not_nets is not None:
            ip = peer.ip
            if ip is None:
                why = _nets_in_space(ent, peer.space, w_nets, w_not_nets)
                if why is not None:
                    return w_ip if why is _MAYBE else why
            else:
                if ent.nets is not None and not any(ip in n for n in ent.nets
                                                    if n.version == ip.version):
                    return w_nets
                if ent.not_nets is not None and any(ip in n for n in ent.not_nets
                                                    if n.version == ip.version):
                    return w_not_nets
        unknown = peer.ip is None and peer.space is not None
        if ent.selector is not None and not self.peer_matches(ent.selector, peer):
            if unknown and self.may_match(ent.selector, peer):
                return _SELECTOR_UNKNOWN[side][0]
            return w_sel
        if ent.not_selector is not None:
            if self.peer_matches(ent.not_selector, peer):
                return w_not_sel
            if unknown and self.may_match(ent.not_selector, peer):
                return _SELECTOR_UNKNOWN[side][1]
        if ent.service is not None and not self._service_holds(ent, peer, port, pkt, side,
                                                               policy_namespace):
            return w_ip if peer.ip is None else w_svc
        if ent.ports is not None or ent.not_ports is not None:
            if port is None:
                return w_port
            if ent.ports is not None and not self._port_in(ent.ports, ent.selector, peer, port, pkt):
                return w_ports
            if ent.not_ports is not None and self._port_in(ent.not_ports, ent.selector, peer, port,
                                                           pkt):
                return w_not_ports
        if ent.domains:
            return w_domains
        return None

    def peer_matches(self, selector: Selector, peer: Peer) -> bool:
        """Whether the peer's address belongs to some endpoint or network set matching selector."""
        key = (selector, peer.ident)
        found = self._selector_cache.get(key)
        if found is None:
            found = self._selector_cache[key] = any(selector.matches(o.labels) for o in peer.owners)
        return found

    def may_match(self, selector: Selector, peer: Peer) -> bool:
        """For an address the record does not carry: whether a network set or host endpoint that
        may own it matches `selector` (then the selector's outcome is unknown)."""
        if peer.space is None:
            return False
        key = (selector, peer.space)
        found = self._maybe_cache.get(key)
        if found is None:
            found = self._maybe_cache[key] = any(
                selector.matches(o.labels) for o in self.topology.possible_owners(peer.space))
        return found

    def _service_holds(self, ent: EntityMatch, peer: Peer, port: int | None, pkt: Packet,
                       side: str, policy_namespace: str) -> bool:
        assert ent.service is not None
        svc = self.topology.service(ent.service.namespace or policy_namespace, ent.service.name)
        if svc is None or peer.ip is None:
            return False
        if side == "src":  # source services: membership only, no port check (§3.5.4)
            return any(b[0] == peer.ip for b in svc.backends)
        return any(b[0] == peer.ip and b[3] == pkt.protocol and b[2] == port for b in svc.backends)

    def _port_in(self, match: PortMatch, selector: Selector | None, peer: Peer, port: int,
                 pkt: Packet) -> bool:
        if any(r.first <= port <= r.last for r in match.ranges):
            return True
        if not match.names:
            return False
        # A named port matches an address whose owning endpoint (one matching the side's
        # selector, if any) declares that name with this number and protocol (§1.11).
        for owner in peer.owners:
            if owner.kind in (EndpointKind.NETWORK_SET, EndpointKind.GLOBAL_NETWORK_SET):
                continue
            if selector is not None and not selector.matches(owner.labels):
                continue
            if any(p.name in match.names and p.port == port and p.protocol == pkt.protocol
                   for p in owner.ports):
                return True
        return False
