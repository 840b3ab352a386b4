"""Resource names as the authorizer sees them: the can-i argument, and kind -> resource for manifests.

No discovery is done: the argument is taken literally and kinds map through a fixed table with
Kubernetes' own fallback guess (`meta.UnsafeGuessKindToResource`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tierguard.rbac.tiers import TIERED_RESOURCES

_KNOWN_RESOURCES: Mapping[str, str] = {
    "NetworkPolicy": "networkpolicies",
    "GlobalNetworkPolicy": "globalnetworkpolicies",
    "StagedNetworkPolicy": "stagednetworkpolicies",
    "StagedGlobalNetworkPolicy": "stagedglobalnetworkpolicies",
    "StagedKubernetesNetworkPolicy": "stagedkubernetesnetworkpolicies",
    "GlobalNetworkSet": "globalnetworksets",
    "NetworkSet": "networksets",
    "HostEndpoint": "hostendpoints",
    "Tier": "tiers",
    "Endpoints": "endpoints",
}

# Cluster-scoped kinds, by API group ("" is the core group).
_CLUSTER_SCOPED: frozenset[tuple[str, str]] = frozenset({
    ("", "Namespace"), ("", "Node"), ("", "PersistentVolume"),
    ("rbac.authorization.k8s.io", "ClusterRole"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"), ("storage.k8s.io", "StorageClass"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("projectcalico.org", "GlobalNetworkPolicy"), ("projectcalico.org", "StagedGlobalNetworkPolicy"),
    ("projectcalico.org", "GlobalNetworkSet"), ("projectcalico.org", "HostEndpoint"),
    ("projectcalico.org", "Tier"), ("projectcalico.org", "FelixConfiguration"),
    ("projectcalico.org", "BGPConfiguration"), ("projectcalico.org", "IPPool"),
    ("projectcalico.org", "ClusterInformation"),
    ("policy.networking.k8s.io", "ClusterNetworkPolicy"),
    ("policy.networking.k8s.io", "AdminNetworkPolicy"),
    ("policy.networking.k8s.io", "BaselineAdminNetworkPolicy"),
})


@dataclass(frozen=True, slots=True)
class ResourceArg:
    """A parsed can-i RESOURCE: either a resource request or a non-resource URL path."""

    resource: str = ""
    api_group: str = ""
    subresource: str = ""
    path: str = ""

    @property
    def is_resource(self) -> bool:
        return not self.path


def parse_resource_arg(text: str) -> ResourceArg:
    """`resource[.group][/subresource]` or `/non/resource/url`; raises ValueError when empty.

    The group starts at the first dot (kubectl's `ParseGroupResource`), except for the Calico
    pseudo-resources `tier.<policies>[.group]`, whose own name contains a dot.
    """
    if not text:
        raise ValueError("RESOURCE must not be empty")
    if text.startswith("/"):
        return ResourceArg(path=text)
    base, _, subresource = text.partition("/")
    head, _, rest = base.partition(".")
    if head == "tier" and rest:
        policies, _, group = rest.partition(".")
        if policies in TIERED_RESOURCES:
            return ResourceArg(f"tier.{policies}", group, subresource)
    return ResourceArg(head, rest, subresource)


def guess_resource(kind: str) -> str:
    """Kind -> plural resource: the fixed table, else Kubernetes' lower-case-and-pluralise guess."""
    if kind in _KNOWN_RESOURCES:
        return _KNOWN_RESOURCES[kind]
    lowered = kind.lower()
    if not lowered:
        return lowered
    if lowered.endswith("s"):
        return lowered + "es"
    if lowered.endswith("y"):
        return lowered[:-1] + "ies"
    return lowered + "s"


def api_group_of(api_version: str) -> str:
    """`projectcalico.org/v3` -> `projectcalico.org`; `v1` -> `` (the core group)."""
    return api_version.rpartition("/")[0] if "/" in api_version else ""


def is_cluster_scoped(api_group: str, kind: str) -> bool:
    return (api_group, kind) in _CLUSTER_SCOPED
