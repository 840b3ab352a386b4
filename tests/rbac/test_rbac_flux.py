"""Flux tenant check: server-side apply rights of serviceAccountName, and Tier ordering via dependsOn."""

from __future__ import annotations

from rbac_factory import cluster_role, crb, index_of, rb, rule, sa
from tierguard.diagnostics import Span
from tierguard.engine.ir import CalicoVersion
from tierguard.rbac.changes import SourcedResource
from tierguard.rbac.flux import (
    KustomizationId,
    builtin_tiers,
    check_flux_tenants,
    read_kustomization,
)
from tierguard.rbac.tiers import CalicoSettings

PC = "projectcalico.org"

INDEX = index_of(
    cluster_role("tiers-admin", rule(["create", "patch", "get"], [PC], ["tiers"])),
    cluster_role("policy-writer", rule(["create", "patch"], [PC], ["networkpolicies", "globalnetworkpolicies"]),
                 rule(["create", "patch"], [PC], ["tier.networkpolicies", "tier.globalnetworkpolicies"],
                      names=["app.*", "platform.*", "default.*"])),
    cluster_role("get-tiers", rule(["get"], [PC], ["tiers"])),
    crb("platform-tiers", "tiers-admin", sa("platform", "flux-system")),
    crb("platform-policies", "policy-writer", sa("platform", "flux-system")),
    rb("team-a", "tenant", "policy-writer", sa("team-a", "flux-system")),
    crb("tenant-get", "get-tiers", sa("team-a", "flux-system")),
)


def kustomization(name: str, sa_name: str = "", depends: tuple[str, ...] = (), line: int = 1) -> SourcedResource:
    spec: dict[str, object] = {"path": f"./{name}"}
    if sa_name:
        spec["serviceAccountName"] = sa_name
    if depends:
        spec["dependsOn"] = [{"name": d} for d in depends]
    return SourcedResource({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                            "metadata": {"name": name, "namespace": "flux-system"}, "spec": spec},
                           Span("clusters/prod.yaml", line, 1))


def tier(name: str) -> SourcedResource:
    return SourcedResource({"apiVersion": "projectcalico.org/v3", "kind": "Tier", "metadata": {"name": name},
                            "spec": {"order": 100}}, Span(f"tiers/{name}.yaml", 1, 1))


def policy(name: str, tier_name: str | None, namespace: str | None = "team-a", line: int = 1,
           kind: str = "NetworkPolicy") -> SourcedResource:
    metadata: dict[str, object] = {"name": name}
    if namespace:
        metadata["namespace"] = namespace
    spec: dict[str, object] = {"selector": "all()"}
    if tier_name:
        spec["tier"] = tier_name
    return SourcedResource({"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": metadata,
                            "spec": spec}, Span("rendered.yaml", line, 1))


def key(name: str) -> KustomizationId:
    return KustomizationId("flux-system", name)


def codes(diagnostics: tuple[object, ...]) -> list[tuple[str, int, str]]:
    return [(d.code, d.span.line if d.span else 0, d.message) for d in diagnostics]  # type: ignore[attr-defined]


def test_allowed_tenant_with_ordered_tiers_reports_nothing() -> None:
    kustomizations = [kustomization("tiers", "platform"), kustomization("mid", depends=("tiers",)),
                      kustomization("apps", "team-a", depends=("mid",))]
    rendered = {key("tiers"): [tier("app")], key("apps"): [policy("web", "app"), policy("dns", None)]}
    assert check_flux_tenants(kustomizations, rendered, INDEX) == ()


