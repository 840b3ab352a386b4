"""The shared shape of LNT901 and LNT902: a selector that matches no endpoint of the inventory.

Severity follows how likely a mistake is:
- a test whose value (or label) is a near miss of one endpoints carry: error for enforced
  policies (the policy is silently doing nothing), warning for staged ones;
- a test on a label endpoints carry, with a value none has: warning (stale or wrong value);
- tests only on labels no endpoint carries yet (e.g. an incident-response quarantine label
  applied on demand): note;
- every test passes on some endpoint, but no endpoint passes them all: warning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tierguard.diagnostics import Diagnostic, Severity, Span
from tierguard.lint.context import PolicySource
from tierguard.lint.locate import SelectorField, first_present, locate
from tierguard.lint.nearmiss import Miss, misses
from tierguard.lint.universe import Universe
from tierguard.selector import Selector


@dataclass(frozen=True, slots=True)
class EmptySelector:
    """A selector that matches nothing, where it is written, and why."""

    code: str
    subject: str  # e.g. "NetworkPolicy sock-shop/application.carts" or "spec.ingress[0].source"
    universe: str  # e.g. "endpoint" or "endpoint or network set"
    fields: tuple[SelectorField, ...]
    fallback_path: str = ""


def severity_for(found: Sequence[Miss], staged: bool) -> Severity:
    if any(m.suggestion is not None or m.label_suggestion is not None for m in found):
        return Severity.WARNING if staged else Severity.ERROR
    if not found or any(m.known_label for m in found):
        return Severity.WARNING
    return Severity.NOTE


def _reason(miss: Miss, universe: str) -> str:
    test = f"{miss.label} == {miss.written!r}" if len(miss.values) == 1 else f"{miss.label} in {miss.written}"
    if miss.known_label:
        return f"no {universe} has {test}"
    return f"no {universe} has the label {miss.label!r} at all"


def hint_for(miss: Miss) -> str | None:
    if miss.suggestion is not None:
        count = miss.suggestion_count
        return (f"did you mean {miss.suggestion!r}? {count} endpoint{'s' if count != 1 else ''} "
                f"{'are' if count != 1 else 'is'} labelled {miss.label}={miss.suggestion}")
    if miss.label_suggestion is not None:
        return f"did you mean the label {miss.label_suggestion!r}?"
    if not miss.known_label:
        return "if the label is applied on demand (e.g. quarantine), this is expected"
    return None


def _where(source: PolicySource, shape: EmptySelector, found: Sequence[Miss]) -> tuple[Span | None, str]:
    root = source.resource.root
    for miss in found:
        located = locate(root, shape.fields, miss.label, miss.values[0])
        if located is not None:
            return located
    present = first_present(root, shape.fields)
    if present is not None:
        return present
    return source.span_of(shape.fallback_path), shape.fallback_path


def _first_explained(found: Sequence[Miss]) -> list[Miss]:
    """Misses ordered so that the one with a hint (the likely typo) is reported first."""
    return sorted(found, key=lambda m: (m.suggestion is None and m.label_suggestion is None, not m.known_label))


def check_selector(source: PolicySource, shape: EmptySelector, selector: Selector,
                   universe: Universe, inventory_name: str) -> Diagnostic | None:
    """A diagnostic when `selector` matches nothing in `universe`, else None."""
    if universe.matches_any(selector):
        return None
    found = _first_explained(misses(selector, universe))
    where = f" in inventory {inventory_name}" if inventory_name else " in the inventory"
    if found:
        reason = "; ".join(_reason(m, shape.universe) for m in found)
        hint = hint_for(found[0])
    else:
        reason = f"no {shape.universe} satisfies all of {selector}"
        hint = None
    span, path = _where(source, shape, found)
    message = f"{shape.subject} matches no {shape.universe}{where}: {reason}"
    return source.finding(shape.code, severity_for(found, source.is_staged), message, span, path, hint)
