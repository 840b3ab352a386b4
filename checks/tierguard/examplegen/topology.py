"""The example topology (inventory/topology.yaml) as frozen dataclasses, with strict loading.

The file is this repository's own description of the example cluster; loading rejects unknown keys
and wrong types with a `TopologyError` naming the key path, so a typo cannot silently drop traffic.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml


class TopologyError(ValueError):
    """The topology file is malformed; the message names the key path."""


@dataclass(frozen=True, slots=True)
class PortSpec:
    name: str
    port: int
    protocol: str  # TCP | UDP


@dataclass(frozen=True, slots=True)
class ServicePortSpec:
    name: str
    port: int
    protocol: str
    target_port: int


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    name: str
    ports: tuple[ServicePortSpec, ...]
    type: str = "ClusterIP"
    cluster_ip: str = ""  # empty = allocated deterministically


@dataclass(frozen=True, slots=True)
class Schedule:
    hour: int
    minute: int
    minutes: int  # run time


@dataclass(frozen=True, slots=True)
class Workload:
    key: str  # "<namespace>/<id>" as written in the topology; traffic refers to workloads by it
    namespace: str
    name: str  # object name (Deployment, StatefulSet, ...), may differ from the key's name part
    kind: str  # Deployment | StatefulSet | CronJob | Pod
    labels: Mapping[str, str]
    service_account: str
    image: str
    ports: tuple[PortSpec, ...]
    replicas: Mapping[str, int]  # env name or "default" -> count
    service: ServiceSpec | None
    probe: PortSpec | None
    scrape: str  # container port name Prometheus scrapes, "" = none
    dns: bool
    rollout: datetime | None
    schedule: Schedule | None
    envs: tuple[str, ...]  # empty = every environment

    @property
    def id(self) -> str:
        return self.key

    def runs_in(self, env: str) -> bool:
        return not self.envs or env in self.envs


@dataclass(frozen=True, slots=True)
class Traffic:
    """One kind of call: workload->workload, workload->address or address->workload."""

    source: str  # workload id or an address keyword / literal IP
    dest: str
    port: int
    protocol: str
    rate: float  # new connections per hour at peak
    pooled: int  # >0: long-lived pool of this many connections
    request: int
    response: int
    pattern: str  # diurnal | flat | job
    service: str  # Service port name (workload dest) or Service name (external API server)
    domains: tuple[str, ...]
    envs: tuple[str, ...]
    days: tuple[int, ...]  # 0-based recording days; empty = all
    hours: tuple[int, ...]  # UTC hours; empty = all
    attempt: bool  # listed under `attempts` (expected to be denied somewhere)

    def active(self, env: str, day: int, hour: int) -> bool:
        return ((not self.envs or env in self.envs) and (not self.days or day in self.days)
                and (not self.hours or hour in self.hours))


@dataclass(frozen=True, slots=True)
class Environment:
    name: str
    cluster: str
    vpc_cidr: ipaddress.IPv4Network
    subnets: tuple[tuple[str, ipaddress.IPv4Network], ...]  # (zone, subnet)
    nodes: int
    replicas: int
    traffic_scale: float
    other_environment_cidrs: tuple[ipaddress.IPv4Network, ...]
    partner_api_cidr: ipaddress.IPv4Network
    staged_policies: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Namespace:
    name: str
    labels: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Topology:
    start: datetime
    days: int
    window_seconds: int
    environments: tuple[Environment, ...]
    namespaces: tuple[Namespace, ...]
    workloads: tuple[Workload, ...]
    traffic: tuple[Traffic, ...]

    def environment(self, name: str) -> Environment:
        for env in self.environments:
            if env.name == name:
                return env
        known = ", ".join(e.name for e in self.environments)
        raise TopologyError(f"no environment {name!r} in the topology (known: {known})")

    def workload(self, workload_id: str) -> Workload | None:
        for workload in self.workloads:
            if workload.id == workload_id:
                return workload
        return None


# --- strict field access ---------------------------------------------------------------------------

def _map(value: object, path: str, allowed: Sequence[str]) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise TopologyError(f"{path}: expected a mapping")
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        raise TopologyError(f"{path}.{unknown[0]}: unknown key (allowed: {', '.join(allowed)})")
    return value


def _seq(value: object, path: str) -> Sequence[object]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise TopologyError(f"{path}: expected a list")
    return value


def _str(value: object, path: str, default: str | None = None) -> str:
    if value is None and default is not None:
        return default
    if not isinstance(value, str) or not value:
        raise TopologyError(f"{path}: expected a non-empty string")
    return value


def _int(value: object, path: str, default: int | None = None, minimum: int = 0) -> int:
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise TopologyError(f"{path}: expected an integer >= {minimum}")
    return value


def _float(value: object, path: str, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise TopologyError(f"{path}: expected a non-negative number")
    return float(value)


def _labels(value: object, path: str) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TopologyError(f"{path}: expected a mapping of label strings")
    out: dict[str, str] = {}
    for key, text in value.items():
        if not isinstance(key, str) or not isinstance(text, str):
            raise TopologyError(f"{path}.{key}: label keys and values must be strings (quote numbers)")
        out[key] = text
    return out


def _net(value: object, path: str) -> ipaddress.IPv4Network:
    try:
        return ipaddress.IPv4Network(_str(value, path))
    except ValueError as error:
        raise TopologyError(f"{path}: {error}") from None


def _time(value: object, path: str) -> datetime:
    text = _str(value, path)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise TopologyError(f"{path}: expected an ISO 8601 UTC time such as 2026-11-18T00:00:00Z") from None
    if moment.tzinfo is None:
        raise TopologyError(f"{path}: the time needs a zone (end it with Z)")
    return moment.astimezone(UTC)


def _strings(value: object, path: str) -> tuple[str, ...]:
    return tuple(_str(item, f"{path}[{i}]") for i, item in enumerate(_seq(value, path)))


def _ints(value: object, path: str) -> tuple[int, ...]:
    return tuple(_int(item, f"{path}[{i}]") for i, item in enumerate(_seq(value, path)))


def _protocol(value: object, path: str) -> str:
    text = _str(value, path, "TCP")
    if text not in ("TCP", "UDP"):
        raise TopologyError(f"{path}: protocol must be TCP or UDP")
    return text


# --- sections --------------------------------------------------------------------------------------

def _environment(value: object, path: str) -> Environment:
    m = _map(value, path, ("name", "cluster", "vpcCidr", "subnets", "nodes", "replicas", "trafficScale",
                           "otherEnvironmentCidrs", "partnerApiCidr", "stagedPolicies"))
    subnets = _map(m.get("subnets"), f"{path}.subnets", tuple(str(k) for k in _labels(m.get("subnets"), f"{path}.subnets")))
    if not subnets:
        raise TopologyError(f"{path}.subnets: at least one zone is needed")
    return Environment(
        name=_str(m.get("name"), f"{path}.name"),
        cluster=_str(m.get("cluster"), f"{path}.cluster"),
        vpc_cidr=_net(m.get("vpcCidr"), f"{path}.vpcCidr"),
        subnets=tuple((str(zone), _net(net, f"{path}.subnets.{zone}")) for zone, net in subnets.items()),
        nodes=_int(m.get("nodes"), f"{path}.nodes", minimum=1),
        replicas=_int(m.get("replicas"), f"{path}.replicas", 1, minimum=1),
        traffic_scale=_float(m.get("trafficScale"), f"{path}.trafficScale", 1.0),
        other_environment_cidrs=tuple(_net(v, f"{path}.otherEnvironmentCidrs[{i}]")
                                      for i, v in enumerate(_seq(m.get("otherEnvironmentCidrs"), f"{path}.otherEnvironmentCidrs"))),
        partner_api_cidr=_net(m.get("partnerApiCidr"), f"{path}.partnerApiCidr"),
        staged_policies=_strings(m.get("stagedPolicies"), f"{path}.stagedPolicies"),
    )


def _port(value: object, path: str) -> PortSpec:
    m = _map(value, path, ("name", "port", "protocol"))
    return PortSpec(_str(m.get("name"), f"{path}.name"), _int(m.get("port"), f"{path}.port", minimum=1),
                    _protocol(m.get("protocol"), f"{path}.protocol"))


def _service(value: object, path: str) -> ServiceSpec | None:
    if value is None:
        return None
    m = _map(value, path, ("name", "type", "clusterIP", "ports"))
    ports = []
    for i, item in enumerate(_seq(m.get("ports"), f"{path}.ports")):
        p = _map(item, f"{path}.ports[{i}]", ("name", "port", "protocol", "targetPort"))
        ports.append(ServicePortSpec(_str(p.get("name"), f"{path}.ports[{i}].name"),
                                     _int(p.get("port"), f"{path}.ports[{i}].port", minimum=1),
                                     _protocol(p.get("protocol"), f"{path}.ports[{i}].protocol"),
                                     _int(p.get("targetPort"), f"{path}.ports[{i}].targetPort", minimum=1)))
    return ServiceSpec(_str(m.get("name"), f"{path}.name"), tuple(ports), _str(m.get("type"), f"{path}.type", "ClusterIP"),
                       str(m.get("clusterIP") or ""))


def _workload(value: object, path: str) -> Workload:
    m = _map(value, path, ("id", "name", "kind", "labels", "serviceAccount", "image", "ports", "replicas",
                           "service", "probe", "scrape", "dns", "rollout", "schedule", "envs"))
    workload_id = _str(m.get("id"), f"{path}.id")
    namespace, slash, default_name = workload_id.partition("/")
    if not slash or not namespace or not default_name:
        raise TopologyError(f"{path}.id: expected <namespace>/<name>")
    kind = _str(m.get("kind"), f"{path}.kind")
    if kind not in ("Deployment", "StatefulSet", "CronJob", "Pod"):
        raise TopologyError(f"{path}.kind: expected Deployment, StatefulSet, CronJob or Pod")
    replicas_map = m.get("replicas")
    replicas = {str(k): _int(v, f"{path}.replicas.{k}", minimum=1)
                for k, v in (replicas_map.items() if isinstance(replicas_map, Mapping) else ())}
    schedule = None
    if m.get("schedule") is not None:
        s = _map(m.get("schedule"), f"{path}.schedule", ("hour", "minute", "minutes"))
        schedule = Schedule(_int(s.get("hour"), f"{path}.schedule.hour"), _int(s.get("minute"), f"{path}.schedule.minute"),
                            _int(s.get("minutes"), f"{path}.schedule.minutes", minimum=1))
    if kind == "CronJob" and schedule is None:
        raise TopologyError(f"{path}.schedule: a CronJob needs a schedule")
    dns = m.get("dns", True)
    if not isinstance(dns, bool):
        raise TopologyError(f"{path}.dns: expected true or false")
    return Workload(
        key=workload_id, namespace=namespace, name=str(m.get("name") or default_name), kind=kind,
        labels=_labels(m.get("labels"), f"{path}.labels"),
        service_account=_str(m.get("serviceAccount"), f"{path}.serviceAccount", "default"),
        image=_str(m.get("image"), f"{path}.image"),
        ports=tuple(_port(p, f"{path}.ports[{i}]") for i, p in enumerate(_seq(m.get("ports"), f"{path}.ports"))),
        replicas=replicas, service=_service(m.get("service"), f"{path}.service"),
        probe=None if m.get("probe") is None else _port({"protocol": "TCP", **dict(_map(m.get("probe"), f"{path}.probe", ("port", "name")))}, f"{path}.probe"),
        scrape=str(m.get("scrape") or ""), dns=dns,
        rollout=None if m.get("rollout") is None else _time(m.get("rollout"), f"{path}.rollout"),
        schedule=schedule, envs=_strings(m.get("envs"), f"{path}.envs"),
    )


_TRAFFIC_KEYS = ("from", "to", "port", "protocol", "rate", "pooled", "request", "response", "pattern",
                 "service", "domains", "envs", "days", "hours")


def _traffic(value: object, path: str, attempt: bool) -> Traffic:
    m = _map(value, path, _TRAFFIC_KEYS)
    pattern = _str(m.get("pattern"), f"{path}.pattern", "diurnal")
    if pattern not in ("diurnal", "flat", "job"):
        raise TopologyError(f"{path}.pattern: expected diurnal, flat or job")
    pooled = _int(m.get("pooled"), f"{path}.pooled", 0)
    rate = _float(m.get("rate"), f"{path}.rate", 0.0)
    if pooled == 0 and rate == 0:
        raise TopologyError(f"{path}: give a `rate` (connections per hour) or a `pooled` connection count")
    return Traffic(
        source=_str(m.get("from"), f"{path}.from"), dest=_str(m.get("to"), f"{path}.to"),
        port=_int(m.get("port"), f"{path}.port", minimum=1), protocol=_protocol(m.get("protocol"), f"{path}.protocol"),
        rate=rate, pooled=pooled, request=_int(m.get("request"), f"{path}.request", 400),
        response=_int(m.get("response"), f"{path}.response", 0), pattern=pattern,
        service=str(m.get("service") or ""), domains=_strings(m.get("domains"), f"{path}.domains"),
        envs=_strings(m.get("envs"), f"{path}.envs"), days=_ints(m.get("days"), f"{path}.days"),
        hours=_ints(m.get("hours"), f"{path}.hours"), attempt=attempt,
    )


def parse_topology(data: object) -> Topology:
    root = _map(data, "topology", ("recording", "environments", "namespaces", "workloads", "edges", "external", "attempts"))
    rec = _map(root.get("recording"), "recording", ("start", "days", "windowSeconds"))
    namespaces = []
    for i, item in enumerate(_seq(root.get("namespaces"), "namespaces")):
        n = _map(item, f"namespaces[{i}]", ("name", "labels"))
        namespaces.append(Namespace(_str(n.get("name"), f"namespaces[{i}].name"), _labels(n.get("labels"), f"namespaces[{i}].labels")))
    workloads = tuple(_workload(w, f"workloads[{i}]") for i, w in enumerate(_seq(root.get("workloads"), "workloads")))
    traffic = tuple(
        _traffic(t, f"{section}[{i}]", section == "attempts")
        for section in ("edges", "external", "attempts")
        for i, t in enumerate(_seq(root.get(section), section)))
    topology = Topology(
        start=_time(rec.get("start"), "recording.start"),
        days=_int(rec.get("days"), "recording.days", minimum=1),
        window_seconds=_int(rec.get("windowSeconds"), "recording.windowSeconds", 300, minimum=60),
        environments=tuple(_environment(e, f"environments[{i}]") for i, e in enumerate(_seq(root.get("environments"), "environments"))),
        namespaces=tuple(namespaces), workloads=workloads, traffic=traffic)
    _check_references(topology)
    return topology


def _check_references(topology: Topology) -> None:
    names = {n.name for n in topology.namespaces}
    ids = {w.id for w in topology.workloads}
    for workload in topology.workloads:
        if workload.namespace not in names:
            raise TopologyError(f"workload {workload.id}: namespace {workload.namespace!r} is not listed under namespaces")
    for item in topology.traffic:
        for end in (item.source, item.dest):
            if "/" in end and end not in ids:
                raise TopologyError(f"traffic {item.source} -> {item.dest}: no workload {end!r}")


def load_topology(path: Path) -> Topology:
    """Read and check the topology file; raises TopologyError (or OSError) with a clear message."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise TopologyError(f"{path}: not valid YAML: {error}") from None
    try:
        return parse_topology(data)
    except TopologyError as error:
        raise TopologyError(f"{path}: {error}") from None