def test_tenant_denials_and_ordering_problems() -> None:
    kustomizations = [kustomization("tiers", "platform", line=1),
                      kustomization("apps", "team-a", depends=("missing",), line=10),
                      kustomization("mixed", "platform", line=20)]
    rendered = {
        key("tiers"): [tier("app")],
        key("apps"): [policy("web", "app", line=3), policy("other-ns", "app", namespace="team-b", line=8),
                      policy("guard", "security", line=12)],
        key("mixed"): [tier("platform"), policy("gnp", "platform", namespace=None, kind="GlobalNetworkPolicy",
                                                line=30)],
    }
    assert codes(check_flux_tenants(kustomizations, rendered, INDEX)) == [
        ("RBAC433", 10, ("Kustomization flux-system/apps depends on flux-system/missing, which is not among the "
                        "inputs")),
        ("RBAC431", 3, ("tier 'app' of NetworkPolicy team-a/web is applied by flux-system/tiers, which "
                       "Kustomization flux-system/apps does not depend on")),
        ("RBAC430", 8, ("Kustomization flux-system/apps applies as system:serviceaccount:flux-system:team-a, "
                       "which may not server-side apply NetworkPolicy team-b/other-ns: missing create "
                       "networkpolicies.projectcalico.org 'other-ns' in namespace team-b; create "
                       "tier.networkpolicies.projectcalico.org 'app.*' in namespace team-b (or the exact name "
                       "'other-ns'); patch networkpolicies.projectcalico.org 'other-ns' in namespace team-b; "
                       "patch tier.networkpolicies.projectcalico.org 'app.*' in namespace team-b (or the exact "
                       "name 'other-ns')")),
        ("RBAC431", 8, ("tier 'app' of NetworkPolicy team-b/other-ns is applied by flux-system/tiers, which "
                       "Kustomization flux-system/apps does not depend on")),
        ("RBAC430", 12, ("Kustomization flux-system/apps applies as system:serviceaccount:flux-system:team-a, "
                        "which may not server-side apply NetworkPolicy team-a/guard: missing create "
                        "tier.networkpolicies.projectcalico.org 'security.*' in namespace team-a (or the exact "
                        "name 'guard'); patch tier.networkpolicies.projectcalico.org 'security.*' in namespace "
                        "team-a (or the exact name 'guard')")),
        ("RBAC432", 12, "NetworkPolicy team-a/guard uses tier 'security', which no Kustomization applies"),
        ("RBAC431", 30, ("tier 'platform' of GlobalNetworkPolicy gnp is applied by the same Kustomization; the "
                        "dry-run of the set fails while the tier is new")),
    ]


def test_default_service_account_and_controller_rights() -> None:
    kustomizations = [kustomization("apps")]
    rendered = {key("apps"): [policy("web", None)]}
    assert check_flux_tenants(kustomizations, rendered, INDEX) == ()  # controller's own rights
    found = check_flux_tenants(kustomizations, rendered, INDEX, default_service_account="nobody")
    assert [d.code for d in found] == ["RBAC430"]
    assert found[0].data == (("kustomization", "flux-system/apps"),
                             ("serviceAccount", "system:serviceaccount:flux-system:nobody"))


def test_builtin_tiers_need_no_kustomization() -> None:
    assert builtin_tiers(CalicoSettings(CalicoVersion(3, 32))) == frozenset(
        {"default", "kube-admin", "kube-baseline", "calico-system"})
    assert "adminnetworkpolicy" in builtin_tiers(CalicoSettings(CalicoVersion(3, 30)))
    rendered = {key("apps"): [policy("x", "kube-admin", kind="GlobalNetworkPolicy", namespace=None)]}
    assert check_flux_tenants([kustomization("apps")], rendered, INDEX) == ()


def test_read_kustomization_ignores_other_objects_and_defaults_namespaces() -> None:
    assert read_kustomization(tier("x")) is None
    plain = SourcedResource({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
                             "metadata": {"name": "k"}, "spec": {"dependsOn": [{"name": "a", "namespace": "o"},
                                                                               {"name": "b"}, "junk"]}})
    parsed = read_kustomization(plain)
    assert parsed is not None
    assert parsed.id == KustomizationId("flux-system", "k")
    assert parsed.depends_on == (KustomizationId("o", "a"), KustomizationId("flux-system", "b"))
