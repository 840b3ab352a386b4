"""LNT901: a policy's effective applies-to selector matches no endpoint of the environment's inventory."""

from __future__ import annotations

from collections.abc import Iterator

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.engine.ir import StagedAction
from tierguard.lint.context import LintContext, PolicySource
from tierguard.lint.emptiness import EmptySelector, check_selector
from tierguard.lint.locate import NAMESPACE_PREFIX, SERVICE_ACCOUNT_PREFIX, SelectorField
from tierguard.model.calico import CalicoPolicy
from tierguard.model.k8s import K8sNetworkPolicy

ID = "LNT901"
NAME = "policy-selects-nothing"
DEFAULT_SEVERITY = Severity.WARNING
NEEDS_INVENTORY = True
DOC = CodeDoc(
    ID, NAME, DEFAULT_SEVERITY,
    "A policy's effective selector (after namespace and service-account scoping) matches no pod or "
    "host endpoint of the environment's inventory. Error when a label test is a near miss of a value "
    "endpoints carry (enforced policies), note when the tested labels are carried by no endpoint yet.",
    why="A policy that selects nothing enforces nothing: the pods it was written for stay unprotected "
        "(with no other policy they are default-allow), and nothing at apply time says so. The usual "
        "cause is a label typo, as in the upstream Sock Shop policies (`name == 'cart'` for pods "
        "labelled `name=carts`).",
    failing="# pods are labelled name=carts\nspec:\n  selector: name == 'cart'",
    passing="spec:\n  selector: name == 'carts'",
    references="calico-semantics.md section 3.2; issue 7 (Sock Shop selector bug)",
)


def fields_of(source: PolicySource) -> tuple[SelectorField, ...]:
    """The user-written fields the applies-to selector is built from."""
    if isinstance(source.model, CalicoPolicy):
        return (SelectorField("spec.selector"), SelectorField("spec.namespaceSelector", NAMESPACE_PREFIX),
                SelectorField("spec.serviceAccountSelector", SERVICE_ACCOUNT_PREFIX))
    if isinstance(source.model, K8sNetworkPolicy):
        return (SelectorField("spec.podSelector", label_selector=True),)
    return (SelectorField("spec.subject"),)


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for source in ctx.policies:
        if source.compiled.staged_action is StagedAction.DELETE:
            continue  # a staged Delete has no selector of its own
        shape = EmptySelector(ID, f"{source.ref}", "endpoint", fields_of(source), "metadata.name")
        found = check_selector(source, shape, source.compiled.selector, ctx.targets, ctx.inventory_name)
        if found is not None:
            yield found
