"""Selector fields -> Diagnostics pointing inside the YAML string (SEL301-SEL303).

The selector package does no I/O: the validator passes the scalar's text, span and YAML style
(`LScalar.style`) and gets diagnostics back.
"""

from __future__ import annotations

import enum

from tierguard.diagnostics import Diagnostic, ResourceRef, Severity, Span
from tierguard.selector.codes import GLOBAL_MISPLACED, SELECTOR_SYNTAX, SELECTOR_TOO_LONG
from tierguard.selector.core import Selector, length_error, parse
from tierguard.selector.errors import SelectorError
from tierguard.selector.walk import global_nodes, is_only_global


class SelectorField(enum.Enum):
    """Where a selector appears, which decides whether `global()` is allowed."""

    POLICY = "policy"  # spec.selector / namespaceSelector / serviceAccountSelector
    RULE_SELECTOR = "rule-selector"  # source/destination selector, notSelector, SA selector
    RULE_NAMESPACE_SELECTOR = "rule-namespace-selector"  # global() allowed as the whole


def source_span(span: Span | None, style: str, value: str, column: int,
                length: int = 1) -> Span | None:
    """The file span of character `column` of a scalar's value.

    Exact for plain and quoted single-line scalars (it accounts for `''` and `\\"`, `\\\\`
    escapes); for block or multi-line scalars it falls back to the scalar's own span.
    """
    if span is None:
        return None
    if style in ("|", ">") or (span.end_line and span.end_line != span.line):
        return span
    before = value[:column]
    offset = column
    if style == "'":
        offset += 1 + before.count("'")
    elif style == '"':
        offset += 1 + before.count('"') + before.count("\\")
    return span.shifted(offset, length)


def check_selector_field(value: str, field: SelectorField, *, span: Span | None = None,
                         style: str = "", resource: ResourceRef | None = None,
                         field_path: str = "") -> tuple[Selector | None, tuple[Diagnostic, ...]]:
    """Parse a selector field; return the selector (None if invalid) and its diagnostics."""
    diagnostics: list[Diagnostic] = []

    def emit(code: str, message: str, column: int, length: int = 1) -> None:
        diagnostics.append(Diagnostic(code, Severity.ERROR, message,
                                      source_span(span, style, value, column, length),
                                      resource, field_path))

    too_long = length_error(value)
    if too_long is not None:
        emit(SELECTOR_TOO_LONG, too_long.reason, too_long.column)
    try:
        selector = parse(value)
    except SelectorError as error:
        emit(SELECTOR_SYNTAX, f"invalid selector: {error.reason} (column {error.column + 1} "
                              f"of the selector)", error.column)
        return None, tuple(diagnostics)
    if field is not SelectorField.RULE_NAMESPACE_SELECTOR or not is_only_global(selector):
        for node in global_nodes(selector):
            where = ("combined with other expressions"
                     if field is SelectorField.RULE_NAMESPACE_SELECTOR
                     else "outside a rule namespaceSelector")
            emit(GLOBAL_MISPLACED, f"global() is not allowed {where}", max(node.column, 0),
                 len("global()"))
    return selector, tuple(diagnostics)
