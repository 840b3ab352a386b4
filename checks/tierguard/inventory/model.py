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
    target_port: int
    protocol: int


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
