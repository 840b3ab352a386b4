"""Parse YAML text into located nodes, with guards against hostile input.

Reads libyaml's event stream (through PyYAML, so marks survive) and builds frozen
`LMap`/`LSeq`/`LScalar` trees from it directly, resolving tags as PyYAML's safe loader does.
(Composing `yaml.Node` graphs first and converting them cost twice as much; the old loader is
kept as the reference of the differential tests in tests/loader.) Alias expansion is budgeted,
so a billion-laughs document becomes one diagnostic instead of exhausting memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from tierguard.diagnostics import Diagnostic, Severity, Span
from tierguard.fastinit import slot_twin
from tierguard.loader import codes
from tierguard.loader.gcpause import paused_gc
from tierguard.loader.nodes import Document, LMap, LScalar, LSeq, Node, ScalarValue

DEFAULT_MAX_BYTES = 16 * 1024 * 1024
DEFAULT_MAX_NODES = 2_000_000

_Composer = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# libyaml's events and marks: PyYAML's stubs type every event attribute as optional, which the
# event grammar rules out, so the builder treats them as untyped.
_Event = Any
_Mark = Any


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


class _DuplicateKey(Exception):
    def __init__(self, key: str, span: Span, first: Span) -> None:
        super().__init__(key)
        self.key = key
        self.span = span
        self.first = first


class _TooDeep(Exception):
    """A recursive alias (a node containing itself) or nesting deeper than Python's recursion limit."""


class _Stop(Exception):
    """Internal: the document already has its error; skip the rest of it (only checking syntax)."""


# Located nodes are built by the hundred thousand, so the builder makes them through slot twins
# (tierguard.fastinit: same slots, no frozen __setattr__), filled with ordinary attribute stores
# and then given their real class, with the stores written out inline: under callgrind 1.8k
# instructions per Span, against 4.3k through the slot descriptors and more for the generated
# __init__. A field added to Span or a node class makes the re-classing raise in every loader
# test. (Tried and dropped: spans made lazily on first access. Validation reads about half of
# them, and making one on demand costs six times as much as making it here.)
_SpanSlots = slot_twin(Span)
_ScalarSlots = slot_twin(LScalar)
_SeqSlots = slot_twin(LSeq)
_MapSlots = slot_twin(LMap)

_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_ScalarEvent = yaml.ScalarEvent
_MISSING: Any = object()  # "not memoised yet" (None is a value)
_CORE_PREFIX = "tag:yaml.org,2002:"


def _new_span(file: str, start: _Mark, end: _Mark) -> Span:
    span: Any = _SpanSlots()  # see the comment on _SpanSlots
    span.file = file
    span.line = start.line + 1
    span.col = start.column + 1
    span.end_line = end.line + 1
    span.end_col = end.column + 1
    span.__class__ = Span
    return span  # type: ignore[no-any-return]


def _new_scalar(value: ScalarValue, span: Span, style: str) -> LScalar:
    node: Any = _ScalarSlots()
    node.value = value
    node.span = span
    node.style = style
    node.__class__ = LScalar
    return node  # type: ignore[no-any-return]


def _new_seq(items: tuple[Node, ...], span: Span) -> LSeq:
    node: Any = _SeqSlots()
    node.items = items
    node.span = span
    node.__class__ = LSeq
    return node  # type: ignore[no-any-return]


def _new_map(entries: tuple[tuple[LScalar, Node], ...], span: Span, index: dict[str, int]) -> LMap:
    node: Any = _MapSlots()
    node.entries = entries
    node.span = span
    node.index = index
    node.__class__ = LMap
    return node  # type: ignore[no-any-return]


