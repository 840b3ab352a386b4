"""The memoized Calico Enterprise reader: shared caches never change a result, partial
records for simulation, and reading a byte slice of a file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flows_testlib import NOW_MS, brief, fixture, read
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tierguard.flows import Action, EndpointType, FlowError, FlowRecord, ReadOptions, Reporter
from tierguard.flows.common import FieldError
from tierguard.flows.read import read_flow_slice
from tierguard.flows.readers.calico_enterprise import Caches, build

BASE: dict[str, Any] = json.loads(Path(fixture("ce.jsonl")).read_text().splitlines()[0])

# Values that are equal as dict keys but not to the checks (1 == True == 1.0), and shapes
# the checked path rejects, for the fields the reader memoizes.
_odd = st.sampled_from([None, "", "-", 0, 1, True, False, 1.0, "1", "80", 80, 70000, -1, "x",
                        [], ["a=b"], {"labels": ["a=b", "c=d"]}, {"labels": None},
                        {"labels": [1]}, {"labels": "a=b"}, {"x": 1}, "wep", "net", "unknown",
                        "10.0.0.1", "::1", "tcp", 6, 17])
_fields = st.sampled_from(["source_port", "dest_port", "source_type", "dest_type",
                           "source_labels", "dest_labels", "source_ip", "dest_namespace",
                           "dest_service_name", "dest_service_port_num", "proto", "reporter",
                           "action", "policies", "num_flows", "start_time", "host"])


def _outcome(obj: dict[str, Any], caches: Caches) -> object:
    try:
        record, warnings = build(obj, "f", 1, caches)
    except (FieldError, KeyError, TypeError, AttributeError) as exc:
        return ("error", type(exc).__name__, str(exc))
    return (record, warnings)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.lists(st.dictionaries(_fields, _odd, max_size=3), min_size=2, max_size=8),
       partial=st.booleans())
def test_shared_caches_give_the_same_results_as_fresh_ones(
        changes: list[dict[str, object]], partial: bool) -> None:
    shared = Caches(partial)
    for change in changes:
        obj = {**BASE, **change}
        assert _outcome(obj, shared) == _outcome(obj, Caches(partial))


def test_partial_records_for_simulation(tmp_path: Path) -> None:
    path = tmp_path / "hand.jsonl"
    path.write_text('{"source_type": "wep", "source_ip": "10.0.0.1", "dest_ip": "10.0.0.2", '
                    '"proto": "tcp", "dest_port": "80"}\n')
    records, errors = read(str(path), options=ReadOptions(partial=True))
    assert errors == []
    [record] = records
    assert (record.start_ms, record.end_ms, record.reporter, record.action, record.source.type,
            record.dest.type, record.dest_port) == (0, 0, Reporter.UNKNOWN, Action.UNKNOWN,
                                                   EndpointType.WORKLOAD, EndpointType.NETWORK, 80)
    # Without the option the same line is an error, as before.
    records, errors = read(str(path))
    assert (records, brief(errors)) == ([], [("FLW502", 1, "error")])
    assert errors[0].message == "missing or malformed field: 'start_time'"


def test_action_unknown_is_rejected_unless_partial(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({**BASE, "action": "unknown"}) + "\n")
    records, errors = read(str(path))
    assert records == []
    assert [(e.code, e.message) for e in errors] == [
        ("FLW503", "action 'unknown' is not one of allow, deny")]


def test_a_slice_reads_the_same_records_with_their_line_numbers(tmp_path: Path) -> None:
    lines = Path(fixture("ce.jsonl")).read_bytes().splitlines(keepends=True)
    path = tmp_path / "all.jsonl"
    path.write_bytes(b"".join(lines) + b"{broken\n" + lines[0])
    whole = list(read_flow_slice(path, 0, path.stat().st_size, 1, now_ms=NOW_MS))
    cut = sum(len(line) for line in lines[:2])
    parts = (list(read_flow_slice(path, 0, cut, 1, now_ms=NOW_MS))
             + list(read_flow_slice(path, cut, path.stat().st_size, 3, now_ms=NOW_MS)))
    assert parts == whole
    assert [(type(i).__name__, i.line) for i in whole] == (
        [("FlowRecord", n) for n in range(1, len(lines) + 1)]
        + [("FlowError", len(lines) + 1), ("FlowRecord", len(lines) + 2)])
    assert isinstance(whole[-2], FlowError) and whole[-2].code == "FLW501"
    assert isinstance(whole[-1], FlowRecord) and whole[-1].line == len(lines) + 2


def test_blank_and_non_utf8_lines(tmp_path: Path) -> None:
    path = tmp_path / "mixed.jsonl"
    line = Path(fixture("ce.jsonl")).read_bytes().splitlines()[0]
    path.write_bytes(line + b"\n   \n\xff\xfe{}\n" + line + b"\n")
    records, errors = read(str(path), dedupe=False)
    assert [r.line for r in records] == [1, 4]
    assert [(e.code, e.line, e.message) for e in errors] == [
        ("FLW501", 3, "line is not UTF-8 text (invalid start byte)")]
