"""CAL205: `global()` is valid only as the whole of a rule's namespaceSelector."""

from __future__ import annotations

from collections.abc import Iterator

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.rules.context import RuleContext
from tierguard.rules.shapes import calico_policy, finding, is_placeholder, selector_fields
from tierguard.selector import AndNode, GlobalNode, Node, NotNode, OrNode, SelectorError, parse

ID = "CAL205"
NAME = "global-placement"
DEFAULT_SEVERITY = Severity.ERROR
DOC = CodeDoc(
    ID, NAME, DEFAULT_SEVERITY,
    "`global()` appears somewhere other than as the entire namespaceSelector of a rule.",
    why="`global()` scopes a rule's selector to non-namespaced objects (GlobalNetworkSets, host "
        "endpoints). Calico rejects it in a policy's own selectors and inside larger expressions.",
    failing="spec:\n  selector: global()", passing="destination:\n  namespaceSelector: global()\n  selector: role == 'db'",
    references="calico-semantics.md sections 1.1, 1.2 and 9.8",
)


def _global_column(node: Node) -> int | None:
    if isinstance(node, GlobalNode):
        return max(node.column, 0)
    children: tuple[Node, ...] = ()
    if isinstance(node, NotNode):
        children = (node.operand,)
    elif isinstance(node, (AndNode, OrNode)):
        children = node.operands
    for child in children:
        found = _global_column(child)
        if found is not None:
            return found
    return None


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    policy = calico_policy(ctx)
    if policy is None:
        return
    for text, path, rule_namespace_selector in selector_fields(policy):
        if "global" not in text.value or is_placeholder(text.value):
            continue
        if rule_namespace_selector and text.value == "global()":
            continue  # the one correct use, and the common one: no need to parse it to know
        try:
            root = parse(text.value).root
        except SelectorError:
            continue  # CAL212 reports it
        column = _global_column(root)
        if column is None or (rule_namespace_selector and isinstance(root, GlobalNode)):
            continue
        where = "inside a larger expression" if rule_namespace_selector else f"in {path.rsplit('.', 1)[-1]}"
        yield finding(ctx, ID, DEFAULT_SEVERITY,
                      f"{path}: global() is not allowed {where}; it may only be the whole namespaceSelector "
                      "of a rule", text.span_at(column, len("global()")), path)
