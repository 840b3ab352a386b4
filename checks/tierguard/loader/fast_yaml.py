"""A fast path for the plain block YAML that Kubernetes manifests and kustomize output use.

PyYAML's composer spends most of a validation run building Python node and mark objects. This
module reads the common subset -- block mappings and sequences, plain and simply-quoted scalars,
one-line flow sequences and mappings of scalars, comments, `---` separators -- straight into
located nodes, with exactly the values, spans and styles the PyYAML path gives (a property test
compares the two). Anything outside the subset (anchors, tags, block scalars, multi-line scalars,
escapes, tabs, duplicate keys, ...) returns None, and the caller uses PyYAML for the whole text,
so diagnostics always come from one place.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tierguard.diagnostics import Span
from tierguard.loader.nodes import LMap, LScalar, LSeq, Node, ScalarValue

# A plain mapping key as manifests write them (labels included); no quotes, no colons.
_KEY = re.compile(r"([A-Za-z0-9_][A-Za-z0-9_./-]*):(?: +|$)")
# First characters that make a value something other than a simple plain scalar.
_SPECIAL_START = frozenset("&*!|>%@`?:,]}#")
_FLOW_PLAIN = re.compile(r"[^\s,\[\]{}#'\"][^,\[\]{}]*")

Resolve = Callable[[str], ScalarValue]


class _Unsupported(Exception):
    """The text leaves the fast subset: use PyYAML."""


@dataclass(frozen=True, slots=True)
class _Line:
    number: int  # 0-based
    indent: int
    text: str  # the whole line


class _Document:
    def __init__(self, lines: list[_Line], file: str, end: tuple[int, int], resolve: Resolve,
                 budget: list[int]) -> None:
        self.lines = lines
        self.file = file
        self.end = end  # the mark that ends the document's last collection (0-based line, col)
        self.resolve = resolve
        self.budget = budget
        self.position = 0

    # --- helpers -------------------------------------------------------------------------------
    def span(self, line: int, col: int, end_line: int, end_col: int) -> Span:
        self.budget[0] -= 1
        if self.budget[0] < 0:
            raise _Unsupported("node budget")
        return Span(self.file, line + 1, col + 1, end_line + 1, end_col + 1)

    def peek(self) -> _Line | None:
        return self.lines[self.position] if self.position < len(self.lines) else None

    def next_mark(self) -> tuple[int, int]:
        line = self.peek()
        return (line.number, line.indent) if line is not None else self.end

    # --- scalars ---------------------------------------------------------------------------------
    def scalar(self, text: str, line: int, col: int, flow: bool) -> tuple[Node, int]:
        """A value starting at `col` of `text`; returns the node and the column after it."""
        first = text[col] if col < len(text) else ""
        if first == "'":
            return self.single_quoted(text, line, col)
        if first == '"':
            close = text.find('"', col + 1)
            if close < 0 or "\\" in text[col:close]:
                raise _Unsupported("double-quoted escapes")
            value = text[col + 1:close]
            return LScalar(value, self.span(line, col, line, close + 1), '"'), close + 1
        if not first or first in _SPECIAL_START or first in "[{" or (first == "-" and text[col + 1:col + 2] in (" ", "")):
            raise _Unsupported("indicator")
        if flow:
            match = _FLOW_PLAIN.match(text, col)
            if match is None:
                raise _Unsupported("flow scalar")
            raw = match.group(0)
        else:
            comment = text.find(" #", col)
            raw = text[col:comment] if comment >= 0 else text[col:]
        value = raw.rstrip(" ")
        if ": " in value or value.endswith(":") or "\t" in value or " #" in value:
            raise _Unsupported("ambiguous plain scalar")
        end = col + len(value)
        return LScalar(self.resolve(value), self.span(line, col, line, end), ""), end

    def single_quoted(self, text: str, line: int, col: int) -> tuple[Node, int]:
        position = col + 1
        parts: list[str] = []
        while True:
            close = text.find("'", position)
            if close < 0:
                raise _Unsupported("multi-line quoted scalar")
            parts.append(text[position:close])
            if text[close + 1:close + 2] == "'":
                parts.append("'")
                position = close + 2
                continue
            value = "".join(parts)
            return LScalar(value, self.span(line, col, line, close + 1), "'"), close + 1

    def rest_is_empty(self, text: str, col: int) -> None:
        rest = text[col:]
        stripped = rest.lstrip(" ")
        if stripped and not (stripped.startswith("#") and rest != stripped):
            raise _Unsupported("trailing content")

    # --- flow collections (one line, scalars only) -----------------------------------------------
    def flow(self, text: str, line: int, col: int) -> tuple[Node, int]:
        closing = "]" if text[col] == "[" else "}"
        position = col + 1
        items: list[Node] = []
        entries: list[tuple[LScalar, Node]] = []
        index: dict[str, int] = {}
        while True:
            while text[position:position + 1] == " ":
                position += 1
            if text[position:position + 1] == closing and not items and not entries:
                break
            if closing == "]":
                node, position = self.scalar(text, line, position, flow=True)
                items.append(node)
            else:
                match = _KEY.match(text, position)
                if match is None or text[match.end() - 1:match.end()] != " ":
                    raise _Unsupported("flow mapping key")
                key_text = match.group(1)
                key = LScalar(self.resolve(key_text), self.span(line, position, line, position + len(key_text)), "")
                node, position = self.scalar(text, line, match.end(), flow=True)
                if str(key.value) in index:
                    raise _Unsupported("duplicate key")
                index[str(key.value)] = len(entries)
                entries.append((key, node))
            while text[position:position + 1] == " ":
                position += 1
            separator = text[position:position + 1]
            if separator == closing:
                break
            if separator != "," or text[position + 1:position + 2] not in (" ",):
                raise _Unsupported("flow separator")
            position += 1
        span = self.span(line, col, line, position + 1)
        node_out: Node = LSeq(tuple(items), span) if closing == "]" else LMap(tuple(entries), span, index)
        return node_out, position + 1

    def inline_value(self, line: _Line, col: int, parent_indent: int) -> Node:
        text = line.text
        if text[col] in "[{":
            node, end = self.flow(text, line.number, col)
        else:
            node, end = self.scalar(text, line.number, col, flow=False)
        self.rest_is_empty(text, end)
        if isinstance(node, LScalar) and node.style == "" and not self.at_comment(text, end):
            return self.folded(node, line, col, parent_indent)
        return node

    @staticmethod
    def at_comment(text: str, end: int) -> bool:
        return text[end:].lstrip(" ").startswith("#")

    def folded(self, node: LScalar, line: _Line, col: int, parent_indent: int) -> LScalar:
        """A plain scalar continued on more-indented lines (kustomize wraps long values so)."""
        parts = [line.text[col:node.span.end_col - 1]]
        last = line
        while True:
            following = self.peek()
            if following is None or following.indent <= parent_indent:
                break
            if following.number != last.number + 1:
                raise _Unsupported("blank or comment line inside a plain scalar")
            content = following.text[following.indent:]
            if (_KEY.match(content) or content.startswith(("-", "#")) or ": " in content or " #" in content
                    or content.rstrip(" ").endswith(":")):
                raise _Unsupported("continuation that YAML may read otherwise")
            parts.append(content.rstrip(" "))
            last = following
            self.position += 1
        if last is line:
            return node
        self.budget[0] += 1  # the span below replaces the one-line span, not a new node
        value = " ".join(parts)
        end_col = last.indent + len(parts[-1])
        return LScalar(self.resolve(value), self.span(line.number, col, last.number, end_col), "")

    # --- block structure -----------------------------------------------------------------------
    def value_after_key(self, line: _Line, value_col: int, key_indent: int, colon_end: int) -> Node:
        """The value of `key:`; its inline part starts at value_col (the end of the line if empty)."""
        stripped = line.text[value_col:].lstrip(" ")
        if stripped and not stripped.startswith("#"):
            return self.inline_value(line, value_col, key_indent)
        following = self.peek()
        if following is not None:
            if _is_entry(following, following.indent) and following.indent >= key_indent:
                return self.sequence(following.indent)
            if following.indent > key_indent:
                return self.mapping(following.indent)
        # An empty value: PyYAML places it right after the colon.
        return LScalar(None, self.span(line.number, colon_end, line.number, colon_end), "")

    def mapping(self, indent: int, first: tuple[_Line, int] | None = None) -> LMap:
        """A block mapping whose keys sit at column `indent` (the first may follow a `- `)."""
        entries: list[tuple[LScalar, Node]] = []
        index: dict[str, int] = {}
        start: tuple[int, int] | None = None
        while True:
            if first is not None:
                line, col = first
                first = None
            else:
                line_or_none = self.peek()
                if line_or_none is None or line_or_none.indent < indent:
                    break
                line, col = line_or_none, line_or_none.indent
                if line.indent > indent or _is_entry(line, col):
                    if line.indent > indent:
                        raise _Unsupported("unexpected indentation")
                    break
                self.position += 1
            match = _KEY.match(line.text, col)
            if match is None:
                raise _Unsupported("not a simple key")
            key_text = match.group(1)
            key = LScalar(self.resolve(key_text),
                          self.span(line.number, col, line.number, col + len(key_text)), "")
            if start is None:
                start = (line.number, col)
            name = str(key.value)
            if name in index:
                raise _Unsupported("duplicate key")
            colon_end = col + len(key_text) + 1
            value = self.value_after_key(line, match.end(), col, colon_end)
            index[name] = len(entries)
            entries.append((key, value))
        assert start is not None
        end = self.next_mark()
        return LMap(tuple(entries), self.span(start[0], start[1], end[0], end[1]), index)

    def sequence(self, indent: int) -> LSeq:
        items: list[Node] = []
        start: tuple[int, int] | None = None
        while True:
            line = self.peek()
            if line is None or line.indent != indent or not _is_entry(line, indent):
                if line is not None and line.indent > indent:
                    raise _Unsupported("unexpected indentation")
                break
            self.position += 1
            if start is None:
                start = (line.number, indent)
            content = indent + 2
            if content >= len(line.text) or line.text[content] == " " or line.text[content:content + 1] == "#":
                raise _Unsupported("empty or nested sequence entry")
            if line.text[content] == "-" and line.text[content + 1:content + 2] in (" ", ""):
                raise _Unsupported("nested sequence")
            key = _KEY.match(line.text, content)
            if key is not None:
                items.append(self.mapping(content, (line, content)))
            else:
                items.append(self.inline_value(line, content, indent))
        assert start is not None
        end = self.next_mark()
        return LSeq(tuple(items), self.span(start[0], start[1], end[0], end[1]))

    def root(self) -> Node:
        first = self.peek()
        if first is None or first.indent != 0:
            raise _Unsupported("empty or indented document")
        node: Node = self.sequence(0) if _is_entry(first, 0) else self.mapping(0)
        if self.peek() is not None:
            raise _Unsupported("content after the root collection")
        return node


def _is_entry(line: _Line, col: int) -> bool:
    return line.text.startswith("-", col) and line.text[col + 1:col + 2] in (" ", "")


def _split(text: str) -> tuple[list[list[_Line]], list[int]] | None:
    """Content lines per document, and the 0-based line of each `---` separator."""
    documents: list[list[_Line]] = [[]]
    separators: list[int] = []
    for number, line in enumerate(text.split("\n")):
        if line == "---":
            separators.append(number)
            documents.append([])
            continue
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        if "\t" in line or "\r" in line or line.startswith(("---", "...", "%")):
            return None
        documents[-1].append(_Line(number, len(line) - len(stripped), line))
    if separators and not documents[0]:
        documents.pop(0)  # `---` before the first document starts it; it ends nothing
        separators.pop(0)
    if any(not lines for lines in documents):
        return None  # empty documents: PyYAML reports them
    return documents, separators


def parse_documents(text: str, file: str, resolve: Resolve, max_nodes: int) -> list[Node] | None:
    """Root nodes of every document, or None when the text leaves the fast subset."""
    split = _split(text)
    if split is None:
        return None
    documents, separators = split
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    stream_end = (lines, 0)
    budget = [max_nodes]
    roots: list[Node] = []
    try:
        for position, content in enumerate(documents):
            end = (separators[position], 0) if position < len(separators) else stream_end
            roots.append(_Document(content, file, end, resolve, budget).root())
    except (_Unsupported, IndexError):
        return None
    return roots
