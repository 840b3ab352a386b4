"""What the evaluator sees of one connection: two peers (address plus owners) and its L4 header."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from tierguard.inventory.model import Endpoint, EndpointKind, IPAddress

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

    @classmethod
    def create(cls, ip: IPAddress | None, endpoint: Endpoint | None, owners: tuple[Endpoint, ...],
               ident: int, addr: int = 0, node: str = "") -> Peer:
        enforcing = endpoint is not None and endpoint.kind in ENFORCING_KINDS
        return cls(ip, endpoint, owners, ident, addr, node, enforcing)

    def describe(self) -> str:
        """Human name: ns/pod, host endpoint name, or the IP."""
        if self.endpoint is not None:
            ep = self.endpoint
            name = f"{ep.namespace}/{ep.name}" if ep.namespace else ep.name
            return f"{name} ({self.ip})" if self.ip is not None else name
        if self.ip is not None:
            sets = [o.name for o in self.owners]
            return f"{self.ip}" + (f" (in network set {', '.join(sets)})" if sets else "")
        return "unknown peer"


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
