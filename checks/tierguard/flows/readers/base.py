"""What every reader shares: options, the item type, and JSON-lines iteration with diagnostics."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from tierguard.flows import codes
from tierguard.flows.common import FieldError
from tierguard.flows.model import FlowError, FlowRecord
from tierguard.flows.source import FlowInput, iter_lines, problem

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


def json_lines(source: FlowInput, build: Builder) -> Iterator[Item]:
    """Parse each line as a JSON object and hand it to `build`; report every failure by line."""
    for item in iter_lines(source):
        if isinstance(item, FlowError):
            yield item
            continue
        number, line = item
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield problem(codes.MALFORMED_LINE, source.label, number,
                          f"not valid JSON at column {exc.colno}: {exc.msg}"
                          + (" (half-written last line?)" if not line.endswith("\n") else ""))
            continue
        if not isinstance(obj, dict):
            yield problem(codes.MALFORMED_LINE, source.label, number,
                          f"expected a JSON object, found {type(obj).__name__}")
            continue
        yield from build_one(build, obj, source.label, number)


def build_one(build: Builder, obj: dict[str, Any], label: str, number: int) -> Iterator[Item]:
    try:
        record, warnings = build(obj, label, number)
    except FieldError as exc:
        yield problem(exc.code, label, number, str(exc))
        return
    except (KeyError, TypeError, AttributeError) as exc:
        yield problem(codes.BAD_FIELD, label, number, f"missing or malformed field: {exc}")
        return
    for message in warnings:
        yield problem(codes.BAD_POLICY_HIT, label, number, message)
    if record is not None:
        yield record
