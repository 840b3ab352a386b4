"""LNT907: a rule with an `http` match, which the Linux dataplane does not enforce."""

from __future__ import annotations

from collections.abc import Iterator

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.lint.context import LintContext
from tierguard.model.calico import CalicoPolicy

ID = "LNT907"
NAME = "http-rule-not-enforced"
DEFAULT_SEVERITY = Severity.WARNING
NEEDS_INVENTORY = False
DOC = CodeDoc(
    ID, NAME, DEFAULT_SEVERITY,
    "A rule has an `http` match (methods or paths).",
    why="Only application-layer policy (Envoy/Dikastes) enforces HTTP matches; the Linux dataplane "
        "renders the rule's L3/L4 part only, so an Allow limited to GET /health allows every request on "
        "that port. Flow logs carry no HTTP method or path, so tierguard cannot simulate the rule either.",
    failing="ingress:\n  - action: Allow\n    protocol: TCP\n    http:\n      methods: [GET]",
    passing="ingress:\n  - action: Allow\n    protocol: TCP\n    destination:\n      ports: [8080]",
    references="calico-semantics.md section 1.1 (Rule.http)",
)


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for source in ctx.policies:
        if not isinstance(source.model, CalicoPolicy):
            continue
        for rule in (*source.model.ingress, *source.model.egress):
            if rule.http is None:
                continue
            path = f"{rule.path}.http"
            yield source.finding(
                ID, DEFAULT_SEVERITY,
                f"{source.ref} {rule.path} has an http match: the Linux dataplane enforces only its L3/L4 "
                "part (application layer policy is needed for the HTTP part), and flow simulation treats "
                "it as not evaluable",
                rule.http.span, path,
                hint="match on ports instead, or make sure application layer policy is enabled for these pods")
