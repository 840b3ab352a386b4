"""CAL206: a staged policy with `stagedAction: Delete` must carry no spec besides stagedAction (and tier)."""

from __future__ import annotations

from collections.abc import Iterator

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.model.calico import CalicoPolicy
from tierguard.model.k8s import K8sNetworkPolicy
from tierguard.rules.context import RuleContext
from tierguard.rules.shapes import finding, key_span

ID = "CAL206"
NAME = "staged-delete-with-spec"
DEFAULT_SEVERITY = Severity.ERROR
DOC = CodeDoc(
    ID, NAME, DEFAULT_SEVERITY,
    "A staged policy with `stagedAction: Delete` also sets other spec fields.",
    why="A staged Delete previews removing the enforced policy of the same name; Calico requires "
        "every other spec field to be empty, and rejects the object otherwise.",
    failing="spec:\n  stagedAction: Delete\n  selector: app == 'web'",
    passing="spec:\n  stagedAction: Delete",
    references="calico-semantics.md section 1.4",
)

_ALLOWED = frozenset({"stagedAction", "tier"})


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    model = ctx.model
    if not isinstance(model, (CalicoPolicy, K8sNetworkPolicy)) or model.staged_action is None:
        return
    if model.staged_action.value != "Delete":
        return
    for key in model.spec_keys:
        if key not in _ALLOWED:
            yield finding(ctx, ID, DEFAULT_SEVERITY,
                          f"spec.{key} is set on a staged Delete; a staged Delete carries no spec",
                          key_span(ctx, "spec", key), f"spec.{key}",
                          hint="Remove everything from spec except stagedAction (and tier).")
