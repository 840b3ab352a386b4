"""The observe model from a synthetic policy set, inventory and flow log: exact edges and gaps."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tierguard.engine.compile import compile_policy_set, profiles_for
from tierguard.engine.evaluate import Evaluator
from tierguard.engine.ir import CalicoVersion, Edition
from tierguard.engine.topology import Topology
from tierguard.flows.model import FlowRecord
from tierguard.flows.read import read_flows
from tierguard.inventory.load import load_inventory
from tierguard.loader.resources import extract_resources
from tierguard.loader.yaml_source import load_yaml_text
from tierguard.model.build import build_resource
from tierguard.observe.build import Inputs, build_model
from tierguard.observe.model import Coverage, Decision, NodeKind, ObserveModel, Status

from tests.observe import scenario


def model_for(files: scenario.Files, version: str = "3.32", edition: Edition = Edition.OSS
              ) -> ObserveModel:
    """The same public steps as `tierguard observe --policies --inventory --flows`."""
    name = files.policies.name
    loaded = load_yaml_text(files.policies.read_text(encoding="utf-8"), name)
    models = []
    for resource in extract_resources(loaded.documents).resources:
        model, problems = build_resource(resource.root, resource.file)
        assert problems == []
        models.append(model)
    policy_set, problems = compile_policy_set(models, CalicoVersion.parse(version), edition)
    assert problems == []
    inventory, problems = load_inventory(files.inventory)
    assert [d for d in problems if d.severity.value == "error"] == []
    topology = Topology(inventory.endpoints, inventory.services, inventory.nodes)
    profiles = {p.name: p for e in inventory.endpoints for p in profiles_for(e)}
    evaluator = Evaluator(policy_set, topology, profiles.values())
    records = [r for r in read_flows(str(files.flows)) if isinstance(r, FlowRecord)]
    return build_model(evaluator, records, Inputs("test", ("policies.yaml",)))


def edge_table(model: ObserveModel) -> list[tuple[str, str, str, str, int, int]]:
    return [(e.src.display, e.dst.display, e.service, e.status.value, e.flows, e.records)
            for e in model.edges]


def test_edges_and_statuses_are_exact(tmp_path: Path) -> None:
    model = model_for(scenario.write(tmp_path))
    assert edge_table(model) == [
        ("shop/api-6b8d4f-*", "shop/db-0", "TCP/5432", "allowed", 5, 2),
        ("shop/web-5f7c9d-*", "pub", "TCP/443", "allowed", 7, 1),
        ("shop/web-5f7c9d-*", "shop/api-6b8d4f-*", "TCP/8080", "allowed", 10, 2),
        ("tools/debug", "shop/api-6b8d4f-*", "TCP/8080", "denied", 2, 1),
        ("shop/web-5f7c9d-*", "shop/db-0", "TCP/5432", "would-be-denied", 4, 2),
        ("tools/debug", "shop/web-5f7c9d-*", "TCP/80", "would-be-allowed", 1, 1),
    ]
    assert model.records == 9 and model.evaluated == 9 and model.unresolved == ()
    assert model.status_counts() == {Status.ALLOWED: 3, Status.DENIED: 1,
                                     Status.WOULD_BE_DENIED: 1, Status.WOULD_BE_ALLOWED: 1}


def _edge(model: ObserveModel, src: str, dst: str, status: Status):  # type: ignore[no-untyped-def]
    return next(e for e in model.edges if e.src.display == src and e.dst.display == dst
                and e.status is status)


def test_deciding_policy_and_rule_with_file_and_line(tmp_path: Path) -> None:
    model = model_for(scenario.write(tmp_path))
    allowed = _edge(model, "shop/web-5f7c9d-*", "shop/api-6b8d4f-*", Status.ALLOWED)
    assert allowed.decisions == (
        Decision("enforced", "egress", "__PROFILE__", "pro:kns.shop", "allow", 0),
        Decision("enforced", "ingress", "app", "np:shop/app.api", "allow", 0, "policies.yaml",
                 scenario.line_of("- action: Allow", after="name: app.api")),
    )
    assert allowed.profile_allowed == ("egress",)
    denied = _edge(model, "tools/debug", "shop/api-6b8d4f-*", Status.DENIED)
    assert denied.decisions == (
        Decision("enforced", "egress", "app", "np:tools/app.debug-egress", "deny", -1,
                 "policies.yaml", scenario.document_line("app.debug-egress")),)
    assert denied.recorded == (("deny", 1),) and not denied.recorded_differs
    would_deny = _edge(model, "shop/web-5f7c9d-*", "shop/db-0", Status.WOULD_BE_DENIED)
    assert would_deny.decisions == (
        Decision("enforced", "egress", "__PROFILE__", "pro:kns.shop", "allow", 0),
        Decision("enforced", "ingress", "__PROFILE__", "pro:kns.shop", "allow", 0),
        Decision("pending", "ingress", "app", "snp:shop/app.db-lockdown", "deny", -1,
                 "policies.yaml", scenario.document_line("app.db-lockdown")),
    )
    would_allow = _edge(model, "tools/debug", "shop/web-5f7c9d-*", Status.WOULD_BE_ALLOWED)
    assert would_allow.decisions == (
        Decision("enforced", "egress", "app", "np:tools/app.debug-egress", "deny", -1,
                 "policies.yaml", scenario.document_line("app.debug-egress")),
        Decision("pending", "egress", "app", "snp:tools/app.debug-web", "allow", 0,
                 "policies.yaml", scenario.line_of("- action: Allow", after="name: app.debug-web")),
        Decision("pending", "ingress", "__PROFILE__", "pro:kns.shop", "allow", 0),
    )


def test_counts_are_deduplicated_across_reporters_and_times_kept(tmp_path: Path) -> None:
    model = model_for(scenario.write(tmp_path))
    edge = _edge(model, "shop/web-5f7c9d-*", "shop/api-6b8d4f-*", Status.ALLOWED)
    # src and dst both logged 10 flows of 1100 bytes: the edge counts them once.
    assert (edge.records, edge.flows, edge.bytes, edge.packets) == (2, 10, 1100, 20)
    assert (edge.first_ms, edge.last_ms) == (1_794_960_000_000, 1_794_963_600_000)


def test_gaps_are_exact(tmp_path: Path) -> None:
    model = model_for(scenario.write(tmp_path))
    unselected = [(u.node.display, u.direction, u.coverage, u.pods_affected, u.pods)
                  for u in model.gaps.unselected]
    assert unselected == [
        ("shop/api-6b8d4f-*", "egress", Coverage.NOT_SELECTED, 1, 1),
        ("shop/db-0", "ingress", Coverage.NOT_SELECTED, 1, 1),
        ("shop/db-0", "egress", Coverage.NOT_SELECTED, 1, 1),
        ("shop/idle-0", "ingress", Coverage.NOT_SELECTED, 1, 1),
        ("shop/idle-0", "egress", Coverage.NOT_SELECTED, 1, 1),
        ("shop/web-5f7c9d-*", "ingress", Coverage.NOT_SELECTED, 1, 1),
        ("shop/web-5f7c9d-*", "egress", Coverage.NOT_SELECTED, 1, 1),
        ("tools/debug", "ingress", Coverage.NOT_SELECTED, 1, 1),
    ]
    assert [(e.src.display, e.dst.display, e.service, e.profile_allowed)
            for e in model.gaps.profile_allowed] == [
        ("shop/api-6b8d4f-*", "shop/db-0", "TCP/5432", ("egress", "ingress")),
        ("shop/web-5f7c9d-*", "pub", "TCP/443", ("egress",)),
        ("shop/web-5f7c9d-*", "shop/api-6b8d4f-*", "TCP/8080", ("egress",)),
        ("shop/web-5f7c9d-*", "shop/db-0", "TCP/5432", ("egress", "ingress")),
    ]
    assert [n.key.display for n in model.gaps.quiet] == ["shop/idle-0"]


def test_nodes_cover_inventory_workloads_and_observed_peers(tmp_path: Path) -> None:
    model = model_for(scenario.write(tmp_path))
    assert [(n.key.kind, n.key.display, n.pods) for n in model.nodes] == [
        (NodeKind.EXTERNAL, "pub", 0),
        (NodeKind.WORKLOAD, "shop/api-6b8d4f-*", 1),
        (NodeKind.WORKLOAD, "shop/db-0", 1),
        (NodeKind.WORKLOAD, "shop/idle-0", 1),
        (NodeKind.WORKLOAD, "shop/web-5f7c9d-*", 1),
        (NodeKind.WORKLOAD, "tools/debug", 1),
    ]


def test_unresolvable_records_are_reported_not_dropped(tmp_path: Path) -> None:
    lines = scenario.flow_lines((scenario.Flow(("wep", "shop", "gone-1a2b3c-*"),
                                               ("wep", "shop", "db-0"), 5432),))
    model = model_for(scenario.write(tmp_path, flows=lines))
    assert model.edges == ()
    assert [(u.reason, u.records, u.example) for u in model.unresolved] == [
        ("no endpoint in the inventory matches pod shop/gone-1a2b3c-*", 2,
         f"{tmp_path / 'flows.jsonl'}:1")]
    assert (model.records, model.evaluated) == (2, 0)


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(scenario.FLOWS), max_size=8))
def test_every_evaluated_record_lands_in_exactly_one_edge(tmp_path: Path,
                                                          flows: list[scenario.Flow]) -> None:
    lines = scenario.flow_lines(flows)
    # Distinct end times keep repeated flows from being skipped as duplicate records.
    for index, line in enumerate(lines):
        line["end_time"] = int(str(line["end_time"])) + index
    model = model_for(scenario.write(tmp_path / str(len(lines)), flows=lines or None))
    if not lines:  # `write` falls back to the full scenario for an empty list
        return
    assert model.evaluated == len(lines) == sum(e.records for e in model.edges)
    assert {(e.src.display, e.dst.display, e.port) for e in model.edges} == {
        (_display(f.src), _display(f.dst), f.port) for f in flows}
    # Both reporters log each connection; the edge counts it once.
    assert sum(e.flows for e in model.edges) == sum(f.flows for f in flows)


def _display(end: tuple[str, str, str]) -> str:
    return f"{end[1]}/{end[2]}" if end[1] else end[2]
