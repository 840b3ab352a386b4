"""Calico Enterprise flow-log records for one environment of the example (flow-formats.md (a)).

Records follow the Enterprise conventions of calico-semantics §6.2: allowed flows aggregated at
level 2 (IPs, source port and names aggregated away, `*_name_aggr` = generateName + '*'), denied
flows at level 1 (IPs and pod names kept, source port null); `*_type` wep/net/ns; `pvt`/`pub` for
networks; `-` for no namespace; labels as {"labels": ["k=v", ...]}; one record per reporter (`src`
on the initiating pod's node, `dst` on the receiving pod's node); windows per node, not aligned to
the clock. Traces come from `beliefs` (Format A strings).
"""

from __future__ import annotations

import ipaddress
import math
import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from tierguard.examplegen import names
from tierguard.examplegen.beliefs import (
    BeliefPolicy,
    Direction,
    Party,
    Verdict,
    evaluate,
    example_policies,
)
from tierguard.examplegen.topology import Traffic, Workload
from tierguard.examplegen.world import Node, Pod, World

Record = dict[str, object]

_PRIVATE = (ipaddress.IPv4Network("10.0.0.0/8"), ipaddress.IPv4Network("172.16.0.0/12"),
            ipaddress.IPv4Network("192.168.0.0/16"))
_PARTNER_LABELS = {"external.example.com/service": "partner-bank-api"}
_OTHER_ENV_LABELS = {"security.example.com/zone": "other-environments"}
_PROBE_RATE = 720.0  # liveness + readiness every 10 s
_SCRAPES_PER_HOUR = 120  # every 30 s


@dataclass(frozen=True, slots=True)
class End:
    """A concrete flow endpoint: who it is for policy, and how a record names it."""

    party: Party
    name: str  # pod name, set name, or "-"
    name_aggr: str
    node: Node | None  # the node whose felix reports for it (workload endpoints only)
    service: tuple[str, str, str, int] | None = None  # name, namespace, port name, port number
    domains: tuple[str, ...] = ()
    labels: dict[str, list[str]] | None = None  # the record's {"labels": [...]} value

    @property
    def is_wep(self) -> bool:
        return self.party.kind == "wep"


@dataclass(frozen=True, slots=True)
class Call:
    """Traffic to generate in one window: every (source, destination) pair shares `connections`."""

    sources: tuple[End, ...]
    dests: tuple[End, ...]
    port: int
    protocol: str
    connections: int
    pooled: int
    request: int
    response: int
    unpoliced: bool = False  # host -> local pod (kubelet probes): Calico does not police it


def _aggr_for_ip(ip: ipaddress.IPv4Address) -> str:
    return "pvt" if any(ip in net for net in _PRIVATE) else "pub"


def _net_end(ip: ipaddress.IPv4Address, domains: tuple[str, ...] = (),
             service: tuple[str, str, str, int] | None = None) -> End:
    return End(Party("net", ip), "-", _aggr_for_ip(ip), None, service, domains)


def _label_value(labels: Mapping[str, str]) -> dict[str, list[str]] | None:
    return {"labels": sorted(f"{k}={v}" for k, v in labels.items())} if labels else None


def _set_end(ip: ipaddress.IPv4Address, set_name: str, labels: dict[str, str], domains: tuple[str, ...]) -> End:
    return End(Party("ns", ip, set_labels=labels), set_name, set_name, None, None, domains, _label_value(labels))


def _pod_end(pod: Pod, service: tuple[str, str, str, int] | None = None) -> End:
    w = pod.workload
    party = Party("wep", pod.ip, w.namespace, dict(pod.labels), w.service_account, w.ports)
    return End(party, pod.name, pod.name_aggr, pod.node, service, (), _label_value(pod.labels))


def _service_of(world: World, workload: Workload, port: int, port_name: str) -> tuple[str, str, str, int] | None:
    if workload.service is None:
        return None
    for sp in workload.service.ports:
        if (port_name and sp.name == port_name) or (not port_name and sp.target_port == port):
            return workload.service.name, workload.namespace, sp.name, sp.port
    return None


