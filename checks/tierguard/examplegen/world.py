"""One environment's cluster over the recording period: nodes, pods (with their revisions), Services.

Pod identities change over time: a Deployment with a `rollout` gets a new ReplicaSet hash (new pod
names, new IPs) at that moment, and a CronJob creates a new Job pod every night. `pods_at` answers
"which pods of this workload were running at time t", which both the flow generator and the
inventory snapshot use.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tierguard.examplegen import names
from tierguard.examplegen.topology import Environment, Topology, Workload

SERVICE_CIDR = ipaddress.IPv4Network("172.20.0.0/16")
KUBERNETES_SERVICE_IP = ipaddress.IPv4Address("172.20.0.1")
_CLUSTER_CREATED = datetime(2026, 6, 2, 8, 14, 31, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Node:
    name: str
    ip: ipaddress.IPv4Address
    zone: str
    instance_id: str
    created: datetime
    flush_offset: int  # seconds: felix's flow-log timer on this node is not aligned to the clock


@dataclass(frozen=True, slots=True)
class Pod:
    workload: Workload
    name: str
    generate_name: str  # "" for a bare pod
    labels: Mapping[str, str]
    ip: ipaddress.IPv4Address
    node: Node
    start: datetime
    end: datetime | None  # None = still running at the snapshot
    owner_kind: str
    owner_name: str
    revision: int

    @property
    def name_aggr(self) -> str:
        """Calico's aggregated name: generateName + '*', or the pod name for a bare pod."""
        return f"{self.generate_name}*" if self.generate_name else self.name

    def running(self, moment: datetime) -> bool:
        return self.start <= moment and (self.end is None or moment < self.end)


@dataclass(frozen=True, slots=True)
class HostPod:
    """A host-networked DaemonSet pod: in the inventory, never a Calico endpoint."""

    name: str
    namespace: str
    daemonset: str
    labels: Mapping[str, str]
    node: Node
    image: str
    service_account: str


@dataclass(frozen=True, slots=True)
class World:
    seed: int
    topology: Topology
    env: Environment
    start: datetime
    end: datetime
    nodes: tuple[Node, ...]
    pods: tuple[Pod, ...]
    host_pods: tuple[HostPod, ...]
    service_ips: Mapping[str, ipaddress.IPv4Address]  # workload key -> ClusterIP
    api_server_ips: tuple[ipaddress.IPv4Address, ...]
    vpc_resolver: ipaddress.IPv4Address
    nlb_ips: tuple[ipaddress.IPv4Address, ...]
    pods_by_workload: Mapping[str, tuple[Pod, ...]]

    def workloads(self) -> tuple[Workload, ...]:
        return tuple(w for w in self.topology.workloads if w.runs_in(self.env.name))

    def pods_at(self, workload_key: str, moment: datetime) -> tuple[Pod, ...]:
        return tuple(p for p in self.pods_by_workload.get(workload_key, ()) if p.running(moment))


def replica_count(workload: Workload, env: Environment) -> int:
    if workload.kind in ("Pod", "CronJob"):
        return 1
    return workload.replicas.get(env.name, workload.replicas.get("default", env.replicas))


def _nodes(seed: int, env: Environment, start: datetime) -> tuple[Node, ...]:
    nodes = []
    for index in range(env.nodes):
        zone, subnet = env.subnets[index % len(env.subnets)]
        ip = names.host_in(subnet, seed, env.name, "node", index)
        created = start - timedelta(days=9 + index, hours=index * 3)
        instance = "i-0" + names.digest(seed, env.name, "instance", index).hex()[:16]
        offset = int.from_bytes(names.digest(seed, env.name, "flush", index)[:2], "big") % 3600
        nodes.append(Node(names.node_name(ip), ip, zone, instance, created, offset))
    return tuple(sorted(nodes, key=lambda n: n.name))


class _IpAllocator:
    """Pod IPs come from the node's subnet (AWS VPC CNI); never reuse one within a run."""

    def __init__(self, seed: int, env: Environment, taken: set[ipaddress.IPv4Address]) -> None:
        self._seed, self._env, self._taken = seed, env, taken

    def allocate(self, node: Node, *key: object) -> ipaddress.IPv4Address:
        subnet = dict(self._env.subnets)[node.zone]
        attempt = 0
        while True:
            ip = names.host_in(subnet, self._seed, self._env.name, "pod", attempt, *key)
            if ip not in self._taken:
                self._taken.add(ip)
                return ip
            attempt += 1


