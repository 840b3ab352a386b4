"""Acknowledgements: intended breaks of observed traffic, each with a reason and an expiry.

Entries come from `acknowledged:` in tierguard.yaml and from `.tierguard/acknowledged.yaml`
(either a top-level `acknowledged:` list or a bare list). Pure: takes located YAML nodes,
returns entries and diagnostics.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Iterable
from dataclasses import dataclass

from tierguard.diagnostics import Diagnostic, Severity, Span
from tierguard.loader.nodes import LMap, LScalar, LSeq, Node
from tierguard.review import codes
from tierguard.review.model import Acknowledgement, FlowKey

_KEYS = frozenset({"from", "to", "port", "protocol", "reason", "expires", "environments"})


@dataclass(frozen=True, slots=True)
class AckSet:
    active: tuple[Acknowledgement, ...]
    expired: tuple[Acknowledgement, ...]
    diagnostics: tuple[Diagnostic, ...]


def acknowledgement_list(root: Node) -> LSeq | None:
    """The list of entries in a document: `acknowledged:` of a mapping, or the document itself."""
    if isinstance(root, LSeq):
        return root
    if isinstance(root, LMap):
        value = root.get("acknowledged")
        if isinstance(value, LSeq):
            return value
    return None


def parse_acknowledgements(lists: Iterable[LSeq], today: dt.date) -> AckSet:
    active: list[Acknowledgement] = []
    expired: list[Acknowledgement] = []
    diagnostics: list[Diagnostic] = []
    for seq in lists:
        for item in seq:
            ack, problems = _parse_entry(item)
            diagnostics.extend(problems)
            if ack is None:
                continue
            if dt.date.fromisoformat(ack.expires) < today:
                expired.append(ack)
                diagnostics.append(Diagnostic(
                    codes.ACK_EXPIRED, Severity.WARNING,
                    f"acknowledgement {ack.source} -> {ack.destination} expired on {ack.expires}; "
                    "it no longer waives the gate", ack.span,
                    hint="Renew it with a new expiry and reason, or fix the break."))
            else:
                active.append(ack)
    return AckSet(tuple(active), tuple(expired), tuple(diagnostics))


def _problem(message: str, span: Span) -> Diagnostic:
    return Diagnostic(codes.ACK_INVALID, Severity.ERROR, message, span)


def _scalar_text(node: Node | None) -> str | None:
    if isinstance(node, LScalar) and node.value is not None and not isinstance(node.value, bool):
        return str(node.value).strip()
    return None


def _parse_entry(item: Node) -> tuple[Acknowledgement | None, list[Diagnostic]]:
    if not isinstance(item, LMap):
        return None, [_problem("an acknowledgement must be a mapping with from, to, reason, expires",
                               item.span)]
    problems = [_problem(f"unknown key '{key}' in acknowledgement (allowed: {', '.join(sorted(_KEYS))})",
                         item.key_span(key) or item.span)
                for key in item.keys() if key not in _KEYS]
    texts = {key: _scalar_text(item.get(key)) for key in ("from", "to", "reason", "expires", "protocol")}
    for key in ("from", "to", "reason", "expires"):
        if not texts[key]:
            problems.append(_problem(f"acknowledgement needs a non-empty '{key}'", item.span))
    expires = texts["expires"] or ""
    if expires:
        try:
            dt.date.fromisoformat(expires)
        except ValueError:
            node = item.get("expires")
            problems.append(_problem(f"expires '{expires}' is not a date (YYYY-MM-DD)",
                                     node.span if node else item.span))
    port_node = item.get("port")
    port: int | None = None
    if port_node is not None:
        value = port_node.value if isinstance(port_node, LScalar) else None
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 65536:
            problems.append(_problem("port must be a number from 1 to 65535", port_node.span))
        else:
            port = value
    environments = _string_list(item.get("environments"))
    if environments is None:
        problems.append(_problem("environments must be a list of environment names",
                                 item.span))
    if problems:
        return None, problems
    return Acknowledgement(
        source=texts["from"] or "", destination=texts["to"] or "", port=port,
        protocol=(texts["protocol"] or "").upper() or None, reason=texts["reason"] or "",
        expires=expires, environments=tuple(environments or ()), span=item.span), []


def _string_list(node: Node | None) -> list[str] | None:
    if node is None:
        return []
    if isinstance(node, LSeq):
        out = [_scalar_text(item) for item in node]
        if all(out):
            return [text for text in out if text]
    return None


def matches(ack: Acknowledgement, key: FlowKey, environment: str) -> bool:
    """Does `ack` cover a flow group? `from`/`to` are glob patterns over "namespace/workload"."""
    if ack.environments and environment not in ack.environments:
        return False
    if ack.port is not None and ack.port != key.port:
        return False
    if ack.protocol is not None and ack.protocol != key.protocol.upper():
        return False
    return fnmatch.fnmatchcase(key.source, ack.source) and fnmatch.fnmatchcase(key.destination,
                                                                              ack.destination)
