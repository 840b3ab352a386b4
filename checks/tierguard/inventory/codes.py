"""Diagnostic codes of inventory loading (part of the SCH1xx input-schema family: SCH17x)."""

from __future__ import annotations

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Severity

INVENTORY_BAD_OBJECT = "SCH170"
INVENTORY_BAD_ADDRESS = "SCH171"
INVENTORY_UNKNOWN_NAMESPACE = "SCH172"
INVENTORY_UNKNOWN_SERVICE_ACCOUNT = "SCH173"
INVENTORY_IGNORED_KIND = "SCH174"
INVENTORY_DUPLICATE_IP = "SCH175"
INVENTORY_BAD_PORT = "SCH176"
INVENTORY_UNREADABLE = "SCH177"

CODES: tuple[CodeDoc, ...] = (
    CodeDoc(INVENTORY_BAD_OBJECT, "inventory-bad-object", Severity.ERROR,
            "An inventory object is not a mapping, or lacks its kind or metadata.name.",
            why="The object cannot become an endpoint, service or node, so verdicts involving it "
                "would be wrong; it is reported instead of silently dropped.",
            failing="items:\n- kind: Pod\n  metadata: {namespace: app}", passing=(
                "items:\n- kind: Pod\n  metadata: {name: web-1, namespace: app}")),
    CodeDoc(INVENTORY_BAD_ADDRESS, "inventory-bad-address", Severity.ERROR,
            "An IP address or CIDR in the inventory does not parse.",
            why="Flows are matched to endpoints by IP; an unparsable address makes the endpoint "
                "unreachable for IP lookups.",
            failing="status: {podIP: 10.0.0.300}", passing="status: {podIP: 10.0.0.30}"),
    CodeDoc(INVENTORY_UNKNOWN_NAMESPACE, "inventory-unknown-namespace", Severity.WARNING,
            "A pod or NetworkSet lives in a namespace the inventory does not list.",
            why="Namespace labels become pcns.* labels of every pod (§1.8); without the namespace "
                "object, namespaceSelectors that test namespace labels cannot match.",
            failing="kubectl get pods -A -o yaml   # namespaces missing",
            passing="kubectl get namespaces,pods,serviceaccounts,services,endpointslices,nodes -A -o yaml"),
    CodeDoc(INVENTORY_UNKNOWN_SERVICE_ACCOUNT, "inventory-unknown-service-account", Severity.NOTE,
            "A pod uses a ServiceAccount the inventory does not list.",
            why="ServiceAccount labels become pcsa.* labels; selectors on them cannot match a pod "
                "whose ServiceAccount object is missing."),
    CodeDoc(INVENTORY_IGNORED_KIND, "inventory-ignored-kind", Severity.NOTE,
            "The inventory contains objects of a kind that does not affect policy evaluation.",
            why="Reported so that nothing in the input is dropped silently."),
    CodeDoc(INVENTORY_DUPLICATE_IP, "inventory-duplicate-ip", Severity.WARNING,
            "Two running endpoints claim the same IP address.",
            why="An IP identifies at most one live endpoint; a duplicate means a stale or "
                "hand-edited inventory, and flows to that IP are ambiguous."),
    CodeDoc(INVENTORY_BAD_PORT, "inventory-bad-port", Severity.ERROR,
            "A container, service or EndpointSlice port is not a number in 1-65535 or has an "
            "unknown protocol.",
            why="Named ports are resolved against endpoint ports; a bad one cannot be matched."),
    CodeDoc(INVENTORY_UNREADABLE, "inventory-unreadable", Severity.ERROR,
            "The inventory file cannot be read or is not a Kubernetes List in YAML or JSON.",
            why="Without an inventory no endpoint, service or node is known, so every verdict "
                "would treat cluster IPs as external."),
)
