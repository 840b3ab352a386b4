"""One resource -> its typed model and schema diagnostics, by apiVersion/kind.

Order of dispatch: Calico's internal API group (always an error), the kinds `model.build`
models (Calico v3, K8s NetworkPolicy, admin policies), Flux and Argo CD, kustomize build
configuration (not a cluster object; accepted), Kubernetes built-ins by their bundled
schema, and finally "unknown kind".
"""

from __future__ import annotations

from dataclasses import dataclass

from tierguard.diagnostics import Diagnostic, Severity
from tierguard.loader.nodes import LMap
from tierguard.loader.resources import ResourceDoc
from tierguard.model import build as model_build
from tierguard.model import gitops, rbac
from tierguard.rules.context import Model
from tierguard.validation import codes
from tierguard.validation.k8s_schema import K8sSchemas
from tierguard.validation.typos import merge_typos

INTERNAL_CALICO_GROUP = "crd.projectcalico.org"
CALICO_GROUP = "projectcalico.org"
_KUSTOMIZE_CONFIG = frozenset({("kustomize.config.k8s.io", "Kustomization"),
                               ("kustomize.config.k8s.io", "Component")})


@dataclass(frozen=True, slots=True)
class Checked:
    """A resource after schema checking, with its typed model when tierguard models the kind."""

    resource: ResourceDoc
    model: Model | None


def _internal_group(resource: ResourceDoc) -> Diagnostic:
    node = resource.root.get("apiVersion")
    span = node.span if node is not None else resource.span
    return Diagnostic(
        codes.INTERNAL_CALICO_GROUP, Severity.ERROR,
        f"apiVersion {resource.api_version} is Calico's internal storage API; write "
        f"projectcalico.org/v3 instead. Objects written to crd.projectcalico.org bypass the Calico "
        "API server's validation and defaulting and are not a supported interface",
        span, resource.ref, resource.field("apiVersion"),
        hint=f"apiVersion: projectcalico.org/v3 (kind {resource.kind})")


def _unknown_kind(resource: ResourceDoc, version: str) -> Diagnostic:
    node = resource.root.get("kind")
    span = node.span if node is not None else resource.span
    hint = None
    modelled = sorted(api for api, kind in model_build.MODELLED_KINDS if kind == resource.kind)
    if modelled:
        hint = f"tierguard knows kind {resource.kind} as apiVersion {' or '.join(modelled)}"
    elif resource.group == CALICO_GROUP:
        hint = "tierguard models the Calico policy kinds, Tier, NetworkSet, GlobalNetworkSet and HostEndpoint"
    return Diagnostic(codes.UNKNOWN_KIND, Severity.ERROR,
                      f"unknown kind: {resource.api_version} {resource.kind} is not a Kubernetes {version} "
                      "built-in kind, nor a kind tierguard models; it cannot be checked",
                      span, resource.ref, resource.field("kind"), hint=hint)


def _missing_name(resource: ResourceDoc) -> Diagnostic | None:
    """SCH183 when metadata.name is absent (a name of the wrong type is the schema's to report)."""
    metadata = resource.root.get("metadata")
    if isinstance(metadata, LMap) and (metadata.get("name") is not None or metadata.get("generateName") is not None):
        return None
    span = metadata.span if metadata is not None else resource.span
    return Diagnostic(codes.MISSING_NAME, Severity.ERROR, "object has no metadata.name", span, resource.ref,
                      resource.field("metadata.name"))


def _gitops(resource: ResourceDoc, version: str) -> tuple[Model | None, list[Diagnostic]]:
    served = gitops.served_versions(resource)
    if resource.api_version.rpartition("/")[2] not in served:
        diagnostic = _unknown_kind(resource, version)
        hint = f"served versions: {', '.join(resource.group + '/' + v for v in served)}"
        return None, [Diagnostic(diagnostic.code, diagnostic.severity, diagnostic.message, diagnostic.span,
                                 diagnostic.resource, diagnostic.field_path, hint=hint)]
    model, problems = gitops.build_gitops(resource)
    return model, list(problems)


def _modelled(resource: ResourceDoc, schemas: K8sSchemas) -> tuple[Model | None, list[Diagnostic]]:
    model, problems = model_build.build_resource(resource.root, resource.file)
    if schemas.knows(resource.api_version, resource.kind):
        # A built-in kind (K8s NetworkPolicy): the Kubernetes schema of the configured version
        # is authoritative for structure, so its errors replace the model's own schema errors.
        k8s_problems = list(schemas.check(resource))
        if k8s_problems:
            return model, k8s_problems
    return model, list(problems)


def _rbac(resource: ResourceDoc, schemas: K8sSchemas) -> tuple[Model | None, list[Diagnostic]]:
    """RBAC kinds: the Kubernetes schema for structure, then the RBAC model's own checks
    (unknown verbs, empty rules, ...) when the structure is sound, so one mistake is one finding."""
    structural = list(schemas.check(resource))
    model, problems = rbac.read_rbac_object(resource.root)
    return model, structural or list(problems)


def check_resource(resource: ResourceDoc, schemas: K8sSchemas) -> tuple[Checked, list[Diagnostic]]:
    """Dispatch one resource to its schema and model."""
    if resource.group == INTERNAL_CALICO_GROUP:
        return Checked(resource, None), [_internal_group(resource)]
    if (resource.group, resource.kind) in _KUSTOMIZE_CONFIG:
        return Checked(resource, None), []
    model: Model | None = None
    if model_build.is_modelled(resource.api_version, resource.kind):
        # The model's schema requires metadata.name itself (SCH102).
        model, problems = _modelled(resource, schemas)
        return Checked(resource, model), merge_typos(problems)
    missing = _missing_name(resource)
    diagnostics = [missing] if missing is not None else []
    if gitops.is_gitops(resource):
        model, problems = _gitops(resource, schemas.version)
    elif rbac.is_rbac_object(resource.root) and schemas.knows(resource.api_version, resource.kind):
        model, problems = _rbac(resource, schemas)
    elif schemas.knows(resource.api_version, resource.kind):
        problems = list(schemas.check(resource))
    else:
        problems = [_unknown_kind(resource, schemas.version)]
    return Checked(resource, model), merge_typos(diagnostics + problems)
