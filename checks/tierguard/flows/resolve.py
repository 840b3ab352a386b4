"""Workload resolution: give IP-only records (VPC Flow Logs, EKS agent) their pods, nodes and
Services from inventory snapshots, and map `name_aggr` to workload controllers.

Every record that cannot be placed is counted per IP with sample locations; none is dropped.
"""

from __future__ import annotations

import bisect
import ipaddress
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace

from tierguard.diagnostics import Diagnostic
from tierguard.flows import codes
from tierguard.flows.common import network_aggr
from tierguard.flows.model import EndpointType, FlowRecord, Peer, ServiceRef
from tierguard.flows.source import problem
from tierguard.inventory.model import Endpoint, EndpointKind, Inventory, Service

# Kubernetes generateName suffix alphabet; a ReplicaSet's pod-template-hash uses it too.
_SAFE = "bcdfghjklmnpqrstvwxz2456789"
_REPLICASET_AGGR = re.compile(rf"^(?P<name>.+)-[{_SAFE}]{{5,10}}-\*$")
_PLAIN_AGGR = re.compile(r"^(?P<name>.+)-\*$")
# Labels Calico adds itself; flow logs never report them (calico-semantics §6.2).
_INHERITED_PREFIXES = ("pcns.", "pcsa.", "projectcalico.org/")
SAMPLES_PER_IP = 5

_KIND_TYPES = {EndpointKind.WORKLOAD: EndpointType.WORKLOAD, EndpointKind.HOST: EndpointType.HOST,
               EndpointKind.NETWORK_SET: EndpointType.NETWORK_SET,
               EndpointKind.GLOBAL_NETWORK_SET: EndpointType.NETWORK_SET}


def controller_of(name_aggr: str) -> str:
    """The controller behind a flow-log aggregate name.

    `checkoutservice-598d5b586d-*` -> `Deployment/checkoutservice` (ReplicaSet hash), other
    `<name>-*` -> `<name>` (a DaemonSet, StatefulSet or Job; the kind is not in the name), and
    anything else (a bare pod, `pub`, a network set) -> "".
    """
    match = _REPLICASET_AGGR.match(name_aggr)
    if match:
        return f"Deployment/{match.group('name')}"
    match = _PLAIN_AGGR.match(name_aggr)
    return match.group("name") if match else ""


@dataclass(frozen=True, slots=True)
class Snapshot:
    """An inventory as it was at `taken_ms` (unix ms)."""

    taken_ms: int
    inventory: Inventory


@dataclass(slots=True)
class ResolutionStats:
    resolved: Counter[str] = field(default_factory=Counter)  # by method
    unresolved: Counter[str] = field(default_factory=Counter)  # by IP
    samples: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    records: int = 0
    records_unresolved: int = 0


