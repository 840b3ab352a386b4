"""The Kubernetes RBAC authorizer, rule for rule (`plugin/pkg/auth/authorizer/rbac/rbac.go` and
`pkg/apis/rbac/v1/evaluation_helpers.go`): objects in, decision out, plus every granting rule.

Bindings are indexed by subject, so one decision only looks at the bindings that can apply.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from tierguard.diagnostics import Diagnostic
from tierguard.model.rbac import (
    Binding,
    BindingKind,
    PolicyRule,
    RbacSet,
    Role,
    RoleKind,
    SubjectKind,
)
from tierguard.rbac.aggregation import SourcedRule, effective_cluster_role_rules
from tierguard.rbac.identity import UserInfo, service_account_username
from tierguard.rbac.linking import missing_role_diagnostics


@dataclass(frozen=True, slots=True)
class Request:
    """Authorizer attributes. `namespace=""` on a namespaced resource means all namespaces."""

    user: UserInfo
    verb: str
    resource: str = ""
    api_group: str = ""
    subresource: str = ""
    name: str = ""
    namespace: str = ""
    path: str = ""
    resource_request: bool = True

    @property
    def combined_resource(self) -> str:
        return f"{self.resource}/{self.subresource}" if self.subresource else self.resource

    def describe(self) -> str:
        """Human text such as `create networkpolicies.projectcalico.org "x" in namespace a`."""
        if not self.resource_request:
            return f"{self.verb} {self.path}"
        group = f".{self.api_group}" if self.api_group else ""
        sub = f"/{self.subresource}" if self.subresource else ""
        name = f" {self.name!r}" if self.name else ""
        where = f" in namespace {self.namespace}" if self.namespace else " (cluster-wide)"
        return f"{self.verb} {self.resource}{group}{sub}{name}{where}"


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A PolicyRule with set lookups; `allows` is upstream `RuleAllows`."""

    rule: PolicyRule
    origin: Role
    verbs: frozenset[str]
    api_groups: frozenset[str]
    resources: frozenset[str]
    resource_names: frozenset[str]
    urls: frozenset[str]
    url_prefixes: tuple[str, ...]

    @classmethod
    def of(cls, sourced: SourcedRule) -> CompiledRule:
        rule = sourced.rule
        prefixes = tuple(url.rstrip("*") for url in rule.non_resource_urls if url.endswith("*"))
        return cls(rule, sourced.origin, frozenset(rule.verbs), frozenset(rule.api_groups),
                   frozenset(rule.resources), frozenset(rule.resource_names),
                   frozenset(rule.non_resource_urls), prefixes)

    def verb_matches(self, verb: str) -> bool:
        return "*" in self.verbs or verb in self.verbs

    def api_group_matches(self, group: str) -> bool:
        return "*" in self.api_groups or group in self.api_groups

    def resource_matches(self, combined: str, subresource: str) -> bool:
        # `*` matches everything, subresources included; `*/sub` matches any resource's `sub`.
        if "*" in self.resources or combined in self.resources:
            return True
        return bool(subresource) and ("*/" + subresource) in self.resources

    def resource_name_matches(self, name: str) -> bool:
        return not self.resource_names or name in self.resource_names

    def url_matches(self, path: str) -> bool:
        if "*" in self.urls or path in self.urls:
            return True
        return any(path.startswith(prefix) for prefix in self.url_prefixes)

    def allows(self, request: Request) -> bool:
        if not self.verb_matches(request.verb):
            return False
        if not request.resource_request:
            return self.url_matches(request.path)
        return (self.api_group_matches(request.api_group)
                and self.resource_matches(request.combined_resource, request.subresource)
                and self.resource_name_matches(request.name))


@dataclass(frozen=True, slots=True)
class Grant:
    """One rule that allowed a request, and the binding and role it came through."""

    binding: Binding
    rule: PolicyRule
    origin: Role

    def describe(self) -> str:
        ref = self.binding.role_ref
        via = f" (aggregated from ClusterRole {self.origin.name})" if self.origin.name != ref.name else ""
        where = f" at {self.rule.span}" if self.rule.span else ""
        return f"{self.binding.ref} -> {ref.kind} {ref.name} {self.rule.field_path}{via}{where}"


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    grants: tuple[Grant, ...] = ()
    considered: tuple[Binding, ...] = ()


@dataclass(frozen=True, slots=True)
class RbacIndex:
    """Bindings indexed by subject, each with the compiled rules it grants."""

    bindings: tuple[Binding, ...]
    rules: tuple[tuple[CompiledRule, ...], ...]
    by_user: Mapping[str, tuple[int, ...]]
    by_group: Mapping[str, tuple[int, ...]]
    by_service_account: Mapping[str, tuple[int, ...]]
    diagnostics: tuple[Diagnostic, ...] = ()

    def candidate_indexes(self, user: UserInfo) -> list[int]:
        """Bindings with a subject that can match `user`, in load order."""
        found: set[int] = set(self.by_user.get(user.name, ()))
        for group in user.groups:
            found.update(self.by_group.get(group, ()))
        found.update(self.by_service_account.get(user.name, ()))
        return sorted(found)

    def applicable(self, user: UserInfo, namespace: str,
                   candidates: Sequence[int] | None = None) -> list[int]:
        """ClusterRoleBindings, plus RoleBindings of `namespace` (none when it is empty)."""
        if candidates is None:
            candidates = self.candidate_indexes(user)
        return [i for i in candidates
                if self.bindings[i].kind is BindingKind.CLUSTER_ROLE_BINDING
                or (namespace and self.bindings[i].namespace == namespace)]


