"""Build an `Inventory` from plain Kubernetes/Calico objects (pure; no file I/O).

Input is what `kubectl get namespaces,pods,serviceaccounts,services,endpointslices,nodes -A
-o yaml` prints (a `List`, or the items themselves), optionally with Calico NetworkSet,
GlobalNetworkSet and HostEndpoint objects. Effective labels follow calico-semantics §1.8.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from tierguard.diagnostics import Diagnostic, ResourceRef, Severity, Span
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
    Inventory,
    IPAddress,
    IPNetwork,
    NamedPort,
    Namespace,
    Node,
    Service,
    ServiceAccount,
    ServicePort,
)
from tierguard.model.protocol import PORT_PROTOCOLS, TCP, protocol_number
from tierguard.selector import LabelInterner

FINISHED_PHASES = frozenset({"Succeeded", "Failed"})


@dataclass(frozen=True, slots=True)
class _Item:
    kind: str
    obj: Mapping[str, object]
    span: Span | None


@dataclass(slots=True)
class _Context:
    """Per-build accumulator; lives only for one `build_inventory` call."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def report(self, code: str, severity: Severity, message: str, item: _Item | None,
               field_path: str = "") -> None:
        resource = None
        if item is not None:
            name, namespace = _name(item.obj), _namespace(item.obj)
            resource = ResourceRef(item.kind, name, namespace)
        self.diagnostics.append(Diagnostic(code, severity, message, item.span if item else None,
                                           resource, field_path))


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def _sequence(value: object) -> Sequence[object]:
    return value if isinstance(value, (list, tuple)) else ()


def _labels(value: object) -> dict[str, str]:
    return {str(k): "" if v is None else str(v) for k, v in _mapping(value).items()}


def _name(obj: Mapping[str, object]) -> str:
    name = _mapping(obj.get("metadata")).get("name")
    return name if isinstance(name, str) else ""


def _namespace(obj: Mapping[str, object]) -> str:
    namespace = _mapping(obj.get("metadata")).get("namespace")
    return namespace if isinstance(namespace, str) else ""


def _flatten(objects: Iterable[Mapping[str, object]], spans: Sequence[Span | None] | None,
             ctx: _Context) -> list[_Item]:
    items: list[_Item] = []
    for position, obj in enumerate(objects):
        span = spans[position] if spans is not None and position < len(spans) else None
        _flatten_one(obj, span, ctx, items)
    return items


def _flatten_one(obj: object, span: Span | None, ctx: _Context, out: list[_Item]) -> None:
    if not isinstance(obj, Mapping):
        ctx.diagnostics.append(Diagnostic(codes.INVENTORY_BAD_OBJECT, Severity.ERROR,
                                          "inventory item is not a mapping", span))
        return
    kind = obj.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and "items" in obj:
        for child in _sequence(obj.get("items")):
            _flatten_one(child, span, ctx, out)
        return
    if not isinstance(kind, str) or not kind:
        ctx.diagnostics.append(Diagnostic(codes.INVENTORY_BAD_OBJECT, Severity.ERROR,
                                          "inventory item has no kind", span, field_path="kind"))
        return
    item = _Item(kind, obj, span)
    if not _name(obj):
        ctx.report(codes.INVENTORY_BAD_OBJECT, Severity.ERROR, f"{kind} has no metadata.name", item,
                   "metadata.name")
        return
    out.append(item)


