"""LNT902: a rule's source or destination selector (effective, after namespace scoping) matches nothing."""

from __future__ import annotations

from collections.abc import Iterator

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.engine.compile_k8s import label_selector_text
from tierguard.engine.compile_rules import CompileError
from tierguard.engine.compile_selectors import entity_selector_text
from tierguard.engine.ir import Direction
from tierguard.lint.context import LintContext, PolicySource
from tierguard.lint.emptiness import EmptySelector, check_selector
from tierguard.lint.locate import NAMESPACE_PREFIX, SERVICE_ACCOUNT_PREFIX, SelectorField
from tierguard.model.calico import CalicoPolicy
from tierguard.model.k8s import K8sNetworkPolicy, K8sPeer
from tierguard.selector import Selector, SelectorError, parse

ID = "LNT902"
NAME = "rule-peer-matches-nothing"
DEFAULT_SEVERITY = Severity.WARNING
NEEDS_INVENTORY = True
DOC = CodeDoc(
    ID, NAME, DEFAULT_SEVERITY,
    "A rule's source or destination selector, after Calico's implicit namespace scoping, matches no "
    "endpoint or network set of the environment (inventory plus the repository's network sets). Error "
    "for a near-miss label value in an enforced policy.",
    why="The rule can never match: an Allow rule allows nothing, so the traffic it was written for hits "
        "the end-of-tier deny; a Deny rule blocks nothing. In a namespaced policy a bare `selector` only "
        "matches endpoints of the policy's own namespace, a frequent surprise.",
    failing="# NetworkPolicy in namespace shop; the front-end pods are in namespace web\n"
            "ingress:\n  - action: Allow\n    source:\n      selector: app == 'front-end'",
    passing="ingress:\n  - action: Allow\n    source:\n      selector: app == 'front-end'\n"
            "      namespaceSelector: kubernetes.io/metadata.name == 'web'",
    references="calico-semantics.md section 3.5 (effective entity selector)",
)

_SIDES = ("source", "destination")


def _calico_fields(path: str) -> tuple[SelectorField, ...]:
    return (SelectorField(f"{path}.selector"), SelectorField(f"{path}.namespaceSelector", NAMESPACE_PREFIX),
            SelectorField(f"{path}.serviceAccounts.selector", SERVICE_ACCOUNT_PREFIX))


def _calico_sides(source: PolicySource) -> Iterator[tuple[str, Selector, tuple[SelectorField, ...]]]:
    compiled = source.compiled
    for direction in (Direction.INGRESS, Direction.EGRESS):
        if not compiled.governs(direction):
            continue
        for rule in compiled.rules(direction):
            for side_name, side in zip(_SIDES, (rule.source, rule.destination)):
                if side.selector is not None:
                    path = f"spec.{direction.value.lower()}[{rule.index}].{side_name}"
                    yield path, side.selector, _calico_fields(path)


def _peer_selector(peer: K8sPeer, namespace: str) -> Selector | None:
    if peer.ip_block is not None:
        return None
    try:
        text = entity_selector_text(
            selector=label_selector_text(peer.pod_selector, pods=True), not_selector="",
            namespace_selector=label_selector_text(peer.namespace_selector, pods=False),
            service_account_names=(), service_account_selector="", policy_namespace=namespace)
        return parse(text) if text else None
    except (CompileError, SelectorError):
        return None  # reported by the admission rules and the compiler


def _k8s_sides(source: PolicySource, model: K8sNetworkPolicy
               ) -> Iterator[tuple[str, Selector, tuple[SelectorField, ...]]]:
    for direction, rules in ((Direction.INGRESS, model.ingress), (Direction.EGRESS, model.egress)):
        if not source.compiled.governs(direction):
            continue
        for rule in rules:
            for peer in rule.peers:
                selector = _peer_selector(peer, source.compiled.namespace)
                if selector is not None:
                    yield peer.path, selector, (
                        SelectorField(f"{peer.path}.podSelector", label_selector=True),
                        SelectorField(f"{peer.path}.namespaceSelector", NAMESPACE_PREFIX, label_selector=True))


def sides_of(source: PolicySource) -> Iterator[tuple[str, Selector, tuple[SelectorField, ...]]]:
    """(field path, effective selector, written fields) of every rule side with a selector."""
    if isinstance(source.model, CalicoPolicy):
        yield from _calico_sides(source)
    elif isinstance(source.model, K8sNetworkPolicy):
        yield from _k8s_sides(source, source.model)


def check(ctx: LintContext) -> Iterator[Diagnostic]:
    for source in ctx.policies:
        for path, selector, fields in sides_of(source):
            shape = EmptySelector(ID, f"{source.ref} {path}", "endpoint or network set", fields, path)
            found = check_selector(source, shape, selector, ctx.peers, ctx.inventory_name)
            if found is not None:
                yield found