def _role_rules(binding: Binding, cluster_rules: Mapping[str, tuple[SourcedRule, ...]],
                roles: Mapping[tuple[str, str], Role]) -> tuple[SourcedRule, ...]:
    """`GetRoleReferenceRules`: a missing or mistyped role grants nothing."""
    ref = binding.role_ref
    if ref.kind == "ClusterRole":
        return cluster_rules.get(ref.name, ())
    if ref.kind == "Role" and binding.kind is BindingKind.ROLE_BINDING:
        role = roles.get((binding.namespace, ref.name))
        return tuple(SourcedRule(rule, role) for rule in role.rules) if role else ()
    return ()


def _subject_keys(binding: Binding) -> Iterable[tuple[str, str]]:
    for subject in binding.subjects:
        if subject.kind is SubjectKind.USER:
            yield "user", subject.name
        elif subject.kind is SubjectKind.GROUP:
            yield "group", subject.name
        elif subject.kind is SubjectKind.SERVICE_ACCOUNT:
            # In a RoleBinding the subject's namespace defaults to the binding's (appliesToUser).
            namespace = subject.namespace or binding.namespace
            if namespace and subject.name:
                # MatchesUsername is a plain string comparison, so index the full user name.
                yield "sa", service_account_username(namespace, subject.name)


def build_index(rbac: RbacSet) -> RbacIndex:
    """Resolve aggregation and role references once; index bindings by subject."""
    cluster_roles = {r.name: r for r in rbac.roles if r.kind is RoleKind.CLUSTER_ROLE}
    roles = {(r.namespace, r.name): r for r in rbac.roles if r.kind is RoleKind.ROLE}
    cluster_rules = effective_cluster_role_rules(cluster_roles)
    by_user: defaultdict[str, list[int]] = defaultdict(list)
    by_group: defaultdict[str, list[int]] = defaultdict(list)
    by_sa: defaultdict[str, list[int]] = defaultdict(list)
    compiled: list[tuple[CompiledRule, ...]] = []
    for index, binding in enumerate(rbac.bindings):
        compiled.append(tuple(CompiledRule.of(s) for s in _role_rules(binding, cluster_rules, roles)))
        for kind, key in _subject_keys(binding):
            table = by_user if kind == "user" else by_group if kind == "group" else by_sa
            if not table[key] or table[key][-1] != index:
                table[key].append(index)
    return RbacIndex(rbac.bindings, tuple(compiled),
                     {k: tuple(v) for k, v in by_user.items()},
                     {k: tuple(v) for k, v in by_group.items()},
                     {k: tuple(v) for k, v in by_sa.items()},
                     missing_role_diagnostics(rbac.bindings, cluster_roles, roles))


def authorize(index: RbacIndex, request: Request, candidates: Sequence[int] | None = None) -> Decision:
    """Allow when any rule of any binding that applies to the user allows the request.

    `candidates` may pass `index.candidate_indexes(request.user)` computed once for many requests.
    """
    namespace = request.namespace if request.resource_request else ""
    applicable = index.applicable(request.user, namespace, candidates)
    grants = tuple(Grant(index.bindings[i], rule.rule, rule.origin)
                   for i in applicable for rule in index.rules[i] if rule.allows(request))
    return Decision(bool(grants), grants, tuple(index.bindings[i] for i in applicable))


@dataclass(frozen=True, slots=True)
class NameGrant:
    """The resource names a request is allowed for: every name, or the listed ones."""

    every_name: bool
    names: frozenset[str] = frozenset()

    def allows(self, name: str) -> bool:
        return self.every_name or name in self.names


def granted_names(index: RbacIndex, request: Request, candidates: Sequence[int] | None = None) -> NameGrant:
    """For a resource request, ignoring its name: `authorize(request with name n)` allows exactly
    the names `NameGrant.allows(n)` accepts. One pass answers the question for every name.
    """
    return names_granted_by(index, index.applicable(request.user, request.namespace, candidates), request)


def names_granted_by(index: RbacIndex, applicable: Iterable[int], request: Request) -> NameGrant:
    """`granted_names` over bindings already known to apply to the request's user and namespace."""
    return names_granted_by_rules((rule for i in applicable for rule in index.rules[i]), request)


def names_granted_by_rules(rules: Iterable[CompiledRule], request: Request) -> NameGrant:
    """`granted_names` over the rules of the applicable bindings."""
    names: set[str] = set()
    for rule in rules:
        if (rule.verb_matches(request.verb) and rule.api_group_matches(request.api_group)
                and rule.resource_matches(request.combined_resource, request.subresource)):
            if not rule.resource_names:
                return NameGrant(True)
            names.update(rule.resource_names)
    return NameGrant(False, frozenset(names))
