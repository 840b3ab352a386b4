"""Change authorization: may the author of a Git change make it in the cluster? (review gate)

Creates, updates and deletes are derived from a base and a head rendering, keyed by
(API group, kind, namespace, name). Each change is decided with the tier-aware authorizer for
the verbs the apply method uses; a tier move needs both tiers. Denials come back as RBAC4xx
diagnostics located at the changed resource (the head object, or the base object for a delete).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tierguard.diagnostics import Diagnostic, ResourceRef, Severity, Span
from tierguard.rbac import codes
from tierguard.rbac.authorizer import RbacIndex, Request
from tierguard.rbac.identities import GitAuthor, IdentityMapping, IdentitySource, KubeIdentity
from tierguard.rbac.resources import api_group_of, guess_resource, is_cluster_scoped
from tierguard.rbac.tiers import (
    CALICO_GROUP,
    DEFAULT_SETTINGS,
    DEFAULT_TIER,
    TIERED_RESOURCES,
    AccessDecision,
    CalicoSettings,
    CheckKind,
    decide,
    is_tiered,
)

DEFAULT_NAMESPACE = "default"


@dataclass(frozen=True, slots=True)
class SourcedResource:
    """A rendered object as a plain dict, with where it came from."""

    body: Mapping[str, object]
    span: Span | None = None


@dataclass(frozen=True, slots=True, order=True)
class ObjectKey:
    api_group: str
    kind: str
    namespace: str
    name: str

    @property
    def ref(self) -> ResourceRef:
        return ResourceRef(self.kind, self.name, self.namespace)


class ChangeKind(enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


class ApplyMode(enum.Enum):
    """How the GitOps controller writes: server-side apply (Flux, Argo with SSA) or plain verbs."""

    SERVER_SIDE_APPLY = "server-side-apply"
    CREATE_UPDATE = "create-update"


def _meta(body: Mapping[str, object]) -> Mapping[str, object]:
    meta = body.get("metadata")
    return meta if isinstance(meta, dict) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def object_key(body: Mapping[str, object]) -> ObjectKey:
    """Identity of an object; a namespaced object without a namespace lands in `default`."""
    group = api_group_of(_text(body.get("apiVersion")))
    kind = _text(body.get("kind"))
    meta = _meta(body)
    namespace = _text(meta.get("namespace"))
    if is_cluster_scoped(group, kind):
        namespace = ""
    elif not namespace:
        namespace = DEFAULT_NAMESPACE
    return ObjectKey(group, kind, namespace, _text(meta.get("name")))


def is_tiered_object(key: ObjectKey) -> bool:
    """True for the four tiered Calico policy kinds."""
    return key.api_group == CALICO_GROUP and guess_resource(key.kind) in TIERED_RESOURCES


def policy_tier(body: Mapping[str, object]) -> str:
    """`spec.tier`, defaulting to `default` as Calico does."""
    spec = body.get("spec")
    tier = spec.get("tier") if isinstance(spec, dict) else None
    return tier if isinstance(tier, str) and tier else DEFAULT_TIER


@dataclass(frozen=True, slots=True)
class Change:
    kind: ChangeKind
    key: ObjectKey
    base: SourcedResource | None = None
    head: SourcedResource | None = None

    @property
    def located(self) -> SourcedResource:
        located = self.head or self.base
        assert located is not None
        return located

    def tiers(self) -> tuple[str, ...]:
        """Old and new tier (deduplicated): a tier move touches both."""
        bodies = [r.body for r in (self.base, self.head) if r is not None]
        if self.kind is ChangeKind.CREATE:
            bodies = bodies[-1:]
        return tuple(dict.fromkeys(policy_tier(b) for b in bodies))


def diff_resources(base: Sequence[SourcedResource], head: Sequence[SourcedResource]) -> tuple[Change, ...]:
    """Creates, updates (any difference in the object) and deletes, sorted by key."""
    before = {object_key(r.body): r for r in base}
    after = {object_key(r.body): r for r in head}
    changes: list[Change] = []
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old is None:
            changes.append(Change(ChangeKind.CREATE, key, None, new))
        elif new is None:
            changes.append(Change(ChangeKind.DELETE, key, old, None))
        elif old.body != new.body:
            changes.append(Change(ChangeKind.UPDATE, key, old, new))
    return tuple(changes)


def _verbs(kind: ChangeKind, mode: ApplyMode) -> tuple[tuple[str, bool], ...]:
    """(verb, request carries the name) pairs the apply method needs."""
    if kind is ChangeKind.DELETE:
        return (("delete", True),)
    if mode is ApplyMode.SERVER_SIDE_APPLY:
        # An apply PATCH names the object; one that creates is also authorized as `create`.
        return (("create", True), ("patch", True)) if kind is ChangeKind.CREATE else (("patch", True),)
    return (("create", False),) if kind is ChangeKind.CREATE else (("update", True),)


def change_requests(change: Change, identity: KubeIdentity,
                    mode: ApplyMode) -> tuple[tuple[Request, tuple[str, ...]], ...]:
    """The authorizer requests (with the tiers each touches) that `change` needs."""
    key = change.key
    resource = guess_resource(key.kind)
    requests: list[tuple[Request, tuple[str, ...]]] = []
    for verb, named in _verbs(change.kind, mode):
        request = Request(identity.user_info(), verb, resource, key.api_group,
                          name=key.name if named else "", namespace=key.namespace)
        requests.append((request, change.tiers() if is_tiered(request) else ()))
    return tuple(requests)


@dataclass(frozen=True, slots=True)
class ChangeDecision:
    change: Change
    identity: KubeIdentity | None
    allowed: bool
    decisions: tuple[AccessDecision, ...] = ()


@dataclass(frozen=True, slots=True)
class ChangeReport:
    decisions: tuple[ChangeDecision, ...]
    diagnostics: tuple[Diagnostic, ...]


def _decide_as(change: Change, identity: KubeIdentity, index: RbacIndex, settings: CalicoSettings,
               mode: ApplyMode) -> ChangeDecision:
    decisions = tuple(decide(index, request, settings, tiers)
                      for request, tiers in change_requests(change, identity, mode))
    return ChangeDecision(change, identity, all(d.allowed for d in decisions), decisions)


def missing_checks(decision: AccessDecision) -> tuple[str, ...]:
    """Text for each failed check of a denied decision (a tier passes through wildcard OR name)."""
    passed_tiers = {c.tier for c in decision.checks
                    if c.kind in (CheckKind.TIER_WILDCARD, CheckKind.TIER_NAME) and c.decision.allowed}
    named = {c.tier: c.request.name for c in decision.checks if c.kind is CheckKind.TIER_NAME}
    texts: list[str] = []
    for check in decision.checks:
        if check.decision.allowed or check.kind is CheckKind.TIER_NAME:
            continue
        if check.kind is CheckKind.TIER_WILDCARD:
            if check.tier in passed_tiers:
                continue
            if check.tier in named:
                texts.append(f"{check.request.describe()} (or the exact name {named[check.tier]!r})")
                continue
        texts.append(check.request.describe())
    return tuple(texts)


def _denial(result: ChangeDecision, who: str) -> Diagnostic:
    change = result.change
    denied = [d for d in result.decisions if not d.allowed]
    base_denied = any(d.checks[0].kind is CheckKind.RBAC and not d.checks[0].decision.allowed for d in denied)
    missing = "; ".join(dict.fromkeys(m for d in denied for m in missing_checks(d)))
    tiers = change.tiers()
    move = f" (tier move {tiers[0]} -> {tiers[1]}: both tiers are checked)" if len(tiers) == 2 else ""
    code = codes.CHANGE_DENIED if base_denied else codes.CHANGE_TIER_DENIED
    return Diagnostic(code, Severity.ERROR,
                      f"{who} may not {change.kind.value} {change.key.ref}{move}: missing {missing}",
                      change.located.span, change.key.ref, "",
                      "Grant the missing rights, or have someone who holds them make this change.",
                      (("identity", who),))


def _unmapped(change: Change, why: str) -> Diagnostic:
    return Diagnostic(codes.UNMAPPED_AUTHOR, Severity.ERROR,
                      f"cannot authorize {change.kind.value} of {change.key.ref}: {why}",
                      change.located.span, change.key.ref,
                      hint="Map the author or team under `identities:` in tierguard.yaml.")


def _decide_change(change: Change, author: GitAuthor, mapping: IdentityMapping, index: RbacIndex,
                   settings: CalicoSettings, mode: ApplyMode) -> tuple[ChangeDecision, Diagnostic | None]:
    if mapping.source is IdentitySource.CODEOWNERS:
        path = change.located.span.file if change.located.span else ""
        owners = mapping.owners_of(path)
        identities = [(o, i) for o in owners if (i := mapping.for_owner(o)) is not None]
        if not identities:
            return ChangeDecision(change, None, False), _unmapped(
                change, f"no mapped owner for path {path!r} (owners: {', '.join(owners) or 'none'})")
        results = [(o, _decide_as(change, i, index, settings, mode)) for o, i in identities]
        passing = next((r for _, r in results if r.allowed), None)
        if passing is not None:
            return passing, None
        owner, first = results[0]
        return first, _denial(first, f"owner {owner} as {first.identity}")
    identity = mapping.for_author(author)
    if identity is None:
        return ChangeDecision(change, None, False), _unmapped(change, f"author {author} is not mapped")
    result = _decide_as(change, identity, index, settings, mode)
    return result, None if result.allowed else _denial(result, f"{author} as {identity}")


def authorize_changes(base: Sequence[SourcedResource], head: Sequence[SourcedResource],
                      author: GitAuthor, mapping: IdentityMapping, index: RbacIndex,
                      settings: CalicoSettings = DEFAULT_SETTINGS,
                      mode: ApplyMode = ApplyMode.SERVER_SIDE_APPLY) -> ChangeReport:
    """Decide every change between `base` and `head`; denials are RBAC420/421/422 diagnostics."""
    decisions: list[ChangeDecision] = []
    diagnostics: list[Diagnostic] = []
    for change in diff_resources(base, head):
        decision, problem = _decide_change(change, author, mapping, index, settings, mode)
        decisions.append(decision)
        if problem is not None:
            diagnostics.append(problem)
    return ChangeReport(tuple(decisions), tuple(diagnostics))
