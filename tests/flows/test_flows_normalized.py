"""The same connection (shop/web -> shop/api TCP 8080, allowed) recorded by every product lands
in the same normalized form; IP-only formats after workload resolution."""

from __future__ import annotations

import pytest
from flows_testlib import fixture, read
from tierguard.flows.model import FlowRecord, ServiceRef
from tierguard.flows.resolve import Resolver, Snapshot
from tierguard.inventory.load import load_inventory

WEB_TO_API = ("shop", "web-7d4b9c8f6d-*", "shop", "api-5c7f9d8b4c-*", 8080, 6, "tcp", "allow")
WEB_LABELS, API_LABELS = ("app=web", "tier=front"), ("app=api",)


def identity(record: FlowRecord) -> tuple[object, ...]:
    return (record.source.namespace, record.source.name_aggr, record.dest.namespace,
            record.dest.name_aggr, record.dest_port, record.protocol.number,
            record.protocol.name, record.action.value)


@pytest.fixture(scope="module")
def resolver() -> Resolver:
    inventory, _ = load_inventory(fixture("inventory.yaml"))
    return Resolver([Snapshot(0, inventory)])


@pytest.mark.parametrize(("name", "index"), [
    ("ce.jsonl", 0), ("goldmane.jsonl", 0), ("whisker.json", 0), ("hubble.jsonl", 0),
    ("vpc-v2.txt", 0), ("vpc-v5.txt", 0), ("eks-node.log", 0), ("eks-node.log", 1),
    ("eks-cloudwatch.log", 0)])
def test_same_connection_same_identity(name: str, index: int, resolver: Resolver) -> None:
    record = resolver.resolve(read(name)[0][index])
    assert identity(record) == WEB_TO_API
    if name != "hubble.jsonl":  # Hubble reports Cilium's own extra labels as well
        assert (record.source.labels, record.dest.labels) == (WEB_LABELS, API_LABELS)


def test_calico_products_agree_on_traces_and_counts() -> None:
    ce, goldmane, whisker = (read(name)[0][0] for name in
                             ("ce.jsonl", "goldmane.jsonl", "whisker.json"))
    for record in (ce, goldmane, whisker):
        assert [h.qualified_name for h in record.enforced] == ["gnp:baseline",
                                                               "np:shop/api-ingress"]
        assert [(h.qualified_name, h.rule_index) for h in record.pending] == [
            ("gnp:baseline", 2), ("snp:shop/api-lockdown", -1)]
        assert (record.counts.packets, record.counts.bytes) == (92, 13300)
        assert record.reporter.value == "dst"
        assert (record.start_ms, record.end_ms) == (1_760_000_000_000, 1_760_000_300_000)
    assert ce.dest_service == goldmane.dest_service == ServiceRef("shop", "api", "http", 80)


def test_cluster_ip_event_names_the_service(resolver: Resolver) -> None:
    record = resolver.resolve(read("eks-node.log")[0][1])
    assert record.dest_service == ServiceRef("shop", "api", "http", 80)
    assert (record.dest.resolved_by, record.dest.ip) == ("service-ip", None)
    assert record.source.workload == "Deployment/web"
