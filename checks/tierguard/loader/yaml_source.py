"""Parse YAML text into located nodes, with guards against hostile input.

Uses PyYAML's composer (libyaml when present) so that marks survive, then converts the node
graph into frozen `LMap`/`LSeq`/`LScalar` trees. Alias expansion is budgeted, so a
billion-laughs document becomes one diagnostic instead of exhausting memory.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml
from yaml.constructor import SafeConstructor

from tierguard.diagnostics import Diagnostic, Severity, Span
from tierguard.loader import codes
from tierguard.loader.gcpause import paused_gc
from tierguard.loader.nodes import Document, LMap, LScalar, LSeq, Node, ScalarValue

DEFAULT_MAX_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_NODES = 2_000_000

_Composer = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True)
class Limits:
    """Guards against hostile input: bytes per source and nodes per stream."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_nodes: int = DEFAULT_MAX_NODES


@dataclass(frozen=True, slots=True)
class LoadResult:
    """The documents of a source, and the diagnostics that stopped or accompanied loading."""

    documents: tuple[Document, ...]
    diagnostics: tuple[Diagnostic, ...]


class _Budget:
    """Counts converted nodes, so a huge document becomes one diagnostic instead of a memory spike."""

    __slots__ = ("left",)

    def __init__(self, max_nodes: int) -> None:
        self.left = max_nodes


class _BudgetExceeded(Exception):
    def __init__(self, span: Span) -> None:
        super().__init__("node budget exceeded")
        self.span = span


class _Oversized(Exception):
    def __init__(self, node: yaml.Node) -> None:
        super().__init__("alias expansion over budget")
        self.node = node


class _DuplicateKey(Exception):
    def __init__(self, key: str, span: Span, first: Span) -> None:
        super().__init__(key)
        self.key = key
        self.span = span
        self.first = first


def _first_over_budget(root: yaml.Node, limit: int) -> yaml.Node | None:
    """The first node (post-order) whose alias-expanded size exceeds `limit`, found without expanding.

    Sizes are memoised per node object (an alias is the same object as its anchor), so a
    billion-laughs document costs time linear in its text and is refused before conversion.
    """
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:
        known = sizes.get(id(node))
        if known is not None:
            return known
        total = 1
        if isinstance(node, yaml.SequenceNode):
            total += sum(size(item) for item in node.value)
        elif isinstance(node, yaml.MappingNode):
            total += sum(size(key) + size(value) for key, value in node.value)
        if total > limit:
            raise _Oversized(node)
        sizes[id(node)] = total
        return total

    try:
        size(root)
    except _Oversized as over:
        return over.node
    return None


def _span(file: str, node: yaml.Node) -> Span:
    start, end = node.start_mark, node.end_mark
    return Span(file, start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def _scalar_value(node: yaml.ScalarNode, constructor: SafeConstructor) -> ScalarValue:
    tag, value = node.tag, node.value
    if tag == "tag:yaml.org,2002:str":
        return str(value)  # the common case, without the constructor's overhead
    if tag == "tag:yaml.org,2002:int" and value.isdigit() and (len(value) == 1 or value[0] != "0"):
        return int(value)  # plain decimal; YAML 1.1 octal/hex/sexagesimal go through the constructor
    if node.tag == "tag:yaml.org,2002:timestamp" or node.tag == "tag:yaml.org,2002:binary":
        return str(node.value)
    if node.tag.startswith("tag:yaml.org,2002:"):
        try:
            value = constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError):
            return str(node.value)
        if isinstance(value, (str, int, float, bool)) or value is None:
            return value
    return str(node.value)


def _convert(node: yaml.Node, file: str, budget: _Budget, constructor: SafeConstructor) -> Node:
    budget.left -= 1
    if budget.left < 0:
        raise _BudgetExceeded(_span(file, node))
    start, end = node.start_mark, node.end_mark
    span = Span(file, start.line + 1, start.column + 1, end.line + 1, end.column + 1)
    if isinstance(node, yaml.ScalarNode):
        return LScalar(_scalar_value(node, constructor), span, node.style or "")
    if isinstance(node, yaml.SequenceNode):
        return LSeq(tuple([_convert(item, file, budget, constructor) for item in node.value]), span)
    assert isinstance(node, yaml.MappingNode)
    return _convert_mapping(node, file, budget, constructor, span)


def _convert_mapping(node: yaml.MappingNode, file: str, budget: _Budget,
                     constructor: SafeConstructor, span: Span) -> LMap:
    entries: list[tuple[LScalar, Node]] = []
    index: dict[str, int] = {}
    for key_node, value_node in node.value:
        key = _convert(key_node, file, budget, constructor)
        if not isinstance(key, LScalar):
            key = LScalar(str(key.to_plain()), key.span)
        text = str(key.value)
        if text in index:
            raise _DuplicateKey(text, key.span, entries[index[text]][0].span)
        index[text] = len(entries)
        entries.append((key, _convert(value_node, file, budget, constructor)))
    return LMap(tuple(entries), span, index)


