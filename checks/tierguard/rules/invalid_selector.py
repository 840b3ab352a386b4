"""CAL212: every selector must parse; the diagnostic points at the column inside the selector."""

from __future__ import annotations

from collections.abc import Iterator

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.rules.context import RuleContext
from tierguard.rules.shapes import calico_policy, finding, is_placeholder, selector_fields
from tierguard.selector import SelectorError

ID = "CAL212"
NAME = "invalid-selector"
DEFAULT_SEVERITY = Severity.ERROR
DOC = CodeDoc(
    ID, NAME, DEFAULT_SEVERITY,
    "A selector is not valid Calico selector syntax.",
    why="The Calico API server rejects the policy; nothing in it is applied.",
    failing="selector: app == 'web' &&", passing="selector: app == 'web' && tier == 'frontend'",
    references="calico-semantics.md section 4",
)


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    policy = calico_policy(ctx)
    if policy is None:
        return
    for text, path, _ in selector_fields(policy):
        if is_placeholder(text.value):
            continue
        try:
            ctx.selectors.parse(text.value)
        except SelectorError as error:
            yield finding(ctx, ID, DEFAULT_SEVERITY,
                          f"{path}: invalid selector: {error.reason} at column {error.column + 1} of "
                          f"{text.value!r}", text.span_at(error.column), path)