class _Resolver:
    """Turns topology names (workload keys, address keywords, literal IPs) into endpoints."""

    def __init__(self, world: World) -> None:
        self.world = world
        env = world.env
        self._internet = tuple(ipaddress.IPv4Address(f"{a}.{b}.{c}.{d}") for a, b, c, d in (
            (81, 2, 69, 142), (92, 40, 188, 7), (31, 13, 86, 36), (176, 9, 21, 130), (84, 17, 52, 3),
            (185, 86, 151, 11), (2, 121, 14, 209), (88, 198, 45, 77)))
        self._partner = names.host_in(env.partner_api_cidr, "partner", low=10)
        other = env.other_environment_cidrs[-1] if env.other_environment_cidrs else env.vpc_cidr
        self._other_env = names.host_in(other, "other-env-db", low=100)
        self._pod_ends: dict[tuple[str, str, tuple[str, str, str, int] | None], End] = {}

    def pod_end(self, pod: Pod, service: tuple[str, str, str, int] | None = None) -> End:
        """The endpoint for `pod` (built once: labels are sorted and rendered once per pod)."""
        key = (pod.workload.namespace, pod.name, service)
        end = self._pod_ends.get(key)
        if end is None:
            end = self._pod_ends[key] = _pod_end(pod, service)
        return end

    def ends(self, token: str, moment: datetime, *, port: int, service_port: str, domains: tuple[str, ...],
             as_dest: bool) -> tuple[End, ...]:
        world = self.world
        workload = world.topology.workload(token) if "/" in token else None
        if workload is not None:
            service = _service_of(world, workload, port, service_port) if as_dest else None
            return tuple(self.pod_end(p, service) for p in world.pods_at(workload.key, moment))
        if token == "internet":
            return tuple(_net_end(ip) for ip in self._internet)
        if token == "nlb":
            return tuple(_net_end(ip) for ip in world.nlb_ips)
        if token == "partner-api":
            return (_set_end(self._partner, "partner-bank-api", _PARTNER_LABELS, domains),)
        if token == "other-environment":
            return (_set_end(self._other_env, "other-environments", _OTHER_ENV_LABELS, domains),)
        if token == "vpc-resolver":
            return (_net_end(world.vpc_resolver, domains),)
        if token == "eks-api":
            svc = ("kubernetes", "default", "https", 443) if service_port else None
            return tuple(_net_end(ip, domains, svc) for ip in world.api_server_ips)
        if token == "node":
            return tuple(_net_end(n.ip) for n in world.nodes)
        return (_net_end(ipaddress.IPv4Address(token), domains),)


def _diurnal(moment: datetime) -> float:
    """Shop traffic: peak at 13:00 UTC, a quiet night, weekends at 70 %."""
    hour = moment.hour + moment.minute / 60
    peak = max(0.0, math.cos((hour - 13.0) / 24.0 * 2 * math.pi))
    curve: float = 0.12 + 0.88 * peak * math.sqrt(peak)
    return curve * (0.7 if moment.weekday() >= 5 else 1.0)


def _factor(pattern: str, moment: datetime) -> float:
    return _diurnal(moment) if pattern == "diurnal" else 1.0


