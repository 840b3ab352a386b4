"""Text and Markdown for RBAC answers: can-i explanations, who-can lists and the tier matrix.

Pure string building; the CLI prints. Names come from user-controlled manifests, so Markdown
output escapes every cell.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tierguard.rbac.authorizer import RbacIndex
from tierguard.rbac.matrix import MatrixRow
from tierguard.rbac.near_miss import granted_elsewhere, near_misses
from tierguard.rbac.tiers import AccessDecision, Check, CheckKind
from tierguard.rbac.who_can import WhoCanEntry

_PURPOSE = {
    CheckKind.RBAC: "rbac",
    CheckKind.GET_TIER: "tier visibility",
    CheckKind.TIER_WILDCARD: "tier policy grant",
    CheckKind.TIER_NAME: "tier policy grant (exact name)",
}
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def printable(text: str) -> str:
    """Control characters (terminal escapes included) from manifests are shown escaped, not sent."""
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def _check_lines(check: Check, index: RbacIndex | None) -> list[str]:
    status = "allowed" if check.decision.allowed else "missing"
    lines = [f"{status} ({_PURPOSE[check.kind]}): {check.request.describe()}"]
    lines += [f"  granted by {grant.describe()}" for grant in check.decision.grants]
    if not check.decision.allowed:
        count = len(check.decision.considered)
        lines.append(f"  no rule grants it ({count} binding(s) apply to the user here)")
        if index is not None:
            hints = near_misses(index, check.request) + granted_elsewhere(index, check.request)
            lines += [f"  {hint}" for hint in hints]
    return lines


def explain(decision: AccessDecision, index: RbacIndex | None = None) -> list[str]:
    """One block per check, in the order they were asked, then the notes. With the index, denied
    checks also name rules that almost grant them and bindings that grant them elsewhere."""
    lines: list[str] = []
    for check in decision.checks:
        lines.extend(_check_lines(check, index))
    lines += [f"note: {note}" for note in decision.notes]
    return [printable(line) for line in lines]


def _table(header: Sequence[str], raw_rows: Sequence[Sequence[str]]) -> list[str]:
    rows = [[printable(cell) for cell in row] for row in raw_rows]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows)]
    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip()
    return [line(header), *(line(row) for row in rows)]


def who_can_table(entries: Sequence[WhoCanEntry]) -> list[str]:
    if not entries:
        return ["no subject found in the loaded bindings is allowed"]
    return _table(("SUBJECT", "VIA"), [(str(e.subject), ", ".join(e.via)) for e in entries])


def _verbs(verbs: Sequence[str]) -> str:
    return ",".join(verbs) if verbs else "-"


_MATRIX_HEADER = ("SUBJECT", "TIER", "SCOPE", "POLICIES", "STAGED")


def _matrix_cells(row: MatrixRow) -> tuple[str, str, str, str, str]:
    return (str(row.subject), row.tier, row.scope, _verbs(row.policies), _verbs(row.staged))


def matrix_text(rows: Sequence[MatrixRow]) -> list[str]:
    if not rows:
        return ["no subject may create, update or delete tiered policies"]
    return _table(_MATRIX_HEADER, [_matrix_cells(r) for r in rows])


def escape_markdown(text: str) -> str:
    """Backslash-escape Markdown syntax; newlines become spaces so a cell stays one row."""
    flat = " ".join(text.splitlines())
    return _MARKDOWN_SPECIAL.sub(r"\\\1", flat)


def matrix_markdown(rows: Sequence[MatrixRow]) -> list[str]:
    lines = ["| " + " | ".join(h.title() for h in _MATRIX_HEADER) + " |",
             "|" + "---|" * len(_MATRIX_HEADER)]
    lines += ["| " + " | ".join(escape_markdown(c) for c in _matrix_cells(r)) + " |" for r in rows]
    return lines
