"""Validation findings of base versus head: only findings new in head block a change.

A finding is identified by code, resource, field path, file and message with line references
("line 12", "12:5") blanked out, so that an edit that moves lines does not turn every existing
finding into a "new" one; other numbers (ports, CIDRs) stay part of the identity.
Counted as a multiset: a second copy of an existing finding is new.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from tierguard.diagnostics import Diagnostic
from tierguard.review.model import Finding, FindingStatus

_LINE_REFERENCE = re.compile(r"\blines? \d+|\d+:\d+")


def identity(diag: Diagnostic) -> tuple[str, str, str, str, str]:
    file = diag.span.file if diag.span else ""
    return (diag.code, str(diag.resource or ""), diag.field_path, file,
            _LINE_REFERENCE.sub("#", diag.message))


def diff_findings(base: Sequence[Diagnostic], head: Sequence[Diagnostic]) -> tuple[Finding, ...]:
    remaining = Counter(identity(d) for d in base)
    out: list[Finding] = []
    for diag in head:
        key = identity(diag)
        if remaining[key] > 0:
            remaining[key] -= 1
            out.append(Finding(diag, FindingStatus.EXISTING, "head"))
        else:
            out.append(Finding(diag, FindingStatus.NEW, "head"))
    still_in_head = Counter(identity(d) for d in head)
    for diag in base:
        key = identity(diag)
        if still_in_head[key] > 0:
            still_in_head[key] -= 1
            continue
        out.append(Finding(diag, FindingStatus.FIXED, "base"))
    order = {FindingStatus.NEW: 0, FindingStatus.EXISTING: 1, FindingStatus.FIXED: 2}
    return tuple(sorted(out, key=lambda f: (order[f.status], f.diagnostic.sort_key())))
