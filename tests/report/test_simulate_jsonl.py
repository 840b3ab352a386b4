"""The JSON-lines writer of `simulate` joins cached per-side pieces; every line must be exactly
the bytes of `orjson.dumps(renderer.render(query, result))`, whatever the record holds."""

from __future__ import annotations

import argparse
import itertools
import json
from pathlib import Path

import orjson
import pytest
from tierguard.cli.commands.simulate import load_setup
from tierguard.engine.resolve import Resolver
from tierguard.engine.simulate import ResultRenderer, evaluate_queries, query_from_flow
from tierguard.flows.model import FlowRecord
from tierguard.flows.read import read_flows
from tierguard.flows.readers.base import ReadOptions
from tierguard.report.simulate_jsonl import SimulateJsonLines

APP = Path(__file__).parents[1] / "engine" / "fixtures" / "app"

_WEP = {"source_type": "wep", "source_namespace": "app"}
SOURCES = [
    {**_WEP, "source_name": "client-7d9f8b-abcde", "source_name_aggr": "client-7d9f8b-*",
     "source_ip": "10.0.0.10"},
    {**_WEP, "source_name": "-", "source_name_aggr": "web-5c6b7f-*", "source_ip": None},
    # not in the inventory: rebuilt from its labels ("resolution" and a note)
    {**_WEP, "source_name": "-", "source_name_aggr": "web-9z9z9z-*", "source_ip": None,
     "source_labels": {"labels": ["app=web"]}},
    # aggregated-away addresses: pvt and pub spaces make verdicts uncertain or doubtful
    {"source_type": "net", "source_namespace": "-", "source_name": "-", "source_name_aggr": "pvt",
     "source_ip": None},
    {"source_type": "net", "source_namespace": "-", "source_name": "-", "source_name_aggr": "pub",
     "source_ip": "203.0.113.7"},
    # an unknown pod: an error record
    {**_WEP, "source_name": "-", "source_name_aggr": "ghost-1234-*", "source_ip": None},
]
DESTS = [
    {"dest_type": "wep", "dest_namespace": "app", "dest_name": "-",
     "dest_name_aggr": "db-5c6b7f-*", "dest_ip": "10.0.0.30"},
    {"dest_type": "wep", "dest_namespace": "app", "dest_name": "web-5c6b7f-fghij",
     "dest_name_aggr": "web-5c6b7f-*", "dest_ip": "10.0.0.20"},
    {"dest_type": "net", "dest_namespace": "-", "dest_name": "-", "dest_name_aggr": "pub",
     "dest_ip": "198.51.100.9"},
]
PORTS = [("tcp", 5432), ("tcp", 8080), ("udp", 53), ("icmp", None)]


def _records(tmp_path: Path) -> Path:
    lines = []
    for source, dest, (proto, port), reporter in itertools.product(SOURCES, DESTS, PORTS,
                                                                   ("src", "dst")):
        lines.append(json.dumps({"start_time": 1764100000, "end_time": 1764100300,
                                 "proto": proto, "dest_port": port, "reporter": reporter,
                                 "action": "allow", **source, **dest}))
    path = tmp_path / "flows.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("replace", [False, True])
def test_every_line_is_the_dump_of_the_rendered_record(tmp_path: Path, replace: bool) -> None:
    args = argparse.Namespace(policies=[str(APP / "policies")], inventory=str(APP / "inventory.yaml"),
                              calico_version="3.32", edition="oss", replace_preview=replace)
    setup = load_setup(args)
    resolver = Resolver(setup.evaluator.topology)
    records = [r for r in read_flows(_records(tmp_path), options=ReadOptions(partial=True),
                                     dedupe=False) if isinstance(r, FlowRecord)]
    queries = [query_from_flow(resolver, record) for record in records]
    renderer = ResultRenderer(setup.evaluator, replace)
    writer = SimulateJsonLines(renderer)
    kinds: set[str] = set()
    for _ in range(2):  # the second pass reads every side from the writer's cache
        for query, result in evaluate_queries(setup.evaluator, iter(queries), replace):
            item = renderer.render(query, result)
            assert writer.line(query, result) == orjson.dumps(item) + b"\n"
            kinds.update(key for key in ("error", "uncertain", "notes", "resolution",
                                         "replace_preview_verdict") if key in item)
    assert len(records) == len(SOURCES) * len(DESTS) * len(PORTS) * 2
    # The records cover the writer's fast path and every reason to fall back to the whole dump.
    assert kinds == {"error", "uncertain", "notes", "resolution"} | (
        {"replace_preview_verdict"} if replace else set())
