"""The tier access matrix: for each binding subject, which tiers it may create/update/delete
policies in, per scope.

Scopes: `(cluster)` for GlobalNetworkPolicy/StagedGlobalNetworkPolicy, `*` for NetworkPolicy in
every namespace (through ClusterRoleBindings), and a namespace name where RoleBindings add to `*`.
A cell holds what the subject can do to any policy of the tier, so only `<tier>.*` grants count
(a create never carries a name).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tierguard.model.rbac import BindingKind
from tierguard.rbac.authorizer import RbacIndex, Request, authorize
from tierguard.rbac.subjects import SubjectKey, binding_subjects
from tierguard.rbac.tiers import CALICO_GROUP, DEFAULT_TIER, CalicoSettings

MATRIX_VERBS = ("create", "update", "delete")
CLUSTER_SCOPE = "(cluster)"
ALL_NAMESPACES = "*"
_KINDS = {  # scope kind -> (policies resource, staged resource)
    True: ("globalnetworkpolicies", "stagedglobalnetworkpolicies"),
    False: ("networkpolicies", "stagednetworkpolicies"),
}


@dataclass(frozen=True, slots=True)
class MatrixRow:
    subject: SubjectKey
    tier: str
    scope: str
    policies: tuple[str, ...]
    staged: tuple[str, ...]


def known_tiers(index: RbacIndex, extra: Sequence[str] = ()) -> tuple[str, ...]:
    """`default`, `extra` (e.g. Tier objects) and every tier named in tier RBAC rules."""
    found = {DEFAULT_TIER, *extra}
    for rules in index.rules:
        for compiled in rules:
            rule = compiled.rule
            if "tiers" in rule.resources:
                found.update(n for n in rule.resource_names if n)
            if any(r.startswith("tier.") for r in rule.resources):
                found.update(n[:-2] for n in rule.resource_names if n.endswith(".*") and len(n) > 2)
    return tuple(sorted(found))


@dataclass(slots=True)
class _SubjectView:
    """Caches the checks one subject needs; they repeat across tiers, kinds and verbs."""

    index: RbacIndex
    subject: SubjectKey
    settings: CalicoSettings
    candidates: list[int]

    def allowed(self, request: Request) -> bool:
        return authorize(self.index, request, self.candidates).allowed

    def verbs(self, resource: str, namespace: str, tier: str, may_get_tier: bool) -> tuple[str, ...]:
        user = self.subject.identity()
        granted: list[str] = []
        for verb in MATRIX_VERBS:
            base = Request(user, verb, resource, CALICO_GROUP, namespace=namespace)
            if not self.allowed(base):
                continue
            tier_verb = self.settings.tier_verb(verb) if self.settings.tiers_enabled else None
            if tier_verb is not None:
                pseudo = Request(user, tier_verb, f"tier.{resource}", CALICO_GROUP,
                                 name=f"{tier}.*", namespace=namespace)
                if not (may_get_tier and self.allowed(pseudo)):
                    continue
            granted.append(verb)
        return tuple(granted)


def _namespaces(index: RbacIndex, candidates: Sequence[int]) -> list[str]:
    return sorted({index.bindings[i].namespace for i in candidates
                   if index.bindings[i].kind is BindingKind.ROLE_BINDING})


def _subject_rows(view: _SubjectView, tiers: Sequence[str]) -> list[MatrixRow]:
    user = view.subject.identity()
    rows: list[MatrixRow] = []
    namespaces = _namespaces(view.index, view.candidates)
    for tier in tiers:
        may_get = view.allowed(Request(user, "get", "tiers", CALICO_GROUP, name=tier))
        scopes: list[tuple[str, bool, str]] = [(CLUSTER_SCOPE, True, ""), (ALL_NAMESPACES, False, "")]
        scopes += [(ns, False, ns) for ns in namespaces]
        everywhere: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
        for scope, cluster, namespace in scopes:
            policies, staged = _KINDS[cluster]
            cell = (view.verbs(policies, namespace, tier, may_get), view.verbs(staged, namespace, tier, may_get))
            if scope == ALL_NAMESPACES:
                everywhere = cell
            elif namespace and set(cell[0]) <= set(everywhere[0]) and set(cell[1]) <= set(everywhere[1]):
                continue  # the namespace adds nothing to the `*` row
            if cell[0] or cell[1]:
                rows.append(MatrixRow(view.subject, tier, scope, cell[0], cell[1]))
    return rows


def tier_matrix(index: RbacIndex, settings: CalicoSettings = CalicoSettings(),
                tiers: Sequence[str] = ()) -> tuple[MatrixRow, ...]:
    """Rows for every (subject, tier, scope) with at least one allowed verb, sorted."""
    tier_list = tuple(tiers) or known_tiers(index)
    rows: list[MatrixRow] = []
    for subject in binding_subjects(index):
        view = _SubjectView(index, subject, settings, index.candidate_indexes(subject.identity()))
        rows.extend(_subject_rows(view, tier_list))
    return tuple(rows)
