"""Typed models of the GitOps objects: Flux GitRepository and Kustomization, Argo CD Application.

Field definitions are written from the Flux v1 API (source.toolkit.fluxcd.io,
kustomize.toolkit.fluxcd.io) and the Argo CD v1alpha1 types; checking reuses the located
declarative schema of `model.schema`, so errors carry field paths and spans.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from tierguard.diagnostics import Diagnostic, Span
from tierguard.loader.nodes import LMap, LScalar, LSeq, Node
from tierguard.loader.resources import ResourceDoc
from tierguard.model.schema import (
    ANY_OBJECT,
    BOOLEAN,
    INTEGER,
    STRING,
    STRINGS,
    Arr,
    Checker,
    Obj,
    StrMap,
    enum_of,
    obj,
)
from tierguard.model.schemas import top_level

FLUX_SOURCE_GROUP = "source.toolkit.fluxcd.io"
FLUX_KUSTOMIZE_GROUP = "kustomize.toolkit.fluxcd.io"
ARGO_GROUP = "argoproj.io"

_NAME_REF = obj(("name",), name=STRING)
_NAMESPACED_REF = obj(("name",), name=STRING, namespace=STRING)

GIT_REPOSITORY_SPEC = obj(
    ("url", "interval"),
    url=STRING, secretRef=_NAME_REF, provider=enum_of("generic", "azure", "github"), interval=STRING,
    timeout=STRING, ref=obj(branch=STRING, tag=STRING, semver=STRING, name=STRING, commit=STRING),
    verify=obj(mode=enum_of("HEAD", "Tag", "TagAndHEAD"), secretRef=_NAME_REF), proxySecretRef=_NAME_REF,
    ignore=STRING, suspend=BOOLEAN, recurseSubmodules=BOOLEAN, sparseCheckout=STRINGS,
    include=Arr(obj(("repository",), repository=_NAME_REF, fromPath=STRING, toPath=STRING)),
    serviceAccountName=STRING,
)

_SUBSTITUTE_FROM = obj(("kind", "name"), kind=enum_of("ConfigMap", "Secret"), name=STRING, optional=BOOLEAN)
_PATCH_TARGET = obj(group=STRING, version=STRING, kind=STRING, name=STRING, namespace=STRING,
                    labelSelector=STRING, annotationSelector=STRING)

KUSTOMIZATION_SPEC = obj(
    ("interval", "prune", "sourceRef"),
    commonMetadata=obj(labels=StrMap(), annotations=StrMap()), components=STRINGS,
    ignoreMissingComponents=BOOLEAN,
    decryption=obj(("provider",), provider=enum_of("sops"), secretRef=_NAME_REF, serviceAccountName=STRING),
    deletionPolicy=enum_of("MirrorPrune", "Delete", "WaitForTermination", "Orphan"),
    dependsOn=Arr(obj(("name",), name=STRING, namespace=STRING, readyExpr=STRING)),
    force=BOOLEAN,
    healthChecks=Arr(obj(("kind", "name"), apiVersion=STRING, kind=STRING, name=STRING, namespace=STRING)),
    healthCheckExprs=Arr(ANY_OBJECT),
    images=Arr(obj(("name",), name=STRING, newName=STRING, newTag=STRING, digest=STRING)),
    interval=STRING, retryInterval=STRING, timeout=STRING,
    kubeConfig=obj(secretRef=obj(("name",), name=STRING, key=STRING), configMapRef=_NAME_REF),
    namePrefix=STRING, nameSuffix=STRING,
    patches=Arr(obj(("patch",), patch=STRING, target=_PATCH_TARGET)),
    path=STRING,
    postBuild=obj(substitute=StrMap(), substituteFrom=Arr(_SUBSTITUTE_FROM)),
    prune=BOOLEAN, serviceAccountName=STRING,
    sourceRef=obj(("kind", "name"), apiVersion=STRING,
                  kind=enum_of("OCIRepository", "GitRepository", "Bucket", "ExternalArtifact"),
                  name=STRING, namespace=STRING),
    suspend=BOOLEAN, targetNamespace=STRING, wait=BOOLEAN,
)

_ARGO_SOURCE = obj(
    ("repoURL",),
    repoURL=STRING, path=STRING, targetRevision=STRING, chart=STRING, ref=STRING, name=STRING,
    helm=ANY_OBJECT, kustomize=ANY_OBJECT, directory=ANY_OBJECT, plugin=ANY_OBJECT,
)
APPLICATION_SPEC = obj(
    ("destination", "project"),
    project=STRING, source=_ARGO_SOURCE, sources=Arr(_ARGO_SOURCE),
    destination=obj(server=STRING, namespace=STRING, name=STRING),
    syncPolicy=obj(
        automated=obj(prune=BOOLEAN, selfHeal=BOOLEAN, allowEmpty=BOOLEAN, enabled=BOOLEAN),
        syncOptions=STRINGS, retry=ANY_OBJECT, managedNamespaceMetadata=ANY_OBJECT),
    ignoreDifferences=Arr(ANY_OBJECT), info=Arr(ANY_OBJECT), revisionHistoryLimit=INTEGER,
)
# ApplicationSet generators and templates are open-ended; the shape around them is checked.
APPLICATION_SET_SPEC = Obj({
    "generators": Arr(ANY_OBJECT), "template": ANY_OBJECT, "templatePatch": STRING,
    "syncPolicy": ANY_OBJECT, "goTemplate": BOOLEAN, "goTemplateOptions": STRINGS,
    "strategy": ANY_OBJECT, "preservedFields": ANY_OBJECT, "ignoreApplicationDifferences": Arr(ANY_OBJECT),
    "applyNestedSelectors": BOOLEAN,
}, frozenset({"generators", "template"}))
APP_PROJECT_SPEC = ANY_OBJECT

# (group, kind) -> (accepted versions, spec schema)
SCHEMAS: dict[tuple[str, str], tuple[tuple[str, ...], Obj]] = {
    (FLUX_SOURCE_GROUP, "GitRepository"): (("v1", "v1beta2"), top_level(GIT_REPOSITORY_SPEC, spec_required=True)),
    (FLUX_KUSTOMIZE_GROUP, "Kustomization"): (("v1", "v1beta2"), top_level(KUSTOMIZATION_SPEC, spec_required=True)),
    (ARGO_GROUP, "Application"): (("v1alpha1",), top_level(APPLICATION_SPEC, spec_required=True)),
    (ARGO_GROUP, "ApplicationSet"): (("v1alpha1",), top_level(APPLICATION_SET_SPEC, spec_required=True)),
    (ARGO_GROUP, "AppProject"): (("v1alpha1",), top_level(APP_PROJECT_SPEC)),
}


@dataclass(frozen=True, slots=True)
class SubstituteFrom:
    """One postBuild.substituteFrom reference."""

    kind: str
    name: str
    optional: bool


@dataclass(frozen=True, slots=True)
class FluxKustomization:
    """A Flux Kustomization: what it applies, how, and its post-build variables."""

    name: str
    namespace: str
    path: str
    source_kind: str
    source_name: str
    prune: bool
    depends_on: tuple[str, ...]
    service_account: str
    target_namespace: str
    # None when postBuild.substitute is absent (Flux then substitutes nothing from it).
    substitute: tuple[tuple[str, str], ...] | None
    substitute_from: tuple[SubstituteFrom, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class GitRepository:
    """A Flux GitRepository source."""

    name: str
    namespace: str
    url: str
    ref: tuple[tuple[str, str], ...]
    span: Span


@dataclass(frozen=True, slots=True)
class ArgoApplication:
    """An Argo CD Application: source, destination, sync wave and sync policy."""

    name: str
    namespace: str
    project: str
    repo_url: str
    path: str
    target_revision: str
    destination_namespace: str
    sync_wave: str
    automated_prune: bool
    sync_options: tuple[str, ...]
    span: Span


GitOpsObject = Union[FluxKustomization, GitRepository, ArgoApplication]


def is_gitops(resource: ResourceDoc) -> bool:
    """True for the Flux and Argo CD kinds this module checks (any version; see `served_versions`)."""
    return (resource.group, resource.kind) in SCHEMAS


def served_versions(resource: ResourceDoc) -> tuple[str, ...]:
    """The API versions of this Flux/Argo kind that tierguard accepts."""
    return SCHEMAS[(resource.group, resource.kind)][0]


def _text(node: Node | None) -> str:
    return str(node.value) if isinstance(node, LScalar) and node.value is not None else ""


def _bool(node: Node | None) -> bool:
    return isinstance(node, LScalar) and node.value is True


def _map(node: Node | None) -> LMap:
    return node if isinstance(node, LMap) else LMap((), Span("", 0, 0))


def _items(node: Node | None) -> tuple[Node, ...]:
    return node.items if isinstance(node, LSeq) else ()


def _kustomization(resource: ResourceDoc) -> FluxKustomization:
    spec = _map(resource.root.get("spec"))
    source = _map(spec.get("sourceRef"))
    post = _map(spec.get("postBuild"))
    substitute = post.get("substitute")
    return FluxKustomization(
        name=resource.name, namespace=resource.namespace, path=_text(spec.get("path")),
        source_kind=_text(source.get("kind")), source_name=_text(source.get("name")),
        prune=_bool(spec.get("prune")),
        depends_on=tuple(_text(_map(d).get("name")) for d in _items(spec.get("dependsOn"))),
        service_account=_text(spec.get("serviceAccountName")),
        target_namespace=_text(spec.get("targetNamespace")),
        substitute=tuple((str(k.value), _text(v)) for k, v in substitute.entries)
        if isinstance(substitute, LMap) else None,
        substitute_from=tuple(SubstituteFrom(_text(_map(s).get("kind")), _text(_map(s).get("name")),
                                             _bool(_map(s).get("optional")))
                              for s in _items(post.get("substituteFrom"))),
        span=resource.span)


def _git_repository(resource: ResourceDoc) -> GitRepository:
    spec = _map(resource.root.get("spec"))
    ref = _map(spec.get("ref"))
    return GitRepository(resource.name, resource.namespace, _text(spec.get("url")),
                         tuple((str(k.value), _text(v)) for k, v in ref.entries), resource.span)


def _application(resource: ResourceDoc) -> ArgoApplication:
    spec = _map(resource.root.get("spec"))
    sources = _items(spec.get("sources"))
    source = _map(spec.get("source") or (sources[0] if sources else None))
    annotations = _map(_map(resource.root.get("metadata")).get("annotations"))
    sync = _map(spec.get("syncPolicy"))
    return ArgoApplication(
        name=resource.name, namespace=resource.namespace, project=_text(spec.get("project")),
        repo_url=_text(source.get("repoURL")), path=_text(source.get("path")),
        target_revision=_text(source.get("targetRevision")),
        destination_namespace=_text(_map(spec.get("destination")).get("namespace")),
        sync_wave=_text(annotations.get("argocd.argoproj.io/sync-wave")),
        automated_prune=_bool(_map(sync.get("automated")).get("prune")),
        sync_options=tuple(_text(o) for o in _items(sync.get("syncOptions"))),
        span=resource.span)


def build_gitops(resource: ResourceDoc) -> tuple[GitOpsObject | None, tuple[Diagnostic, ...]]:
    """Check a Flux/Argo object against its schema and build its typed model.

    The model is None for kinds checked but not modelled (ApplicationSet, AppProject) and for
    objects with schema errors.
    """
    _, schema = SCHEMAS[(resource.group, resource.kind)]
    checker = Checker(resource.ref)
    checker.check(resource.root, schema, resource.path_prefix)
    if checker.diagnostics:
        return None, tuple(checker.diagnostics)
    if resource.kind == "Kustomization":
        return _kustomization(resource), ()
    if resource.kind == "GitRepository":
        return _git_repository(resource), ()
    if resource.kind == "Application":
        return _application(resource), ()
    return None, ()
