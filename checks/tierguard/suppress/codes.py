"""Diagnostic codes of in-repository waivers (SUP0xx)."""

from __future__ import annotations

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Severity

MALFORMED_WAIVER = "SUP001"
UNUSED_WAIVER = "SUP002"

CODES: tuple[CodeDoc, ...] = (
    CodeDoc(
        MALFORMED_WAIVER, "malformed-waiver", Severity.ERROR,
        "A `tierguard.io/ignore` entry has no reason, names no code, or names a code tierguard does not have.",
        why="A waiver must say what it waives and why, so that a reviewer can judge it later. An entry "
            "that does not parse waives nothing: the findings it meant to hide are still reported.",
        failing='metadata:\n  annotations:\n    tierguard.io/ignore: "LNT901"',
        passing='metadata:\n  annotations:\n    tierguard.io/ignore: "LNT901: selects pods only while the '
                'quarantine label is applied"',
    ),
    CodeDoc(
        UNUSED_WAIVER, "unused-waiver", Severity.WARNING,
        "A `tierguard.io/ignore` entry waives a code that this run did not report on the object.",
        why="A waiver that suppresses nothing is stale: the problem was fixed, or the code never applied. "
            "Left in place, it would silently hide the finding if it came back.",
        failing='# no LNT901 finding on this object any more\ntierguard.io/ignore: "LNT901: was unused"',
        passing="# remove the entry",
    ),
)
