"""Diagnostic codes of the typed models (SCH1xx): field-path schema errors."""

from __future__ import annotations

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Severity

WRONG_TYPE = "SCH101"
MISSING_FIELD = "SCH102"
UNKNOWN_FIELD = "SCH103"
BAD_ENUM = "SCH104"

CODES: tuple[CodeDoc, ...] = (
    CodeDoc(WRONG_TYPE, "wrong-type", Severity.ERROR,
            "A field has the wrong type (for example a list where a string is expected).",
            why="The API server rejects the object when it is applied, so nothing in it takes effect.",
            failing="spec:\n  ingress:\n  - action: Allow\n    source:\n      selector: [app]",
            passing="spec:\n  ingress:\n  - action: Allow\n    source:\n      selector: app == 'web'",
            references="calico-semantics §1.1"),
    CodeDoc(MISSING_FIELD, "missing-field", Severity.ERROR,
            "A required field is absent.",
            why="The API server rejects the object (for example a rule without `action`).",
            failing="spec:\n  ingress:\n  - source: {nets: [10.0.0.0/8]}",
            passing="spec:\n  ingress:\n  - action: Allow\n    source: {nets: [10.0.0.0/8]}"),
    CodeDoc(UNKNOWN_FIELD, "unknown-field", Severity.ERROR,
            "A field is not part of the resource's schema (often a typo or a field of another kind).",
            why="With server-side field validation the apply fails; with client-side apply the field "
                "is silently dropped, so the policy does something other than what it says.",
            failing="spec:\n  namespaceSelector: team == 'a'   # NetworkPolicy has no spec.namespaceSelector",
            passing="spec:\n  selector: team == 'a'",
            references="calico-semantics §1.2"),
    CodeDoc(BAD_ENUM, "bad-enum-value", Severity.ERROR,
            "A field holds a value outside its closed set (for example `action: allow`).",
            why="Enumerations are case-sensitive; the API server rejects other values.",
            failing="- action: allow", passing="- action: Allow"),
)
