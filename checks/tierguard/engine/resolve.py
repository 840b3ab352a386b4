"""Turning flow-log peers and probe specs (`ns/pod`, `ns/label=value`, an IP) into engine peers.

Pure: works on an already loaded Topology. Failures are returned as messages, never raised.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from tierguard.engine.packet import AddressSpace, Packet, Peer, parse_ip, protocol_number
from tierguard.engine.topology import Topology
from tierguard.inventory.labels import (
    NAMESPACE_LABEL,
    NAMESPACE_PREFIX,
    ORCHESTRATOR_LABEL,
    SERVICE_ACCOUNT_LABEL,
    SERVICE_ACCOUNT_PREFIX,
    namespace_profile_labels,
    pod_own_labels,
    pod_profiles,
    service_account_profile_labels,
)
from tierguard.inventory.model import Endpoint, EndpointKind
from tierguard.selector.labelset import LabelSet

_ICMP = (1, 58)


@dataclass(frozen=True, slots=True)
class Resolved:
    """A peer, or the reason it could not be found; `note` explains a guess that was made."""

    peer: Peer | None
    error: str = ""
    note: str = ""
    resolution: str = ""  # "labels": rebuilt from the record's labels (not in the inventory)

    @property
    def plain(self) -> bool:
        """Found, with nothing to report: no error, note or label-based resolution."""
        return self.peer is not None and not (self.error or self.note or self.resolution)


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
    # The address was aggregated away: rules on it are decided only where every address of its
    # `pvt`/`pub` space gives the same answer; the others make the result uncertain (match.py).
    return Resolved(topology.peer_without_ip(space=AddressSpace.from_name_aggr(name_aggr)))


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


# Labels that differ between generations of one controller (ReplicaSet, Job run, revision):
# ignored when comparing a vanished pod's recorded labels with its current siblings.
GENERATION_LABELS = frozenset({
    "pod-template-hash", "controller-revision-hash", "pod-template-generation", "controller-uid",
    "batch.kubernetes.io/controller-uid", "job-name", "batch.kubernetes.io/job-name",
    "statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index",
})


def controller_prefix(name: str) -> str:
    """The controller part of a pod or `name_aggr`: `orders-6f9c8d7b5-*` / `orders-6f9c8d7b5-x2k4q`
    -> `orders`, `ledger-backup-29916120-*` -> `ledger-backup` (drops the pod-template-hash or
    Job run suffix and the pod suffix)."""
    parts = name.removesuffix("*").rstrip("-").split("-")
    cut = 1 if name.endswith("*") else 2
    return "-".join(parts[:-cut]) if len(parts) > cut else ""


def _siblings(topology: Topology, namespace: str, name: str,
              recorded: dict[str, str]) -> tuple[Endpoint, ...]:
    """Current pods of the same controller whose labels contain the recorded ones (generation
    labels such as pod-template-hash aside), by name."""
    prefix = controller_prefix(name)
    if not prefix:
        return ()
    wanted = [(k, v) for k, v in recorded.items() if k not in GENERATION_LABELS]
    found = [ep for ep in topology.endpoints if ep.kind is EndpointKind.WORKLOAD
             and ep.namespace == namespace
             and controller_prefix(ep.workload or ep.name) == prefix
             and all(ep.labels.get(k) == v for k, v in wanted)]
    return tuple(sorted(found, key=lambda e: e.name))


def _inherited(topology: Topology, namespace: str, prefix: str,
               account: str = "") -> dict[str, str] | None:
    """`pcns.*` (or `pcsa.*` of `account`) labels as a current pod of the namespace carries them."""
    for ep in topology.endpoints:
        if ep.kind is EndpointKind.WORKLOAD and ep.namespace == namespace and (
                not account or ep.service_account == account):
            return {k: v for k, v in ep.labels.items() if k.startswith(prefix)}
    return None


def resolve_by_labels(topology: Topology, namespace: str, name: str,
                      labels: tuple[str, ...], ip_text: str | None = None) -> Resolved:
    """A pod that is gone from the inventory (older ReplicaSet, finished Job run), rebuilt from
    the labels its flow record carries (its own labels, intersected; calico-semantics §6.2).

    Effective labels follow §1.8: the recorded own labels plus `projectcalico.org/namespace`
    and `orchestrator`, `pcns.*` from the namespace (taken from a current pod of the
    namespace), and `pcsa.*` when the service account is known: recorded in the labels
    (`projectcalico.org/serviceaccount`), else that of a current pod of the same controller
    whose labels contain the recorded ones, which also lends its container ports.
    """
    pairs = dict(text.partition("=")[::2] for text in labels if "=" in text)
    namespace_labels = _inherited(topology, namespace, NAMESPACE_PREFIX)
    if not pairs or namespace_labels is None:
        why = "it carries no labels" if not pairs else \
            f"namespace {namespace} has no pod in the inventory, so its labels are unknown"
        return Resolved(None, f"pod {_label(namespace, name)} is not in the inventory and cannot "
                              f"be rebuilt from the record: {why}")
    siblings = _siblings(topology, namespace, name, pairs)
    account = pairs.get(SERVICE_ACCOUNT_LABEL, "")
    if account:
        account_note = f"service account {account} (recorded)"
    elif siblings and siblings[0].service_account:
        account = siblings[0].service_account
        account_note = f"service account {account} of {siblings[0].name}"
    else:
        account_note = "service account unknown (namespace profile only)"
    own = pod_own_labels({k: v for k, v in pairs.items()
                          if k not in (NAMESPACE_LABEL, ORCHESTRATOR_LABEL)}, namespace, account)
    parents = [namespace_labels or namespace_profile_labels(namespace, {})]
    if account:
        parents.append(_inherited(topology, namespace, SERVICE_ACCOUNT_PREFIX, account)
                       or service_account_profile_labels(account, {}))
    effective = dict(own)
    for parent in parents:
        for key, value in parent.items():
            effective.setdefault(key, value)
    ports = siblings[0].ports if siblings else ()
    ip = parse_ip(ip_text) if ip_text else None
    endpoint = topology.synthetic_endpoint(Endpoint(
        EndpointKind.WORKLOAD, name, namespace, LabelSet(effective), ips=(ip,) if ip else (),
        ports=ports,
        profiles=pod_profiles(namespace, account), service_account=account, workload=name))
    port_note = f"container ports of {siblings[0].name}" if ports else "no container ports"
    return Resolved(topology.peer_for_endpoint(endpoint), resolution="labels",
                    note=f"resolved by labels: {_label(namespace, name)} not in inventory "
                         f"(recorded labels, {account_note}, {port_note})")


def make_packet(src: Peer, dst: Peer, protocol: str | int, dst_port: int | None,
                src_port: int | None = None, icmp_type: int | None = None,
                icmp_code: int | None = None) -> Packet:
    """A packet between two peers; the IP version comes from whichever peer has an address."""
    number = protocol_number(protocol)
    ip = src.ip if src.ip is not None else dst.ip
    version = ip.version if ip is not None else 4
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
        self._labelled: dict[tuple[str, str, tuple[str, ...], str | None], Resolved] = {}

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

    def flow_peer_labelled(self, kind: str, namespace: str, name: str, name_aggr: str,
                           ip_text: str | None, labels: tuple[str, ...]) -> Resolved:
        """`flow_peer`, falling back to the record's labels for a pod gone from the inventory."""
        found = self.flow_peer(kind, namespace, name, name_aggr, ip_text)
        if found.peer is not None or kind != "wep" or not labels or not (name or name_aggr):
            return found
        key = (namespace, name or name_aggr, labels, ip_text)
        rebuilt = self._labelled.get(key)
        if rebuilt is None:
            rebuilt = self._labelled[key] = resolve_by_labels(self.topology, namespace,
                                                              name or name_aggr, labels, ip_text)
        return rebuilt if rebuilt.peer is not None else Resolved(
            None, f"{found.error}; {rebuilt.error}")

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
