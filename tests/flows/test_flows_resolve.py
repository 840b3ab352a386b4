"""Workload resolution against inventory snapshots (time-aware), and controller mapping."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flows_testlib import fixture, read
from tierguard.flows.model import EndpointType
from tierguard.flows.resolve import Resolver, Snapshot, controller_of
from tierguard.inventory.load import inventory_from_text, load_inventory

LATER_POD = """
apiVersion: v1
kind: Pod
metadata: {name: batch-7f9c6d5b8d-zz2pq, generateName: batch-7f9c6d5b8d-, namespace: jobs,
           labels: {app: batch}}
spec: {nodeName: node-b}
status: {phase: Running, podIPs: [{ip: 10.1.0.11}]}
"""


@pytest.mark.parametrize(("aggr", "controller"), [
    ("checkoutservice-598d5b586d-*", "Deployment/checkoutservice"),
    ("web-7d4b9c8f6d-*", "Deployment/web"),
    ("fluent-bit-*", "fluent-bit"),
    ("multitool", ""), ("pub", ""), ("cache-0", "")])
def test_controller_of(aggr: str, controller: str) -> None:
    assert controller_of(aggr) == controller


def test_pod_node_public_and_unresolved() -> None:
    inventory, _ = load_inventory(fixture("inventory.yaml"))
    resolver = Resolver([Snapshot(0, inventory)])
    records = [resolver.resolve(r) for r in read("vpc-v5.txt")[0]]
    pod, sdk, ipv6 = records
    assert (pod.source.type, pod.source.name, pod.source.resolved_by) == (
        EndpointType.WORKLOAD, "web-7d4b9c8f6d-x2k9p", "pod-ip")
    # pod -> DynamoDB was SNATed to the node's primary IP (10.1.0.5)
    assert (sdk.source.type, sdk.source.name, sdk.source.resolved_by) == (
        EndpointType.HOST, "node-b", "node-ip")
    assert (sdk.dest.type, sdk.dest.name_aggr, sdk.dest.resolved_by) == (
        EndpointType.NETWORK, "pub", "public-ip")
    assert ipv6.source.resolved_by == "public-ip"
    unresolved = resolver.resolve(read("vpc-v2.txt")[0][1])  # 10.1.0.99 is not in the inventory
    assert unresolved.source.type is EndpointType.UNKNOWN
    assert resolver.stats.unresolved == {"10.1.0.99": 1}
    assert resolver.stats.records_unresolved == 1
    (diagnostic,) = resolver.diagnostics()
    assert (diagnostic.code, diagnostic.span.line if diagnostic.span else 0) == ("FLW520", 2)
    assert diagnostic.message == (
        f"10.1.0.99 matches no pod, node or Service in the inventory (1 records; "
        f"e.g. {fixture('vpc-v2.txt')}:2)")


def test_time_aware_resolution_uses_the_snapshot_of_the_time() -> None:
    before, _ = load_inventory(fixture("inventory.yaml"))
    after, _ = inventory_from_text(LATER_POD, "later.yaml")  # the IP was reused by another pod
    resolver = Resolver([Snapshot(1_760_000_500_000, after), Snapshot(1_700_000_000_000, before)])
    record = read("vpc-v2.txt")[0][0]
    early = resolver.resolve(record)
    late = resolver.resolve(replace(record, start_ms=1_760_000_600_000))
    assert early.source.name == "web-7d4b9c8f6d-x2k9p"
    assert (late.source.namespace, late.source.name_aggr) == ("jobs", "batch-7f9c6d5b8d-*")
    # before the first snapshot: the earliest one is used
    ancient = resolver.resolve(replace(record, start_ms=1))
    assert ancient.source.name == "web-7d4b9c8f6d-x2k9p"


def test_named_records_are_not_touched() -> None:
    inventory, _ = load_inventory(fixture("inventory.yaml"))
    resolver = Resolver([Snapshot(0, inventory)])
    record = read("ce.jsonl")[0][1]
    resolved = resolver.resolve(record)
    assert resolved.source == record.source  # a bare pod: no controller
    assert resolved.dest.workload == "Deployment/api"
    assert resolver.stats.unresolved == {}


def test_resolver_needs_a_snapshot() -> None:
    with pytest.raises(ValueError, match="at least one inventory snapshot"):
        Resolver([])
