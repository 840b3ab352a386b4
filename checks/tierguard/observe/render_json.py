"""JSON: the observe model as one document (a public contract, `version` bumps on change)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from tierguard import __version__
from tierguard.observe.model import (
    STATUS_ORDER,
    Decision,
    Edge,
    GraphNode,
    NodeKey,
    ObserveModel,
    UnselectedWorkload,
)

NAME = "json"
SCHEMA_VERSION = 1


def iso(ms: int) -> str | None:
    """Unix milliseconds -> `2026-11-18T10:00:00Z` (None for 0: not recorded)."""
    if ms <= 0:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def node_ref(key: NodeKey) -> dict[str, object]:
    return {"id": key.id, "kind": key.kind.value, "group": key.group.id, "name": key.name}


def node_object(node: GraphNode) -> dict[str, object]:
    return {**node_ref(node.key), "namespace": node.key.group.name
            if node.key.group.kind.value == "namespace" else None,
            "pods": node.pods, "labels": dict(node.labels), "inInventory": node.in_inventory}


def decision_object(d: Decision) -> dict[str, object]:
    return {"mode": d.mode, "side": d.side, "tier": d.tier, "policy": d.policy, "action": d.action,
            "ruleIndex": d.rule_index, "file": d.file, "line": d.line}


def edge_object(edge: Edge) -> dict[str, object]:
    return {
        "id": edge.id, "source": edge.src.id, "destination": edge.dst.id,
        "protocol": edge.protocol, "port": edge.port, "status": edge.status.value,
        "records": edge.records, "flows": edge.flows, "packets": edge.packets, "bytes": edge.bytes,
        "firstSeen": iso(edge.first_ms), "lastSeen": iso(edge.last_ms),
        "decidedBy": [decision_object(d) for d in edge.decisions],
        "allowedOnlyByProfile": list(edge.profile_allowed),
        "recordedActions": dict(edge.recorded), "differsFromRecorded": edge.recorded_differs,
        "uncertain": edge.uncertain,
        "notes": list(edge.notes),
    }


def _unselected(item: UnselectedWorkload) -> dict[str, object]:
    return {"node": item.node.id, "namespace": item.node.group.name, "workload": item.node.name,
            "direction": item.direction, "coverage": item.coverage.value,
            "explanation": item.coverage.explanation, "pods": item.pods,
            "podsAffected": item.pods_affected}


def document(model: ObserveModel) -> dict[str, object]:
    counts = model.status_counts()
    return {
        "version": SCHEMA_VERSION,
        "tool": {"name": "tierguard", "version": __version__},
        "environment": model.environment or None,
        "calicoVersion": model.calico_version, "edition": model.edition,
        "inputs": list(model.inputs),
        "summary": {"records": model.records, "evaluated": model.evaluated,
                    "unresolved": sum(u.records for u in model.unresolved),
                    "nodes": len(model.nodes), "edges": len(model.edges),
                    "edgesDifferingFromRecorded": sum(1 for e in model.edges if e.recorded_differs),
                    "edgesByStatus": {s.value: counts[s] for s in STATUS_ORDER}},
        "nodes": [node_object(n) for n in model.nodes],
        "edges": [edge_object(e) for e in model.edges],
        "gaps": {
            "unselectedWorkloads": [_unselected(u) for u in model.gaps.unselected],
            "profileAllowedEdges": [e.id for e in model.gaps.profile_allowed],
            "quietWorkloads": [n.key.id for n in model.gaps.quiet],
        },
        "unresolved": [{"reason": u.reason, "records": u.records, "example": u.example}
                       for u in model.unresolved],
        "notes": list(model.notes),
    }


def render(model: ObserveModel) -> str:
    return json.dumps(document(model), indent=2, ensure_ascii=False) + "\n"
