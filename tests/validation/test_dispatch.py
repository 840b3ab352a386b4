"""Kind dispatch: internal Calico group, unknown kinds, K8s built-in schemas, GitOps models."""

from __future__ import annotations

from tierguard.loader.resources import extract_resources
from tierguard.loader.yaml_source import load_yaml_text
from tierguard.model.gitops import ArgoApplication, FluxKustomization, GitRepository
from tierguard.validation.dispatch import check_resource
from tierguard.validation.k8s_schema import K8sSchemas, supported_versions

SCHEMAS = K8sSchemas("1.32")


def _check(text: str):  # type: ignore[no-untyped-def]
    [resource] = extract_resources(load_yaml_text(text, "f.yaml").documents).resources
    return check_resource(resource, SCHEMAS)


def _codes(text: str) -> list[tuple[str, int, int, str]]:
    _, problems = _check(text)
    return [(d.code, d.span.line, d.span.col, d.field_path) for d in problems]


def test_supported_versions_come_from_the_bundled_schemas() -> None:
    versions = supported_versions()
    assert versions[0] == "1.25" and "1.32" in versions


def test_all_schema_errors_are_reported_and_located() -> None:
    text = ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: x\n  labels: {a: 1}\n"
            "spec:\n  podSelectr: {}\n  ingress:\n  - from: 5\n")
    assert _codes(text) == [
        ("SCH182", 5, 15, "metadata.labels.a"),
        ("SCH182", 7, 3, "spec.podSelectr"),  # one typo, one finding (not also "podSelector missing")
        ("SCH182", 9, 11, "spec.ingress[0].from"),
    ]
    _, problems = _check(text)
    assert problems[1].hint == "Did you mean 'podSelector'? It is required and missing."


def test_missing_required_field_without_typo() -> None:
    assert _codes("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x}\nspec:\n"
                  "  policyTypes: [Ingress]\n") == [("SCH182", 5, 3, "spec.podSelector")]


def test_builtin_kinds_and_lists() -> None:
    assert _codes("apiVersion: v1\nkind: Namespace\nmetadata: {name: shop, labels: {team: a}}\n") == []
    text = ("apiVersion: v1\nkind: List\nitems:\n- apiVersion: rbac.authorization.k8s.io/v1\n  kind: Role\n"
            "  metadata: {name: r, namespace: a}\n  rules: [{verbs: [get], resources: [tiers], bogus: 1}]\n")
    assert _codes(text) == [("SCH182", 7, 46, "items[0].rules[0].bogus")]


def test_unknown_kind_and_group_lookalikes() -> None:
    assert _codes("apiVersion: networking.example.com/v1\nkind: NetworkPolicy\nmetadata: {name: x}\n") == [
        ("SCH180", 2, 7, "kind")]
    [(code, *_)] = _codes("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: x}\n")
    assert code == "SCH180"


def test_internal_calico_group_explains_why() -> None:
    _, [diag] = _check("apiVersion: crd.projectcalico.org/v1\nkind: NetworkPolicy\nmetadata: {name: x}\n")
    assert (diag.code, diag.span.line, diag.span.col) == ("SCH181", 1, 13)
    assert "bypass the Calico API server's validation and defaulting" in diag.message
    assert diag.hint == "apiVersion: projectcalico.org/v3 (kind NetworkPolicy)"


def test_missing_name_for_unmodelled_kinds() -> None:
    assert _codes("apiVersion: v1\nkind: Namespace\nmetadata: {labels: {a: b}}\n") == [
        ("SCH183", 3, 11, "metadata.name")]


def test_flux_and_argo_models() -> None:
    checked, problems = _check(
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: p, namespace: flux-system}\n"
        "spec:\n  interval: 10m\n  prune: true\n  path: ./overlays/dev\n  dependsOn: [{name: tiers}]\n"
        "  serviceAccountName: netpol\n  sourceRef: {kind: GitRepository, name: netpol}\n"
        "  postBuild:\n    substitute: {A: '1'}\n    substituteFrom: [{kind: ConfigMap, name: vars, optional: true}]\n")
    assert problems == []
    model = checked.model
    assert isinstance(model, FluxKustomization)
    assert (model.path, model.depends_on, model.prune, model.service_account, model.substitute) == (
        "./overlays/dev", ("tiers",), True, "netpol", (("A", "1"),))
    assert model.substitute_from[0].optional is True
    checked, problems = _check("apiVersion: source.toolkit.fluxcd.io/v1\nkind: GitRepository\nmetadata: {name: n}\n"
                               "spec: {url: 'https://x/y.git', interval: 1m, ref: {branch: main}}\n")
    assert problems == [] and isinstance(checked.model, GitRepository)
    assert checked.model.ref == (("branch", "main"),)
    checked, problems = _check(
        "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: a\n  annotations:\n"
        "    argocd.argoproj.io/sync-wave: '-1'\nspec:\n  project: default\n  source: {repoURL: r, path: tiers}\n"
        "  destination: {server: s}\n  syncPolicy: {automated: {prune: true}, syncOptions: [ServerSideApply=true]}\n")
    assert problems == [] and isinstance(checked.model, ArgoApplication)
    assert (checked.model.sync_wave, checked.model.path, checked.model.automated_prune) == ("-1", "tiers", True)


def test_gitops_field_errors_and_versions() -> None:
    assert _codes("apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata: {name: p}\n"
                  "spec:\n  interval: 10m\n  prune: yes-please\n  sourceRef: {kind: Git, name: n}\n  pathh: x\n") == [
        ("SCH101", 6, 10, "spec.prune"), ("SCH104", 7, 21, "spec.sourceRef.kind"), ("SCH103", 8, 3, "spec.pathh")]
    assert _codes("apiVersion: kustomize.toolkit.fluxcd.io/v1beta9\nkind: Kustomization\nmetadata: {name: p}\n") == [
        ("SCH180", 2, 7, "kind")]


def test_kustomize_build_config_is_not_a_cluster_object() -> None:
    assert _codes("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n") == []


def test_rbac_objects_get_schema_then_rbac_model_checks() -> None:
    role = ("apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: r, namespace: a}\n"
            "rules:\n- apiGroups: ['']\n  resources: [pods]\n  verbs: [gte]\n")
    checked, problems = _check(role)
    assert [(d.code, d.severity.value, d.span.line, d.span.col) for d in problems] == [("RBAC401", "warning", 7, 11)]
    assert type(checked.model).__name__ == "Role"
    # A structural mistake is the schema's one finding; the RBAC model's checks do not repeat it.
    assert _codes(role.replace("verbs: [gte]", "verb: [get]")) == [("SCH182", 7, 3, "rules[0].verb")]
