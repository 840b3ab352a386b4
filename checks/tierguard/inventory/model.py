"""Inventory types shared by the engine, the selector CLI and flow resolution.

Built by `inventory.build` from Kubernetes List objects; this module holds only the types.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Union

IPAddress = Union[ipaddress.IPv4Address, ipaddress.IPv6Address]
IPNetwork = Union[ipaddress.IPv4Network, ipaddress.IPv6Network]


class EndpointKind(enum.Enum):
    WORKLOAD = "wep"
    HOST = "hep"
    NETWORK_SET = "ns"
    GLOBAL_NETWORK_SET = "gns"


@dataclass(frozen=True, slots=True)
class NamedPort:
    name: str
    port: int
    protocol: int  # IANA number: 6 TCP, 17 UDP, 132 SCTP


@dataclass(frozen=True, slots=True)
class Endpoint:
    """A Calico endpoint (pod, host endpoint) or network set, with its *effective* labels (§1.8).

    `class_id` is shared by endpoints whose effective labels, namespace and ports are identical,
    so evaluation can work per class instead of per pod.
    """

    kind: EndpointKind
    name: str
    namespace: str  # "" for cluster-scoped objects
    labels: Mapping[str, str]
    ips: tuple[IPAddress, ...] = ()
    nets: tuple[IPNetwork, ...] = ()  # network sets only
    ports: tuple[NamedPort, ...] = ()
    profiles: tuple[str, ...] = ()  # kns.<ns>, then ksa.<ns>.<sa>
    service_account: str = ""
    node: str = ""
    workload: str = ""  # owning controller or generateName-based aggregate, e.g. "carts-5d9f-*"
    class_id: int = 0


@dataclass(frozen=True, slots=True)
class ServicePort:
    name: str
    port: int
    target_port: int  # 0 when the Service names its target port (see target_port_name)
    protocol: int
    target_port_name: str = ""


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    namespace: str
    cluster_ips: tuple[IPAddress, ...]
    ports: tuple[ServicePort, ...]
    # EndpointSlice backends: (pod IP, port name, port number, protocol)
    backends: tuple[tuple[IPAddress, str, int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    addresses: tuple[IPAddress, ...]
    labels: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    labels: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class ServiceAccount:
    name: str
    namespace: str
    labels: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class HostNetworkPod:
    """A host-networked pod: not a Calico endpoint; its traffic is its node's traffic (§1.8)."""

    name: str
    namespace: str
    node: str
    ips: tuple[IPAddress, ...]
    labels: Mapping[str, str]


def _by_prefix(endpoints: tuple[Endpoint, ...]) -> dict[int, dict[tuple[int, int], list[Endpoint]]]:
    """prefix length -> (IP version, masked network address) -> network sets with that CIDR."""
    table: dict[int, dict[tuple[int, int], list[Endpoint]]] = {}
    for endpoint in endpoints:
        for net in endpoint.nets:
            key = (net.version, int(net.network_address))
            table.setdefault(net.prefixlen, {}).setdefault(key, []).append(endpoint)
    return table


