"""A deterministic layered layout of the service graph (pure), drawn as inline SVG.

Namespaces (and the cluster-wide groups) are boxes; boxes are placed in columns so that most
traffic runs left to right: the group graph's cycles are broken by a depth-first search and each
group's column is its longest path from a source. Nodes inside a box are ordered by the mean
height of their upstream neighbours (one barycenter pass), which keeps edges short and uncrossed
in the common case without a layout library.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tierguard.observe.model import STATUS_ORDER, Edge, GraphNode, Group, GroupKind, NodeKey, Status

NODE_W = 190
NODE_H = 24
NODE_GAP = 6
GROUP_PAD = 10
GROUP_HEAD = 22
GROUP_GAP = 18
COLUMN_GAP = 110
MARGIN = 24
LABEL_CHARS = 30
# External traffic enters from the left, hosts next; then namespaces by name.
_GROUP_PRIORITY = {GroupKind.EXTERNAL: 0, GroupKind.HOSTS: 1, GroupKind.GLOBAL: 2,
                   GroupKind.NAMESPACE: 3}


@dataclass(frozen=True, slots=True)
class PlacedGroup:
    group: Group
    x: float
    y: float
    w: float
    h: float
    column: int


@dataclass(frozen=True, slots=True)
class PlacedNode:
    node: GraphNode
    x: float
    y: float
    w: float
    h: float
    label: str  # clipped display text; the full name goes in the hover title
    quiet: bool  # an inventory workload with no observed traffic


@dataclass(frozen=True, slots=True)
class Link:
    """One drawn arrow: all edges of one (source, destination, status), ports merged."""

    src: NodeKey
    dst: NodeKey
    status: Status
    path: str
    width: float
    services: tuple[str, ...]
    flows: int


@dataclass(frozen=True, slots=True)
class Layout:
    width: float
    height: float
    groups: tuple[PlacedGroup, ...]
    nodes: tuple[PlacedNode, ...]
    links: tuple[Link, ...]


def clip(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _group_edges(edges: Iterable[Edge]) -> dict[tuple[Group, Group], int]:
    weights: dict[tuple[Group, Group], int] = {}
    for edge in edges:
        a, b = edge.src.group, edge.dst.group
        if a != b:
            weights[(a, b)] = weights.get((a, b), 0) + 1
    return weights


def _group_order(groups: Sequence[Group]) -> list[Group]:
    return sorted(groups, key=lambda g: (_GROUP_PRIORITY[g.kind], g.name))


def group_columns(groups: Sequence[Group], edges: Iterable[Edge]) -> dict[Group, int]:
    """Column of each group: longest path from a source after removing DFS back edges."""
    weights = _group_edges(edges)
    out: dict[Group, list[Group]] = {g: [] for g in groups}
    for a, b in sorted(weights):
        out[a].append(b)
    state: dict[Group, int] = {}  # 1 visiting, 2 done
    forward: dict[Group, list[Group]] = {g: [] for g in groups}
    finished: list[Group] = []

    def visit(start: Group) -> None:
        stack: list[tuple[Group, int]] = [(start, 0)]
        state[start] = 1
        while stack:
            node, index = stack.pop()
            if index < len(out[node]):
                stack.append((node, index + 1))
                nxt = out[node][index]
                if state.get(nxt) == 1:
                    continue  # back edge: ignored for layering
                forward[node].append(nxt)
                if nxt not in state:
                    state[nxt] = 1
                    stack.append((nxt, 0))
            else:
                state[node] = 2
                finished.append(node)

    for group in _group_order(groups):
        if group not in state:
            visit(group)
    column = {g: 0 for g in groups}
    for node in reversed(finished):  # reverse finishing order is a topological order
        for nxt in forward[node]:
            column[nxt] = max(column[nxt], column[node] + 1)
    return column


def _neighbour_rows(edges: Iterable[Edge]) -> dict[NodeKey, set[NodeKey]]:
    upstream: dict[NodeKey, set[NodeKey]] = {}
    for edge in edges:
        upstream.setdefault(edge.dst, set()).add(edge.src)
        upstream.setdefault(edge.src, set()).add(edge.dst)
    return upstream


def _place(columns: dict[int, list[Group]], members: dict[Group, list[GraphNode]],
           ) -> tuple[list[PlacedGroup], dict[NodeKey, tuple[float, float]]]:
    placed: list[PlacedGroup] = []
    where: dict[NodeKey, tuple[float, float]] = {}
    group_w = NODE_W + 2 * GROUP_PAD
    for column, groups in sorted(columns.items()):
        x = MARGIN + column * (group_w + COLUMN_GAP)
        y = float(MARGIN)
        for group in groups:
            nodes = members[group]
            h = GROUP_HEAD + GROUP_PAD + len(nodes) * (NODE_H + NODE_GAP) - NODE_GAP + GROUP_PAD
            placed.append(PlacedGroup(group, x, y, group_w, h, column))
            for index, node in enumerate(nodes):
                where[node.key] = (x + GROUP_PAD, y + GROUP_HEAD + GROUP_PAD + index * (NODE_H + NODE_GAP))
            y += h + GROUP_GAP
    return placed, where


def _barycenter(columns: dict[int, list[Group]], members: dict[Group, list[GraphNode]],
                where: dict[NodeKey, tuple[float, float]], column_of: dict[Group, int],
                neighbours: dict[NodeKey, set[NodeKey]]) -> None:
    def weight(node: GraphNode, index: int, column: int) -> tuple[float, int]:
        ys = [where[n][1] for n in neighbours.get(node.key, ())
              if n in where and column_of.get(n.group, column) < column]
        return (sum(ys) / len(ys) if ys else where[node.key][1], index)

    for column, groups in sorted(columns.items()):
        for group in groups:
            ranked = sorted(enumerate(members[group]),
                            key=lambda item: weight(item[1], item[0], column))
            members[group] = [node for _, node in ranked]


def _path(a: tuple[float, float], b: tuple[float, float], column_a: int, column_b: int,
          same: bool) -> str:
    ax, ay = a[0] + NODE_W, a[1] + NODE_H / 2
    by = b[1] + NODE_H / 2
    if same:  # a loop on the right-hand side of the node
        return (f"M{ax:.1f},{ay - 5:.1f} C{ax + 42:.1f},{ay - 24:.1f} {ax + 42:.1f},{ay + 24:.1f} "
                f"{ax + 2:.1f},{ay + 5:.1f}")
    if column_a == column_b:  # same column: bow out to the right and come back
        bx = b[0] + NODE_W + 2
        bow = 36 + min(abs(by - ay) / 5, 70)
        return f"M{ax:.1f},{ay:.1f} C{ax + bow:.1f},{ay:.1f} {bx + bow:.1f},{by:.1f} {bx:.1f},{by:.1f}"
    bx = b[0] - 2
    if column_b > column_a:
        bend = (bx - ax) / 2
        return f"M{ax:.1f},{ay:.1f} C{ax + bend:.1f},{ay:.1f} {bx - bend:.1f},{by:.1f} {bx:.1f},{by:.1f}"
    return f"M{ax:.1f},{ay:.1f} C{ax + 90:.1f},{ay:.1f} {bx - 90:.1f},{by:.1f} {bx:.1f},{by:.1f}"


def _links(edges: Sequence[Edge], where: dict[NodeKey, tuple[float, float]],
           column_of: dict[Group, int]) -> tuple[Link, ...]:
    merged: dict[tuple[NodeKey, NodeKey, Status], list[Edge]] = {}
    for edge in edges:
        merged.setdefault((edge.src, edge.dst, edge.status), []).append(edge)
    links: list[Link] = []
    for (src, dst, status), group in merged.items():
        flows = sum(e.flows for e in group)
        path = _path(where[src], where[dst], column_of[src.group], column_of[dst.group], src == dst)
        width = round(1.2 + min(math.log10(flows + 1), 4.0) * 0.8, 2)
        links.append(Link(src, dst, status, path, width, tuple(e.service for e in group), flows))
    # Draw the quiet colours first so denied and would-be edges stay on top.
    return tuple(sorted(links, key=lambda k: (STATUS_ORDER.index(k.status), k.src, k.dst)))


def layout(nodes: Sequence[GraphNode], edges: Sequence[Edge], quiet: Iterable[NodeKey] = ()) -> Layout:
    """Positions for every node, group box and link; the same model always gives the same layout."""
    members: dict[Group, list[GraphNode]] = {}
    for node in sorted(nodes, key=lambda n: n.key):
        members.setdefault(node.key.group, []).append(node)
    column_of = group_columns(list(members), edges)
    columns: dict[int, list[Group]] = {}
    for group in _group_order(list(members)):
        columns.setdefault(column_of[group], []).append(group)
    _, where = _place(columns, members)
    _barycenter(columns, members, where, column_of, _neighbour_rows(edges))
    placed, where = _place(columns, members)
    quiet_keys = set(quiet)
    placed_nodes = tuple(PlacedNode(node, where[node.key][0], where[node.key][1], NODE_W, NODE_H,
                                    clip(node.key.name), node.key in quiet_keys)
                         for group in _group_order(list(members)) for node in members[group])
    width = max((g.x + g.w for g in placed), default=0) + MARGIN + 60
    height = max((g.y + g.h for g in placed), default=0) + MARGIN
    return Layout(width, height, tuple(placed), placed_nodes, _links(edges, where, column_of))