class Resolver:
    """Resolves records against the snapshot in force at each record's start time."""

    def __init__(self, snapshots: Sequence[Snapshot]) -> None:
        if not snapshots:
            raise ValueError("workload resolution needs at least one inventory snapshot")
        self.snapshots = sorted(snapshots, key=lambda s: s.taken_ms)
        self._times = [s.taken_ms for s in self.snapshots]
        self.stats = ResolutionStats()

    def snapshot_at(self, time_ms: int) -> Inventory:
        """The latest snapshot taken at or before `time_ms`, else the earliest one."""
        index = bisect.bisect_right(self._times, time_ms) - 1
        return self.snapshots[max(index, 0)].inventory

    def resolve_all(self, records: Iterable[FlowRecord]) -> Iterator[FlowRecord]:
        for record in records:
            yield self.resolve(record)

    def resolve(self, record: FlowRecord) -> FlowRecord:
        self.stats.records += 1
        inventory = self.snapshot_at(record.start_ms)
        source = self._peer(record.source, inventory, record)
        dest_service = record.dest_service
        dest = record.dest
        if dest.type is EndpointType.UNKNOWN and dest.ip is not None:
            service = inventory.service_by_cluster_ip(ipaddress.ip_address(dest.ip))
            if service is not None:
                dest, dest_service, dest_port = self._via_service(dest, service, record,
                                                                  inventory)
                record = replace(record, dest_port=dest_port)
        dest = self._peer(dest, inventory, record)
        source = _with_controller(source)
        dest = _with_controller(dest)
        if EndpointType.UNKNOWN in (source.type, dest.type):
            self.stats.records_unresolved += 1
        if (source, dest, dest_service) == (record.source, record.dest, record.dest_service):
            return record
        return replace(record, source=source, dest=dest, dest_service=dest_service)

    def _peer(self, peer: Peer, inventory: Inventory, record: FlowRecord) -> Peer:
        if peer.type is not EndpointType.UNKNOWN or peer.ip is None:
            return peer
        address = ipaddress.ip_address(peer.ip)
        endpoint = inventory.endpoint_by_ip(address)
        if endpoint is not None:
            method = "pod-ip" if endpoint.kind is EndpointKind.WORKLOAD else "endpoint-ip"
            self.stats.resolved[method] += 1
            return _from_endpoint(peer, endpoint, method)
        node = inventory.node_by_ip(address)
        if node is not None:
            self.stats.resolved["node-ip"] += 1
            return replace(peer, type=EndpointType.HOST, name=node.name, name_aggr=node.name,
                           resolved_by="node-ip")
        if network_aggr(peer.ip) == "pub":
            self.stats.resolved["public-ip"] += 1
            return replace(peer, type=EndpointType.NETWORK, name_aggr="pub",
                           resolved_by="public-ip")
        self._unresolved(peer.ip, record)
        return peer

    def _via_service(self, dest: Peer, service: Service, record: FlowRecord,
                     inventory: Inventory) -> tuple[Peer, ServiceRef, int | None]:
        """An agent egress event to a ClusterIP (before kube-proxy DNAT): name the Service and,
        when all its backends are one workload, that workload and its (post-DNAT) port, as
        Calico would report it."""
        port = next((p for p in service.ports if p.port == record.dest_port), None)
        ref = ServiceRef(service.namespace, service.name, port.name if port else "",
                         record.dest_port)
        owners = {endpoint for backend in service.backends
                  if (endpoint := inventory.endpoint_by_ip(backend[0])) is not None}
        aggregates = {(e.namespace, e.workload or e.name) for e in owners}
        if len(aggregates) == 1:
            self.stats.resolved["service-ip"] += 1
            endpoint = next(iter(owners))
            resolved = _from_endpoint(dest, endpoint, "service-ip")
            target = port.target_port if port and port.target_port else record.dest_port
            return replace(resolved, name="", ip=None), ref, target
        return dest, ref, record.dest_port

    def _unresolved(self, ip: str, record: FlowRecord) -> None:
        self.stats.unresolved[ip] += 1
        samples = self.stats.samples.setdefault(ip, [])
        if len(samples) < SAMPLES_PER_IP:
            samples.append((record.file, record.line))

    def diagnostics(self, top: int = 20) -> list[Diagnostic]:
        """FLW520 per unresolved IP (most frequent first) with sample locations."""
        result: list[Diagnostic] = []
        for ip, count in self.stats.unresolved.most_common(top):
            file, line = self.stats.samples[ip][0]
            where = ", ".join(f"{f}:{n}" for f, n in self.stats.samples[ip])
            result.append(problem(codes.UNRESOLVED_IP, file, line,
                                  f"{ip} matches no pod, node or Service in the inventory "
                                  f"({count} records; e.g. {where})").diagnostic)
        hidden = len(self.stats.unresolved) - top
        if hidden > 0:
            rest = sum(c for _, c in self.stats.unresolved.most_common()[top:])
            result.append(problem(codes.UNRESOLVED_IP, "", 0,
                                  f"{hidden} more unresolved IPs ({rest} records)").diagnostic)
        return result


def _from_endpoint(peer: Peer, endpoint: Endpoint, method: str) -> Peer:
    own = tuple(sorted(f"{k}={v}" for k, v in endpoint.labels.items()
                       if not k.startswith(_INHERITED_PREFIXES)))
    return replace(peer, type=_KIND_TYPES[endpoint.kind], namespace=endpoint.namespace,
                   name=endpoint.name, name_aggr=endpoint.workload or endpoint.name,
                   labels=own, resolved_by=method)


def _with_controller(peer: Peer) -> Peer:
    if peer.type is not EndpointType.WORKLOAD or peer.workload or not peer.name_aggr:
        return peer
    controller = controller_of(peer.name_aggr)
    return replace(peer, workload=controller) if controller else peer
