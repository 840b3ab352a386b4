"""Shared helpers for the flow tests (fixture paths, reading records and errors apart)."""

from __future__ import annotations

from pathlib import Path

from tierguard.flows import FlowError, FlowRecord, ReadOptions, read_flows

FIXTURES = Path(__file__).parent / "fixtures"
# A fixed "now" just after the fixtures' flows, so clock-skew checks are deterministic.
NOW_MS = 1_760_000_400_000
FALLBACK_MS = 1_760_000_100_000


def fixture(name: str) -> str:
    return str(FIXTURES / name)


def read(name: str, **kwargs: object) -> tuple[list[FlowRecord], list[FlowError]]:
    options = kwargs.pop("options", ReadOptions(default_time_ms=FALLBACK_MS))
    records: list[FlowRecord] = []
    errors: list[FlowError] = []
    for item in read_flows(name if "/" in name or name == "-" else fixture(name),
                           options=options,
                           now_ms=NOW_MS, **kwargs):  # type: ignore[arg-type]
        (errors if isinstance(item, FlowError) else records).append(item)  # type: ignore[arg-type]
    return records, errors


def brief(errors: list[FlowError]) -> list[tuple[str, int, str]]:
    """(code, line, severity) of each error: what tests assert exactly."""
    return [(e.code, e.line, e.severity.value) for e in errors]
