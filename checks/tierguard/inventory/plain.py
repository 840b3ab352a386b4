"""Reading plain (untyped) Kubernetes objects defensively: every bad value becomes a diagnostic."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from tierguard.diagnostics import Diagnostic, ResourceRef, Severity, Span
from tierguard.inventory import codes
from tierguard.inventory.model import IPAddress, IPNetwork
from tierguard.model.protocol import PORT_PROTOCOLS, TCP, protocol_number


@dataclass(frozen=True, slots=True)
class Item:
    kind: str
    obj: Mapping[str, object]
    span: Span | None


@dataclass(slots=True)
class Context:
    """Per-build accumulator; lives only for one `build_inventory` call."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def report(self, code: str, severity: Severity, message: str, item: Item | None,
               field_path: str = "") -> None:
        resource = None
        if item is not None:
            name, namespace = name_of(item.obj), namespace_of(item.obj)
            resource = ResourceRef(item.kind, name, namespace)
        self.diagnostics.append(Diagnostic(code, severity, message, item.span if item else None,
                                           resource, field_path))


def as_mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, Mapping) else {}


def as_sequence(value: object) -> Sequence[object]:
    return value if isinstance(value, (list, tuple)) else ()


def labels_of(value: object) -> dict[str, str]:
    return {str(k): "" if v is None else str(v) for k, v in as_mapping(value).items()}


def name_of(obj: Mapping[str, object]) -> str:
    name = as_mapping(obj.get("metadata")).get("name")
    return name if isinstance(name, str) else ""


def namespace_of(obj: Mapping[str, object]) -> str:
    namespace = as_mapping(obj.get("metadata")).get("namespace")
    return namespace if isinstance(namespace, str) else ""


def read_ip(text: object, ctx: Context, item: Item, path: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(str(text).strip())
    except ValueError:
        ctx.report(codes.INVENTORY_BAD_ADDRESS, Severity.ERROR, f"{path} is not an IP address: {text!r}",
                   item, path)
        return None


def read_net(text: object, ctx: Context, item: Item, path: str) -> IPNetwork | None:
    try:
        return ipaddress.ip_network(str(text).strip(), strict=False)
    except ValueError:
        ctx.report(codes.INVENTORY_BAD_ADDRESS, Severity.ERROR, f"{path} is not a CIDR: {text!r}", item, path)
        return None


def read_protocol(value: object, ctx: Context, item: Item, path: str) -> int | None:
    number = TCP if value is None else protocol_number(value)
    if number not in PORT_PROTOCOLS:
        ctx.report(codes.INVENTORY_BAD_PORT, Severity.ERROR,
                   f"{path} has protocol {value!r}; expected TCP, UDP or SCTP", item, path)
        return None
    return number


def read_port(value: object, ctx: Context, item: Item, path: str) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        ctx.report(codes.INVENTORY_BAD_PORT, Severity.ERROR, f"{path} is not a port number 1-65535: {value!r}",
                   item, path)
        return None
    return value
