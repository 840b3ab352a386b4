"""Where a label test of an effective selector was written: the field, and the value inside it.

Effective selectors mix what the user wrote with what Calico adds (namespace clauses, `pcns.`
and `pcsa.` prefixes). A `SelectorField` names one user-written field and the prefix Calico gives
its labels; `locate` finds the field a label belongs to and, inside it, the written value, so a
finding can point at `'cart'` in `selector: name == 'cart'` or at `cart` in `matchLabels`.
"""

from __future__ import annotations

from dataclasses import dataclass

from tierguard.diagnostics import Span
from tierguard.loader import paths
from tierguard.loader.nodes import LMap, LScalar, LSeq, Node
from tierguard.model.located import Text

NAMESPACE_PREFIX = "pcns."
SERVICE_ACCOUNT_PREFIX = "pcsa."


@dataclass(frozen=True, slots=True)
class SelectorField:
    """A user-written selector at `path`: Calico selector text, or a Kubernetes LabelSelector mapping."""

    path: str
    prefix: str = ""  # "" for endpoint labels, "pcns." for namespace labels, "pcsa." for service accounts
    label_selector: bool = False


def _owns(field: SelectorField, label: str) -> bool:
    if field.prefix:
        return label.startswith(field.prefix)
    return not label.startswith((NAMESPACE_PREFIX, SERVICE_ACCOUNT_PREFIX))


def _in_text(scalar: LScalar, label: str, value: str) -> Span:
    """The quoted `value` after `label` inside a selector string (the whole scalar if not found)."""
    text = str(scalar.value)
    start = max(text.find(label), 0)
    for quote in ("'", '"'):
        offset = text.find(f"{quote}{value}{quote}", start)
        if offset >= 0:
            return Text(text, scalar.span, scalar.style).span_at(offset, len(value) + 2)
    return scalar.span


def _in_label_selector(node: LMap, path: str, label: str, value: str) -> tuple[Span, str] | None:
    labels = node.get("matchLabels")
    if isinstance(labels, LMap):
        found = labels.get(label)
        if isinstance(found, LScalar) and found.value == value:
            return found.span, paths.join(f"{path}.matchLabels", label)
    expressions = node.get("matchExpressions")
    if not isinstance(expressions, LSeq):
        return None
    for index, item in enumerate(expressions):
        values = item.get("values") if isinstance(item, LMap) else None
        if not isinstance(item, LMap) or not isinstance(values, LSeq):
            continue
        key = item.get("key")
        if not (isinstance(key, LScalar) and key.value == label):
            continue
        for position, entry in enumerate(values):
            if isinstance(entry, LScalar) and entry.value == value:
                return entry.span, f"{path}.matchExpressions[{index}].values[{position}]"
    return None


def locate(root: LMap, fields: tuple[SelectorField, ...], label: str, value: str) -> tuple[Span, str] | None:
    """(span, field path) of the written test `label == value`, or None when no field holds it."""
    for field in fields:
        if not _owns(field, label):
            continue
        node: Node | None = paths.node_at(root, field.path)
        written = label[len(field.prefix):]
        if isinstance(node, LScalar) and isinstance(node.value, str) and not field.label_selector:
            if written in node.value:
                return _in_text(node, written, value), field.path
        elif isinstance(node, LMap) and field.label_selector:
            found = _in_label_selector(node, field.path, written, value)
            if found is not None:
                return found
    return None


def first_present(root: LMap, fields: tuple[SelectorField, ...]) -> tuple[Span, str] | None:
    """The first of `fields` that exists in the resource (where to report a whole-selector finding)."""
    for field in fields:
        node = paths.node_at(root, field.path)
        if node is not None:
            return node.span, field.path
    return None
