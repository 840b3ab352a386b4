"""What every reader shares: options, the item type, and JSON-lines iteration with diagnostics."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from tierguard.flows import codes
from tierguard.flows.common import FieldError
from tierguard.flows.model import FlowError, FlowRecord
from tierguard.flows.source import FlowInput, iter_raw_lines, problem

Item = FlowRecord | FlowError
# A builder turns one parsed JSON object into a record plus warning messages (bad hit strings).
Built = tuple[FlowRecord | None, list[str]]
Builder = Callable[[dict[str, Any], str, int], Built]


@dataclass(frozen=True, slots=True)
class ReadOptions:
    # VPC Flow Logs custom format: "${version} ${srcaddr} ..." or space-separated names.
    vpc_fields: str | None = None
    # Fallback time (unix ms) for records without a timestamp; None = file modification time.
    default_time_ms: int | None = None
    # Calico Enterprise records may lack what simulation does not need (hand-written inputs of
    # `tierguard simulate`): no time window reads as 0, no reporter or action as `unknown`, no
    # peer type as `net`. Imports and reviews read with the default, which reports them.
    partial: bool = False


def json_lines(source: FlowInput, build: Builder) -> Iterator[Item]:
    """Parse each line as a JSON object and hand it to `build`; report every failure by line.

    Lines go to orjson as bytes (it checks UTF-8 itself); only a line orjson rejects is
    decoded, to tell a blank line, a non-UTF-8 line and malformed JSON apart."""
    loads, label = orjson.loads, source.label
    for item in iter_raw_lines(source):
        if isinstance(item, FlowError):
            yield item
            continue
        number, raw = item
        try:
            obj = loads(raw)
        except orjson.JSONDecodeError:
            yield from _rejected_line(label, number, raw)
            continue
        if type(obj) is not dict:
            yield problem(codes.MALFORMED_LINE, label, number,
                          f"expected a JSON object, found {type(obj).__name__}")
            continue
        try:
            record, warnings = build(obj, label, number)
        except (FieldError, KeyError, TypeError, AttributeError) as exc:
            yield build_failure(exc, label, number)
            continue
        for message in warnings:
            yield problem(codes.BAD_POLICY_HIT, label, number, message)
        if record is not None:
            yield record


def _rejected_line(label: str, number: int, raw: bytes) -> Iterator[FlowError]:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        yield problem(codes.MALFORMED_LINE, label, number,
                      f"line is not UTF-8 text ({exc.reason})")
        return
    if not line.strip():
        return  # blank lines are allowed
    try:
        orjson.loads(line.rstrip("\r\n"))  # the line end would shift the column to line 2
    except orjson.JSONDecodeError as exc:
        yield problem(codes.MALFORMED_LINE, label, number,
                      f"not valid JSON at column {exc.colno}: {exc.msg}"
                      + (" (half-written last line?)" if not line.endswith("\n") else ""))


def build_one(build: Builder, obj: dict[str, Any], label: str, number: int) -> Iterator[Item]:
    try:
        record, warnings = build(obj, label, number)
    except (FieldError, KeyError, TypeError, AttributeError) as exc:
        yield build_failure(exc, label, number)
        return
    for message in warnings:
        yield problem(codes.BAD_POLICY_HIT, label, number, message)
    if record is not None:
        yield record


def build_failure(exc: Exception, label: str, number: int) -> FlowError:
    """The diagnostic for a builder that raised: its FLW code, or FLW502 for a missing or
    wrongly typed field."""
    if isinstance(exc, FieldError):
        return problem(exc.code, label, number, str(exc))
    return problem(codes.BAD_FIELD, label, number, f"missing or malformed field: {exc}")
