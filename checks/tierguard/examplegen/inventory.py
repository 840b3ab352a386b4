"""The snapshot `kubectl get namespaces,pods,serviceaccounts,services,endpointslices,nodes -A -o yaml`
would print at the end of the recording, as a Kubernetes `List`.

kubectl lists the kinds in the order asked for, each sorted by namespace and name. Objects carry
the metadata a real cluster fills in (uid, resourceVersion, creationTimestamp, ownerReferences,
generateName), so tools that read real snapshots read this one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from tierguard.examplegen import names
from tierguard.examplegen.topology import Workload
from tierguard.examplegen.world import KUBERNETES_SERVICE_IP, HostPod, Pod, World, cluster_created

Obj = dict[str, Any]


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class _Versions:
    """Monotonic resourceVersions, as etcd hands them out."""

    def __init__(self, seed: int, env: str) -> None:
        self._next = 4_000_000 + int.from_bytes(names.digest(seed, env, "rv")[:2], "big") * 10

    def take(self) -> str:
        self._next += 17
        return str(self._next)


def _meta(world: World, versions: _Versions, kind: str, name: str, namespace: str | None, created: datetime,
          labels: Mapping[str, str] | None = None, **extra: Any) -> Obj:
    meta: Obj = {}
    if extra.get("annotations"):
        meta["annotations"] = dict(extra["annotations"])
    meta["creationTimestamp"] = _ts(created)
    if extra.get("generateName"):
        meta["generateName"] = extra["generateName"]
    if labels:
        meta["labels"] = dict(sorted(labels.items()))
    meta["name"] = name
    if namespace is not None:
        meta["namespace"] = namespace
    if extra.get("ownerReferences"):
        meta["ownerReferences"] = extra["ownerReferences"]
    meta["resourceVersion"] = versions.take()
    meta["uid"] = names.uid(world.seed, world.env.name, kind, namespace or "", name)
    return meta


def _namespaces(world: World, versions: _Versions) -> list[Obj]:
    created = cluster_created()
    out = []
    for namespace in sorted(world.topology.namespaces, key=lambda n: n.name):
        labels = {"kubernetes.io/metadata.name": namespace.name, **namespace.labels}
        out.append({"apiVersion": "v1", "kind": "Namespace",
                    "metadata": _meta(world, versions, "Namespace", namespace.name, None, created, labels),
                    "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": "Active"}})
    return out


def _container_ports(workload: Workload) -> list[Obj]:
    return [{"containerPort": p.port, "name": p.name, "protocol": p.protocol} for p in workload.ports]


def _probe(workload: Workload) -> Obj:
    assert workload.probe is not None
    return {"failureThreshold": 3, "periodSeconds": 10, "successThreshold": 1, "timeoutSeconds": 1,
            "tcpSocket": {"port": workload.probe.port}}


def _pod(world: World, versions: _Versions, pod: Pod, moment: datetime) -> Obj:
    workload = pod.workload
    owner = []
    if pod.owner_kind:
        api = "batch/v1" if pod.owner_kind == "Job" else "apps/v1"
        owner = [{"apiVersion": api, "blockOwnerDeletion": True, "controller": True, "kind": pod.owner_kind,
                  "name": pod.owner_name, "uid": names.uid(world.seed, world.env.name, pod.owner_kind, pod.owner_name)}]
    container: Obj = {"image": workload.image, "imagePullPolicy": "IfNotPresent",
                      "name": workload.name.split("-")[0] if workload.kind == "Pod" else workload.name}
    if workload.ports:
        container["ports"] = _container_ports(workload)
    if workload.probe is not None:
        container["livenessProbe"] = _probe(workload)
        container["readinessProbe"] = _probe(workload)
    container["resources"] = {"requests": {"cpu": "100m", "memory": "128Mi"}}
    spec: Obj = {"containers": [container], "dnsPolicy": "ClusterFirst", "enableServiceLinks": True,
                 "nodeName": pod.node.name, "preemptionPolicy": "PreemptLowerPriority", "priority": 0,
                 "restartPolicy": "Never" if workload.kind == "CronJob" else "Always",
                 "schedulerName": "default-scheduler", "securityContext": {},
                 "serviceAccount": workload.service_account, "serviceAccountName": workload.service_account,
                 "terminationGracePeriodSeconds": 30}
    finished = pod.end is not None and pod.end <= moment
    status: Obj = {
        "conditions": [{"lastTransitionTime": _ts(pod.start + timedelta(seconds=s)), "status": "False" if finished and t == "Ready" else "True",
                        "type": t} for s, t in ((0, "PodScheduled"), (2, "Initialized"), (9, "ContainersReady"), (9, "Ready"))],
        "hostIP": str(pod.node.ip), "hostIPs": [{"ip": str(pod.node.ip)}],
        "phase": "Succeeded" if finished else "Running",
        "podIP": str(pod.ip), "podIPs": [{"ip": str(pod.ip)}],
        "qosClass": "Burstable", "startTime": _ts(pod.start),
    }
    meta = _meta(world, versions, "Pod", pod.name, workload.namespace, pod.start, pod.labels,
                 generateName=pod.generate_name, ownerReferences=owner)
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def _host_pod(world: World, versions: _Versions, pod: HostPod) -> Obj:
    owner = [{"apiVersion": "apps/v1", "blockOwnerDeletion": True, "controller": True, "kind": "DaemonSet",
              "name": pod.daemonset, "uid": names.uid(world.seed, world.env.name, "DaemonSet", pod.daemonset)}]
    meta = _meta(world, versions, "Pod", pod.name, pod.namespace, pod.node.created + timedelta(seconds=40), pod.labels,
                 generateName=f"{pod.daemonset}-", ownerReferences=owner)
    spec: Obj = {"containers": [{"image": pod.image, "name": pod.daemonset}], "hostNetwork": True,
                 "nodeName": pod.node.name, "priorityClassName": "system-node-critical",
                 "serviceAccount": pod.service_account, "serviceAccountName": pod.service_account}
    status: Obj = {"hostIP": str(pod.node.ip), "hostIPs": [{"ip": str(pod.node.ip)}], "phase": "Running",
                   "podIP": str(pod.node.ip), "podIPs": [{"ip": str(pod.node.ip)}], "qosClass": "Burstable",
                   "startTime": _ts(pod.node.created + timedelta(seconds=40))}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec, "status": status}


def _snapshot_pods(world: World) -> list[Pod]:
    moment = world.end
    running = [p for p in world.pods if p.running(moment)]
    # A CronJob keeps its last three successful Jobs (successfulJobsHistoryLimit: 3).
    finished: dict[str, list[Pod]] = {}
    for pod in world.pods:
        if pod.workload.kind == "CronJob" and pod.end is not None and pod.end <= moment:
            finished.setdefault(pod.workload.key, []).append(pod)
    for pods in finished.values():
        running += sorted(pods, key=lambda p: p.start)[-3:]
    return running


def _service_accounts(world: World, versions: _Versions) -> list[Obj]:
    accounts: dict[tuple[str, str], Mapping[str, str]] = {(n.name, "default"): {} for n in world.topology.namespaces}
    for workload in world.workloads():
        part_of = workload.labels.get("app.kubernetes.io/part-of")
        accounts[(workload.namespace, workload.service_account)] = {"app.kubernetes.io/part-of": part_of} if part_of else {}
    for pod in world.host_pods:
        accounts[(pod.namespace, pod.service_account)] = {}
    out = []
    for (namespace, name), labels in sorted(accounts.items()):
        annotations = {}
        if namespace == "ledger" and name == "ledger-backup":
            annotations = {"eks.amazonaws.com/role-arn": f"arn:aws:iam::111122223333:role/{world.env.cluster}-ledger-backup"}
        if namespace == "kube-system" and name == "ebs-csi-controller-sa":
            annotations = {"eks.amazonaws.com/role-arn": f"arn:aws:iam::111122223333:role/{world.env.cluster}-ebs-csi"}
        meta = _meta(world, versions, "ServiceAccount", name, namespace, cluster_created() + timedelta(hours=2), labels,
                     annotations=annotations)
        out.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta})
    return out


def _services(world: World, versions: _Versions) -> list[Obj]:
    out: list[Obj] = []
    kubernetes = {"apiVersion": "v1", "kind": "Service",
                  "metadata": _meta(world, versions, "Service", "kubernetes", "default", cluster_created(),
                                    {"component": "apiserver", "provider": "kubernetes"}),
                  "spec": {"clusterIP": str(KUBERNETES_SERVICE_IP), "clusterIPs": [str(KUBERNETES_SERVICE_IP)],
                           "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                           "ports": [{"name": "https", "port": 443, "protocol": "TCP", "targetPort": 443}],
                           "sessionAffinity": "None", "type": "ClusterIP"},
                  "status": {"loadBalancer": {}}}
    out.append(kubernetes)
    for workload in world.workloads():
        if workload.service is None:
            continue
        ip = str(world.service_ips[workload.key])
        spec: Obj = {"clusterIP": ip, "clusterIPs": [ip], "internalTrafficPolicy": "Cluster", "ipFamilies": ["IPv4"],
                     "ipFamilyPolicy": "SingleStack",
                     "ports": [{"name": p.name, "port": p.port, "protocol": p.protocol, "targetPort": p.target_port}
                               for p in workload.service.ports],
                     "selector": dict(sorted(workload.labels.items())) if workload.kind != "StatefulSet" else
                     {"app.kubernetes.io/name": workload.labels.get("app.kubernetes.io/name", workload.name)},
                     "sessionAffinity": "None", "type": workload.service.type}
        status: Obj = {"loadBalancer": {}}
        if workload.service.type == "LoadBalancer":
            spec["externalTrafficPolicy"] = "Local"
            hostname = f"k8s-ingressn-ingressn-{names.digest(world.env.name, 'nlb').hex()[:10]}.elb.eu-west-1.amazonaws.com"
            status = {"loadBalancer": {"ingress": [{"hostname": hostname}]}}
        meta = _meta(world, versions, "Service", workload.service.name, workload.namespace,
                     cluster_created() + timedelta(days=3), {k: v for k, v in workload.labels.items() if "hash" not in k})
        out.append({"apiVersion": "v1", "kind": "Service", "metadata": meta, "spec": spec, "status": status})
    return sorted(out, key=lambda o: (o["metadata"]["namespace"], o["metadata"]["name"]))


def _endpoint_slices(world: World, versions: _Versions, pods: Iterable[Pod]) -> list[Obj]:
    out: list[Obj] = []
    running = [p for p in pods if p.running(world.end)]
    api = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice", "addressType": "IPv4",
           "endpoints": [{"addresses": [str(ip)], "conditions": {"ready": True}} for ip in world.api_server_ips],
           "metadata": _meta(world, versions, "EndpointSlice", "kubernetes", "default", cluster_created(),
                             {"kubernetes.io/service-name": "kubernetes"}),
           "ports": [{"name": "https", "port": 443, "protocol": "TCP"}]}
    out.append(api)
    for workload in world.workloads():
        if workload.service is None:
            continue
        backends = sorted((p for p in running if p.workload.key == workload.key), key=lambda p: p.name)
        endpoints = [{"addresses": [str(p.ip)], "conditions": {"ready": True, "serving": True, "terminating": False},
                      "nodeName": p.node.name, "targetRef": {"kind": "Pod", "name": p.name, "namespace": p.workload.namespace,
                                                             "uid": names.uid(world.seed, world.env.name, "Pod", p.workload.namespace, p.name)},
                      "zone": p.node.zone} for p in backends]
        name = f"{workload.service.name}-{names.k8s_suffix(5, world.seed, world.env.name, 'slice', workload.key)}"
        labels = {"endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
                  "kubernetes.io/service-name": workload.service.name}
        owner = [{"apiVersion": "v1", "blockOwnerDeletion": True, "controller": True, "kind": "Service",
                  "name": workload.service.name, "uid": names.uid(world.seed, world.env.name, "Service", workload.namespace, workload.service.name)}]
        meta = _meta(world, versions, "EndpointSlice", name, workload.namespace, cluster_created() + timedelta(days=3), labels,
                     generateName=f"{workload.service.name}-", ownerReferences=owner)
        out.append({"addressType": "IPv4", "apiVersion": "discovery.k8s.io/v1", "endpoints": endpoints,
                    "kind": "EndpointSlice", "metadata": meta,
                    "ports": [{"name": p.name, "port": p.target_port, "protocol": p.protocol} for p in workload.service.ports]})
    return sorted(out, key=lambda o: (o["metadata"]["namespace"], o["metadata"]["name"]))


def _nodes(world: World, versions: _Versions) -> list[Obj]:
    out = []
    for node in world.nodes:
        labels = {"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/instance-type": "m6i.xlarge",
                  "beta.kubernetes.io/os": "linux", "eks.amazonaws.com/capacityType": "ON_DEMAND",
                  "eks.amazonaws.com/nodegroup": f"{world.env.name}-general", "kubernetes.io/arch": "amd64",
                  "kubernetes.io/hostname": node.name, "kubernetes.io/os": "linux",
                  "node.kubernetes.io/instance-type": "m6i.xlarge", "topology.kubernetes.io/region": "eu-west-1",
                  "topology.kubernetes.io/zone": node.zone}
        meta = _meta(world, versions, "Node", node.name, None, node.created, labels,
                     annotations={"alpha.kubernetes.io/provided-node-ip": str(node.ip),
                                  "node.alpha.kubernetes.io/ttl": "0"})
        out.append({"apiVersion": "v1", "kind": "Node", "metadata": meta,
                    "spec": {"providerID": f"aws:///{node.zone}/{node.instance_id}"},
                    "status": {"addresses": [{"address": str(node.ip), "type": "InternalIP"},
                                             {"address": node.name, "type": "InternalDNS"},
                                             {"address": node.name, "type": "Hostname"}],
                               "nodeInfo": {"architecture": "amd64", "containerRuntimeVersion": "containerd://1.7.23",
                                            "kubeletVersion": "v1.32.0-eks-aeac579", "operatingSystem": "linux",
                                            "osImage": "Amazon Linux 2023.6.20241121"}}})
    return out


def snapshot(world: World) -> Obj:
    """The Kubernetes List object for the end of the recording."""
    versions = _Versions(world.seed, world.env.name)
    pods = _snapshot_pods(world)
    pod_objects = [_pod(world, versions, p, world.end) for p in pods]
    pod_objects += [_host_pod(world, versions, p) for p in world.host_pods]
    pod_objects.sort(key=lambda o: (o["metadata"]["namespace"], o["metadata"]["name"]))
    items = (_namespaces(world, versions) + pod_objects + _service_accounts(world, versions)
             + _services(world, versions) + _endpoint_slices(world, versions, pods) + _nodes(world, versions))
    return {"apiVersion": "v1", "items": items, "kind": "List", "metadata": {"resourceVersion": ""}}