def _pod_labels(workload: Workload, extra: Mapping[str, str]) -> dict[str, str]:
    labels = dict(workload.labels)
    labels.update(extra)
    return labels


def _deployment_pods(world_key: tuple[int, str], workload: Workload, env: Environment, nodes: tuple[Node, ...],
                     ips: _IpAllocator, start: datetime) -> list[Pod]:
    seed, env_name = world_key
    pods: list[Pod] = []
    rollout = workload.rollout if workload.rollout and start <= workload.rollout else None
    revisions = [(0, start - timedelta(days=3, minutes=len(workload.name) * 7), rollout)]
    if rollout is not None:
        revisions.append((1, rollout, None))
    for revision, began, ended in revisions:
        template = names.pod_template_hash(seed, env_name, workload.key, revision)
        replicaset = f"{workload.name}-{template}"
        for replica in range(replica_count(workload, env)):
            suffix = names.k8s_suffix(5, seed, env_name, workload.key, revision, replica)
            node = nodes[int.from_bytes(names.digest(seed, env_name, workload.key, replica)[:2], "big") % len(nodes)]
            pods.append(Pod(workload, f"{replicaset}-{suffix}", f"{replicaset}-",
                            _pod_labels(workload, {"pod-template-hash": template}),
                            ips.allocate(node, workload.key, revision, replica), node,
                            began + timedelta(seconds=replica * 41), ended, "ReplicaSet", replicaset, revision))
    return pods


def _statefulset_pods(world_key: tuple[int, str], workload: Workload, env: Environment, nodes: tuple[Node, ...],
                      ips: _IpAllocator, start: datetime) -> list[Pod]:
    seed, env_name = world_key
    revision_hash = f"{workload.name}-{names.k8s_suffix(10, seed, env_name, workload.key, 'rev')}"
    pods = []
    for ordinal in range(replica_count(workload, env)):
        node = nodes[(ordinal + len(workload.name)) % len(nodes)]
        name = f"{workload.name}-{ordinal}"
        labels = _pod_labels(workload, {"controller-revision-hash": revision_hash,
                                        "statefulset.kubernetes.io/pod-name": name,
                                        "apps.kubernetes.io/pod-index": str(ordinal)})
        pods.append(Pod(workload, name, f"{workload.name}-", labels, ips.allocate(node, workload.key, ordinal), node,
                        start - timedelta(days=12, seconds=ordinal * 95), None, "StatefulSet", workload.name, 0))
    return pods


def _cronjob_pods(world_key: tuple[int, str], workload: Workload, nodes: tuple[Node, ...], ips: _IpAllocator,
                  start: datetime, days: int) -> list[Pod]:
    seed, env_name = world_key
    assert workload.schedule is not None
    pods = []
    for day in range(-1, days):
        scheduled = start + timedelta(days=day, hours=workload.schedule.hour, minutes=workload.schedule.minute)
        job = f"{workload.name}-{int(scheduled.timestamp()) // 60}"
        suffix = names.k8s_suffix(5, seed, env_name, job)
        node = nodes[int.from_bytes(names.digest(seed, env_name, job)[:2], "big") % len(nodes)]
        controller_uid = names.uid(seed, env_name, job)
        labels = _pod_labels(workload, {"batch.kubernetes.io/controller-uid": controller_uid,
                                        "batch.kubernetes.io/job-name": job,
                                        "controller-uid": controller_uid, "job-name": job})
        began = scheduled + timedelta(seconds=4)
        pods.append(Pod(workload, f"{job}-{suffix}", f"{job}-", labels, ips.allocate(node, job), node, began,
                        began + timedelta(minutes=workload.schedule.minutes), "Job", job, day))
    return pods