def _construct_scalar(tag: str, value: str, style: str | None, start: _Mark, end: _Mark,
                      constructor: SafeConstructor) -> ScalarValue:
    """The Python value of a scalar with a resolved tag (what PyYAML's safe constructor gives)."""
    if tag == _STR:
        return value  # the common case, without the constructor's overhead
    if tag == _INT and value.isdigit() and (len(value) == 1 or value[0] != "0"):
        return int(value)  # plain decimal; YAML 1.1 octal/hex/sexagesimal go through the constructor
    if tag == "tag:yaml.org,2002:timestamp" or tag == "tag:yaml.org,2002:binary":
        return value
    if tag.startswith(_CORE_PREFIX):
        try:
            constructed = constructor.construct_object(yaml.ScalarNode(tag, value, start, end, style), deep=True)
        except (yaml.YAMLError, ValueError, KeyError, IndexError):
            # PyYAML's constructors fail in assorted ways on a malformed tagged scalar
            # (`!!bool x` is a KeyError, `!!int ''` an IndexError): keep the text, as for the rest.
            return value
        if isinstance(constructed, (str, int, float, bool)) or constructed is None:
            return constructed
    return value


class _Anchor:
    """A built anchored node, its alias-expanded size, and where it starts (None while being built)."""

    __slots__ = ("mark", "node", "size")

    def __init__(self, mark: _Mark) -> None:
        self.node: Node | None = None
        self.size = 0
        self.mark = mark


