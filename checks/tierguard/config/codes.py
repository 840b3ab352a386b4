"""Diagnostic codes of the configuration file (CFG8xx). Any of them makes the run exit 2."""

from __future__ import annotations

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Severity

UNKNOWN_KEY = "CFG801"
WRONG_TYPE = "CFG802"
MISSING_KEY = "CFG803"
BAD_VALUE = "CFG804"
UNREADABLE = "CFG805"

CODES: tuple[CodeDoc, ...] = (
    CodeDoc(UNKNOWN_KEY, "config-unknown-key", Severity.ERROR,
            "tierguard.yaml has a key the schema does not know; the message names its key path.",
            why="A misspelt key is silently ignored by lenient tools, so the setting you meant never applies.",
            failing="environments:\n  - name: dev\n    calicoVerison: '3.31'",
            passing="environments:\n  - name: dev\n    calicoVersion: '3.31'"),
    CodeDoc(WRONG_TYPE, "config-wrong-type", Severity.ERROR,
            "A tierguard.yaml value has the wrong type (for example a list where a mapping belongs).",
            failing="environments:\n  name: dev", passing="environments:\n  - name: dev"),
    CodeDoc(MISSING_KEY, "config-missing-key", Severity.ERROR,
            "A required tierguard.yaml key is missing.",
            failing="environments:\n  - name: dev", passing="environments:\n  - name: dev\n    overlay: overlays/dev\n"
                                                               "    calicoVersion: '3.31'"),
    CodeDoc(BAD_VALUE, "config-bad-value", Severity.ERROR,
            "A tierguard.yaml value is out of its allowed set (edition, versions, duplicate environment names).",
            failing="edition: enterprize", passing="edition: enterprise"),
    CodeDoc(UNREADABLE, "config-unreadable", Severity.ERROR,
            "tierguard.yaml cannot be read or parsed as YAML.",
            why="Nothing can be checked against an unknown configuration."),
)