def _bare_pod(world_key: tuple[int, str], workload: Workload, nodes: tuple[Node, ...], ips: _IpAllocator,
              start: datetime) -> Pod:
    seed, env_name = world_key
    node = nodes[int.from_bytes(names.digest(seed, env_name, workload.key)[:2], "big") % len(nodes)]
    return Pod(workload, workload.name, "", dict(workload.labels), ips.allocate(node, workload.key), node,
               start + timedelta(hours=15, minutes=12), None, "", "", 0)


def _host_pods(seed: int, env: Environment, nodes: tuple[Node, ...]) -> tuple[HostPod, ...]:
    daemonsets = (("kube-system", "aws-node", "aws-node", "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.19.0",
                   {"k8s-app": "aws-node", "app.kubernetes.io/name": "aws-node"}),
                  ("kube-system", "kube-proxy", "kube-proxy", "602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/kube-proxy:v1.32.0-minimal-eksbuild.2",
                   {"k8s-app": "kube-proxy"}),
                  ("calico-system", "calico-node", "calico-node", "quay.io/calico/node:v3.31.2",
                   {"k8s-app": "calico-node", "app.kubernetes.io/name": "calico-node"}))
    pods = []
    for namespace, daemonset, account, image, labels in daemonsets:
        revision = names.k8s_suffix(10, seed, env.name, daemonset, "rev")
        for node in nodes:
            suffix = names.k8s_suffix(5, seed, env.name, daemonset, node.name)
            pods.append(HostPod(f"{daemonset}-{suffix}", namespace, daemonset,
                                {**labels, "controller-revision-hash": revision, "pod-template-generation": "1"},
                                node, image, account))
    return tuple(pods)


def _service_ips(seed: int, env: Environment, workloads: tuple[Workload, ...]) -> dict[str, ipaddress.IPv4Address]:
    taken = {KUBERNETES_SERVICE_IP}
    out: dict[str, ipaddress.IPv4Address] = {}
    for workload in workloads:
        if workload.service is None:
            continue
        if workload.service.cluster_ip:
            ip = ipaddress.IPv4Address(workload.service.cluster_ip)
        else:
            attempt = 0
            while (ip := names.host_in(SERVICE_CIDR, seed, env.name, "svc", workload.key, attempt, low=32)) in taken:
                attempt += 1
        taken.add(ip)
        out[workload.key] = ip
    return out


def build_world(topology: Topology, env_name: str, seed: int, days: int | None = None) -> World:
    """The environment's cluster for a recording of `days` days (default: the topology's)."""
    env = topology.environment(env_name)
    span = topology.days if days is None else days
    start = topology.start
    end = start + timedelta(days=span)
    nodes = _nodes(seed, env, start)
    api_ips = tuple(names.host_in(subnet, seed, env.name, "eks-api", low=4) for _, subnet in env.subnets[:2])
    nlb_ips = tuple(names.host_in(subnet, seed, env.name, "nlb", low=4) for _, subnet in env.subnets)
    taken = {n.ip for n in nodes} | set(api_ips) | set(nlb_ips)
    ips = _IpAllocator(seed, env, taken)
    key = (seed, env.name)
    pods: list[Pod] = []
    workloads = tuple(w for w in topology.workloads if w.runs_in(env.name))
    for workload in workloads:
        if workload.kind == "Deployment":
            pods += _deployment_pods(key, workload, env, nodes, ips, start)
        elif workload.kind == "StatefulSet":
            pods += _statefulset_pods(key, workload, env, nodes, ips, start)
        elif workload.kind == "CronJob":
            pods += _cronjob_pods(key, workload, nodes, ips, start, span)
        else:
            pods.append(_bare_pod(key, workload, nodes, ips, start))
    return World(seed, topology, env, start, end, nodes, tuple(pods), _host_pods(seed, env, nodes),
                 _service_ips(seed, env, workloads), api_ips,
                 env.vpc_cidr.network_address + 2,  # the VPC's Route 53 resolver: base + 2
                 nlb_ips, _by_workload(pods))


def _by_workload(pods: list[Pod]) -> dict[str, tuple[Pod, ...]]:
    grouped: dict[str, list[Pod]] = {}
    for pod in pods:
        grouped.setdefault(pod.workload.key, []).append(pod)
    return {key: tuple(members) for key, members in grouped.items()}


def cluster_created() -> datetime:
    return _CLUSTER_CREATED
