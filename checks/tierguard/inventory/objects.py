"""Per-kind readers: Pod, NetworkSet/GlobalNetworkSet, HostEndpoint, Service, EndpointSlice, Node."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tierguard.diagnostics import Severity
from tierguard.inventory import codes
from tierguard.inventory.labels import (
    host_endpoint_labels,
    network_set_labels,
    pod_effective_labels,
    pod_profiles,
)
from tierguard.inventory.model import (
    Endpoint,
    EndpointKind,
    HostNetworkPod,
    IPAddress,
    IPNetwork,
    NamedPort,
    Namespace,
    Node,
    Service,
    ServiceAccount,
    ServicePort,
)
from tierguard.inventory.plain import (
    Context,
    Item,
    as_mapping,
    as_sequence,
    labels_of,
    name_of,
    namespace_of,
    read_ip,
    read_net,
    read_port,
    read_protocol,
)

FINISHED_PHASES = frozenset({"Succeeded", "Failed"})


# --- pods -------------------------------------------------------------------------------------


def _pod_ips(item: Item, ctx: Context) -> tuple[IPAddress, ...]:
    status = as_mapping(item.obj.get("status"))
    if status.get("phase") in FINISHED_PHASES:
        return ()  # finished pods own no IP (§1.8); their IP may already be reused
    texts: list[object] = [as_mapping(entry).get("ip") for entry in as_sequence(status.get("podIPs"))]
    if not texts and status.get("podIP"):
        texts = [status.get("podIP")]
    ips: list[IPAddress] = []
    for index, text in enumerate(texts):
        ip = read_ip(text, ctx, item, f"status.podIPs[{index}].ip")
        if ip is not None and ip not in ips:
            ips.append(ip)
    return tuple(ips)


def _container_ports(item: Item, ctx: Context) -> tuple[NamedPort, ...]:
    spec = as_mapping(item.obj.get("spec"))
    ports: list[NamedPort] = []
    for group in ("initContainers", "containers"):
        for c_index, container in enumerate(as_sequence(spec.get(group))):
            for p_index, port in enumerate(as_sequence(as_mapping(container).get("ports"))):
                port_map = as_mapping(port)
                name = port_map.get("name")
                if not isinstance(name, str) or not name:
                    continue  # only named ports matter to Calico (named-port matching, §1.11)
                path = f"spec.{group}[{c_index}].ports[{p_index}]"
                number = read_port(port_map.get("containerPort"), ctx, item, path + ".containerPort")
                protocol = read_protocol(port_map.get("protocol"), ctx, item, path + ".protocol")
                if number is not None and protocol is not None:
                    ports.append(NamedPort(name, number, protocol))
    return tuple(sorted(set(ports), key=lambda p: (p.name, p.protocol, p.port)))


def _aggregate_name(obj: Mapping[str, object]) -> str:
    """Calico flow logs aggregate pods of one controller as generateName + '*'; a bare pod as its name."""
    generate = as_mapping(obj.get("metadata")).get("generateName")
    return f"{generate}*" if isinstance(generate, str) and generate else name_of(obj)


@dataclass(frozen=True, slots=True)
class Directory:
    namespaces: Mapping[str, Namespace]
    service_accounts: Mapping[tuple[str, str], ServiceAccount]


def pod_endpoint(item: Item, directory: Directory, ctx: Context) -> Endpoint | HostNetworkPod:
    obj = item.obj
    namespace = namespace_of(obj) or "default"
    spec = as_mapping(obj.get("spec"))
    own = labels_of(as_mapping(obj.get("metadata")).get("labels"))
    node = spec.get("nodeName")
    if spec.get("hostNetwork") is True:
        return HostNetworkPod(name_of(obj), namespace, node if isinstance(node, str) else "",
                              _pod_ips(item, ctx), own)
    sa_value = spec.get("serviceAccountName") or spec.get("serviceAccount") or ""
    service_account = sa_value if isinstance(sa_value, str) else ""
    ns_obj = directory.namespaces.get(namespace)
    if ns_obj is None:
        ctx.report(codes.INVENTORY_UNKNOWN_NAMESPACE, Severity.WARNING,
                   f"pod's namespace {namespace!r} is not in the inventory; pcns.* labels assume no "
                   "namespace labels", item, "metadata.namespace")
    sa_obj = directory.service_accounts.get((namespace, service_account))
    if service_account and sa_obj is None:
        ctx.report(codes.INVENTORY_UNKNOWN_SERVICE_ACCOUNT, Severity.NOTE,
                   f"pod's ServiceAccount {namespace}/{service_account} is not in the inventory; "
                   "pcsa.* labels assume no ServiceAccount labels", item, "spec.serviceAccountName")
    labels = pod_effective_labels(own, namespace, ns_obj.labels if ns_obj else {},
                                  service_account, sa_obj.labels if sa_obj else {})
    return Endpoint(
        kind=EndpointKind.WORKLOAD, name=name_of(obj), namespace=namespace, labels=labels,
        ips=_pod_ips(item, ctx), ports=_container_ports(item, ctx),
        profiles=pod_profiles(namespace, service_account), service_account=service_account,
        node=node if isinstance(node, str) else "", workload=_aggregate_name(obj))


# --- Calico objects ---------------------------------------------------------------------------


def _nets(item: Item, ctx: Context) -> tuple[IPNetwork, ...]:
    nets: list[IPNetwork] = []
    for index, text in enumerate(as_sequence(as_mapping(item.obj.get("spec")).get("nets"))):
        net = read_net(text, ctx, item, f"spec.nets[{index}]")
        if net is not None:
            nets.append(net)
    return tuple(nets)


def network_set_endpoint(item: Item, directory: Directory, ctx: Context, enterprise_labels: bool) -> Endpoint:
    own = labels_of(as_mapping(item.obj.get("metadata")).get("labels"))
    name = name_of(item.obj)
    if item.kind == "GlobalNetworkSet":
        labels = network_set_labels(own, name, "", {}, global_set=True, enterprise_labels=enterprise_labels)
        return Endpoint(EndpointKind.GLOBAL_NETWORK_SET, name, "", labels, nets=_nets(item, ctx))
    namespace = namespace_of(item.obj) or "default"
    ns_obj = directory.namespaces.get(namespace)
    if ns_obj is None:
        ctx.report(codes.INVENTORY_UNKNOWN_NAMESPACE, Severity.WARNING,
                   f"NetworkSet's namespace {namespace!r} is not in the inventory", item, "metadata.namespace")
    labels = network_set_labels(own, name, namespace, ns_obj.labels if ns_obj else {}, global_set=False,
                                enterprise_labels=enterprise_labels)
    return Endpoint(EndpointKind.NETWORK_SET, name, namespace, labels, nets=_nets(item, ctx),
                    profiles=(f"kns.{namespace}",))


def host_endpoint(item: Item, ctx: Context) -> Endpoint:
    spec = as_mapping(item.obj.get("spec"))
    ips = [read_ip(text, ctx, item, f"spec.expectedIPs[{i}]") for i, text in enumerate(as_sequence(spec.get("expectedIPs")))]
    ports: list[NamedPort] = []
    for index, port in enumerate(as_sequence(spec.get("ports"))):
        port_map = as_mapping(port)
        path = f"spec.ports[{index}]"
        number = read_port(port_map.get("port"), ctx, item, path + ".port")
        protocol = read_protocol(port_map.get("protocol"), ctx, item, path + ".protocol")
        name = port_map.get("name")
        if number is not None and protocol is not None and isinstance(name, str):
            ports.append(NamedPort(name, number, protocol))
    node = spec.get("node")
    profiles = tuple(str(p) for p in as_sequence(spec.get("profiles")))
    return Endpoint(EndpointKind.HOST, name_of(item.obj), "",
                    host_endpoint_labels(labels_of(as_mapping(item.obj.get("metadata")).get("labels"))),
                    ips=tuple(ip for ip in ips if ip is not None), ports=tuple(ports), profiles=profiles,
                    node=node if isinstance(node, str) else "")


# --- services, slices, nodes ------------------------------------------------------------------


def service_of(item: Item, ctx: Context) -> Service:
    spec = as_mapping(item.obj.get("spec"))
    texts = list(as_sequence(spec.get("clusterIPs"))) or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    cluster_ips: list[IPAddress] = []
    for index, text in enumerate(texts):
        if text in ("None", ""):
            continue  # headless Service
        ip = read_ip(text, ctx, item, f"spec.clusterIPs[{index}]")
        if ip is not None:
            cluster_ips.append(ip)
    ports: list[ServicePort] = []
    for index, port in enumerate(as_sequence(spec.get("ports"))):
        port_map = as_mapping(port)
        path = f"spec.ports[{index}]"
        number = read_port(port_map.get("port"), ctx, item, path + ".port")
        protocol = read_protocol(port_map.get("protocol"), ctx, item, path + ".protocol")
        target = port_map.get("targetPort", number)
        name = port_map.get("name")
        if number is None or protocol is None:
            continue
        if isinstance(target, str) and not target.isdigit():
            ports.append(ServicePort(name if isinstance(name, str) else "", number, 0, protocol, target))
        else:
            target_number = int(target) if isinstance(target, (int, str)) and not isinstance(target, bool) else number
            ports.append(ServicePort(name if isinstance(name, str) else "", number, target_number, protocol))
    return Service(name_of(item.obj), namespace_of(item.obj) or "default", tuple(cluster_ips), tuple(ports))


def slice_backends(item: Item, ctx: Context) -> tuple[str, tuple[tuple[IPAddress, str, int, int], ...]]:
    """(service name, backends) of one EndpointSlice; every address × every port."""
    service_name = labels_of(as_mapping(item.obj.get("metadata")).get("labels")).get("kubernetes.io/service-name", "")
    ports: list[tuple[str, int, int]] = []
    for index, port in enumerate(as_sequence(item.obj.get("ports"))):
        port_map = as_mapping(port)
        path = f"ports[{index}]"
        number = read_port(port_map.get("port"), ctx, item, path + ".port")
        protocol = read_protocol(port_map.get("protocol"), ctx, item, path + ".protocol")
        name = port_map.get("name")
        if number is not None and protocol is not None:
            ports.append((name if isinstance(name, str) else "", number, protocol))
    backends: list[tuple[IPAddress, str, int, int]] = []
    for e_index, endpoint in enumerate(as_sequence(item.obj.get("endpoints"))):
        for a_index, text in enumerate(as_sequence(as_mapping(endpoint).get("addresses"))):
            ip = read_ip(text, ctx, item, f"endpoints[{e_index}].addresses[{a_index}]")
            if ip is not None:
                backends.extend((ip, name, number, protocol) for name, number, protocol in ports)
    return service_name, tuple(backends)


def node_of(item: Item, ctx: Context) -> Node:
    addresses: list[IPAddress] = []
    for index, entry in enumerate(as_sequence(as_mapping(item.obj.get("status")).get("addresses"))):
        entry_map = as_mapping(entry)
        if entry_map.get("type") not in ("InternalIP", "ExternalIP"):
            continue  # Hostname / InternalDNS entries are names, not IPs
        ip = read_ip(entry_map.get("address"), ctx, item, f"status.addresses[{index}].address")
        if ip is not None and ip not in addresses:
            addresses.append(ip)
    return Node(name_of(item.obj), tuple(addresses), labels_of(as_mapping(item.obj.get("metadata")).get("labels")))
