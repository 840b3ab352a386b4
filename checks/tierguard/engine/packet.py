"""What the evaluator sees of one connection: two peers (address plus owners) and its L4 header."""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass

from tierguard.fastinit import fast_init
from tierguard.inventory.model import Endpoint, EndpointKind, IPAddress

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# calico-semantics §1.1 (rule protocols) and §6.2 (flow-log `proto` names).
_PROTOCOL_NUMBERS: dict[str, int] = {
    "icmp": 1, "ipip": 4, "tcp": 6, "udp": 17, "esp": 50, "icmpv6": 58, "icmp6": 58,
    "sctp": 132, "udplite": 136,
}
_PROTOCOL_NAMES: dict[int, str] = {
    1: "ICMP", 4: "IPIP", 6: "TCP", 17: "UDP", 50: "ESP", 58: "ICMPv6", 132: "SCTP", 136: "UDPLite",
}
ENFORCING_KINDS = frozenset({EndpointKind.WORKLOAD, EndpointKind.HOST})


def protocol_number(text: str | int) -> int:
    """'TCP', 'tcp', '6' or 6 -> 6; raises ValueError for anything else."""
    if isinstance(text, int):
        number = text
    else:
        word = text.strip().lower()
        if word in _PROTOCOL_NUMBERS:
            return _PROTOCOL_NUMBERS[word]
        if not word.isdigit():
            raise ValueError(f"unknown protocol {text!r}")
        number = int(word)
    if not 0 <= number <= 255:
        raise ValueError(f"protocol number {number} out of range 0-255")
    return number


def protocol_name(number: int) -> str:
    """6 -> 'TCP'; numbers without a name stay numeric."""
    return _PROTOCOL_NAMES.get(number, str(number))


def parse_ip(text: str) -> IPAddress | None:
    """An IP address from text, or None when it is not one."""
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


class AddressSpace(enum.Enum):
    """Where an address the flow record aggregated away may lie (calico-semantics §6.2: a `net`
    peer's `name_aggr` is `pvt` for RFC 1918 addresses and `pub` for every other address)."""

    PRIVATE = "pvt"
    PUBLIC = "pub"
    ANY = "any"  # no `pvt`/`pub` hint

    @classmethod
    def from_name_aggr(cls, name_aggr: str) -> AddressSpace:
        return {"pvt": cls.PRIVATE, "pub": cls.PUBLIC}.get(name_aggr, cls.ANY)

    def describe(self) -> str:
        if self is AddressSpace.PRIVATE:
            return "a private (pvt) address the record does not carry"
        if self is AddressSpace.PUBLIC:
            return "a public (pub) address the record does not carry"
        return "an address the record does not carry"

    def overlap(self, nets: tuple[IPNetwork, ...]) -> Overlap:
        """Whether addresses of this space may (SOME) or must (ALL) lie in one of `nets`."""
        v4 = [n for n in nets if isinstance(n, ipaddress.IPv4Network)]
        if self is AddressSpace.PRIVATE:
            if all(any(p.subnet_of(n) for n in v4) for p in PRIVATE_NETS):
                return Overlap.ALL
            return Overlap.SOME if any(p.overlaps(n) for p in PRIVATE_NETS for n in v4) \
                else Overlap.NONE
        if self is AddressSpace.PUBLIC:  # never ALL: a public address may be IPv4 or IPv6
            if len(v4) == len(nets) and all(any(n.subnet_of(p) for p in PRIVATE_NETS)
                                            for n in v4):
                return Overlap.NONE
            return Overlap.SOME
        return Overlap.SOME if nets else Overlap.NONE


class Overlap(enum.Enum):
    NONE = "none"
    SOME = "some"
    ALL = "all"


# RFC 1918: what Calico Enterprise aggregates as `pvt` (calico-semantics §6.2).
PRIVATE_NETS: tuple[ipaddress.IPv4Network, ...] = tuple(
    ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))


def in_space(ip: IPAddress, space: AddressSpace) -> bool:
    """Whether a known address belongs to the space."""
    private = ip.version == 4 and any(ip in n for n in PRIVATE_NETS)
    if space is AddressSpace.PRIVATE:
        return private
    if space is AddressSpace.PUBLIC:
        return not private
    return True


@dataclass(frozen=True, slots=True)
class Peer:
    """One end of a connection.

    `owners` are every endpoint and network set the address belongs to (selector IP-set semantics,
    calico-semantics §3.5); `endpoint` is the Calico endpoint that enforces policy for this end
    (a pod or host endpoint), or None for an external peer. `ident` is an interned id of the
    owners' label classes: two peers with the same ident match exactly the same selectors.
    """

    ip: IPAddress | None
    endpoint: Endpoint | None
    owners: tuple[Endpoint, ...]
    ident: int
    addr: int = 0  # interned address id (0: no address): a cheap cache key for `ip`
    node: str = ""  # the node this address belongs to, when it is a node address
    is_enforcing: bool = False  # `endpoint` is a pod or host endpoint (it enforces policy)
    # For an address the record does not carry (a `net` peer aggregated away): where it may lie.
    space: AddressSpace | None = None

    @classmethod
    def create(cls, ip: IPAddress | None, endpoint: Endpoint | None, owners: tuple[Endpoint, ...],
               ident: int, addr: int = 0, node: str = "",
               space: AddressSpace | None = None) -> Peer:
        enforcing = endpoint is not None and endpoint.kind in ENFORCING_KINDS
        return cls(ip, endpoint, owners, ident, addr, node, enforcing, space)

    def describe(self) -> str:
        """Human name: ns/pod, host endpoint name, or the IP."""
        if self.endpoint is not None:
            ep = self.endpoint
            name = f"{ep.namespace}/{ep.name}" if ep.namespace else ep.name
            return f"{name} ({self.ip})" if self.ip is not None else name
        if self.ip is not None:
            sets = [o.name for o in self.owners]
            return f"{self.ip}" + (f" (in network set {', '.join(sets)})" if sets else "")
        if self.space is not None:
            return self.space.describe()
        return "unknown peer"


@fast_init  # built once per flow record
@dataclass(frozen=True, slots=True)
class Packet:
    """The first packet of a connection: Calico evaluates policy on conntrack NEW (§3.1)."""

    src: Peer
    dst: Peer
    protocol: int
    dst_port: int | None = None
    src_port: int | None = None
    ip_version: int = 4
    icmp_type: int | None = None
    icmp_code: int | None = None

    def describe(self) -> str:
        port = f" port {self.dst_port}" if self.dst_port is not None else ""
        return f"{self.src.describe()} -> {self.dst.describe()} {protocol_name(self.protocol)}{port}"