def _ip(text: object, ctx: _Context, item: _Item, path: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(str(text).strip())
    except ValueError:
        ctx.report(codes.INVENTORY_BAD_ADDRESS, Severity.ERROR, f"{path} is not an IP address: {text!r}",
                   item, path)
        return None


def _net(text: object, ctx: _Context, item: _Item, path: str) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(str(text).strip(), strict=False)
    except ValueError:
        ctx.report(codes.INVENTORY_BAD_ADDRESS, Severity.ERROR, f"{path} is not a CIDR: {text!r}", item, path)
        return None


def _protocol(value: object, ctx: _Context, item: _Item, path: str) -> int | None:
    number = TCP if value is None else protocol_number(value)
    if number not in PORT_PROTOCOLS:
        ctx.report(codes.INVENTORY_BAD_PORT, Severity.ERROR,
                   f"{path} has protocol {value!r}; expected TCP, UDP or SCTP", item, path)
        return None
    return number


def _port_number(value: object, ctx: _Context, item: _Item, path: str) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        ctx.report(codes.INVENTORY_BAD_PORT, Severity.ERROR, f"{path} is not a port number 1-65535: {value!r}",
                   item, path)
        return None
    return value


# --- pods -------------------------------------------------------------------------------------


def _pod_ips(item: _Item, ctx: _Context) -> tuple[IPAddress, ...]:
    status = _mapping(item.obj.get("status"))
    if status.get("phase") in FINISHED_PHASES:
        return ()  # finished pods own no IP (§1.8); their IP may already be reused
    texts: list[object] = [_mapping(entry).get("ip") for entry in _sequence(status.get("podIPs"))]
    if not texts and status.get("podIP"):
        texts = [status.get("podIP")]
    ips: list[IPAddress] = []
    for index, text in enumerate(texts):
        ip = _ip(text, ctx, item, f"status.podIPs[{index}].ip")
        if ip is not None and ip not in ips:
            ips.append(ip)
    return tuple(ips)


def _container_ports(item: _Item, ctx: _Context) -> tuple[NamedPort, ...]:
    spec = _mapping(item.obj.get("spec"))
    ports: list[NamedPort] = []
    for group in ("initContainers", "containers"):
        for c_index, container in enumerate(_sequence(spec.get(group))):
            for p_index, port in enumerate(_sequence(_mapping(container).get("ports"))):
                port_map = _mapping(port)
                name = port_map.get("name")
                if not isinstance(name, str) or not name:
                    continue  # only named ports matter to Calico (named-port matching, §1.11)
                path = f"spec.{group}[{c_index}].ports[{p_index}]"
                number = _port_number(port_map.get("containerPort"), ctx, item, path + ".containerPort")
                protocol = _protocol(port_map.get("protocol"), ctx, item, path + ".protocol")
                if number is not None and protocol is not None:
                    ports.append(NamedPort(name, number, protocol))
    return tuple(sorted(set(ports), key=lambda p: (p.name, p.protocol, p.port)))


def _aggregate_name(obj: Mapping[str, object]) -> str:
    """Calico flow logs aggregate pods of one controller as generateName + '*'."""
    generate = _mapping(obj.get("metadata")).get("generateName")
    return f"{generate}*" if isinstance(generate, str) and generate else ""


@dataclass(frozen=True, slots=True)
class _Directory:
    namespaces: Mapping[str, Namespace]
    service_accounts: Mapping[tuple[str, str], ServiceAccount]


def _pod(item: _Item, directory: _Directory, ctx: _Context) -> Endpoint | HostNetworkPod:
    obj = item.obj
    namespace = _namespace(obj) or "default"
    spec = _mapping(obj.get("spec"))
    own = _labels(_mapping(obj.get("metadata")).get("labels"))
    node = spec.get("nodeName")
    if spec.get("hostNetwork") is True:
        return HostNetworkPod(_name(obj), namespace, node if isinstance(node, str) else "",
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
        kind=EndpointKind.WORKLOAD, name=_name(obj), namespace=namespace, labels=labels,
        ips=_pod_ips(item, ctx), ports=_container_ports(item, ctx),
        profiles=pod_profiles(namespace, service_account), service_account=service_account,
        node=node if isinstance(node, str) else "", workload=_aggregate_name(obj))


# --- Calico objects ---------------------------------------------------------------------------


def _nets(item: _Item, ctx: _Context) -> tuple[IPNetwork, ...]:
    nets: list[IPNetwork] = []
    for index, text in enumerate(_sequence(_mapping(item.obj.get("spec")).get("nets"))):
        net = _net(text, ctx, item, f"spec.nets[{index}]")
        if net is not None:
            nets.append(net)
    return tuple(nets)


def _network_set(item: _Item, directory: _Directory, ctx: _Context, enterprise_labels: bool) -> Endpoint:
    own = _labels(_mapping(item.obj.get("metadata")).get("labels"))
    name = _name(item.obj)
    if item.kind == "GlobalNetworkSet":
        labels = network_set_labels(own, name, "", {}, global_set=True, enterprise_labels=enterprise_labels)
        return Endpoint(EndpointKind.GLOBAL_NETWORK_SET, name, "", labels, nets=_nets(item, ctx))
    namespace = _namespace(item.obj) or "default"
    ns_obj = directory.namespaces.get(namespace)
    if ns_obj is None:
        ctx.report(codes.INVENTORY_UNKNOWN_NAMESPACE, Severity.WARNING,
                   f"NetworkSet's namespace {namespace!r} is not in the inventory", item, "metadata.namespace")
    labels = network_set_labels(own, name, namespace, ns_obj.labels if ns_obj else {}, global_set=False,
                                enterprise_labels=enterprise_labels)
    return Endpoint(EndpointKind.NETWORK_SET, name, namespace, labels, nets=_nets(item, ctx),
                    profiles=(f"kns.{namespace}",))


def _host_endpoint(item: _Item, ctx: _Context) -> Endpoint:
    spec = _mapping(item.obj.get("spec"))
    ips = [_ip(text, ctx, item, f"spec.expectedIPs[{i}]") for i, text in enumerate(_sequence(spec.get("expectedIPs")))]
    ports: list[NamedPort] = []
    for index, port in enumerate(_sequence(spec.get("ports"))):
        port_map = _mapping(port)
        path = f"spec.ports[{index}]"
        number = _port_number(port_map.get("port"), ctx, item, path + ".port")
        protocol = _protocol(port_map.get("protocol"), ctx, item, path + ".protocol")
        name = port_map.get("name")
        if number is not None and protocol is not None and isinstance(name, str):
            ports.append(NamedPort(name, number, protocol))
    node = spec.get("node")
    profiles = tuple(str(p) for p in _sequence(spec.get("profiles")))
    return Endpoint(EndpointKind.HOST, _name(item.obj), "",
                    host_endpoint_labels(_labels(_mapping(item.obj.get("metadata")).get("labels"))),
                    ips=tuple(ip for ip in ips if ip is not None), ports=tuple(ports), profiles=profiles,
                    node=node if isinstance(node, str) else "")


# --- services, slices, nodes ------------------------------------------------------------------


def _service(item: _Item, ctx: _Context) -> Service:
    spec = _mapping(item.obj.get("spec"))
    texts = list(_sequence(spec.get("clusterIPs"))) or ([spec["clusterIP"]] if spec.get("clusterIP") else [])
    cluster_ips: list[IPAddress] = []
    for index, text in enumerate(texts):
        if text in ("None", ""):
            continue  # headless Service
        ip = _ip(text, ctx, item, f"spec.clusterIPs[{index}]")
        if ip is not None:
            cluster_ips.append(ip)
    ports: list[ServicePort] = []
    for index, port in enumerate(_sequence(spec.get("ports"))):
        port_map = _mapping(port)
        path = f"spec.ports[{index}]"
        number = _port_number(port_map.get("port"), ctx, item, path + ".port")
        protocol = _protocol(port_map.get("protocol"), ctx, item, path + ".protocol")
        target = port_map.get("targetPort", number)
        name = port_map.get("name")
        if number is None or protocol is None:
            continue
        if isinstance(target, str) and not target.isdigit():
            ports.append(ServicePort(name if isinstance(name, str) else "", number, 0, protocol, target))
        else:
            target_number = int(target) if isinstance(target, (int, str)) and not isinstance(target, bool) else number
            ports.append(ServicePort(name if isinstance(name, str) else "", number, target_number, protocol))
    return Service(_name(item.obj), _namespace(item.obj) or "default", tuple(cluster_ips), tuple(ports))


def _slice_backends(item: _Item, ctx: _Context) -> tuple[str, tuple[tuple[IPAddress, str, int, int], ...]]:
    """(service name, backends) of one EndpointSlice; every address × every port."""
    service_name = _labels(_mapping(item.obj.get("metadata")).get("labels")).get("kubernetes.io/service-name", "")
    ports: list[tuple[str, int, int]] = []
    for index, port in enumerate(_sequence(item.obj.get("ports"))):
        port_map = _mapping(port)
        path = f"ports[{index}]"
        number = _port_number(port_map.get("port"), ctx, item, path + ".port")
        protocol = _protocol(port_map.get("protocol"), ctx, item, path + ".protocol")
        name = port_map.get("name")
        if number is not None and protocol is not None:
            ports.append((name if isinstance(name, str) else "", number, protocol))
    backends: list[tuple[IPAddress, str, int, int]] = []
    for e_index, endpoint in enumerate(_sequence(item.obj.get("endpoints"))):
        for a_index, text in enumerate(_sequence(_mapping(endpoint).get("addresses"))):
            ip = _ip(text, ctx, item, f"endpoints[{e_index}].addresses[{a_index}]")
            if ip is not None:
                backends.extend((ip, name, number, protocol) for name, number, protocol in ports)
    return service_name, tuple(backends)


def _node(item: _Item, ctx: _Context) -> Node:
    addresses: list[IPAddress] = []
    for index, entry in enumerate(_sequence(_mapping(item.obj.get("status")).get("addresses"))):
        entry_map = _mapping(entry)
        if entry_map.get("type") not in ("InternalIP", "ExternalIP"):
            continue  # Hostname / InternalDNS entries are names, not IPs
        ip = _ip(entry_map.get("address"), ctx, item, f"status.addresses[{index}].address")
        if ip is not None and ip not in addresses:
            addresses.append(ip)
    return Node(_name(item.obj), tuple(addresses), _labels(_mapping(item.obj.get("metadata")).get("labels")))


# --- assembly ---------------------------------------------------------------------------------


def _intern(endpoints: list[Endpoint]) -> tuple[Endpoint, ...]:
    """Give endpoints with identical effective labels, namespace, kind, ports and profiles one class id."""
    classes: dict[tuple[object, ...], int] = {}
    interner = LabelInterner()  # one shared LabelSet per distinct label map: selectors memoise on it
    result: list[Endpoint] = []
    for endpoint in endpoints:
        labels = interner.intern(endpoint.labels)
        key = (endpoint.kind, endpoint.namespace, labels.key, endpoint.ports, endpoint.profiles)
        class_id = classes.setdefault(key, len(classes))
        result.append(replace(endpoint, labels=labels, class_id=class_id))
    return tuple(result)


def _check_duplicate_ips(endpoints: Iterable[Endpoint], ctx: _Context) -> None:
    owner: dict[IPAddress, Endpoint] = {}
    for endpoint in endpoints:
        for ip in endpoint.ips:
            first = owner.setdefault(ip, endpoint)
            if first is not endpoint:
                ctx.diagnostics.append(Diagnostic(
                    codes.INVENTORY_DUPLICATE_IP, Severity.WARNING,
                    f"IP {ip} belongs to both {first.namespace}/{first.name} and "
                    f"{endpoint.namespace}/{endpoint.name}",
                    resource=ResourceRef(endpoint.kind.name.title(), endpoint.name, endpoint.namespace)))


def build_inventory(objects: Iterable[Mapping[str, object]], *, enterprise_labels: bool = False,
                    spans: Sequence[Span | None] | None = None) -> tuple[Inventory, list[Diagnostic]]:
    """Plain objects (or `List`s of them) -> Inventory plus diagnostics; never raises on bad input.

    `enterprise_labels` adds the labels Calico Enterprise injects into (Global)NetworkSets
    (§1.6). `spans`, parallel to `objects`, locates diagnostics in the source file.
    """
    ctx = _Context()
    items = _flatten(objects, spans, ctx)
    by_kind: dict[str, list[_Item]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    namespaces = {_name(i.obj): Namespace(_name(i.obj), _labels(_mapping(i.obj.get("metadata")).get("labels")))
                  for i in by_kind.get("Namespace", [])}
    accounts = {(_namespace(i.obj) or "default", _name(i.obj)): ServiceAccount(
        _name(i.obj), _namespace(i.obj) or "default", _labels(_mapping(i.obj.get("metadata")).get("labels")))
        for i in by_kind.get("ServiceAccount", [])}
    directory = _Directory(namespaces, accounts)
    endpoints: list[Endpoint] = []
    host_network: list[HostNetworkPod] = []
    for item in by_kind.get("Pod", []):
        pod = _pod(item, directory, ctx)
        (host_network if isinstance(pod, HostNetworkPod) else endpoints).append(pod)  # type: ignore[arg-type]
    endpoints.extend(_host_endpoint(i, ctx) for i in by_kind.get("HostEndpoint", []))
    for kind in ("NetworkSet", "GlobalNetworkSet"):
        endpoints.extend(_network_set(i, directory, ctx, enterprise_labels) for i in by_kind.get(kind, []))
    _check_duplicate_ips(endpoints, ctx)
    services = _services_with_backends(by_kind, ctx)
    nodes = tuple(_node(i, ctx) for i in by_kind.get("Node", []))
    _report_ignored(by_kind, ctx)
    inventory = Inventory.create(_intern(endpoints), namespaces, accounts, services, nodes, tuple(host_network))
    return inventory, ctx.diagnostics


def _services_with_backends(by_kind: Mapping[str, list[_Item]], ctx: _Context) -> tuple[Service, ...]:
    backends: dict[tuple[str, str], list[tuple[IPAddress, str, int, int]]] = {}
    for item in by_kind.get("EndpointSlice", []):
        service_name, found = _slice_backends(item, ctx)
        if service_name:
            backends.setdefault((_namespace(item.obj) or "default", service_name), []).extend(found)
    services = []
    for item in by_kind.get("Service", []):
        service = _service(item, ctx)
        service_backends = backends.get((service.namespace, service.name), [])
        services.append(replace(service, backends=tuple(dict.fromkeys(service_backends))))
    return tuple(services)


_USED_KINDS = frozenset({"Namespace", "ServiceAccount", "Pod", "HostEndpoint", "NetworkSet", "GlobalNetworkSet",
                         "Service", "EndpointSlice", "Node"})


def _report_ignored(by_kind: Mapping[str, list[_Item]], ctx: _Context) -> None:
    for kind, found in sorted(by_kind.items()):
        if kind in _USED_KINDS:
            continue
        ctx.diagnostics.append(Diagnostic(
            codes.INVENTORY_IGNORED_KIND, Severity.NOTE,
            f"ignored {len(found)} {kind} object(s): they do not affect policy evaluation", found[0].span))
