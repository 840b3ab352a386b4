"""Recommendation -> YAML text: deterministic, block style, every untrusted string quoted safely.

The emitter is small on purpose: the output has a fixed shape (mappings, lists, strings, ints),
and writing it ourselves guarantees the key order and quoting. A string is written plain only
when it starts with a letter and holds nothing YAML could read as anything but that string;
everything else is double-quoted with escapes for quotes, backslashes and non-printables.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from tierguard.engine.ir import Direction, StagedAction
from tierguard.recommend.model import RECOMMENDATION_TIER_ORDER, Recommendation, RuleSpec

Value = str | int | Sequence["Value"] | Mapping[str, "Value"]

_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9._/-]*")
# YAML 1.1 (PyYAML) reads these plain words as booleans or null.
_RESERVED = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null"})
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0"}
# Calico protocol names (calico-semantics §1.1); other protocols are written as numbers.
_PROTOCOLS = {1: "ICMP", 6: "TCP", 17: "UDP", 58: "ICMPv6", 132: "SCTP", 136: "UDPLite"}
ANNOTATION = "policyrecommendation.tigera.io"
OWN_ANNOTATION = "recommend.tierguard.io"


def _escape(char: str) -> str:
    if char in _ESCAPES:
        return _ESCAPES[char]
    if char.isprintable() and not 0xD800 <= ord(char) <= 0xDFFF and char not in "\u2028\u2029\ufeff":
        return char
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02X}"
    return f"\\u{code:04X}" if code <= 0xFFFF else f"\\U{code:08X}"


def scalar(text: str) -> str:
    """A YAML scalar that reads back as exactly `text`."""
    if _PLAIN.fullmatch(text) and text.lower() not in _RESERVED:
        return text
    return '"' + "".join(_escape(c) for c in text) + '"'


def _emit(value: Value, indent: int, out: list[str]) -> None:
    pad = " " * indent
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(item, (Mapping, list, tuple)) and item:
                out.append(f"{pad}{scalar(key)}:")
                _emit(item, indent + 2, out)
            else:
                out.append(f"{pad}{scalar(key)}: {_inline(item)}")
    else:
        assert isinstance(value, (list, tuple))
        for item in value:
            if isinstance(item, Mapping) and item:
                nested: list[str] = []
                _emit(item, indent + 2, nested)
                out.append(f"{pad}- {nested[0][indent + 2:]}")
                out.extend(nested[1:])
            elif isinstance(item, (list, tuple)) and item:
                out.append(f"{pad}-")
                _emit(item, indent + 2, out)
            else:
                out.append(f"{pad}- {_inline(item)}")


def _inline(value: Value) -> str:
    if isinstance(value, bool):
        raise TypeError("booleans are not part of the recommendation output")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return scalar(value)
    return "{}" if isinstance(value, Mapping) else "[]"


def to_yaml(document: Mapping[str, Value]) -> str:
    lines: list[str] = []
    _emit(document, 0, lines)
    return "\n".join(lines) + "\n"


def timestamp(ms: int) -> str:
    """RFC 3339 UTC, second precision (the form of policyrecommendation.tigera.io/lastUpdated)."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _protocol(number: int) -> str | int:
    return _PROTOCOLS.get(number, number)


def _rule(rule: RuleSpec, direction: Direction) -> dict[str, Value]:
    peer: dict[str, Value] = {}
    if rule.peer.nets:
        peer["nets"] = list(rule.peer.nets)
    if rule.peer.selector:
        peer["selector"] = rule.peer.selector
    if rule.peer.namespace_selector:
        peer["namespaceSelector"] = rule.peer.namespace_selector
    destination: dict[str, Value] = dict(peer) if direction is Direction.EGRESS else {}
    if rule.ports is not None:
        destination["ports"] = [p.text() for p in rule.ports]
    annotations: dict[str, Value] = {f"{ANNOTATION}/scope": rule.scope.value,
                                     f"{ANNOTATION}/lastUpdated": timestamp(rule.last_ms)}
    if len(rule.peer_names) == 1:
        annotations[f"{ANNOTATION}/name"] = rule.peer_names[0]
    elif rule.peer_names:
        annotations[f"{OWN_ANNOTATION}/names"] = ",".join(rule.peer_names)
    if len(rule.peer_namespaces) == 1:
        annotations[f"{ANNOTATION}/namespace"] = rule.peer_namespaces[0]
    elif rule.peer_namespaces:
        annotations[f"{OWN_ANNOTATION}/namespaces"] = ",".join(rule.peer_namespaces)
    annotations[f"{OWN_ANNOTATION}/flows"] = str(rule.flows)
    if rule.note:
        annotations[f"{OWN_ANNOTATION}/note"] = rule.note
    out: dict[str, Value] = {"action": "Allow", "protocol": _protocol(rule.protocol)}
    if direction is Direction.INGRESS and peer:
        out["source"] = peer
    if destination:
        out["destination"] = destination
    out["metadata"] = {"annotations": annotations}
    return out


def policy_document(rec: Recommendation) -> dict[str, Value]:
    annotations: dict[str, Value] = {f"{ANNOTATION}/lastUpdated": timestamp(rec.last_ms)}
    if rec.staged_action is StagedAction.LEARN:
        annotations[f"{ANNOTATION}/status"] = "Learning"
    annotations[f"{OWN_ANNOTATION}/flows"] = str(rec.flows)
    annotations[f"{OWN_ANNOTATION}/window"] = f"{timestamp(rec.first_ms)}/{timestamp(rec.last_ms)}"
    spec: dict[str, Value] = {
        "tier": rec.tier, "stagedAction": rec.staged_action.value, "selector": rec.selector,
        "types": [d.value for d in rec.types]}
    if rec.ingress:
        spec["ingress"] = [_rule(r, Direction.INGRESS) for r in rec.ingress]
    if rec.egress:
        spec["egress"] = [_rule(r, Direction.EGRESS) for r in rec.egress]
    return {"apiVersion": "projectcalico.org/v3", "kind": "StagedNetworkPolicy",
            "metadata": {"name": rec.name, "namespace": rec.namespace,
                         "labels": {f"{ANNOTATION}/scope": "namespace"},
                         "annotations": annotations},
            "spec": spec}


def render_policy(rec: Recommendation) -> str:
    """One namespace's recommendation as a YAML document with a provenance header."""
    header = (f"# Recommended by `tierguard recommend` for namespace {rec.namespace}: {rec.flows} allowed\n"
              f"# flow records, {timestamp(rec.first_ms)} .. {timestamp(rec.last_ms)}.\n"
              "# Staged: it changes no traffic until promoted to a NetworkPolicy (docs/recommend.md).\n")
    return header + to_yaml(policy_document(rec))


def render_tier(name: str) -> str:
    """The Tier Calico Enterprise creates for recommendations (order 10000, defaultAction Deny)."""
    header = ("# Tier for `tierguard recommend` output, as Calico Enterprise creates it for policy\n"
              "# recommendations. Apply it before the staged policies.\n")
    return header + to_yaml({"apiVersion": "projectcalico.org/v3", "kind": "Tier",
                             "metadata": {"name": name},
                             "spec": {"order": RECOMMENDATION_TIER_ORDER, "defaultAction": "Deny"}})
