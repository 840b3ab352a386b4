"""Field conversions shared by the readers: IPs, times, protocols, labels, policy hits."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime

from tierguard.flows import codes
from tierguard.flows.hits import HitError, parse_hit
from tierguard.flows.model import EndpointType, PolicyHit, Protocol

# felix `protoNames` spelling (flow-formats.md (a)).
PROTOCOL_NAMES: dict[int, str] = {1: "icmp", 4: "ipip", 6: "tcp", 17: "udp", 50: "esp",
                                  58: "icmp6", 132: "sctp"}
_PROTOCOL_NUMBERS = {name: number for number, name in PROTOCOL_NAMES.items()}
_PROTOCOL_NUMBERS.update({"icmpv6": 58, "ipv6-icmp": 58})

_FRACTION = re.compile(r"(\.\d{1,6})\d*")


class FieldError(ValueError):
    """A field value a reader cannot use. `code` is the FLW code to report."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def protocol(value: object) -> Protocol:
    if isinstance(value, bool) or value is None:
        raise FieldError(codes.BAD_FIELD, f"protocol {value!r} is not a name or number")
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        number = int(value)
        if not 0 <= number <= 255:
            raise FieldError(codes.BAD_FIELD, f"protocol number {number} is out of range")
        return Protocol(number, PROTOCOL_NAMES.get(number, str(number)))
    if isinstance(value, str):
        name = value.strip().lower()
        if name in _PROTOCOL_NUMBERS:
            number = _PROTOCOL_NUMBERS[name]
            return Protocol(number, PROTOCOL_NAMES[number])
        raise FieldError(codes.UNKNOWN_ENUM, f"unknown protocol {value!r}")
    raise FieldError(codes.BAD_FIELD, f"protocol {value!r} is not a name or number")


def ip_or_none(value: object, field: str) -> str | None:
    """Canonical text of an IP (IPv4 or IPv6); None for null, "" and "-"."""
    if value is None or value in ("", "-"):
        return None
    if not isinstance(value, str):
        raise FieldError(codes.INVALID_IP, f"{field} {value!r} is not an IP address")
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise FieldError(codes.INVALID_IP, f"{field} {value!r} is not an IP address") from None


def port_or_none(value: object, field: str) -> int | None:
    if value is None or value in ("", "-"):
        return None
    if isinstance(value, bool):
        raise FieldError(codes.BAD_FIELD, f"{field} {value!r} is not a port number")
    try:
        number = value if isinstance(value, int) else int(str(value))
    except (TypeError, ValueError):
        raise FieldError(codes.BAD_FIELD, f"{field} {value!r} is not a port number") from None
    if not 0 <= number <= 65535:
        raise FieldError(codes.BAD_FIELD, f"{field} {number} is out of range 0-65535")
    return number


def integer(value: object, field: str, default: int | None = None) -> int:
    if value is None and default is not None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise FieldError(codes.BAD_FIELD, f"{field} {value!r} is not an integer")
    try:
        return int(value)
    except ValueError:
        raise FieldError(codes.BAD_FIELD, f"{field} {value!r} is not an integer") from None


def text(value: object, field: str, default: str = "") -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise FieldError(codes.BAD_FIELD, f"{field} {value!r} is not a string")
    return value


def rfc3339_ms(value: object, field: str) -> int:
    """RFC 3339 (with any number of fraction digits, `Z` or offset) -> unix milliseconds."""
    if not isinstance(value, str):
        raise FieldError(codes.BAD_FIELD, f"{field} {value!r} is not an RFC 3339 time")
    trimmed = _FRACTION.sub(r"\1", value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    try:
        moment = datetime.fromisoformat(trimmed)
    except ValueError:
        raise FieldError(codes.BAD_FIELD, f"{field} {value!r} is not an RFC 3339 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


def unix_seconds_ms(value: object, field: str) -> int:
    return integer(value, field) * 1000


def dash_empty(value: str) -> str:
    """Calico writes `-` for "not applicable"; the model uses ""."""
    return "" if value == "-" else value


def labels_from(values: Iterable[object] | None, field: str) -> tuple[str, ...]:
    if values is None:
        return ()
    result: list[str] = []
    for item in values:
        if not isinstance(item, str):
            raise FieldError(codes.BAD_FIELD, f"{field} entry {item!r} is not a string")
        result.append(item)
    return tuple(sorted(result))


def ce_labels(value: object, field: str) -> tuple[str, ...]:
    """Enterprise wraps labels: {"labels": ["k=v", ...]} or null."""
    if value is None:
        return ()
    if isinstance(value, Mapping):
        inner = value.get("labels")
        if inner is None or isinstance(inner, list):
            return labels_from(inner, field)
    if isinstance(value, list):  # tolerate a bare list
        return labels_from(value, field)
    raise FieldError(codes.BAD_FIELD, f"{field} {value!r} is not {{\"labels\": [...]}}")


def network_aggr(ip: str | None) -> str:
    """`pvt` for RFC 1918 (and IPv6 ULA), `pub` otherwise (Calico's naming for `net` peers)."""
    if ip is None:
        return ""
    address = ipaddress.ip_address(ip)
    private_v4 = address.version == 4 and any(
        address in ipaddress.ip_network(net) for net in ("10.0.0.0/8", "172.16.0.0/12",
                                                         "192.168.0.0/16"))
    private_v6 = address.version == 6 and address in ipaddress.ip_network("fc00::/7")
    return "pvt" if private_v4 or private_v6 else "pub"


HitCache = dict[str, "PolicyHit | str"]


def parse_hits(raw: Iterable[str], cache: HitCache | None = None
               ) -> tuple[tuple[PolicyHit, ...], list[str]]:
    """Parse hit strings, sorted by index (the stored order is random); return parse problems.

    `cache` (per read) remembers each distinct string's hit or error: traces repeat a lot."""
    hits: list[PolicyHit] = []
    problems: list[str] = []
    for entry in raw:
        parsed = cache.get(entry) if cache is not None else None
        if parsed is None:
            try:
                parsed = parse_hit(entry)
            except HitError as exc:
                parsed = f"policy hit {entry!r}: {exc}"
            if cache is not None:
                cache[entry] = parsed
        if isinstance(parsed, str):
            problems.append(parsed)
        else:
            hits.append(parsed)
    hits.sort(key=lambda hit: hit.index)
    return tuple(hits), problems


def endpoint_type(value: object, field: str) -> EndpointType:
    try:
        kind = EndpointType(value)
    except ValueError:
        raise FieldError(codes.UNKNOWN_ENUM, f"{field} {value!r} is not wep, hep, ns or net") \
            from None
    if kind is EndpointType.UNKNOWN:
        raise FieldError(codes.UNKNOWN_ENUM, f"{field} {value!r} is not wep, hep, ns or net")
    return kind
