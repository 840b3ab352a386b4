"""Diagnostic codes of resource validation (SCH18x: kind dispatch and Kubernetes built-in schemas)."""

from __future__ import annotations

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Severity

UNKNOWN_KIND = "SCH180"
INTERNAL_CALICO_GROUP = "SCH181"
K8S_SCHEMA = "SCH182"
MISSING_NAME = "SCH183"

CODES: tuple[CodeDoc, ...] = (
    CodeDoc(UNKNOWN_KIND, "unknown-kind", Severity.ERROR,
            "The apiVersion/kind pair is neither a Kubernetes built-in kind of the configured version "
            "nor a kind tierguard models.",
            why="An object nobody can check passes silently elsewhere (kubernetes-validate only warns); "
                "tierguard treats it as an error so a typo in kind or apiVersion is caught before apply.",
            failing="apiVersion: projectcalico.org/v3\nkind: NetworkPolicies",
            passing="apiVersion: projectcalico.org/v3\nkind: NetworkPolicy"),
    CodeDoc(INTERNAL_CALICO_GROUP, "internal-calico-api-group", Severity.ERROR,
            "The object uses crd.projectcalico.org/v1, Calico's internal storage API, instead of "
            "projectcalico.org/v3.",
            why="crd.projectcalico.org/v1 objects bypass the Calico API server's validation and defaulting "
                "(policy names, tier labels, rule checks) and are an internal format that changes between "
                "releases; Argo CD then also tracks each policy twice.",
            failing="apiVersion: crd.projectcalico.org/v1\nkind: GlobalNetworkPolicy",
            passing="apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy",
            references="projectcalico/calico#6412; argoproj/argo-cd#20988; ecosystem.md section 6.3"),
    CodeDoc(K8S_SCHEMA, "kubernetes-schema", Severity.ERROR,
            "A Kubernetes built-in object violates the strict OpenAPI schema of the configured Kubernetes "
            "version (unknown field, wrong type, missing required field, bad enum value).",
            why="The API server rejects the object, or silently drops the unknown field with client-side apply.",
            failing="apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nspec:\n  podSelectr: {}",
            passing="apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nspec:\n  podSelector: {}",
            references="kubernetes-validate bundled -local-strict schemas"),
    CodeDoc(MISSING_NAME, "missing-name", Severity.ERROR,
            "The object has no metadata.name.",
            why="Nothing can create, diff or prune an object without a name.",
            failing="metadata: {}", passing="metadata:\n  name: allow-dns"),
)