@dataclass(frozen=True, slots=True)
class Inventory:
    """The cluster as Calico sees it, with the lookups the engine and flow resolution need.

    Build it with `Inventory.create(...)` (normally via `inventory.build.build_inventory`);
    the lookup tables are derived once at construction.
    """

    endpoints: tuple[Endpoint, ...]
    namespaces: Mapping[str, Namespace]
    service_accounts: Mapping[tuple[str, str], ServiceAccount]
    services: tuple[Service, ...]
    nodes: tuple[Node, ...]
    host_network_pods: tuple[HostNetworkPod, ...] = ()
    _by_ip: Mapping[IPAddress, tuple[Endpoint, ...]] = field(default_factory=dict, repr=False)
    _by_name: Mapping[tuple[EndpointKind, str, str], Endpoint] = field(default_factory=dict, repr=False)
    _by_aggregate: Mapping[tuple[str, str], tuple[Endpoint, ...]] = field(default_factory=dict, repr=False)
    _nets: Mapping[int, Mapping[tuple[int, int], list[Endpoint]]] = field(default_factory=dict, repr=False)
    _services_by_name: Mapping[tuple[str, str], Service] = field(default_factory=dict, repr=False)
    _services_by_ip: Mapping[IPAddress, Service] = field(default_factory=dict, repr=False)
    _nodes_by_ip: Mapping[IPAddress, Node] = field(default_factory=dict, repr=False)
    _nodes_by_name: Mapping[str, Node] = field(default_factory=dict, repr=False)

    @classmethod
    def create(cls, endpoints: tuple[Endpoint, ...], namespaces: Mapping[str, Namespace],
               service_accounts: Mapping[tuple[str, str], ServiceAccount], services: tuple[Service, ...],
               nodes: tuple[Node, ...], host_network_pods: tuple[HostNetworkPod, ...] = ()) -> Inventory:
        by_ip: dict[IPAddress, list[Endpoint]] = {}
        by_name: dict[tuple[EndpointKind, str, str], Endpoint] = {}
        by_aggregate: dict[tuple[str, str], list[Endpoint]] = {}
        for endpoint in endpoints:
            for ip in endpoint.ips:
                by_ip.setdefault(ip, []).append(endpoint)
            by_name.setdefault((endpoint.kind, endpoint.namespace, endpoint.name), endpoint)
            if endpoint.kind is EndpointKind.WORKLOAD and endpoint.workload:
                by_aggregate.setdefault((endpoint.namespace, endpoint.workload), []).append(endpoint)
        services_by_ip = {ip: service for service in services for ip in service.cluster_ips}
        return cls(
            endpoints, namespaces, service_accounts, services, nodes, host_network_pods,
            _by_ip={ip: tuple(found) for ip, found in by_ip.items()},
            _by_name=by_name,
            _by_aggregate={key: tuple(found) for key, found in by_aggregate.items()},
            _nets=_by_prefix(tuple(e for e in endpoints if e.nets)),
            _services_by_name={(s.namespace, s.name): s for s in services},
            _services_by_ip=services_by_ip,
            _nodes_by_ip={ip: node for node in nodes for ip in node.addresses},
            _nodes_by_name={node.name: node for node in nodes},
        )

    def owners_of(self, ip: IPAddress) -> tuple[Endpoint, ...]:
        """Every endpoint an IP belongs to, for selector matching (§3.5 "IP-set" semantics).

        Workload and host endpoints holding the IP come first, then network sets whose CIDRs
        contain it, longest prefix first.
        """
        found: list[Endpoint] = list(self._by_ip.get(ip, ()))
        address = int(ip)
        width = 32 if ip.version == 4 else 128
        for prefixlen in sorted(self._nets, reverse=True):
            if prefixlen > width:
                continue
            mask = ((1 << prefixlen) - 1) << (width - prefixlen) if prefixlen else 0
            for endpoint in self._nets[prefixlen].get((ip.version, address & mask), ()):
                if endpoint not in found:
                    found.append(endpoint)
        return tuple(found)

    def endpoint_by_ip(self, ip: IPAddress) -> Endpoint | None:
        """The workload/host endpoint with this IP, else the longest-prefix network set."""
        owners = self.owners_of(ip)
        return owners[0] if owners else None

    def pod(self, namespace: str, name: str) -> Endpoint | None:
        return self._by_name.get((EndpointKind.WORKLOAD, namespace, name))

    def host_network_pod(self, namespace: str, name: str) -> HostNetworkPod | None:
        for pod in self.host_network_pods:
            if pod.namespace == namespace and pod.name == name:
                return pod
        return None

    def pods_by_aggregate(self, namespace: str, name_aggr: str) -> tuple[Endpoint, ...]:
        """Pods whose flow-log aggregate name (generateName + '*', e.g. 'carts-5d9f8-*') matches."""
        return self._by_aggregate.get((namespace, name_aggr), ())

    def network_set(self, namespace: str, name: str) -> Endpoint | None:
        kind = EndpointKind.NETWORK_SET if namespace else EndpointKind.GLOBAL_NETWORK_SET
        return self._by_name.get((kind, namespace, name))

    def host_endpoint(self, name: str) -> Endpoint | None:
        return self._by_name.get((EndpointKind.HOST, "", name))

    def service(self, namespace: str, name: str) -> Service | None:
        return self._services_by_name.get((namespace, name))

    def service_by_cluster_ip(self, ip: IPAddress) -> Service | None:
        return self._services_by_ip.get(ip)

    def node_by_ip(self, ip: IPAddress) -> Node | None:
        return self._nodes_by_ip.get(ip)

    def node(self, name: str) -> Node | None:
        return self._nodes_by_name.get(name)

    def class_representatives(self) -> tuple[Endpoint, ...]:
        """One endpoint per `class_id`, in first-seen order: evaluate these, not every pod."""
        seen: set[int] = set()
        result: list[Endpoint] = []
        for endpoint in self.endpoints:
            if endpoint.class_id not in seen:
                seen.add(endpoint.class_id)
                result.append(endpoint)
        return tuple(result)
