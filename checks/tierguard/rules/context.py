"""What every admission rule receives: one resource, its typed model, and the run's settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from tierguard.engine.ir import CalicoVersion, Edition
from tierguard.loader.resources import ResourceDoc
from tierguard.model import build as model_build
from tierguard.model import gitops, rbac
from tierguard.selector import SelectorCache

Model = Union[model_build.Resource, gitops.GitOpsObject, rbac.Role, rbac.Binding]


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Everything one rule call sees: the resource, its model and the run's settings."""

    resource: ResourceDoc
    model: Model | None
    calico_version: CalicoVersion
    edition: Edition
    # Tiers that exist for this run: defined in the repository, plus the version's built-in tiers.
    known_tiers: frozenset[str]
    # Parsed selectors, shared by every context of one run (policies repeat the same selectors).
    selectors: SelectorCache = field(default_factory=SelectorCache, compare=False, repr=False)


def builtin_tiers(version: CalicoVersion, edition: Edition) -> frozenset[str]:
    """Tiers Calico itself (or the operator) creates, per calico-semantics section 1.5."""
    tiers = {"default"}
    if edition is Edition.ENTERPRISE:
        return frozenset(tiers | {"allow-tigera", "adminnetworkpolicy", "baselineadminnetworkpolicy"})
    if version >= CalicoVersion(3, 32):
        return frozenset(tiers | {"kube-admin", "kube-baseline", "calico-system"})
    tiers.add("allow-tigera")
    if version >= CalicoVersion(3, 29):
        tiers.add("adminnetworkpolicy")
    if version >= CalicoVersion(3, 30):
        tiers.add("baselineadminnetworkpolicy")
    return frozenset(tiers)