class _Builder:
    """Builds located trees straight from libyaml's event stream, one document at a time.

    It reproduces PyYAML's composer (tag resolution, anchors and aliases, its errors) without
    allocating `yaml.Node` objects, and keeps the previous loader's guarantees and precedence
    within a document: a syntax error anywhere in the document wins; then, when the text has
    anchors, the first node (post-order) whose alias-expanded size is over the node budget, or a
    recursive alias; then the first duplicate key or budget overrun in pre-order. An alias shares
    the anchor's (immutable) located node instead of copying it, but counts its full expanded
    size against the budget, as before.
    """

    def __init__(self, text: str, file: str, budget: _Budget) -> None:
        self.loader = _Composer(text)
        self.next_event = self.loader.get_event
        self.resolve = self.loader.resolve
        self.resolvers: dict[str, list[tuple[str, object]]] = self.loader.yaml_implicit_resolvers
        self.wildcard = bool(self.resolvers.get(None, []))  # type: ignore[call-overload]
        self.constructor = SafeConstructor()
        self.file = file
        self.budget = budget
        self.check_sizes = "&" in text  # without anchors nothing can expand
        self.plain: dict[str, ScalarValue] = {}  # plain-scalar text -> value (resolution is pure)
        self.anchors: dict[str, _Anchor] = {}
        self.entered = 0  # nodes entered in this document, pre-order
        self.expanded = 0  # alias-expanded nodes completed in this document
        self.limit = 0
        self.over: _Event = None  # the node entered past the budget (no anchors)
        self.pre_order_error: Exception | None = None
        self.size_error: Exception | None = None

    def close(self) -> None:
        self.loader.dispose()

    def documents(self) -> Iterator[Node]:
        """Each document's root; raises the document's error (see the class) after its last event."""
        event = self.next_event()
        assert type(event) is yaml.StreamStartEvent
        while True:
            event = self.next_event()
            if type(event) is yaml.StreamEndEvent:
                return
            assert type(event) is yaml.DocumentStartEvent
            yield self._document()

    def _document(self) -> Node:
        self.anchors = {}
        self.entered = self.expanded = 0
        self.limit = self.budget.left
        self.over = None
        self.pre_order_error = self.size_error = None
        root: Node | None = None
        try:
            root = self._node(self.next_event())
        except _Stop:
            self._skip_to_document_end()
        except RecursionError:
            self.size_error = self.size_error or _TooDeep()
            self._skip_to_document_end()
        else:
            event = self.next_event()
            assert type(event) is yaml.DocumentEndEvent
        if self.size_error is not None:
            raise self.size_error
        if self.pre_order_error is not None:
            raise self.pre_order_error
        assert root is not None
        self.budget.left -= self.expanded
        return root

    def _fail_pre_order(self, error: Exception) -> None:
        if self.over is not None:
            return  # an enclosing node is already over budget, and came first in pre-order
        if self.pre_order_error is None:
            self.pre_order_error = error
        if not self.check_sizes:
            raise _Stop  # nothing later in this document can take precedence but a syntax error
        # With anchors, a later oversized node would still win (the old size pre-pass ran first).

    def _fail_size(self, error: Exception) -> None:
        if self.size_error is None:
            self.size_error = error
        raise _Stop

    def _register(self, anchor: str, mark: _Mark) -> _Anchor:
        known = self.anchors.get(anchor)
        if known is not None:
            raise yaml.composer.ComposerError("found duplicate anchor; first occurrence", known.mark,
                                              "second occurrence", mark)
        entry = self.anchors[anchor] = _Anchor(mark)
        return entry

    def _alias(self, event: _Event) -> Node:
        entry = self.anchors.get(event.anchor)
        if entry is None:
            raise yaml.composer.ComposerError(None, None, "found undefined alias", event.start_mark)
        if entry.node is None:
            self._fail_size(_TooDeep())  # a node containing itself: infinite expansion
        assert entry.node is not None
        if not self.check_sizes:  # unreachable: an alias needs an anchor, hence "&" in the text
            raise AssertionError("alias without anchors")
        self.entered += entry.size
        self.expanded += entry.size
        return entry.node

    def _node(self, event: _Event) -> Node:
        kind = type(event)
        if kind is _ScalarEvent and event.anchor is None and event.tag is None and self.entered < self.limit:
            # The common case, inlined: an untagged scalar without anchor, well within the budget
            # (its size, 1, cannot exceed the limit either).
            self.entered += 1
            self.expanded += 1
            value = event.value
            if event.implicit[0]:
                known = self.plain.get(value, _MISSING)
                if known is _MISSING:
                    known = self.plain[value] = self._plain_value(value, event)
                value = known
            start, end = event.start_mark, event.end_mark
            span: Any = _SpanSlots()  # _new_span and _new_scalar, inlined
            span.file = self.file
            span.line = start.line + 1
            span.col = start.column + 1
            span.end_line = end.line + 1
            span.end_col = end.column + 1
            span.__class__ = Span
            scalar: Any = _ScalarSlots()
            scalar.value = value
            scalar.span = span
            scalar.style = event.style or ""
            scalar.__class__ = LScalar
            return scalar  # type: ignore[no-any-return]
        if kind is yaml.AliasEvent:
            return self._alias(event)
        self.entered += 1
        if self.entered > self.limit and self.over is None and not self.check_sizes:
            self.over = event  # over budget here; the error needs the node's full span, known at its end
        anchor = event.anchor
        entry = None if anchor is None else self._register(anchor, event.start_mark)
        before = self.expanded
        if kind is yaml.ScalarEvent:
            node: Node = self._scalar(event)
        elif kind is yaml.SequenceStartEvent:
            node = self._sequence(event)
        else:
            assert kind is yaml.MappingStartEvent
            node = self._mapping(event)
        self.expanded += 1
        if self.over is event:
            self.over = None
            self._fail_pre_order(_BudgetExceeded(node.span))
        if self.check_sizes:
            size = self.expanded - before
            if size > self.limit:
                self._fail_size(_BudgetExceeded(node.span))
            if entry is not None:
                entry.node, entry.size = node, size
        return node

    def _scalar(self, event: _Event) -> LScalar:
        value: str = event.value
        style = event.style or ""
        span = _new_span(self.file, event.start_mark, event.end_mark)
        tag = event.tag
        if tag is None or tag == "!":
            if event.implicit[0]:
                known = self.plain.get(value, _MISSING)
                if known is _MISSING:
                    known = self.plain[value] = self._plain_value(value, event)
                return _new_scalar(known, span, style)
            tag = _STR
        return _new_scalar(_construct_scalar(tag, value, style or None, event.start_mark, event.end_mark,
                                             self.constructor), span, style)

    def _plain_value(self, value: str, event: _Event) -> ScalarValue:
        if self.wildcard or self.resolvers.get(value[0] if value else ""):
            tag = self.resolve(yaml.ScalarNode, value, event.implicit)
        else:
            tag = _STR  # no implicit resolver starts with this character
        return _construct_scalar(tag, value, None, event.start_mark, event.end_mark, self.constructor)

    def _sequence(self, start: _Event) -> LSeq:
        items: list[Node] = []
        node, next_event = self._node, self.next_event
        event = next_event()
        while type(event) is not yaml.SequenceEndEvent:
            items.append(node(event))
            event = next_event()
        return _new_seq(tuple(items), _new_span(self.file, start.start_mark, event.end_mark))

    def _mapping(self, start: _Event) -> LMap:
        entries: list[tuple[LScalar, Node]] = []
        index: dict[str, int] = {}
        node, next_event = self._node, self.next_event
        event: _Event = next_event()
        while type(event) is not yaml.MappingEndEvent:
            if type(event) is _ScalarEvent and event.anchor is None and event.tag is None and self.entered < self.limit:
                # What _node's common case does, inlined again here because nearly every key
                # takes it: one call less per mapping entry.
                self.entered += 1
                self.expanded += 1
                value = event.value
                if event.implicit[0]:
                    known = self.plain.get(value, _MISSING)
                    if known is _MISSING:
                        known = self.plain[value] = self._plain_value(value, event)
                    value = known
                start_mark: _Mark = event.start_mark
                end_mark: _Mark = event.end_mark
                span: Any = _SpanSlots()
                span.file = self.file
                span.line = start_mark.line + 1
                span.col = start_mark.column + 1
                span.end_line = end_mark.line + 1
                span.end_col = end_mark.column + 1
                span.__class__ = Span
                scalar: Any = _ScalarSlots()
                scalar.value = value
                scalar.span = span
                scalar.style = event.style or ""
                scalar.__class__ = LScalar
                key: LScalar = scalar
                text = value if type(value) is str else str(value)
            else:
                built = node(event)
                key = built if type(built) is LScalar else LScalar(str(built.to_plain()), built.span)
                text = str(key.value)
            if text in index:
                self._fail_pre_order(_DuplicateKey(text, key.span, entries[index[text]][0].span))
            index[text] = len(entries)
            entries.append((key, node(next_event())))
            event = next_event()
        return _new_map(tuple(entries), _new_span(self.file, start.start_mark, event.end_mark), index)

    def _skip_to_document_end(self) -> None:
        """Reads the rest of a failed document, so that a later syntax error still takes precedence."""
        while True:
            event = self.next_event()
            kind = type(event)
            if kind is yaml.DocumentEndEvent:
                return
            if kind is yaml.AliasEvent:
                if event.anchor not in self.anchors:
                    raise yaml.composer.ComposerError(None, None, "found undefined alias", event.start_mark)
            elif kind is not yaml.SequenceEndEvent and kind is not yaml.MappingEndEvent and event.anchor is not None:
                self._register(event.anchor, event.start_mark)


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


