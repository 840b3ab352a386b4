"""AWS EKS network policy agent policy-event logs, all three shapes (flow-formats.md (e)).

1. zap JSON with separate keys ("Src IP", "Dest Port", ..., time in `timestamp` or `ts`);
2. zap JSON with everything inside `msg` (newer agents; IPv6 lines use `Key: value`);
3. CloudWatch messages `Node: ..;SIP: ..;SPORT: ..;...;PolicyVerdict: ..[;Tier: ..]`, which carry
   no time: the file's modification time is used and reported (FLW512).

Events are per packet, not aggregated: each is a one-flow record. EXPIRED/DELETED events are
connection-table housekeeping, not verdicts; they are counted and skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from tierguard.flows import codes
from tierguard.flows.common import FieldError, ip_or_none, port_or_none, protocol, rfc3339_ms
from tierguard.flows.model import (
    Action,
    Counts,
    EndpointType,
    FlowRecord,
    Peer,
    Reporter,
    SourceFormat,
)
from tierguard.flows.readers.base import Item, ReadOptions
from tierguard.flows.source import FlowInput, iter_lines, problem

VERDICTS = {"ACCEPT": Action.ALLOW, "DENY": Action.DENY}
HOUSEKEEPING = "EXPIRED/DELETED"
DIRECTIONS = {"egress": Reporter.SRC, "ingress": Reporter.DST}
_MESSAGE = re.compile(
    r"Src IP:?\s*(?P<sip>\S+)\s+Src Port:?\s*(?P<sport>\S+)\s+Dest IP:?\s*(?P<dip>\S+)\s+"
    r"Dest Port:?\s*(?P<dport>\S+)\s+Proto:?\s*(?P<proto>\S+)\s+Verdict:?\s*(?P<verdict>\S+)"
    r"(?:\s+Direction:?\s*(?P<direction>[A-Za-z]+),?)?(?:\s+Tier:?\s*(?P<tier>\S+))?")
_CLOUDWATCH_KEYS = {"Node": "node", "SIP": "sip", "SPORT": "sport", "DIP": "dip",
                    "DPORT": "dport", "PROTOCOL": "proto", "PolicyVerdict": "verdict",
                    "Tier": "tier", "Direction": "direction"}


@dataclass(frozen=True, slots=True)
class Event:
    fields: Mapping[str, str]
    time_ms: int | None


def read(source: FlowInput, options: ReadOptions) -> Iterator[Item]:
    fallback = options.default_time_ms
    if fallback is None:
        fallback = int(source.path.stat().st_mtime * 1000)
    untimed = 0
    housekeeping = 0
    for item in iter_lines(source):
        if not isinstance(item, tuple):
            yield item
            continue
        number, line = item
        try:
            event = parse_line(line)
            if event.fields.get("verdict") == HOUSEKEEPING:
                housekeeping += 1
                continue
            if event.time_ms is None:
                untimed += 1
            yield to_record(event, fallback, source.label, number)
        except FieldError as exc:
            yield problem(exc.code, source.label, number, str(exc))
    if untimed:
        yield problem(codes.MISSING_TIME, source.label, 0,
                      f"{untimed} records carry no timestamp; using "
                      f"{datetime.fromtimestamp(fallback / 1000, tz=UTC):%Y-%m-%dT%H:%M:%SZ}")
    if housekeeping:
        yield problem(codes.SKIPPED_EVENTS, source.label, 0,
                      f"{housekeeping} EXPIRED/DELETED events counted and skipped")


def parse_line(line: str) -> Event:
    body = line.strip()
    if body.startswith("{"):
        return _zap(body)
    return _cloudwatch(body)


def _zap(body: str) -> Event:
    try:
        obj = json.loads(body)
    except json.JSONDecodeError as exc:
        raise FieldError(codes.MALFORMED_LINE, f"not valid JSON at column {exc.colno}: {exc.msg}") \
            from None
    if not isinstance(obj, dict):
        raise FieldError(codes.MALFORMED_LINE, "expected a JSON object")
    time_ms = _zap_time(obj.get("timestamp", obj.get("ts")))
    if "Src IP" in obj:
        fields = {"sip": obj.get("Src IP"), "sport": obj.get("Src Port"),
                  "dip": obj.get("Dest IP"), "dport": obj.get("Dest Port"),
                  "proto": obj.get("Proto"), "verdict": obj.get("Verdict")}
        return Event({k: str(v) for k, v in fields.items() if v is not None}, time_ms)
    match = _MESSAGE.search(str(obj.get("msg", "")))
    if not match:
        raise FieldError(codes.MALFORMED_LINE, "msg is not a 'Flow Info:' policy event")
    return Event({k: v for k, v in match.groupdict().items() if v is not None}, time_ms)


def _zap_time(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return int(value * 1000)  # zap's default epoch-seconds encoder
    return rfc3339_ms(value, "timestamp")


def _cloudwatch(body: str) -> Event:
    head, sep, rest = body.partition("Node:") if "Node:" in body else body.partition("SIP:")
    if not sep:
        raise FieldError(codes.MALFORMED_LINE, "not an EKS agent policy event (no 'SIP:')")
    time_ms = rfc3339_ms(head.split()[0], "timestamp") if head.strip() else None
    fields: dict[str, str] = {}
    for part in (sep + rest).split(";"):
        key, colon, value = part.partition(":")
        if not colon or key.strip() not in _CLOUDWATCH_KEYS:
            raise FieldError(codes.MALFORMED_LINE, f"unexpected field {part.strip()!r}")
        fields[_CLOUDWATCH_KEYS[key.strip()]] = value.strip()
    return Event(fields, time_ms)


def to_record(event: Event, fallback_ms: int, label: str, line: int) -> FlowRecord:
    fields = event.fields
    verdict = fields.get("verdict", "")
    if verdict not in VERDICTS:
        raise FieldError(codes.UNKNOWN_ENUM, f"verdict {verdict!r} is not ACCEPT, DENY or "
                                             f"{HOUSEKEEPING}")
    direction = fields.get("direction", "").lower()
    if direction and direction not in DIRECTIONS:
        raise FieldError(codes.UNKNOWN_ENUM, f"direction {direction!r} is not ingress or egress")
    src_ip = ip_or_none(fields.get("sip"), "Src IP")
    dst_ip = ip_or_none(fields.get("dip"), "Dest IP")
    if src_ip is None or dst_ip is None:
        raise FieldError(codes.BAD_FIELD, "source or destination IP missing")
    when = event.time_ms if event.time_ms is not None else fallback_ms
    attributes = tuple((key, fields[key]) for key in ("tier",) if fields.get(key))
    return FlowRecord(
        start_ms=when, end_ms=when,
        source=Peer(type=EndpointType.UNKNOWN, ip=src_ip,
                    port=port_or_none(fields.get("sport"), "Src Port")),
        dest=Peer(type=EndpointType.UNKNOWN, ip=dst_ip),
        dest_port=port_or_none(fields.get("dport"), "Dest Port"),
        protocol=protocol(fields.get("proto")),
        reporter=DIRECTIONS.get(direction, Reporter.UNKNOWN), action=VERDICTS[verdict],
        enforced=(), pending=(), enforced_raw=(), pending_raw=None, counts=Counts(flows=1),
        format=SourceFormat.EKS_AGENT, file=label, line=line,
        observer=fields.get("node", ""), attributes=attributes)
