"""Field paths such as `spec.ingress[0].source.selector`, and finding the node a path names."""

from __future__ import annotations

import re

from tierguard.loader.nodes import LMap, LSeq, Node

_TOKEN = re.compile(r'\.?([^.\[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]')


def join(parent: str, key: str | int) -> str:
    """`parent` + one step. Keys that contain dots or brackets are quoted: labels["a.b/c"]."""
    if isinstance(key, int):
        return f"{parent}[{key}]"
    if re.search(r'[.\[\]"]', key):
        escaped = key.replace("\\", "\\\\").replace('"', '\\"')
        return f'{parent}["{escaped}"]'
    return f"{parent}.{key}" if parent else key


def parse(path: str) -> tuple[str | int, ...] | None:
    """The steps of a path, or None when it is not a well-formed field path."""
    steps: list[str | int] = []
    position = 0
    while position < len(path):
        match = _TOKEN.match(path, position)
        if match is None or match.end() == position:
            return None
        name, index, quoted = match.groups()
        if index is not None:
            steps.append(int(index))
        elif quoted is not None:
            steps.append(re.sub(r"\\(.)", r"\1", quoted))
        else:
            steps.append(name)
        position = match.end()
    return tuple(steps)


def node_at(root: Node, path: str) -> Node | None:
    """The node at `path` below `root`, or None when any step is missing."""
    steps = parse(path)
    if steps is None:
        return None
    node: Node | None = root
    for step in steps:
        if isinstance(step, int) and isinstance(node, LSeq) and step < len(node):
            node = node.items[step]
        elif isinstance(step, str) and isinstance(node, LMap):
            node = node.get(step)
        else:
            return None
        if node is None:
            return None
    return node
