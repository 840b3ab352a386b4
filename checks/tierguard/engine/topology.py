"""Indexes over the inventory that the evaluator needs: who owns an IP, label classes, services.

Pure (no I/O). Holds per-instance caches only; build one per evaluation run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from tierguard.engine.packet import ENFORCING_KINDS, AddressSpace, Overlap, Peer, in_space
from tierguard.inventory.model import (
    Endpoint,
    EndpointKind,
    IPAddress,
    Node,
    Service,
)

_SET_KINDS = frozenset({EndpointKind.NETWORK_SET, EndpointKind.GLOBAL_NETWORK_SET})


def _class_key(ep: Endpoint) -> tuple[object, ...]:
    return (ep.kind, ep.namespace, tuple(sorted(ep.labels.items())), ep.ports, ep.profiles)


@dataclass(slots=True)
class _Interner:
    ids: dict[object, int] = field(default_factory=dict)

    def intern(self, key: object) -> int:
        found = self.ids.get(key)
        if found is None:
            found = self.ids[key] = len(self.ids) + 1
        return found


class Topology:
    """Endpoints, network sets, services and nodes, indexed for evaluation."""

    def __init__(self, endpoints: Iterable[Endpoint], services: Iterable[Service] = (),
                 nodes: Iterable[Node] = ()) -> None:
        self.endpoints: tuple[Endpoint, ...] = tuple(endpoints)
        self.services: Mapping[tuple[str, str], Service] = {
            (s.namespace, s.name): s for s in services}
        self.nodes: tuple[Node, ...] = tuple(nodes)
        self._classes = _Interner()
        self._idents = _Interner()
        self._addresses = _Interner()
        # Keyed by id() for speed, with the endpoint kept alongside: a strong reference, so an id
        # can never be reused by another endpoint while its entry exists (ids of collected
        # objects are recycled).
        self._class_of: dict[int, tuple[Endpoint, int]] = {}
        self._by_ip: dict[IPAddress, list[Endpoint]] = {}
        self._sets: list[Endpoint] = []
        self._by_name: dict[tuple[str, str], Endpoint] = {}
        self._node_of_ip: dict[IPAddress, str] = {}
        self._peers: dict[IPAddress, Peer] = {}
        self._endpoint_peers: dict[int, Peer] = {}  # Peer.endpoint keeps the endpoint alive
        self._possible: dict[AddressSpace, tuple[Endpoint, ...]] = {}
        self._synthetic: dict[tuple[object, ...], Endpoint] = {}
        self._node_addresses: dict[str, tuple[IPAddress, ...]] = {}
        self._aggregates: dict[tuple[str, str], list[Endpoint]] = {}
        for ep in self.endpoints:
            self._class_of[id(ep)] = (ep, self._classes.intern(_class_key(ep)))
            if ep.kind in _SET_KINDS:
                self._sets.append(ep)
            else:
                self._by_name.setdefault((ep.namespace, ep.name), ep)
                for aggregate in _aggregate_names(ep):
                    self._aggregates.setdefault((ep.namespace, aggregate), []).append(ep)
            for ip in ep.ips:
                self._by_ip.setdefault(ip, []).append(ep)
        for node in self.nodes:
            self._node_addresses[node.name] = tuple(node.addresses)
            for address in node.addresses:
                self._node_of_ip.setdefault(address, node.name)

    def class_of(self, ep: Endpoint) -> int:
        """The label class id of an endpoint (same labels, namespace, ports, profiles => same id)."""
        found = self._class_of.get(id(ep))
        if found is None or found[0] is not ep:  # an endpoint built outside this topology
            found = self._class_of[id(ep)] = (ep, self._classes.intern(_class_key(ep)))
        return found[1]

    def owners_of(self, ip: IPAddress) -> tuple[Endpoint, ...]:
        """Endpoints with this IP, then network sets whose CIDRs contain it (§3.5 IP-set semantics)."""
        direct = self._by_ip.get(ip, [])
        sets = [s for s in self._sets if any(ip.version == n.version and ip in n for n in s.nets)]
        return tuple(direct) + tuple(sets)

    def peer_for_ip(self, ip: IPAddress) -> Peer:
        """The peer an IP address stands for (cached)."""
        found = self._peers.get(ip)
        if found is None:
            owners = self.owners_of(ip)
            enforcing = next((o for o in owners if o.kind in ENFORCING_KINDS), None)
            found = self._peers[ip] = Peer.create(ip, enforcing, owners, self._ident(owners),
                                                  self._addr(ip), self._node_of_ip.get(ip, ""))
        return found

    def peer_for_endpoint(self, ep: Endpoint) -> Peer:
        """The peer for an endpoint: its first IP if it has one, else the endpoint alone."""
        if ep.ips:
            peer = self.peer_for_ip(ep.ips[0])
            if peer.endpoint is ep:
                return peer
        found = self._endpoint_peers.get(id(ep))
        if found is None or found.endpoint is not ep:
            ip = ep.ips[0] if ep.ips else None
            owners = (ep,) + (tuple(o for o in self.owners_of(ip) if o is not ep) if ip else ())
            found = self._endpoint_peers[id(ep)] = Peer.create(
                ip, ep, owners, self._ident(owners), self._addr(ip),
                self._node_of_ip.get(ip, "") if ip is not None else "")
        return found

    def peer_without_ip(self, owners: tuple[Endpoint, ...] = (),
                        space: AddressSpace | None = None) -> Peer:
        """A peer known only by name (aggregated flow record), or an external address the record
        does not carry (`space`: where that address may lie)."""
        enforcing = next((o for o in owners if o.kind in ENFORCING_KINDS), None)
        if enforcing is not None and len(owners) == 1:
            return self.peer_for_endpoint(enforcing)
        return Peer.create(None, enforcing, owners, self._ident(owners), space=space)

    def possible_owners(self, space: AddressSpace) -> tuple[Endpoint, ...]:
        """Network sets and host endpoints that may own an unknown address of `space`.

        A selector can match such an address only through one of them (§3.6, §9.3); a `net`
        record says felix found none at recording time, but the inventory may have changed.
        """
        found = self._possible.get(space)
        if found is None:
            sets = [s for s in self._sets
                    if space.overlap(tuple(s.nets)) is not Overlap.NONE]
            hosts = [e for e in self.endpoints if e.kind is EndpointKind.HOST
                     and any(in_space(ip, space) for ip in e.ips)]
            found = self._possible[space] = tuple(sets + hosts)
        return found

    def synthetic_endpoint(self, endpoint: Endpoint) -> Endpoint:
        """Keep an endpoint rebuilt outside the inventory (a pod gone from it) for this run: equal
        rebuilds share one object, so they share caches and a stable identity."""
        key = (endpoint.namespace, endpoint.name, endpoint.ips, _class_key(endpoint))
        found = self._synthetic.get(key)
        if found is None:
            found = self._synthetic[key] = endpoint
        return found

    def node_addresses(self, name: str) -> tuple[IPAddress, ...]:
        """The inventory's addresses of node `name` (empty when unknown)."""
        return self._node_addresses.get(name, ())

    def _addr(self, ip: IPAddress | None) -> int:
        return 0 if ip is None else self._addresses.intern(ip)

    def _ident(self, owners: tuple[Endpoint, ...]) -> int:
        return self._idents.intern(frozenset(self.class_of(o) for o in owners))

    def node_of_ip(self, ip: IPAddress | None) -> str | None:
        """The node whose address this is (host-networked traffic), if any."""
        return None if ip is None else self._node_of_ip.get(ip)

    def service(self, namespace: str, name: str) -> Service | None:
        return self.services.get((namespace, name))

    def find(self, namespace: str, name: str) -> Endpoint | None:
        """A pod or host endpoint by namespace and name ("" namespace for host endpoints)."""
        return self._by_name.get((namespace, name))

    def find_aggregate(self, namespace: str, name_aggr: str) -> tuple[Endpoint, ...]:
        """Pods of a flow-log `name_aggr` (generateName prefix + '*', or a full pod name)."""
        exact = self.find(namespace, name_aggr)
        if exact is not None:
            return (exact,)
        found = self._aggregates.get((namespace, name_aggr), [])
        return tuple(sorted(found, key=lambda e: e.name))

    def find_labelled(self, namespace: str, key: str, value: str) -> tuple[Endpoint, ...]:
        """Pods (or host endpoints when namespace is "") carrying label key=value, by name."""
        found = [ep for ep in self.endpoints if ep.kind not in _SET_KINDS
                 and ep.namespace == namespace and ep.labels.get(key) == value]
        return tuple(sorted(found, key=lambda e: e.name))

    def network_set(self, namespace: str, name: str) -> Endpoint | None:
        return next((s for s in self._sets if s.namespace == namespace and s.name == name), None)

    def declares_named_port(self, name: str) -> bool:
        """Whether any endpoint in the inventory declares a port of this name."""
        return any(p.name == name for ep in self.endpoints for p in ep.ports)


def _aggregate_names(ep: Endpoint) -> set[str]:
    """Flow-log `name_aggr` values a pod may appear under: its recorded workload aggregate and
    the generateName-style prefixes of its name (`web-5c6b7f-x2k4q` -> `web-5c6b7f-*`, `web-*`)."""
    names = {ep.workload} if ep.workload else set()
    parts = ep.name.split("-")
    for cut in range(1, len(parts)):
        names.add("-".join(parts[:cut]) + "-*")
    return names
