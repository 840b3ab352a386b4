"""ClusterRole aggregation as the clusterrole-aggregation controller leaves it at steady state.

An aggregated ClusterRole's rules are replaced by the union (first occurrence wins, roles in name
order, itself skipped) of the rules of every ClusterRole matched by any of its
clusterRoleSelectors. Aggregated roles can select other aggregated roles, so the union is iterated
to a fixed point, which is what repeated controller syncs converge to.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tierguard.model.rbac import PolicyRule, Role


@dataclass(frozen=True, slots=True)
class SourcedRule:
    """A rule and the role that lists it (differs from the bound role under aggregation)."""

    rule: PolicyRule
    origin: Role


def _content(rule: PolicyRule) -> tuple[tuple[str, ...], ...]:
    # `ruleExists` compares rules with DeepEqual; source locations are not part of a rule.
    return (rule.verbs, rule.api_groups, rule.resources, rule.resource_names, rule.non_resource_urls)


def _aggregate(role: Role, ordered: list[Role],
               current: Mapping[str, tuple[SourcedRule, ...]]) -> tuple[SourcedRule, ...]:
    assert role.aggregation is not None
    rules: list[SourcedRule] = []
    seen: set[tuple[tuple[str, ...], ...]] = set()
    for selector in role.aggregation:
        for other in ordered:
            if other.name == role.name or not selector.matches(other.label_map):
                continue
            for sourced in current[other.name]:
                key = _content(sourced.rule)
                if key not in seen:
                    seen.add(key)
                    rules.append(sourced)
    return tuple(rules)


def effective_cluster_role_rules(cluster_roles: Mapping[str, Role]) -> dict[str, tuple[SourcedRule, ...]]:
    """ClusterRole name -> the rules the authorizer sees for it."""
    ordered = sorted(cluster_roles.values(), key=lambda r: r.name)
    current: dict[str, tuple[SourcedRule, ...]] = {
        r.name: () if r.aggregation is not None else tuple(SourcedRule(rule, r) for rule in r.rules)
        for r in ordered}
    aggregated = [r for r in ordered if r.aggregation is not None]
    for _ in range(len(aggregated) + 1):
        changed = False
        for role in aggregated:
            rules = _aggregate(role, ordered, current)
            if rules != current[role.name]:
                current[role.name] = rules
                changed = True
        if not changed:
            break
    return current
