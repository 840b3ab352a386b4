"""Build an `Inventory` from plain Kubernetes/Calico objects (pure; no file I/O).

Input is what `kubectl get namespaces,pods,serviceaccounts,services,endpointslices,nodes -A
-o yaml` prints (a `List`, or the items themselves), optionally with Calico NetworkSet,
GlobalNetworkSet and HostEndpoint objects. Effective labels follow calico-semantics §1.8.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from tierguard.diagnostics import Diagnostic, ResourceRef, Severity, Span
from tierguard.inventory import codes
from tierguard.inventory.model import (
    Endpoint,
    HostNetworkPod,
    Inventory,
    IPAddress,
    Namespace,
    Service,
    ServiceAccount,
)
from tierguard.inventory.objects import (
    Directory,
    host_endpoint,
    network_set_endpoint,
    node_of,
    pod_endpoint,
    service_of,
    slice_backends,
)
from tierguard.inventory.plain import (
    Context,
    Item,
    as_mapping,
    as_sequence,
    labels_of,
    name_of,
    namespace_of,
)
from tierguard.selector import LabelInterner

# --- assembly ---------------------------------------------------------------------------------


def _flatten(objects: Iterable[Mapping[str, object]], spans: Sequence[Span | None] | None,
             ctx: Context) -> list[Item]:
    items: list[Item] = []
    for position, obj in enumerate(objects):
        span = spans[position] if spans is not None and position < len(spans) else None
        _flatten_one(obj, span, ctx, items)
    return items


def _flatten_one(obj: object, span: Span | None, ctx: Context, out: list[Item]) -> None:
    if not isinstance(obj, Mapping):
        ctx.diagnostics.append(Diagnostic(codes.INVENTORY_BAD_OBJECT, Severity.ERROR,
                                          "inventory item is not a mapping", span))
        return
    kind = obj.get("kind")
    if isinstance(kind, str) and kind.endswith("List") and "items" in obj:
        for child in as_sequence(obj.get("items")):
            _flatten_one(child, span, ctx, out)
        return
    if not isinstance(kind, str) or not kind:
        ctx.diagnostics.append(Diagnostic(codes.INVENTORY_BAD_OBJECT, Severity.ERROR,
                                          "inventory item has no kind", span, field_path="kind"))
        return
    item = Item(kind, obj, span)
    if not name_of(obj):
        ctx.report(codes.INVENTORY_BAD_OBJECT, Severity.ERROR, f"{kind} has no metadata.name", item,
                   "metadata.name")
        return
    out.append(item)


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


def _check_duplicate_ips(endpoints: Iterable[Endpoint], ctx: Context) -> None:
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
    ctx = Context()
    items = _flatten(objects, spans, ctx)
    by_kind: dict[str, list[Item]] = {}
    for item in items:
        by_kind.setdefault(item.kind, []).append(item)
    namespaces = {name_of(i.obj): Namespace(name_of(i.obj), labels_of(as_mapping(i.obj.get("metadata")).get("labels")))
                  for i in by_kind.get("Namespace", [])}
    accounts = {(namespace_of(i.obj) or "default", name_of(i.obj)): ServiceAccount(
        name_of(i.obj), namespace_of(i.obj) or "default", labels_of(as_mapping(i.obj.get("metadata")).get("labels")))
        for i in by_kind.get("ServiceAccount", [])}
    directory = Directory(namespaces, accounts)
    endpoints: list[Endpoint] = []
    host_network: list[HostNetworkPod] = []
    for item in by_kind.get("Pod", []):
        pod = pod_endpoint(item, directory, ctx)
        if isinstance(pod, HostNetworkPod):
            host_network.append(pod)
        else:
            endpoints.append(pod)
    endpoints.extend(host_endpoint(i, ctx) for i in by_kind.get("HostEndpoint", []))
    for kind in ("NetworkSet", "GlobalNetworkSet"):
        endpoints.extend(network_set_endpoint(i, directory, ctx, enterprise_labels) for i in by_kind.get(kind, []))
    _check_duplicate_ips(endpoints, ctx)
    services = _services_with_backends(by_kind, ctx)
    nodes = tuple(node_of(i, ctx) for i in by_kind.get("Node", []))
    _report_ignored(by_kind, ctx)
    inventory = Inventory.create(_intern(endpoints), namespaces, accounts, services, nodes, tuple(host_network))
    return inventory, ctx.diagnostics


def _services_with_backends(by_kind: Mapping[str, list[Item]], ctx: Context) -> tuple[Service, ...]:
    backends: dict[tuple[str, str], list[tuple[IPAddress, str, int, int]]] = {}
    for item in by_kind.get("EndpointSlice", []):
        service_name, found = slice_backends(item, ctx)
        if service_name:
            backends.setdefault((namespace_of(item.obj) or "default", service_name), []).extend(found)
    services = []
    for item in by_kind.get("Service", []):
        service = service_of(item, ctx)
        service_backends = backends.get((service.namespace, service.name), [])
        services.append(replace(service, backends=tuple(dict.fromkeys(service_backends))))
    return tuple(services)


_USED_KINDS = frozenset({"Namespace", "ServiceAccount", "Pod", "HostEndpoint", "NetworkSet", "GlobalNetworkSet",
                         "Service", "EndpointSlice", "Node"})


def _report_ignored(by_kind: Mapping[str, list[Item]], ctx: Context) -> None:
    for kind, found in sorted(by_kind.items()):
        if kind in _USED_KINDS:
            continue
        ctx.diagnostics.append(Diagnostic(
            codes.INVENTORY_IGNORED_KIND, Severity.NOTE,
            f"ignored {len(found)} {kind} object(s): they do not affect policy evaluation", found[0].span))
