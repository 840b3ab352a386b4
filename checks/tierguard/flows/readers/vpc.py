"""AWS VPC Flow Logs, text form: default v2 layout or a custom field list (flow-formats.md (c)).

The field list comes from `ReadOptions.vpc_fields`, else from an S3 header line, else the default
v2 order. Pod IPs are taken from `pkt-srcaddr`/`pkt-dstaddr` when present (the ENI primary IP is
in `srcaddr`/`dstaddr` for secondary-IP pods). Peers stay type "unknown" until resolution.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence

from tierguard.flows import codes
from tierguard.flows.common import FieldError, integer, ip_or_none, port_or_none, protocol
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

DEFAULT_FIELDS = ("version", "account-id", "interface-id", "srcaddr", "dstaddr", "srcport",
                  "dstport", "protocol", "packets", "bytes", "start", "end", "action",
                  "log-status")
KNOWN_FIELDS = frozenset(DEFAULT_FIELDS) | {
    "vpc-id", "subnet-id", "instance-id", "tcp-flags", "type", "pkt-srcaddr", "pkt-dstaddr",
    "region", "az-id", "sublocation-type", "sublocation-id", "pkt-src-aws-service",
    "pkt-dst-aws-service", "flow-direction", "traffic-path", "ecs-cluster-arn",
    "ecs-cluster-name", "ecs-container-instance-arn", "ecs-container-instance-id",
    "ecs-container-id", "ecs-second-container-id", "ecs-service-name",
    "ecs-task-definition-arn", "ecs-task-arn", "ecs-task-id", "reject-reason", "resource-id",
    "encryption-status"}
ACTIONS = {"ACCEPT": Action.ALLOW, "REJECT": Action.DENY}
DIRECTIONS = {"egress": Reporter.SRC, "ingress": Reporter.DST}
KEPT_ATTRIBUTES = ("account-id", "interface-id", "instance-id", "vpc-id", "subnet-id", "srcaddr",
                   "dstaddr", "tcp-flags", "type", "flow-direction", "traffic-path",
                   "pkt-src-aws-service", "pkt-dst-aws-service", "reject-reason")
_PLACEHOLDER = re.compile(r"\$\{([a-z0-9-]+)\}")

Row = Mapping[str, object]


def parse_field_list(spec: str) -> tuple[str, ...]:
    """`${version} ${srcaddr} ...` or `version srcaddr ...` (underscores accepted) -> names."""
    names = _PLACEHOLDER.findall(spec) or spec.split()
    return tuple(name.replace("_", "-").lower() for name in names)


def read(source: FlowInput, options: ReadOptions) -> Iterator[Item]:
    fields: Sequence[str] | None = (parse_field_list(options.vpc_fields)
                                    if options.vpc_fields else None)
    skipped = 0
    for item in iter_lines(source):
        if not isinstance(item, tuple):
            yield item
            continue
        number, line = item
        tokens = line.split()
        if fields is None:
            if all(token.replace("_", "-").lower() in KNOWN_FIELDS for token in tokens):
                fields = parse_field_list(line)  # S3 header line
                continue
            fields = DEFAULT_FIELDS
        if len(tokens) != len(fields):
            yield problem(codes.MALFORMED_LINE, source.label, number,
                          f"expected {len(fields)} space-separated fields, found {len(tokens)}"
                          + (" (half-written last line?)" if not line.endswith("\n") else ""))
            continue
        row = dict(zip(fields, tokens))
        status = row.get("log-status", "OK")
        if status == "NODATA":
            skipped += 1
            continue
        if status == "SKIPDATA":
            yield problem(codes.SKIPPED_DATA, source.label, number,
                          "log-status SKIPDATA: AWS skipped records in this capture window")
            continue
        yield from record_or_error(row, source.label, number, SourceFormat.VPC)
    if skipped:
        yield problem(codes.SKIPPED_EVENTS, source.label, 0,
                      f"{skipped} NODATA records (no traffic on the ENI) counted and skipped")


def record_or_error(row: Row, label: str, line: int, fmt: SourceFormat) -> Iterator[Item]:
    try:
        yield from_row(row, label, line, fmt)
    except FieldError as exc:
        yield problem(exc.code, label, line, str(exc))


def _value(row: Row, name: str) -> object:
    value = row.get(name)
    return None if value in ("-", "") else value


def from_row(row: Row, label: str, line: int, fmt: SourceFormat) -> FlowRecord:
    action_text = row.get("action")
    if action_text not in ACTIONS:
        raise FieldError(codes.UNKNOWN_ENUM, f"action {action_text!r} is not ACCEPT or REJECT")
    direction = _value(row, "flow-direction")
    if direction is not None and direction not in DIRECTIONS:
        raise FieldError(codes.UNKNOWN_ENUM, f"flow-direction {direction!r} is not known")
    src_ip = ip_or_none(_value(row, "pkt-srcaddr") or _value(row, "srcaddr"), "srcaddr")
    dst_ip = ip_or_none(_value(row, "pkt-dstaddr") or _value(row, "dstaddr"), "dstaddr")
    if src_ip is None or dst_ip is None:
        raise FieldError(codes.BAD_FIELD, "srcaddr/dstaddr missing on an OK record")
    packets = integer(_value(row, "packets"), "packets", 0)
    size = integer(_value(row, "bytes"), "bytes", 0)
    return FlowRecord(
        start_ms=integer(_value(row, "start"), "start") * 1000,
        end_ms=integer(_value(row, "end"), "end") * 1000,
        source=Peer(type=EndpointType.UNKNOWN, ip=src_ip,
                    port=port_or_none(_value(row, "srcport"), "srcport")),
        dest=Peer(type=EndpointType.UNKNOWN, ip=dst_ip),
        dest_port=port_or_none(_value(row, "dstport"), "dstport"),
        protocol=protocol(_value(row, "protocol")),
        reporter=DIRECTIONS.get(str(direction), Reporter.UNKNOWN),
        action=ACTIONS[str(action_text)],
        enforced=(), pending=(), enforced_raw=(), pending_raw=None,
        counts=Counts(flows=1, packets_out=packets, bytes_out=size),
        format=fmt, file=label, line=line,
        observer=str(_value(row, "interface-id") or ""),
        attributes=tuple((name, str(row[name])) for name in KEPT_ATTRIBUTES
                         if _value(row, name) is not None))
