"""The layered layout: columns follow the traffic, cycles are broken, output is deterministic."""

from __future__ import annotations

import itertools
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from tierguard.observe.layout import COLUMN_GAP, NODE_H, NODE_W, group_columns, layout
from tierguard.observe.model import Edge, GraphNode, Group, GroupKind, NodeKey, NodeKind, Status

from tests.observe import scenario
from tests.observe.test_build import model_for


def _key(namespace: str, name: str) -> NodeKey:
    return NodeKey(NodeKind.WORKLOAD, Group(GroupKind.NAMESPACE, namespace), name)


def _edge(src: NodeKey, dst: NodeKey, status: Status = Status.ALLOWED, port: int = 80) -> Edge:
    return Edge(src, dst, "TCP", port, status, 1, 1, 1, 1, 0, 0, ())


def test_columns_follow_traffic_and_break_cycles() -> None:
    a, b, c = _key("a", "x"), _key("b", "y"), _key("c", "z")
    groups = [a.group, b.group, c.group]
    # a -> b -> c and back c -> a: the back edge is ignored for layering.
    columns = group_columns(groups, [_edge(a, b), _edge(b, c), _edge(c, a)])
    assert columns == {a.group: 0, b.group: 1, c.group: 2}


def test_layout_of_the_scenario(tmp_path: Path) -> None:
    model = model_for(scenario.write(tmp_path))
    placed = layout(model.nodes, model.edges, [n.key for n in model.gaps.quiet])
    # tools sends to shop, shop sends to the outside: three columns in traffic order.
    assert [(g.group.title, g.column) for g in placed.groups] == [
        ("tools", 0), ("shop", 1), ("outside the cluster", 2)]
    # One link per (source, destination, status): web -> db appears twice, once per status.
    assert [(k.src.name, k.dst.name, k.status.value, k.services) for k in placed.links] == [
        ("api-6b8d4f-*", "db-0", "allowed", ("TCP/5432",)),
        ("web-5f7c9d-*", "pub", "allowed", ("TCP/443",)),
        ("web-5f7c9d-*", "api-6b8d4f-*", "allowed", ("TCP/8080",)),
        ("debug", "api-6b8d4f-*", "denied", ("TCP/8080",)),
        ("web-5f7c9d-*", "db-0", "would-be-denied", ("TCP/5432",)),
        ("debug", "web-5f7c9d-*", "would-be-allowed", ("TCP/80",)),
    ]
    assert [n.node.key.name for n in placed.nodes if n.quiet] == ["idle-0"]
    shop = next(g for g in placed.groups if g.group.name == "shop")
    assert shop.x == 24 + (NODE_W + 20 + COLUMN_GAP)
    assert layout(model.nodes, model.edges) == layout(model.nodes, model.edges)


names = st.text(alphabet="abcdef", min_size=1, max_size=3)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.tuples(names, names, names, names), max_size=25))
def test_nodes_never_overlap_and_every_edge_is_drawn(pairs: list[tuple[str, str, str, str]]) -> None:
    edges = [_edge(_key(a, b), _key(c, d)) for a, b, c, d in pairs]
    nodes = sorted({GraphNode(k) for e in edges for k in (e.src, e.dst)}, key=lambda n: n.key)
    placed = layout(nodes, edges)
    boxes = sorted((n.x, n.y) for n in placed.nodes)
    assert len(boxes) == len(nodes)
    for (x1, y1), (x2, y2) in itertools.pairwise(boxes):
        assert x1 != x2 or y2 - y1 >= NODE_H  # same column: stacked, never overlapping
    assert {(k.src, k.dst) for k in placed.links} == {(e.src, e.dst) for e in edges}
    assert all(0 <= n.x <= placed.width and 0 <= n.y <= placed.height for n in placed.nodes)
