"""Which graph node a flow peer belongs to (pure).

Workloads aggregate like Calico flow logs do (generateName + `*`, the inventory's `workload`),
network sets and host endpoints are their own nodes, and addresses outside the inventory
collapse into `pub` / `pvt` as Calico's `name_aggr` does (calico-semantics §6.2).
"""

from __future__ import annotations

from tierguard.engine.packet import Peer
from tierguard.engine.topology import Topology
from tierguard.flows.model import EndpointType
from tierguard.flows.model import Peer as FlowPeer
from tierguard.inventory.model import Endpoint, EndpointKind
from tierguard.observe.model import Group, GroupKind, NodeKey, NodeKind

EXTERNAL = Group(GroupKind.EXTERNAL, "external")
HOSTS = Group(GroupKind.HOSTS, "hosts")
GLOBAL = Group(GroupKind.GLOBAL, "global")
_SETS = (EndpointKind.NETWORK_SET, EndpointKind.GLOBAL_NETWORK_SET)


def namespace_group(namespace: str) -> Group:
    return Group(GroupKind.NAMESPACE, namespace)


def endpoint_node(ep: Endpoint) -> NodeKey:
    """The node of an inventory endpoint: workload aggregate, host, or network set."""
    if ep.kind is EndpointKind.WORKLOAD:
        return NodeKey(NodeKind.WORKLOAD, namespace_group(ep.namespace), ep.workload or ep.name)
    if ep.kind is EndpointKind.HOST:
        return NodeKey(NodeKind.HOST, HOSTS, ep.node or ep.name)
    group = namespace_group(ep.namespace) if ep.namespace else GLOBAL
    return NodeKey(NodeKind.NETWORK_SET, group, ep.name)


def _external(reported: FlowPeer, peer: Peer) -> NodeKey:
    if reported.name_aggr in ("pub", "pvt"):
        return NodeKey(NodeKind.EXTERNAL, EXTERNAL, reported.name_aggr)
    if peer.ip is not None:
        return NodeKey(NodeKind.EXTERNAL, EXTERNAL, "pvt" if peer.ip.is_private else "pub")
    return NodeKey(NodeKind.EXTERNAL, EXTERNAL, reported.name_aggr or reported.name or "unknown")


def _longest_prefix(network_set: Endpoint, peer: Peer) -> int:
    ip = peer.ip
    return max((n.prefixlen for n in network_set.nets
                if ip is not None and n.version == ip.version and ip in n), default=-1)


def peer_node(peer: Peer, reported: FlowPeer, topology: Topology) -> NodeKey:
    """The node for one end of an evaluated flow: the resolved peer first, then what was reported."""
    if peer.endpoint is not None:
        return endpoint_node(peer.endpoint)
    if reported.type is EndpointType.NETWORK_SET and (reported.name or reported.name_aggr):
        name = reported.name or reported.name_aggr
        found = topology.network_set(reported.namespace, name)
        if found is not None:
            return endpoint_node(found)
        group = namespace_group(reported.namespace) if reported.namespace else GLOBAL
        return NodeKey(NodeKind.NETWORK_SET, group, name)
    sets = [o for o in peer.owners if o.kind in _SETS]
    if sets:  # the most specific network set the address falls in
        return endpoint_node(max(sets, key=lambda s: (_longest_prefix(s, peer), s.namespace, s.name)))
    node = topology.node_of_ip(peer.ip)
    if node:
        return NodeKey(NodeKind.HOST, HOSTS, node)
    return _external(reported, peer)
