"""Reference for the differential tests: the loader as it was before it built nodes from events.

It composes `yaml.Node` graphs with PyYAML and converts them in a second pass (with a separate
alias-size pre-pass). `tests/loader/test_yaml_differential.py` checks that the event-based
loader gives exactly the same documents and diagnostics.
"""

from __future__ import annotations

import yaml
from tierguard.diagnostics import Diagnostic, Severity, Span
from tierguard.loader import codes
from tierguard.loader.gcpause import paused_gc
from tierguard.loader.nodes import Document, LMap, LScalar, LSeq, Node, ScalarValue
from tierguard.loader.yaml_source import Limits, LoadResult, _syntax_diagnostic, decode_source
from yaml.constructor import SafeConstructor

_Composer = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def reference_load_yaml_text(text: str, file: str, limits: Limits | None = None) -> LoadResult:
    """The old `load_yaml_text`."""
    with paused_gc():
        return _load(text, file, limits or Limits())


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
        except (yaml.YAMLError, ValueError, KeyError, IndexError):  # e.g. `!!bool x`, `!!int ''`
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