def _mark_span(file: str, mark: yaml.Mark | None) -> Span:
    if mark is None:
        return Span(file, 1, 1, 1, 2)
    return Span(file, mark.line + 1, mark.column + 1, mark.line + 1, mark.column + 2)


def _tab_at(text: str, mark: yaml.Mark | None) -> bool:
    """True when the error mark sits on a tab, or in a line's tab-containing indentation."""
    if mark is None:
        return False
    lines = text.split("\n")
    if mark.line >= len(lines):
        return False
    line = lines[mark.line]
    if mark.column < len(line) and line[mark.column] == "\t":
        return True
    indent = line[: len(line) - len(line.lstrip(" \t"))]
    return "\t" in indent and mark.column <= len(indent)


def _syntax_diagnostic(file: str, error: yaml.YAMLError, text: str) -> Diagnostic:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    problem = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    if _tab_at(text, mark):
        return Diagnostic(codes.YAML_SYNTAX, Severity.ERROR,
                          "YAML syntax error: tab character in indentation", _mark_span(file, mark),
                          hint="YAML forbids tab characters for indentation; use spaces.")
    message = f"YAML syntax error: {problem}" + (f" ({context})" if context else "")
    return Diagnostic(codes.YAML_SYNTAX, Severity.ERROR, message, _mark_span(file, mark))


def decode_source(data: bytes, file: str, limits: Limits = Limits()) -> tuple[str | None, Diagnostic | None]:
    """Bytes to text, refusing oversized, binary and non-UTF-8 input with a diagnostic."""
    if len(data) > limits.max_bytes:
        return None, Diagnostic(
            codes.YAML_TOO_LARGE, Severity.ERROR,
            f"file is {len(data):,} bytes, over the {limits.max_bytes:,}-byte limit for one YAML source",
            Span(file, 1, 1, 1, 2), hint="Split the file, or raise loader.max_bytes in tierguard.yaml.")
    if b"\x00" in data:
        offset = data.index(b"\x00")
        line = data.count(b"\n", 0, offset) + 1
        return None, Diagnostic(codes.YAML_NOT_TEXT, Severity.ERROR,
                                "file contains NUL bytes; it is binary, not YAML", Span(file, line, 1, line, 2))
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        return None, Diagnostic(codes.YAML_NOT_TEXT, Severity.ERROR,
                                f"file is not valid UTF-8 (byte {error.start})", Span(file, line, 1, line, 2))


def load_yaml_text(text: str, file: str, limits: Limits = Limits()) -> LoadResult:
    """Parse every document of `text`. Never raises for bad input; problems become diagnostics."""
    with paused_gc():
        return _load(text, file, limits)


def _load(text: str, file: str, limits: Limits) -> LoadResult:
    if len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes:
        _, diag = decode_source(b" " * (limits.max_bytes + 1), file, limits)
        assert diag is not None
        return LoadResult((), (diag,))
    if not text.strip() or all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.splitlines()):
        return LoadResult((), (Diagnostic(codes.YAML_EMPTY, Severity.WARNING, "file has no YAML documents",
                                          Span(file, 1, 1, 1, 2)),))
    constructor = SafeConstructor()
    documents: list[Document] = []
    budget = _Budget(limits.max_nodes)
    has_anchors = "&" in text
    try:
        for index, root in enumerate(yaml.compose_all(text, Loader=_Composer)):
            if root is None:
                continue
            # Without anchors there are no aliases, so nothing can expand: skip the size pre-pass.
            over = _first_over_budget(root, budget.left) if has_anchors else None
            if over is not None:
                raise _BudgetExceeded(_span(file, over))
            converted = _convert(root, file, budget, constructor)
            documents.append(Document(converted, file, index))
    except _BudgetExceeded as bomb:
        return LoadResult(tuple(documents), (Diagnostic(
            codes.YAML_ALIAS_BOMB, Severity.ERROR,
            f"document expands to more than {limits.max_nodes:,} nodes (alias expansion bomb or huge document)",
            bomb.span, hint="Remove YAML anchors/aliases; Kubernetes manifests do not need them."),))
    except _DuplicateKey as dup:
        return LoadResult(tuple(documents), (Diagnostic(
            codes.YAML_DUPLICATE_KEY, Severity.ERROR,
            f"duplicate key '{dup.key}' (first defined at line {dup.first.line}); "
            "Kubernetes would silently keep only the last value", dup.span),))
    except yaml.YAMLError as error:
        return LoadResult(tuple(documents), (_syntax_diagnostic(file, error, text),))
    except RecursionError:
        return LoadResult(tuple(documents), (Diagnostic(
            codes.YAML_ALIAS_BOMB, Severity.ERROR, "document nesting is too deep to load",
            Span(file, 1, 1, 1, 2)),))
    return LoadResult(tuple(documents), ())
