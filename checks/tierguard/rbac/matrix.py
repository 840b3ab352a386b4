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
from tierguard.rbac.authorizer import (
    CompiledRule,
    NameGrant,
    RbacIndex,
    Request,
    names_granted_by_rules,
)
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


# (verb, tier grant) for each verb ordinary RBAC allows; None when the tier is not checked.
_Cell = tuple[tuple[str, NameGrant | None], ...]


@dataclass(slots=True)
class _SubjectView:
    """One subject's grants, computed once per (resource, scope) for every tier at once."""

    index: RbacIndex
    settings: CalicoSettings
    user: UserInfo
    candidates: list[int]
    tiers_enabled: bool = True

    def calico_rules(self, namespace: str) -> list[CompiledRule]:
        """Rules of the bindings that apply in `namespace` and can match projectcalico.org."""
        applicable = self.index.applicable(self.user, namespace, self.candidates)
        return [rule for i in applicable for rule in self.index.rules[i] if rule.api_group_matches(CALICO_GROUP)]

    def grant(self, rules: list[CompiledRule], verb: str, resource: str, namespace: str) -> NameGrant:
        request = Request(self.user, verb, resource, CALICO_GROUP, namespace=namespace)
        return names_granted_by_rules(rules, request)

    def cell(self, rules: list[CompiledRule], resource: str, namespace: str) -> _Cell:
        entries: list[tuple[str, NameGrant | None]] = []
        for verb in MATRIX_VERBS:
            if not self.grant(rules, verb, resource, namespace).allows(""):  # no name: any policy
                continue
            tier_verb = self.settings.tier_verb(verb) if self.tiers_enabled else None
            tier_grant = None if tier_verb is None else self.grant(rules, tier_verb, f"tier.{resource}", namespace)
            entries.append((verb, tier_grant))
        return tuple(entries)

    def gettable(self, tiers: Sequence[str]) -> list[str]:
        if not self.tiers_enabled:
            return list(tiers)
        grant = self.grant(self.calico_rules(""), "get", "tiers", "")
        return [t for t in tiers if grant.allows(t)]


def _verbs(cell: _Cell, tier: str) -> tuple[str, ...]:
    if all(grant is None or grant.every_name for _, grant in cell):
        return tuple(verb for verb, _ in cell)  # the same for every tier
    pattern = f"{tier}.*"
    return tuple(verb for verb, grant in cell if grant is None or grant.allows(pattern))


def _namespaces(index: RbacIndex, candidates: Sequence[int]) -> list[str]:
    return sorted({index.bindings[i].namespace for i in candidates
                   if index.bindings[i].kind is BindingKind.ROLE_BINDING})


def _subject_rows(view: _SubjectView, subject: SubjectKey, tiers: Sequence[str]) -> list[MatrixRow]:
    gettable = view.gettable(tiers)  # without `get` on the tier no policy of it can be written
    if not gettable:
        return []
    scopes: list[tuple[str, bool, str]] = [(CLUSTER_SCOPE, True, ""), (ALL_NAMESPACES, False, "")]
    scopes += [(ns, False, ns) for ns in _namespaces(view.index, view.candidates)]
    cells = []
    for scope, cluster, namespace in scopes:
        rules = view.calico_rules(namespace)
        policy_resource, staged_resource = _KINDS[cluster]
        cells.append((scope, namespace, view.cell(rules, policy_resource, namespace),
                      view.cell(rules, staged_resource, namespace)))
    if not any(policies or staged for _, _, policies, staged in cells):
        return []
    rows: list[MatrixRow] = []
    for tier in gettable:
        everywhere: tuple[set[str], set[str]] = (set(), set())
        for scope, namespace, policies_cell, staged_cell in cells:
            if not (policies_cell or staged_cell):
                continue
            policies, staged = _verbs(policies_cell, tier), _verbs(staged_cell, tier)
            if scope == ALL_NAMESPACES:
                everywhere = (set(policies), set(staged))
            elif namespace and set(policies) <= everywhere[0] and set(staged) <= everywhere[1]:
                continue  # the namespace adds nothing to the `*` row
            if policies or staged:
                rows.append(MatrixRow(subject, tier, scope, policies, staged))
    return rows


def tier_matrix(index: RbacIndex, settings: CalicoSettings = DEFAULT_SETTINGS,
                tiers: Sequence[str] = ()) -> tuple[MatrixRow, ...]:
    """Rows for every (subject, tier, scope) with at least one allowed verb, sorted."""
    tier_list = tuple(tiers) or known_tiers(index)
    if not settings.tiers_enabled:
        tier_list = (DEFAULT_TIER,)  # no tiers before OSS 3.29: every policy is in `default`
    rows: list[MatrixRow] = []
    for subject in binding_subjects(index):
        user = subject.identity()
        view = _SubjectView(index, settings, user, index.candidate_indexes(user), settings.tiers_enabled)
        rows.extend(_subject_rows(view, subject, tier_list))
    return tuple(rows)
