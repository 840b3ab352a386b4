"""CAL211: cluster-scoped kinds must not carry metadata.namespace (the kustomize `namespace:` trap)."""

from __future__ import annotations

from collections.abc import Iterator

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.loader.nodes import LMap
from tierguard.rules.context import RuleContext
from tierguard.rules.shapes import finding

ID = "CAL211"
NAME = "cluster-scoped-namespace"
DEFAULT_SEVERITY = Severity.ERROR
DOC = CodeDoc(
    ID, NAME, DEFAULT_SEVERITY,
    "A cluster-scoped object (Tier, GlobalNetworkPolicy, GlobalNetworkSet, HostEndpoint, admin policies, "
    "ClusterRole, ...) has metadata.namespace.",
    why="Kustomize's `namespace:` stamps a namespace on kinds it does not know are cluster-scoped, "
        "including every Calico kind. The object then never matches what the cluster stores: Argo CD "
        "shows a perpetual diff and server-side apply may reject it.",
    failing="kind: Tier\nmetadata:\n  name: security\n  namespace: prod",
    passing="kind: Tier\nmetadata:\n  name: security",
    references="kustomize#552, #2498, #5433; ecosystem.md section 2.1",
)

CLUSTER_SCOPED: frozenset[tuple[str, str]] = frozenset({
    ("projectcalico.org", "GlobalNetworkPolicy"), ("projectcalico.org", "StagedGlobalNetworkPolicy"),
    ("projectcalico.org", "Tier"), ("projectcalico.org", "GlobalNetworkSet"),
    ("projectcalico.org", "HostEndpoint"), ("projectcalico.org", "IPPool"),
    ("projectcalico.org", "FelixConfiguration"), ("projectcalico.org", "BGPConfiguration"),
    ("projectcalico.org", "BGPPeer"), ("projectcalico.org", "Profile"),
    ("policy.networking.k8s.io", "AdminNetworkPolicy"), ("policy.networking.k8s.io", "BaselineAdminNetworkPolicy"),
    ("policy.networking.k8s.io", "ClusterNetworkPolicy"),
    ("rbac.authorization.k8s.io", "ClusterRole"), ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("", "Namespace"), ("", "Node"), ("", "PersistentVolume"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
})


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    resource = ctx.resource
    if (resource.group, resource.kind) not in CLUSTER_SCOPED or not resource.namespace:
        return
    metadata = resource.root.get("metadata")
    node = metadata.get("namespace") if isinstance(metadata, LMap) else None
    yield finding(ctx, ID, DEFAULT_SEVERITY,
                  f"{resource.kind} is cluster-scoped but has metadata.namespace {resource.namespace!r}",
                  node.span if node is not None else None, "metadata.namespace",
                  hint="Remove the namespace; if kustomize's `namespace:` added it, keep cluster-scoped "
                       "objects in a kustomization without `namespace:`.")
