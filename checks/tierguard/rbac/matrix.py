"""The tier access matrix: for each binding subject, which tiers it may create/update/delete
policies in, per scope.

Scopes: `(cluster)` for GlobalNetworkPolicy/StagedGlobalNetworkPolicy, `*` for NetworkPolicy in
every namespace (through ClusterRoleBindings), and a namespace name where RoleBindings add to `*`.
A cell holds what the subject can do to any policy of the tier, so only `<tier>.*` grants count
(a create never carries a name).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tierguard.model.rbac import BindingKind
from tierguard.rbac.authorizer import NameGrant, RbacIndex, Request, granted_names
from tierguard.rbac.identity import UserInfo
from tierguard.rbac.subjects import SubjectKey, binding_subjects
from tierguard.rbac.tiers import CALICO_GROUP, DEFAULT_SETTINGS, DEFAULT_TIER, CalicoSettings

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
    """One subject's grants, computed once per (verb, resource, namespace) for every tier at once."""

    index: RbacIndex
    subject: SubjectKey
    settings: CalicoSettings
    user: UserInfo
    candidates: list[int]
    cache: dict[tuple[str, str, str], NameGrant] = field(default_factory=dict)

    def grant(self, verb: str, resource: str, namespace: str) -> NameGrant:
        key = (verb, resource, namespace)
        found = self.cache.get(key)
        if found is None:
            request = Request(self.user, verb, resource, CALICO_GROUP, namespace=namespace)
            found = self.cache[key] = granted_names(self.index, request, self.candidates)
        return found

    def may_get_tier(self, tier: str) -> bool:
        return not self.settings.tiers_enabled or self.grant("get", "tiers", "").allows(tier)

    def verbs(self, resource: str, namespace: str, tier: str) -> tuple[str, ...]:
        granted: list[str] = []
        for verb in MATRIX_VERBS:
            if not self.grant(verb, resource, namespace).allows(""):  # no name: any policy
                continue
            tier_verb = self.settings.tier_verb(verb) if self.settings.tiers_enabled else None
            if tier_verb is not None and not self.grant(tier_verb, f"tier.{resource}", namespace).allows(f"{tier}.*"):
                continue
            granted.append(verb)
        return tuple(granted)


def _namespaces(index: RbacIndex, candidates: Sequence[int]) -> list[str]:
    return sorted({index.bindings[i].namespace for i in candidates
                   if index.bindings[i].kind is BindingKind.ROLE_BINDING})


def _subject_rows(view: _SubjectView, tiers: Sequence[str]) -> list[MatrixRow]:
    rows: list[MatrixRow] = []
    namespaces = _namespaces(view.index, view.candidates)
    for tier in tiers:
        if not view.may_get_tier(tier):
            continue  # without `get` on the tier no policy of it can be written
        scopes: list[tuple[str, bool, str]] = [(CLUSTER_SCOPE, True, ""), (ALL_NAMESPACES, False, "")]
        scopes += [(ns, False, ns) for ns in namespaces]
        everywhere: tuple[tuple[str, ...], tuple[str, ...]] = ((), ())
        for scope, cluster, namespace in scopes:
            policies, staged = _KINDS[cluster]
            cell = (view.verbs(policies, namespace, tier), view.verbs(staged, namespace, tier))
            if scope == ALL_NAMESPACES:
                everywhere = cell
            elif namespace and set(cell[0]) <= set(everywhere[0]) and set(cell[1]) <= set(everywhere[1]):
                continue  # the namespace adds nothing to the `*` row
            if cell[0] or cell[1]:
                rows.append(MatrixRow(view.subject, tier, scope, cell[0], cell[1]))
    return rows


def tier_matrix(index: RbacIndex, settings: CalicoSettings = DEFAULT_SETTINGS,
                tiers: Sequence[str] = ()) -> tuple[MatrixRow, ...]:
    """Rows for every (subject, tier, scope) with at least one allowed verb, sorted."""
    tier_list = tuple(tiers) or known_tiers(index)
    rows: list[MatrixRow] = []
    for subject in binding_subjects(index):
        user = subject.identity()
        view = _SubjectView(index, subject, settings, user, index.candidate_indexes(user))
        rows.extend(_subject_rows(view, tier_list))
    return tuple(rows)
