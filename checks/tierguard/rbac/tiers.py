"""Calico tier authorization on top of Kubernetes RBAC (calico-semantics.md §7).

A request on one of the four tiered policy resources in `projectcalico.org` is allowed when
(1) ordinary RBAC allows it, (2) the user may `get` `tiers` named <tier> (cluster scope) and
(3) the user has the same verb on `tier.<resource>` for the name `<tier>.*`, or else for the
exact name of the request (`AuthorizeTierOperation`: wildcard first, then the name). A create
carries no name, so only `<tier>.*` can grant it. An update that moves a policy between tiers
must pass (2) and (3) for both tiers.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from tierguard.engine.ir import CalicoVersion, Edition
from tierguard.rbac.authorizer import Decision, RbacIndex, Request, authorize
from tierguard.rbac.identity import UserInfo

CALICO_GROUP = "projectcalico.org"
TIERED_RESOURCES = frozenset({
    "networkpolicies", "globalnetworkpolicies", "stagednetworkpolicies", "stagedglobalnetworkpolicies"})
DEFAULT_TIER = "default"
FIRST_OSS_TIERS = CalicoVersion(3, 29)
FIRST_BARE_NAMES = CalicoVersion(3, 32)
DEFAULT_VERSION = CalicoVersion(3, 32)
_WEBHOOK_VERBS = {"create": "create", "update": "update", "patch": "update", "delete": "delete",
                  "deletecollection": "delete"}


class TierRbacMode(enum.Enum):
    """Where tier RBAC is enforced: the Calico API server, or (OSS >= 3.32) the CRD-mode webhook."""

    API_SERVER = "apiserver"
    CRD_WEBHOOK = "crd"


@dataclass(frozen=True, slots=True)
class CalicoSettings:
    version: CalicoVersion = DEFAULT_VERSION
    edition: Edition = Edition.OSS
    mode: TierRbacMode = TierRbacMode.API_SERVER

    @property
    def tiers_enabled(self) -> bool:
        """OSS has tiers (and tier RBAC) from 3.29; Enterprise always had them."""
        return self.edition is Edition.ENTERPRISE or self.version >= FIRST_OSS_TIERS

    @property
    def prefixed_names(self) -> bool:
        """Policy names carry the tier as `<tier>.<name>` (OSS 3.29-3.31, Enterprise)."""
        return self.edition is Edition.ENTERPRISE or self.version < FIRST_BARE_NAMES

    def tier_verb(self, verb: str) -> str | None:
        """The verb the tier check uses for `verb`, or None when the tier is not checked.

        The API server checks every verb with the request's own verb. The CRD-mode webhook sees
        only admission operations (CREATE, UPDATE, DELETE): reads are not tier-filtered and a
        patch arrives as UPDATE (assumption, see docs/rbac.md).
        """
        if self.mode is TierRbacMode.API_SERVER:
            return verb
        return _WEBHOOK_VERBS.get(verb)


DEFAULT_SETTINGS = CalicoSettings()


class CheckKind(enum.Enum):
    RBAC = "rbac"
    GET_TIER = "get-tier"
    TIER_WILDCARD = "tier-wildcard"
    TIER_NAME = "tier-name"


@dataclass(frozen=True, slots=True)
class Check:
    """One authorizer question asked on the way to a decision."""

    kind: CheckKind
    request: Request
    decision: Decision
    tier: str = ""


@dataclass(frozen=True, slots=True)
class AccessDecision:
    """The final answer, every check behind it, and notes on how it was reached."""

    allowed: bool
    checks: tuple[Check, ...]
    notes: tuple[str, ...] = ()


def is_tiered(request: Request) -> bool:
    """Only the four Calico policy kinds are tiered (`isTieredPolicy`); subresources are not."""
    return (request.resource_request and request.api_group == CALICO_GROUP
            and request.resource in TIERED_RESOURCES and not request.subresource)


def tier_from_name(name: str, settings: CalicoSettings) -> str:
    """The tier a request name implies: its `<tier>.` prefix where names carry it, else default."""
    if settings.prefixed_names and "." in name:
        return name.split(".", 1)[0]
    return DEFAULT_TIER


def _tier_checks(index: RbacIndex, request: Request, tier: str, verb: str) -> list[Check]:
    get_tier = Request(request.user, "get", "tiers", CALICO_GROUP, name=tier)
    checks = [Check(CheckKind.GET_TIER, get_tier, authorize(index, get_tier), tier)]
    pseudo = replace(request, verb=verb, resource=f"tier.{request.resource}", name=f"{tier}.*")
    wildcard = Check(CheckKind.TIER_WILDCARD, pseudo, authorize(index, pseudo), tier)
    checks.append(wildcard)
    if not wildcard.decision.allowed and request.name:
        exact = replace(pseudo, name=request.name)
        checks.append(Check(CheckKind.TIER_NAME, exact, authorize(index, exact), tier))
    return checks


def _tier_passed(checks: Sequence[Check], tier: str) -> bool:
    mine = [c for c in checks if c.tier == tier]
    got_tier = any(c.kind is CheckKind.GET_TIER and c.decision.allowed for c in mine)
    policy = any(c.kind in (CheckKind.TIER_WILDCARD, CheckKind.TIER_NAME) and c.decision.allowed
                 for c in mine)
    return got_tier and policy


def decide(index: RbacIndex, request: Request, settings: CalicoSettings = DEFAULT_SETTINGS,
           tiers: Sequence[str] = ()) -> AccessDecision:
    """Kubernetes RBAC, plus the tier grants for tiered Calico policies.

    `tiers` are the tiers the request touches (two for a tier move). Without them the tier comes
    from the name as the configured version would derive it. A list or watch without a tier is
    answered by ordinary RBAC; Calico then filters the result to tiers the user may get.
    """
    base = Check(CheckKind.RBAC, request, authorize(index, request))
    if not is_tiered(request) or not settings.tiers_enabled:
        return AccessDecision(base.decision.allowed, (base,))
    tier_verb = settings.tier_verb(request.verb)
    if tier_verb is None:
        note = f"{settings.mode.value} mode: {request.verb} is not tier-checked"
        return AccessDecision(base.decision.allowed, (base,), (note,))
    notes: list[str] = []
    if not tiers and request.verb in ("list", "watch") and not request.name:
        notes.append("no tier given: the result is filtered to the tiers the user may get")
        return AccessDecision(base.decision.allowed, (base,), tuple(notes))
    if not tiers:
        tiers = (tier_from_name(request.name, settings),)
        notes.append(f"tier {tiers[0]!r} derived from the request name for Calico "
                     f"{settings.edition.value} {settings.version}")
    checks = [base]
    for tier in dict.fromkeys(tiers):
        checks.extend(_tier_checks(index, request, tier, tier_verb))
    allowed = base.decision.allowed and all(_tier_passed(checks, t) for t in tiers)
    return AccessDecision(allowed, tuple(checks), tuple(notes))


def gettable_tiers(index: RbacIndex, user: UserInfo, candidates: Iterable[str]) -> tuple[str, ...]:
    """The candidate tiers `user` may `get` (what a list without a tier selector returns)."""
    return tuple(sorted(t for t in set(candidates)
                        if authorize(index, Request(user, "get", "tiers", CALICO_GROUP, name=t)).allowed))
