"""One misspelt required field is one problem: merge "unknown field X" with "required field Y is missing".

Schemas report a typo of a required field twice (the unknown name, and the missing required one).
When both sit in the same object and the names are close, only the unknown-field diagnostic is
kept, with a hint naming the intended field.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable

from tierguard.diagnostics import Diagnostic

KIND = "problem"
MISSING = "missing-field"
UNKNOWN = "unknown-field"
# The models' own codes (tierguard.model.codes) for the same two problems.
_MODEL_MISSING = "SCH102"
_MODEL_UNKNOWN = "SCH103"


def _problem(diagnostic: Diagnostic) -> str:
    if diagnostic.code == _MODEL_MISSING:
        return MISSING
    if diagnostic.code == _MODEL_UNKNOWN:
        return UNKNOWN
    return dict(diagnostic.data).get(KIND, "")


def _split(path: str) -> tuple[str, str]:
    parent, _, name = path.rpartition(".")
    return parent, name


def _close(a: str, b: str) -> bool:
    a, b = a.lower(), b.lower()
    return a.startswith(b) or b.startswith(a) or difflib.SequenceMatcher(None, a, b).ratio() >= 0.75


def merge_typos(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """The diagnostics with each misspelt required field reported once."""
    items = list(diagnostics)
    unknown = [(i, d) for i, d in enumerate(items) if _problem(d) == UNKNOWN]
    dropped: set[int] = set()
    for index, missing in enumerate(items):
        if _problem(missing) != MISSING:
            continue
        parent, wanted = _split(missing.field_path)
        for position, candidate in unknown:
            got_parent, got = _split(candidate.field_path)
            if candidate.resource == missing.resource and got_parent == parent and _close(got, wanted):
                hint = f"Did you mean '{wanted}'? It is required and missing."
                items[position] = dataclasses.replace(candidate, hint=hint)
                dropped.add(index)
                break
    return [d for i, d in enumerate(items) if i not in dropped]
