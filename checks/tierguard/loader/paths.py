"""Field paths such as `spec.ingress[0].source.selector`, and finding the node a path names."""

from __future__ import annotations

import re

from tierguard.loader.nodes import LMap, LScalar, LSeq, Node

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


def _contains(node: Node, line: int, col: int) -> bool:
    span = node.span
    after_start = (line, col) >= (span.line, span.col)
    before_end = span.end_line == 0 or (line, col) < (span.end_line, span.end_col)
    return after_start and before_end


def _steps_at(node: Node, line: int, col: int) -> list[str | int] | None:
    if isinstance(node, LScalar):
        return [] if _contains(node, line, col) else None
    children: list[tuple[str | int, Node]] = (
        [(str(key.value), value) for key, value in node.entries] if isinstance(node, LMap)
        else list(enumerate(node.items)))
    for step, child in children:
        if _contains(child, line, col):
            inner = _steps_at(child, line, col)
            if inner is not None:
                return [step, *inner]
    return None


def path_at(root: Node, line: int, col: int) -> str | None:
    """The field path of the innermost scalar value under `root` that contains (line, col)."""
    steps = _steps_at(root, line, col)
    if steps is None:
        return None
    path = ""
    for step in steps:
        path = join(path, step)
    return path
