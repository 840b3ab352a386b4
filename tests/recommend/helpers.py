"""Small synthetic world for the recommend tests: an inventory, flow records and policies.

Everything is built here (no files under /work/shared); records are FlowRecord objects as the
flow readers produce them, and `calico_line` writes the same flow as a Calico Enterprise
flow-log line for the CLI tests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from tierguard.flows.hits import parse_hit
from tierguard.flows.model import (
    Action,
    Counts,
    EndpointType,
    FlowRecord,
    Protocol,
    Reporter,
    SourceFormat,
)
from tierguard.flows.model import Peer as FlowPeer
from tierguard.inventory.build import build_inventory
from tierguard.inventory.model import Inventory

T0 = 1_795_478_400_000  # 2026-11-24T00:00:00Z in ms
HOUR = 3_600_000
PROFILE = "0|__PROFILE__|__PROFILE__.kns.{ns}|allow|0"


def namespace(name: str, labels: Mapping[str, str] | None = None) -> dict[str, object]:
    return {"apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name, **(labels or {})}}}


def pod(ns: str, name: str, ip: str, labels: Mapping[str, str], ports: Sequence[tuple[int, str]] = ()
        ) -> dict[str, object]:
    containers = [{"name": "main", "ports": [{"name": f"{proto.lower()}-{p}", "containerPort": p, "protocol": proto}
                                             for p, proto in ports]}]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": dict(labels),
                         "generateName": name.rsplit("-", 1)[0] + "-"},
            "spec": {"nodeName": "node-1", "serviceAccountName": "default", "containers": containers},
            "status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}]}}


def global_network_set(name: str, nets: Sequence[str], labels: Mapping[str, str]) -> dict[str, object]:
    return {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkSet",
            "metadata": {"name": name, "labels": dict(labels)}, "spec": {"nets": list(nets)}}


def objects() -> list[dict[str, object]]:
    """shop (web, api, db), other (client), kube-system (coredns), partner GlobalNetworkSet."""
    return [
        namespace("shop"), namespace("other"), namespace("kube-system"),
        pod("shop", "web-1", "10.1.0.10", {"app": "web"}, [(8080, "TCP")]),
        pod("shop", "api-1", "10.1.0.11", {"app": "api"}, [(9000, "TCP")]),
        pod("shop", "db-1", "10.1.0.12", {"app": "db"}, [(5432, "TCP")]),
        pod("other", "client-1", "10.1.1.10", {"app": "client"}),
        pod("kube-system", "coredns-1", "10.1.2.53", {"k8s-app": "kube-dns"}, [(53, "UDP"), (53, "TCP")]),
        global_network_set("partner", ["198.51.100.0/24"], {"zone": "partner"}),
    ]


def inventory(enterprise: bool = False, extra: Sequence[dict[str, object]] = ()) -> Inventory:
    built, problems = build_inventory([*objects(), *extra], enterprise_labels=enterprise)
    assert [d for d in problems if d.severity.value == "error"] == []
    return built


def peer(kind: str, ns: str = "", name_aggr: str = "", ip: str | None = None,
         labels: Sequence[str] = ()) -> FlowPeer:
    return FlowPeer(EndpointType(kind), ns, "", name_aggr, ip, None, tuple(sorted(labels)))


def wep(ns: str, aggr: str, labels: Sequence[str] = ()) -> FlowPeer:
    return peer("wep", ns, aggr, labels=labels)


def record(src: FlowPeer, dst: FlowPeer, port: int | None, proto: str, reporter: str, *, line: int = 1,
           hits: Sequence[str] | None = None, action: str = "allow", start: int = T0) -> FlowRecord:
    local = src if reporter == "src" else dst
    raw = tuple(hits if hits is not None else [PROFILE.format(ns=local.namespace)])
    parsed = tuple(parse_hit(h) for h in raw)
    number = {"tcp": 6, "udp": 17, "icmp": 1}[proto]
    return FlowRecord(start, start + HOUR, src, dst, port, Protocol(number, proto), Reporter(reporter),
                      Action(action), parsed, parsed, raw, raw, Counts(flows=1), SourceFormat.CALICO_ENTERPRISE,
                      "flows.jsonl", line)


def both(src: FlowPeer, dst: FlowPeer, port: int | None, proto: str = "tcp", line: int = 1,
         start: int = T0) -> list[FlowRecord]:
    """The src and dst reports of one allowed flow between two workloads."""
    return [record(src, dst, port, proto, "src", line=line, start=start),
            record(src, dst, port, proto, "dst", line=line + 1, start=start)]


def calico_line(rec: FlowRecord) -> str:
    """The record as a Calico Enterprise flow-log JSON line (flow-formats.md field names)."""
    def side(prefix: str, p: FlowPeer) -> dict[str, object]:
        return {f"{prefix}_type": p.type.value, f"{prefix}_namespace": p.namespace or "-",
                f"{prefix}_name": "-", f"{prefix}_name_aggr": p.name_aggr or "-", f"{prefix}_ip": p.ip,
                f"{prefix}_port": None, f"{prefix}_labels": {"labels": list(p.labels)}}
    doc: dict[str, object] = {
        "start_time": rec.start_ms // 1000, "end_time": rec.end_ms // 1000, **side("source", rec.source),
        **side("dest", rec.dest), "dest_port": rec.dest_port, "proto": rec.protocol.name,
        "action": rec.action.value, "reporter": rec.reporter.value,
        "policies": {"enforced_policies": list(rec.enforced_raw), "pending_policies": list(rec.pending_raw or ())},
        "bytes_in": 1, "bytes_out": 1, "packets_in": 1, "packets_out": 1, "num_flows": 1,
        "num_flows_started": 1, "num_flows_completed": 1}
    return json.dumps(doc)


def shop_flows() -> list[FlowRecord]:
    """web <- client (other ns), web -> api, api -> db, api -> DNS, api -> partner, web -> pvt/pub."""
    client, web = wep("other", "client-*", ["app=client"]), wep("shop", "web-*", ["app=web"])
    api, db = wep("shop", "api-*", ["app=api"]), wep("shop", "db-*", ["app=db"])
    dns = wep("kube-system", "coredns-*", ["k8s-app=kube-dns"])
    flows = [*both(client, web, 8080, line=1), *both(web, api, 9000, line=3), *both(api, db, 5432, line=5),
             *both(api, dns, 53, "udp", line=7)]
    flows.append(record(api, peer("ns", "", "partner"), 443, "tcp", "src", line=9, start=T0 + HOUR))
    flows.append(record(web, peer("net", "", "pvt"), 443, "tcp", "src", line=10))
    flows.append(record(web, peer("net", "", "pub"), 80, "tcp", "src", line=11))
    flows.append(record(web, peer("net", "", "pub"), 443, "tcp", "src", line=12))
    return flows
