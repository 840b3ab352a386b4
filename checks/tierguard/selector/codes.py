"""Diagnostic codes of the selector family (SEL3xx)."""

from __future__ import annotations

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Severity

SELECTOR_SYNTAX = "SEL301"
SELECTOR_TOO_LONG = "SEL302"
GLOBAL_MISPLACED = "SEL303"
LABEL_SELECTOR_INVALID = "SEL304"

_GRAMMAR = "calico-semantics.md section 4; docs/selectors.md"

CODES: tuple[CodeDoc, ...] = (
    CodeDoc(SELECTOR_SYNTAX, "selector-syntax", Severity.ERROR,
            "A Calico selector does not parse; the message gives the column inside the selector.",
            why="Calico rejects the resource (or, for rules, drops the rule), so the policy does "
                "not do what the file says.",
            failing="selector: app = 'web'", passing="selector: app == 'web'",
            references=_GRAMMAR),
    CodeDoc(SELECTOR_TOO_LONG, "selector-too-long", Severity.ERROR,
            "A selector field is longer than 1024 characters.",
            why="The Calico CRD schema limits selector fields to 1024 characters; the API server "
                "rejects longer ones.",
            references=_GRAMMAR),
    CodeDoc(GLOBAL_MISPLACED, "global-misplaced", Severity.ERROR,
            "global() is used somewhere other than as the whole of a rule namespaceSelector.",
            why="global() means 'not namespaced' only as a complete rule namespaceSelector; "
                "Calico's validation rejects it anywhere else.",
            failing="namespaceSelector: global() && team == 'a'",
            passing="namespaceSelector: global()",
            references="calico-semantics.md sections 3.5 and 4.2"),
    CodeDoc(LABEL_SELECTOR_INVALID, "label-selector-invalid", Severity.ERROR,
            "A Kubernetes LabelSelector cannot be converted to a Calico selector.",
            why="Calico drops what it cannot convert, so the Kubernetes NetworkPolicy silently "
                "loses a selector or a rule.",
            failing="matchExpressions: [{key: app, operator: Equals, values: [web]}]",
            passing="matchExpressions: [{key: app, operator: In, values: [web]}]",
            references="calico-semantics.md section 1.9"),
)
