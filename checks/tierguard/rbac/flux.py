"""Flux tenant check: would each Kustomization's service account be allowed to apply what its path
renders, and are Tiers applied before the policies that use them?

kustomize-controller impersonates `spec.serviceAccountName` (in the Kustomization's namespace) and
applies with server-side apply after a dry-run of the whole set, so every object needs `create`
and `patch` (with its name), plus the tier grants for tiered Calico policies. The caller renders
each Kustomization's path; this module only decides.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tierguard.diagnostics import Diagnostic, ResourceRef, Severity, Span, sorted_diagnostics
from tierguard.engine.ir import CalicoVersion, Edition
from tierguard.rbac import codes
from tierguard.rbac.authorizer import RbacIndex
from tierguard.rbac.changes import (
    ApplyMode,
    Change,
    ChangeKind,
    SourcedResource,
    change_requests,
    is_tiered_object,
    missing_checks,
    object_key,
    policy_tier,
)
from tierguard.rbac.identities import KubeIdentity
from tierguard.rbac.identity import service_account_username
from tierguard.rbac.tiers import CALICO_GROUP, DEFAULT_SETTINGS, CalicoSettings, decide

FLUX_GROUP = "kustomize.toolkit.fluxcd.io"


@dataclass(frozen=True, slots=True, order=True)
class KustomizationId:
    namespace: str
    name: str

    def __str__(self) -> str:
        return f"{self.namespace}/{self.name}"


@dataclass(frozen=True, slots=True)
class FluxKustomization:
    id: KustomizationId
    service_account: str = ""
    depends_on: tuple[KustomizationId, ...] = ()
    path: str = ""
    span: Span | None = None

    @property
    def ref(self) -> ResourceRef:
        return ResourceRef("Kustomization", self.id.name, self.id.namespace)


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


def read_kustomization(resource: SourcedResource) -> FluxKustomization | None:
    """A Flux Kustomization from a plain dict; None for anything else."""
    body = resource.body
    if not _str(body.get("apiVersion")).startswith(FLUX_GROUP + "/") or body.get("kind") != "Kustomization":
        return None
    meta = body.get("metadata")
    spec = body.get("spec")
    meta = meta if isinstance(meta, dict) else {}
    spec = spec if isinstance(spec, dict) else {}
    namespace = _str(meta.get("namespace")) or "flux-system"
    raw_deps = spec.get("dependsOn")
    deps = tuple(KustomizationId(_str(d.get("namespace")) or namespace, _str(d.get("name")))
                 for d in (raw_deps if isinstance(raw_deps, list) else []) if isinstance(d, dict))
    return FluxKustomization(KustomizationId(namespace, _str(meta.get("name"))),
                             _str(spec.get("serviceAccountName")), deps, _str(spec.get("path")), resource.span)


def builtin_tiers(settings: CalicoSettings) -> frozenset[str]:
    """Tiers Calico (or its operator) creates itself for the configured version."""
    if settings.edition is Edition.ENTERPRISE:
        return frozenset({"default", "allow-tigera", "adminnetworkpolicy", "baselineadminnetworkpolicy"})
    if settings.version >= CalicoVersion(3, 32):
        return frozenset({"default", "kube-admin", "kube-baseline", "calico-system"})
    return frozenset({"default", "adminnetworkpolicy", "baselineadminnetworkpolicy", "allow-tigera"})


def _closure(start: KustomizationId, graph: Mapping[KustomizationId, FluxKustomization]) -> set[KustomizationId]:
    """Everything `start` depends on, directly or transitively (cycle-safe)."""
    seen: set[KustomizationId] = set()
    stack = list(graph[start].depends_on) if start in graph else []
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        if current in graph:
            stack.extend(graph[current].depends_on)
    return seen


def _apply_diagnostics(kustomization: FluxKustomization, resources: Sequence[SourcedResource],
                       index: RbacIndex, settings: CalicoSettings) -> list[Diagnostic]:
    account = service_account_username(kustomization.id.namespace, kustomization.service_account)
    identity = KubeIdentity(account)
    found: list[Diagnostic] = []
    for resource in resources:
        change = Change(ChangeKind.CREATE, object_key(resource.body), None, resource)
        decisions = [decide(index, request, settings, tiers)
                     for request, tiers in change_requests(change, identity, ApplyMode.SERVER_SIDE_APPLY)]
        missing = list(dict.fromkeys(m for d in decisions if not d.allowed for m in missing_checks(d)))
        if missing:
            found.append(Diagnostic(
                codes.FLUX_APPLY_DENIED, Severity.ERROR,
                f"Kustomization {kustomization.id} applies as {account}, which may not server-side apply "
                f"{change.key.ref}: missing {'; '.join(missing)}",
                resource.span, change.key.ref, "",
                "Grant the service account these rights (tier grants included), or move the object "
                "to a Kustomization whose service account has them.",
                (("kustomization", str(kustomization.id)), ("serviceAccount", account))))
    return found


def _tier_providers(rendered: Mapping[KustomizationId, Sequence[SourcedResource]]) -> dict[str, set[KustomizationId]]:
    providers: dict[str, set[KustomizationId]] = {}
    for kid, resources in rendered.items():
        for resource in resources:
            key = object_key(resource.body)
            if key.api_group == CALICO_GROUP and key.kind == "Tier" and key.name:
                providers.setdefault(key.name, set()).add(kid)
    return providers


def _order_diagnostics(kustomization: FluxKustomization, resources: Sequence[SourcedResource],
                       providers: Mapping[str, set[KustomizationId]], ancestors: set[KustomizationId],
                       builtin: frozenset[str]) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for resource in resources:
        key = object_key(resource.body)
        tier = policy_tier(resource.body)
        if not is_tiered_object(key) or tier in builtin:
            continue
        applied_by = providers.get(tier, set())
        if not applied_by:
            found.append(Diagnostic(codes.FLUX_TIER_NOT_APPLIED, Severity.WARNING,
                                    f"{key.ref} uses tier {tier!r}, which no Kustomization applies",
                                    resource.span, key.ref, "spec.tier"))
        elif not applied_by & ancestors:
            names = ", ".join(sorted(str(k) for k in applied_by))
            same = kustomization.id in applied_by
            why = ("is applied by the same Kustomization; the dry-run of the set fails while the tier is new"
                   if same else f"is applied by {names}, which Kustomization {kustomization.id} does not depend on")
            found.append(Diagnostic(codes.FLUX_TIER_ORDER, Severity.ERROR, f"tier {tier!r} of {key.ref} {why}",
                                    resource.span, key.ref, "spec.tier",
                                    f"Add dependsOn: [{{name: {min(applied_by).name}}}] to Kustomization "
                                    f"{kustomization.id}, and keep Tiers in their own Kustomization."))
    return found


def check_flux_tenants(kustomizations: Sequence[SourcedResource],
                       rendered: Mapping[KustomizationId, Sequence[SourcedResource]],
                       index: RbacIndex, settings: CalicoSettings = DEFAULT_SETTINGS,
                       default_service_account: str = "") -> tuple[Diagnostic, ...]:
    """RBAC430-433 for every Flux Kustomization among `kustomizations`, sorted by location.

    `rendered` maps a Kustomization to the objects its path renders. Without serviceAccountName,
    `default_service_account` (the controller's --default-service-account) is used; with neither,
    the controller applies with its own rights and only the ordering is checked.
    """
    graph = {k.id: k for r in kustomizations if (k := read_kustomization(r)) is not None}
    providers = _tier_providers(rendered)
    builtin = builtin_tiers(settings)
    found: list[Diagnostic] = []
    for kid, kustomization in sorted(graph.items()):
        for dependency in kustomization.depends_on:
            if dependency not in graph:
                found.append(Diagnostic(codes.FLUX_UNKNOWN_DEPENDENCY, Severity.WARNING,
                                        f"Kustomization {kid} depends on {dependency}, which is not among the inputs",
                                        kustomization.span, kustomization.ref, "spec.dependsOn"))
        resources = rendered.get(kid, ())
        account = kustomization.service_account or default_service_account
        if account:
            tenant = FluxKustomization(kid, account, kustomization.depends_on, kustomization.path, kustomization.span)
            found.extend(_apply_diagnostics(tenant, resources, index, settings))
        found.extend(_order_diagnostics(kustomization, resources, providers, _closure(kid, graph), builtin))
    return tuple(sorted_diagnostics(found))
