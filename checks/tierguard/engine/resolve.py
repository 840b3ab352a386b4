"""Turning flow-log peers and probe specs (`ns/pod`, `ns/label=value`, an IP) into engine peers.

Pure: works on an already loaded Topology. Failures are returned as messages, never raised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tierguard.engine.packet import Packet, Peer, parse_ip, protocol_number
from tierguard.engine.topology import Topology
from tierguard.inventory.model import Endpoint

_ICMP = (1, 58)


@dataclass(frozen=True, slots=True)
class Resolved:
    """A peer, or the reason it could not be found; `note` explains a guess that was made."""

    peer: Peer | None
    error: str = ""
    note: str = ""


def _from_endpoints(topology: Topology, found: tuple[Endpoint, ...], what: str) -> Resolved:
    if not found:
        return Resolved(None, f"no endpoint in the inventory matches {what}")
    classes = {topology.class_of(ep) for ep in found}
    note = ""
    if len(classes) > 1:
        note = (f"{what} matches {len(found)} endpoints with {len(classes)} different label "
                f"sets; evaluated {found[0].namespace}/{found[0].name}")
    return Resolved(topology.peer_for_endpoint(found[0]), note=note)


def resolve_spec(topology: Topology, spec: str) -> Resolved:
    """`ns/pod`, `ns/label=value`, a host endpoint `hep/<name>`, or an IP address."""
    text = spec.strip()
    ip = parse_ip(text)
    if ip is not None:
        return Resolved(topology.peer_for_ip(ip))
    namespace, slash, rest = text.partition("/")
    if not slash or not namespace or not rest:
        return Resolved(None, f"{spec!r} is not ns/pod, ns/label=value or an IP address")
    if namespace == "hep":
        return _from_endpoints(topology, _one(topology.find("", rest)), f"host endpoint {rest}")
    if "=" in rest:
        key, _, value = rest.partition("=")
        return _from_endpoints(topology, topology.find_labelled(namespace, key.strip(),
                                                                value.strip()),
                               f"{namespace}/{key.strip()}={value.strip()}")
    return _from_endpoints(topology, _one(topology.find(namespace, rest)), f"pod {text}")


def _one(ep: Endpoint | None) -> tuple[Endpoint, ...]:
    return () if ep is None else (ep,)


def resolve_flow_peer(topology: Topology, kind: str, namespace: str, name: str, name_aggr: str,
                      ip_text: str | None) -> Resolved:
    """A flow-log peer (§6.2 fields `*_type`, `*_namespace`, `*_name`, `*_name_aggr`, `*_ip`).

    IPs win when present; `net`/`pub`/`pvt` peers with an IP are external addresses.
    Aggregated records fall back to names resolved against the inventory.
    """
    namespace = "" if namespace == "-" else namespace
    name = "" if name == "-" else name
    ip = parse_ip(ip_text) if ip_text else None
    if ip is not None:
        peer = topology.peer_for_ip(ip)
        if peer.endpoint is not None or kind not in ("wep", "hep"):
            return Resolved(peer)
        by_name = _by_name(topology, kind, namespace, name, name_aggr)
        if by_name.peer is None:
            named = _label(namespace, name or name_aggr)
            return Resolved(None, f"{kind} {ip}{f' ({named})' if named else ''} is not in the "
                                  "inventory")
        return Resolved(by_name.peer, note=f"IP {ip} is not in the inventory; resolved "
                                           f"{_label(namespace, name or name_aggr)} by name")
    if kind in ("wep", "hep"):
        return _by_name(topology, kind, namespace, name, name_aggr)
    if kind == "ns":
        found = topology.network_set(namespace, name or name_aggr)
        if found is None:
            return Resolved(None, f"network set {_label(namespace, name or name_aggr)} is not "
                                  "in the inventory")
        return Resolved(topology.peer_without_ip((found,)))
    return Resolved(topology.peer_without_ip(), note=f"{name_aggr or 'network'} peer without an "
                                                     "IP: nets rules cannot be decided")


def _by_name(topology: Topology, kind: str, namespace: str, name: str,
             name_aggr: str) -> Resolved:
    if kind == "hep":
        ep = topology.find("", name) if name else None
        found = _one(ep) if ep else tuple(e for e in topology.endpoints
                                          if e.kind.value == "hep" and e.node == name_aggr)
        return _from_endpoints(topology, found, f"host endpoint {name or name_aggr}")
    if name:
        return _from_endpoints(topology, _one(topology.find(namespace, name)),
                               f"pod {_label(namespace, name)}")
    if name_aggr:
        return _from_endpoints(topology, topology.find_aggregate(namespace, name_aggr),
                               f"pod {_label(namespace, name_aggr)}")
    return Resolved(None, "the record names no pod (no IP, name or name_aggr)")


def _label(namespace: str, name: str) -> str:
    return f"{namespace}/{name}" if namespace else name


def make_packet(src: Peer, dst: Peer, protocol: str | int, dst_port: int | None,
                src_port: int | None = None, icmp_type: int | None = None,
                icmp_code: int | None = None) -> Packet:
    """A packet between two peers; the IP version comes from whichever peer has an address."""
    number = protocol_number(protocol)
    version = next((p.ip.version for p in (src, dst) if p.ip is not None), 4)
    if number in _ICMP:
        dst_port = src_port = None
    return Packet(src, dst, number, dst_port, src_port, version, icmp_type, icmp_code)


class Resolver:
    """Caching front of the resolve functions for one run (flow logs repeat the same peers)."""

    _LIMIT = 500_000  # entries; external addresses can be unbounded, so the cache is reset

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self._flow: dict[tuple[str, str, str, str, str | None], Resolved] = {}
        self._specs: dict[str, Resolved] = {}
        self._ends: dict[tuple[str, str, str, str, str | None], tuple[Resolved, str]] = {}
        self._protocols: dict[str | int, int] = {}

    def flow_peer(self, kind: str, namespace: str, name: str, name_aggr: str,
                  ip_text: str | None) -> Resolved:
        key = (kind, namespace, name, name_aggr, ip_text)
        found = self._flow.get(key)
        if found is None:
            if len(self._flow) > self._LIMIT:
                self._flow.clear()
            found = self._flow[key] = resolve_flow_peer(self.topology, kind, namespace, name,
                                                        name_aggr, ip_text)
        return found

    def flow_end(self, end: tuple[str, str, str, str, str | None],
                 label: Callable[[str, str, str, str, str | None], str]) -> tuple[Resolved, str]:
        """`flow_peer` plus a display label, cached together (the hot path of simulate)."""
        found = self._ends.get(end)
        if found is None:
            if len(self._ends) > self._LIMIT:
                self._ends.clear()
            found = self._ends[end] = (self.flow_peer(*end), label(*end))
        return found

    def protocol(self, value: str | int) -> int:
        found = self._protocols.get(value)
        if found is None:
            found = self._protocols[value] = protocol_number(value)
        return found

    def spec(self, text: str) -> Resolved:
        found = self._specs.get(text)
        if found is None:
            found = self._specs[text] = resolve_spec(self.topology, text)
        return found
