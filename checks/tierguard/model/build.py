"""One dispatch for every kind this package models: located document -> typed model + SCH diagnostics.

Kinds owned elsewhere (RBAC, Flux, Argo CD, core kinds) are not handled here: `build_resource`
returns (None, []) for them so the validator can dispatch to the right model.
"""

from __future__ import annotations

from collections.abc import Callable

from tierguard.diagnostics import Diagnostic, ResourceRef
from tierguard.loader.nodes import LMap
from tierguard.model import schemas
from tierguard.model.admin import (
    ADMIN_API_VERSION,
    CLUSTER_NETWORK_POLICY_API_VERSION,
    AdminPolicy,
    read_admin_policy,
)
from tierguard.model.calico import (
    CALICO_API_VERSION,
    CalicoPolicy,
    HostEndpoint,
    NetworkSet,
    Tier,
    read_calico_policy,
    read_host_endpoint,
    read_network_set,
    read_tier,
)
from tierguard.model.k8s import (
    K8S_NETWORKING_API_VERSION,
    K8sNetworkPolicy,
    read_k8s_network_policy,
)
from tierguard.model.located import mapping as as_mapping
from tierguard.model.located import text
from tierguard.model.schema import Checker, Obj

Resource = CalicoPolicy | K8sNetworkPolicy | AdminPolicy | Tier | NetworkSet | HostEndpoint
Policy = CalicoPolicy | K8sNetworkPolicy | AdminPolicy

_Reader = Callable[[LMap], Resource]

# (apiVersion, kind) -> (spec schema, reader, spec required)
_KINDS: dict[tuple[str, str], tuple[Obj, _Reader, bool]] = {
    (CALICO_API_VERSION, "NetworkPolicy"): (schemas.NETWORK_POLICY_SPEC, read_calico_policy, False),
    (CALICO_API_VERSION, "GlobalNetworkPolicy"): (schemas.GLOBAL_NETWORK_POLICY_SPEC, read_calico_policy, False),
    (CALICO_API_VERSION, "StagedNetworkPolicy"): (schemas.STAGED_NETWORK_POLICY_SPEC, read_calico_policy, False),
    (CALICO_API_VERSION, "StagedGlobalNetworkPolicy"): (
        schemas.STAGED_GLOBAL_NETWORK_POLICY_SPEC, read_calico_policy, False),
    (CALICO_API_VERSION, "StagedKubernetesNetworkPolicy"): (
        schemas.STAGED_K8S_NETWORK_POLICY_SPEC, read_k8s_network_policy, False),
    (CALICO_API_VERSION, "Tier"): (schemas.TIER_SPEC, read_tier, False),
    (CALICO_API_VERSION, "NetworkSet"): (schemas.NETWORK_SET_SPEC, read_network_set, False),
    (CALICO_API_VERSION, "GlobalNetworkSet"): (schemas.NETWORK_SET_SPEC, read_network_set, False),
    (CALICO_API_VERSION, "HostEndpoint"): (schemas.HOST_ENDPOINT_SPEC, read_host_endpoint, False),
    (K8S_NETWORKING_API_VERSION, "NetworkPolicy"): (schemas.K8S_NETWORK_POLICY_SPEC, read_k8s_network_policy, False),
    (ADMIN_API_VERSION, "AdminNetworkPolicy"): (schemas.ADMIN_NETWORK_POLICY_SPEC, read_admin_policy, True),
    (ADMIN_API_VERSION, "BaselineAdminNetworkPolicy"): (
        schemas.BASELINE_ADMIN_NETWORK_POLICY_SPEC, read_admin_policy, True),
    (CLUSTER_NETWORK_POLICY_API_VERSION, "ClusterNetworkPolicy"): (
        schemas.CLUSTER_NETWORK_POLICY_SPEC, read_admin_policy, True),
}

MODELLED_KINDS: frozenset[tuple[str, str]] = frozenset(_KINDS)


def is_modelled(api_version: str, kind: str) -> bool:
    return (api_version, kind) in _KINDS


def _ref(root: LMap, kind: str) -> ResourceRef:
    metadata = as_mapping(root.get("metadata"))
    name, namespace = text(metadata, "name"), text(metadata, "namespace")
    return ResourceRef(kind, name.value if name else "", namespace.value if namespace else "")


def build_resource(doc_root: LMap, file: str = "") -> tuple[Resource | None, list[Diagnostic]]:
    """Typed model of one document plus its field-path diagnostics (SCH1xx).

    Returns (None, []) when apiVersion/kind is not one of `MODELLED_KINDS`. The model is built
    even when there are schema errors (wrongly-typed fields are then absent from it), so later
    checks still run on everything that is well-formed. `file` is unused: spans already carry it.
    """
    api_version, kind = text(doc_root, "apiVersion"), text(doc_root, "kind")
    if api_version is None or kind is None:
        return None, []
    entry = _KINDS.get((api_version.value, kind.value))
    if entry is None:
        return None, []
    spec_schema, reader, spec_required = entry
    checker = Checker(_ref(doc_root, kind.value))
    checker.check(doc_root, schemas.top_level(spec_schema, spec_required=spec_required), "")
    return reader(doc_root), checker.diagnostics