class FlowGenerator:
    """Yields the environment's records window by window, deterministically for a seed."""

    def __init__(self, world: World, *, scale: float = 1.0) -> None:
        self.world = world
        self.scale = scale * world.env.traffic_scale
        self.policies: tuple[BeliefPolicy, ...] = example_policies(world.env)
        self.resolver = _Resolver(world)
        self.random = names.rng(world.seed, world.env.name, "flows")
        self._verdicts: dict[tuple[object, ...], tuple[Verdict, tuple[str, ...], tuple[str, ...]]] = {}
        self.window = world.topology.window_seconds

    # --- traffic of one window ---------------------------------------------------------------

    def _count(self, rate: float, pattern: str, moment: datetime) -> int:
        expected = rate * self.scale * _factor(pattern, moment) * self.window / 3600
        jittered = expected * self.random.uniform(0.8, 1.2)
        whole = int(jittered)
        return whole + (1 if self.random.random() < jittered - whole else 0)

    def _calls(self, moment: datetime, day: int) -> Iterator[Call]:
        world = self.world
        env = world.env.name
        for item in world.topology.traffic:
            if not item.active(env, day, moment.hour):
                continue
            yield from self._call(item, moment)
        yield from self._dns_calls(moment)
        yield from self._probe_calls(moment)
        yield from self._scrape_calls(moment)

    def _call(self, item: Traffic, moment: datetime) -> Iterator[Call]:
        resolver = self.resolver
        sources = resolver.ends(item.source, moment, port=item.port, service_port="", domains=(), as_dest=False)
        dests = resolver.ends(item.dest, moment, port=item.port, service_port=item.service, domains=item.domains,
                              as_dest=True)
        if not sources or not dests:
            return
        if item.pooled:
            yield Call(sources, dests, item.port, item.protocol, 0, item.pooled, item.request, item.response)
            return
        count = self._count(item.rate, item.pattern, moment)
        if count:
            yield Call(sources, dests, item.port, item.protocol, count, 0, item.request, item.response)

    def _dns_calls(self, moment: datetime) -> Iterator[Call]:
        world = self.world
        dns = world.topology.workload("kube-system/coredns")
        if dns is None:
            return
        servers = tuple(self.resolver.pod_end(p, ("kube-dns", "kube-system", "dns", 53))
                        for p in world.pods_at(dns.key, moment))
        outgoing: dict[str, float] = {}
        for item in world.topology.traffic:
            outgoing[item.source] = outgoing.get(item.source, 0.0) + item.rate
        for workload in world.workloads():
            pods = world.pods_at(workload.key, moment)
            if not workload.dns or not pods or not servers:
                continue
            rate = 60.0 + 0.4 * outgoing.get(workload.key, 0.0)
            count = self._count(rate * len(pods), "diurnal", moment)
            if count:
                yield Call(tuple(self.resolver.pod_end(p) for p in pods), servers, 53, "UDP", count, 0, 72, 140)

    def _probe_calls(self, moment: datetime) -> Iterator[Call]:
        for workload in self.world.workloads():
            if workload.probe is None:
                continue
            for pod in self.world.pods_at(workload.key, moment):
                count = self._count(_PROBE_RATE / max(self.scale, 1e-9), "flat", moment)
                yield Call((_net_end(pod.node.ip),), (self.resolver.pod_end(pod),), workload.probe.port, "TCP", count, 0, 160, 240,
                           unpoliced=True)

    def _scrape_calls(self, moment: datetime) -> Iterator[Call]:
        world = self.world
        prometheus = world.topology.workload("monitoring/prometheus")
        if prometheus is None:
            return
        scrapers = tuple(self.resolver.pod_end(p) for p in world.pods_at(prometheus.key, moment))
        if not scrapers:
            return
        for workload in world.workloads():
            port = next((p for p in workload.ports if p.name == workload.scrape), None) if workload.scrape else None
            if port is None:
                continue
            for pod in world.pods_at(workload.key, moment):
                yield Call(scrapers, (self.resolver.pod_end(pod),), port.port, "TCP", 0, 1, 320 * _SCRAPES_PER_HOUR,
                           9000 * _SCRAPES_PER_HOUR)

    # --- verdicts --------------------------------------------------------------------------------

    def _verdict(self, local: Party, peer: Party, port: int, protocol: str,
                 direction: Direction) -> tuple[Verdict, tuple[str, ...], tuple[str, ...]]:
        """(enforced verdict, enforced strings, pending strings), cached per endpoint pair and port."""
        key = (local.kind, local.ip, peer.kind, peer.ip, port, protocol, direction)
        cached = self._verdicts.get(key)
        if cached is None:
            enforced = evaluate(self.policies, local, peer, port, protocol, direction, pending=False)
            pending = evaluate(self.policies, local, peer, port, protocol, direction, pending=True)
            cached = (enforced, tuple(enforced.strings()), tuple(pending.strings()))
            self._verdicts[key] = cached
        return cached

    # --- records ---------------------------------------------------------------------------------

    def records(self) -> Iterator[tuple[int, Record]]:
        """(day index, record) for every window of the recording, in a stable order."""
        world = self.world
        windows = int((world.end - world.start).total_seconds()) // self.window
        for index in range(windows):
            offset = index * self.window
            moment = world.start + timedelta(seconds=offset + self.window // 2)
            day = offset // 86400
            buckets: dict[tuple[object, ...], Record] = {}
            for call in self._calls(moment, day):
                self._emit(call, index, buckets)
            for record in buckets.values():
                yield day, record

    def _emit(self, call: Call, window: int, buckets: dict[tuple[object, ...], Record]) -> None:
        pairs = [(s, d) for s in call.sources for d in call.dests]
        share = self._split(call.connections or call.pooled, len(pairs), self.random)
        for (source, dest), connections in zip(pairs, share):
            if connections:
                self._emit_pair(call, source, dest, connections, window, buckets)

    @staticmethod
    def _split(total: int, parts: int, rnd: random.Random) -> list[int]:
        base, extra = divmod(total, parts)
        lucky = set(rnd.sample(range(parts), extra)) if extra else set()
        return [base + (1 if i in lucky else 0) for i in range(parts)]

    def _emit_pair(self, call: Call, source: End, dest: End, connections: int, window: int,
                   buckets: dict[tuple[object, ...], Record]) -> None:
        if call.unpoliced:
            profile = Verdict("allow", ())
            hits = (f"0|__PROFILE__|__PROFILE__.kns.{dest.party.namespace}|allow|0",)
            self._add(buckets, call, source, dest, "dst", dest, profile, hits, hits, connections, window)
            return
        allowed = True
        if source.is_wep:
            verdict, enforced, pending = self._verdict(source.party, dest.party, call.port, call.protocol,
                                                       Direction.EGRESS)
            self._add(buckets, call, source, dest, "src", source, verdict, enforced, pending, connections, window)
            allowed = verdict.action == "allow"
        if dest.is_wep and allowed:
            verdict, enforced, pending = self._verdict(dest.party, source.party, call.port, call.protocol,
                                                       Direction.INGRESS)
            self._add(buckets, call, source, dest, "dst", dest, verdict, enforced, pending, connections, window)

    def _add(self, buckets: dict[tuple[object, ...], Record], call: Call, source: End, dest: End, reporter: str,
             local: End, verdict: Verdict, enforced: tuple[str, ...], pending: tuple[str, ...], connections: int,
             window: int) -> None:
        assert local.node is not None
        denied = verdict.action == "deny"
        # Level 2 for allowed flows (names and IPs aggregated away), level 1 for denied ones.
        identity: tuple[object, ...] = (source.party.ip, dest.party.ip) if denied else ()
        key = (reporter, local.node.name, source.name_aggr, source.party.namespace, dest.name_aggr,
               dest.party.namespace, call.port, call.protocol, verdict.action, enforced, pending,
               dest.service) + identity
        record = buckets.get(key)
        if record is None:
            record = self._new_record(call, source, dest, reporter, local.node, verdict.action, enforced, pending,
                                      denied, window)
            buckets[key] = record
        self._count_traffic(record, call, reporter, connections, denied)

    def _new_record(self, call: Call, source: End, dest: End, reporter: str, node: Node, action: str,
                    enforced: tuple[str, ...], pending: tuple[str, ...], denied: bool, window: int) -> Record:
        world = self.world
        start = int(world.start.timestamp()) + window * self.window + node.flush_offset % self.window
        end = start + self.window
        service = dest.service
        return {
            "start_time": start, "end_time": end,
            "source_ip": str(source.party.ip) if denied else None,
            "source_name": source.name if denied and source.party.kind != "net" else "-",
            "source_name_aggr": source.name_aggr,
            "source_namespace": source.party.namespace or "-",
            "source_port": None,
            "source_type": source.party.kind,
            "source_labels": source.labels,
            "dest_ip": str(dest.party.ip) if denied else None,
            "dest_name": dest.name if denied and dest.party.kind != "net" else "-",
            "dest_name_aggr": dest.name_aggr,
            "dest_namespace": dest.party.namespace or "-",
            "dest_port": call.port,
            "dest_type": dest.party.kind,
            "dest_labels": dest.labels,
            "dest_service_namespace": service[1] if service else "-",
            "dest_service_name": service[0] if service else "-",
            "dest_service_port": service[2] if service else "-",
            "dest_service_port_num": service[3] if service else None,
            "dest_domains": list(dest.domains) if dest.domains else None,
            "proto": call.protocol.lower(),
            "action": action,
            "reporter": reporter,
            "policies": {"enforced_policies": list(enforced), "pending_policies": list(pending),
                         "transit_policies": []},
            "bytes_in": 0, "bytes_out": 0, "packets_in": 0, "packets_out": 0,
            "num_flows": 0, "num_flows_started": 0, "num_flows_completed": 0,
            "http_requests_allowed_in": 0, "http_requests_denied_in": 0,
            "process_name": "-", "num_process_names": 0, "process_id": "-", "num_process_ids": 0,
            "process_args": ["-"], "num_process_args": 0,
            "original_source_ips": None, "num_original_source_ips": 0, "nat_outgoing_ports": None,
            "tcp_mean_send_congestion_window": 0, "tcp_min_send_congestion_window": 0,
            "tcp_mean_smooth_rtt": 0, "tcp_max_smooth_rtt": 0, "tcp_mean_min_rtt": 0, "tcp_max_min_rtt": 0,
            "tcp_mean_mss": 0, "tcp_min_mss": 0, "tcp_total_retransmissions": 0, "tcp_lost_packets": 0,
            "tcp_unrecovered_to": 0,
            "host": node.name, "@timestamp": end * 1000, "cluster": world.env.cluster,
        }

    def _count_traffic(self, record: Record, call: Call, reporter: str, connections: int, denied: bool) -> None:
        rnd = self.random
        if denied:
            # Only the SYNs (and their retransmissions) were seen.
            packets, forward, backward = connections * 3, connections * 180, 0
            back_packets = 0
        elif call.pooled:
            forward = int(call.request * connections * rnd.uniform(0.7, 1.3) * self.window / 3600)
            backward = int(call.response * connections * rnd.uniform(0.7, 1.3) * self.window / 3600)
            packets, back_packets = forward // 1200 + 1, backward // 1400 + 1
        else:
            forward = int(call.request * connections * rnd.uniform(0.85, 1.15))
            backward = int(call.response * connections * rnd.uniform(0.85, 1.15))
            packets = forward // 1200 + 3 * connections
            back_packets = backward // 1400 + 2 * connections
        # bytes_out/packets_out are the reporter's outgoing direction: the request for `src`.
        out_bytes, in_bytes = (forward, backward) if reporter == "src" else (backward, forward)
        out_packets, in_packets = (packets, back_packets) if reporter == "src" else (back_packets, packets)
        record["bytes_out"] = _int(record["bytes_out"]) + out_bytes
        record["bytes_in"] = _int(record["bytes_in"]) + in_bytes
        record["packets_out"] = _int(record["packets_out"]) + out_packets
        record["packets_in"] = _int(record["packets_in"]) + in_packets
        record["num_flows"] = _int(record["num_flows"]) + connections
        started = 0 if call.pooled and not denied else connections
        record["num_flows_started"] = _int(record["num_flows_started"]) + started
        record["num_flows_completed"] = _int(record["num_flows_completed"]) + started


def _int(value: object) -> int:
    return value if isinstance(value, int) else 0
