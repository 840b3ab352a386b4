"""Property tests: readers never raise on hostile input, and report every bad line."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tierguard.flows import FlowError, FlowRecord, read_flows
from tierguard.flows.readers.base import ReadOptions

FORMATS = ["calico-enterprise", "goldmane", "whisker", "hubble", "vpc", "eks-agent"]
_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=8), children, max_size=4), max_leaves=12)
_ce_keys = st.sampled_from(["start_time", "end_time", "source_type", "dest_type", "action",
                            "reporter", "proto", "source_ip", "dest_port", "policies",
                            "source_labels", "num_flows", "_source", "Key", "flow", "msg"])


def _read(text: str, fmt: str) -> list[FlowRecord | FlowError]:
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "input"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        return list(read_flows(str(path), fmt, options=ReadOptions(default_time_ms=0)))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)),
                              max_size=80), max_size=5),
       fmt=st.sampled_from(FORMATS))
def test_arbitrary_text_never_raises(lines: list[str], fmt: str) -> None:
    items = _read("\n".join(lines), fmt)
    assert all(isinstance(item, (FlowRecord, FlowError)) for item in items)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(objects=st.lists(st.dictionaries(_ce_keys, _json_values, max_size=8), min_size=1,
                        max_size=4),
       fmt=st.sampled_from(FORMATS))
def test_every_line_is_a_record_or_has_a_located_error(objects: list[dict[str, object]],
                                                       fmt: str) -> None:
    text = "\n".join(json.dumps(obj) for obj in objects) + "\n"
    items = _read(text, fmt)
    for item in items:
        if isinstance(item, FlowError):
            assert item.file.endswith("input") and item.line >= 0
    if fmt in ("calico-enterprise", "goldmane", "eks-agent"):  # one item or more per line
        located = {item.line for item in items}
        assert located >= set(range(1, len(objects) + 1)) - {0}