def _has_content(text: str) -> bool:
    """True when some line (as str.splitlines cuts them) is neither blank nor a comment.

    Reads only up to the first such line, a "\n"-terminated piece at a time: a stream of
    thousands of documents no longer gets copied by strip() and split into a list of every line
    just to learn that its first line is YAML. Every "\n" ends a line for splitlines too, so the
    pieces' lines are exactly the text's lines.
    """
    start = 0
    while start < len(text):
        end = text.find("\n", start) + 1 or len(text)
        for line in text[start:end].splitlines():
            if line.strip() and not line.lstrip().startswith("#"):
                return True
        start = end
    return False


def _load(text: str, file: str, limits: Limits) -> LoadResult:
    if len(text.encode("utf-8", "surrogatepass")) > limits.max_bytes:
        _, diag = decode_source(b" " * (limits.max_bytes + 1), file, limits)
        assert diag is not None
        return LoadResult((), (diag,))
    if not _has_content(text):
        return LoadResult((), (Diagnostic(codes.YAML_EMPTY, Severity.WARNING, "file has no YAML documents",
                                          Span(file, 1, 1, 1, 2)),))
    documents: list[Document] = []
    builder = _Builder(text, file, _Budget(limits.max_nodes))
    try:
        for index, root in enumerate(builder.documents()):
            documents.append(Document(root, file, index))
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
    except (RecursionError, _TooDeep):
        return LoadResult(tuple(documents), (Diagnostic(
            codes.YAML_ALIAS_BOMB, Severity.ERROR, "document nesting is too deep to load",
            Span(file, 1, 1, 1, 2)),))
    finally:
        builder.close()
    return LoadResult(tuple(documents), ())
