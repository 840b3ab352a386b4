"""Applying waivers: split findings into reported and suppressed, and flag waivers that hid nothing.

A waiver suppresses the findings on its object (same kind, namespace and name) with its code.
Suppressed findings are kept, with the waiver's reason, so every report still shows them; only
the reported ones may reach `diagnostics.exit_code_for`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass

from tierguard.diagnostics import Diagnostic, ResourceRef, Severity
from tierguard.suppress import codes
from tierguard.suppress.waivers import Waiver


@dataclass(frozen=True, slots=True)
class Suppressed:
    """A finding hidden by a waiver, and the waiver's reason (SARIF `justification`)."""

    diagnostic: Diagnostic
    justification: str


@dataclass(frozen=True, slots=True)
class SuppressionResult:
    """Findings to report (including SUP002 for unused waivers) and the suppressed ones, in input order."""

    diagnostics: tuple[Diagnostic, ...]
    suppressed: tuple[Suppressed, ...]


_Key = tuple[ResourceRef, str]


def _index(waivers: Iterable[Waiver]) -> dict[_Key, Waiver]:
    """One waiver per (object, code). An object read both from its file and from a rendered overlay
    carries the same waiver twice; the one located in a real file (not `<stream>`) is kept."""
    table: dict[_Key, Waiver] = {}
    for waiver in sorted(waivers, key=lambda w: (w.span.file.startswith("<"), w.span)):
        table.setdefault((waiver.resource, waiver.code), waiver)
    return table


def _unused(waiver: Waiver) -> Diagnostic:
    return Diagnostic(codes.UNUSED_WAIVER, Severity.WARNING,
                      f"waiver for {waiver.code} on {waiver.resource} suppressed nothing in this run",
                      waiver.span, waiver.resource, waiver.field_path,
                      "remove the entry, or check that the waiver names the right object and code")


def apply_waivers(diagnostics: Iterable[Diagnostic], waivers: Iterable[Waiver],
                  not_run: Collection[str] = frozenset()) -> SuppressionResult:
    """Split `diagnostics` by `waivers`; waiver findings (SUPxxx) are never suppressed.

    `not_run` names codes whose checks did not run (e.g. the inventory lints without an
    inventory): a waiver for them cannot be told unused, so it gets no SUP002.
    """
    table = _index(waivers)
    used: set[_Key] = set()
    reported: list[Diagnostic] = []
    suppressed: list[Suppressed] = []
    for diagnostic in diagnostics:
        key = (diagnostic.resource, diagnostic.code) if diagnostic.resource is not None else None
        waiver = table.get(key) if key is not None and not diagnostic.code.startswith("SUP") else None
        if waiver is None or key is None:
            reported.append(diagnostic)
            continue
        used.add(key)
        suppressed.append(Suppressed(diagnostic, waiver.reason))
    reported += (_unused(w) for key, w in table.items() if key not in used and w.code not in not_run)
    return SuppressionResult(tuple(reported), tuple(suppressed))
