"""RBAC object builders for the conformance suite, modelled on the upstream test helpers
(`newRule`, `newClusterRole`, `newRoleBinding(..., "User:admin", "Group:admins")`).

Objects are plain dicts; `to_yaml` writes them as JSON documents, which are valid YAML, so the
files the CLI reads are exactly what the test built.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

RBAC_V1 = "rbac.authorization.k8s.io/v1"
Obj = dict[str, object]


def rule(verbs: Sequence[str], groups: Sequence[str] | None = None, resources: Sequence[str] | None = None,
         names: Sequence[str] | None = None, urls: Sequence[str] | None = None) -> Obj:
    out: Obj = {"verbs": list(verbs)}
    if groups is not None:
        out["apiGroups"] = list(groups)
    if resources is not None:
        out["resources"] = list(resources)
    if names is not None:
        out["resourceNames"] = list(names)
    if urls is not None:
        out["nonResourceURLs"] = list(urls)
    return out


def subject(spec: str) -> Obj:
    """`User:alice`, `Group:ops`, `ServiceAccount:NS:NAME` or `ServiceAccount::NAME` (no namespace)."""
    kind, _, rest = spec.partition(":")
    if kind == "ServiceAccount":
        namespace, _, name = rest.partition(":")
        out: Obj = {"kind": kind, "name": name}
        if namespace:
            out["namespace"] = namespace
        return out
    return {"kind": kind, "name": rest, "apiGroup": "rbac.authorization.k8s.io"}


def cluster_role(name: str, *rules: Obj, labels: Mapping[str, str] | None = None,
                 selectors: Sequence[Obj] | None = None) -> Obj:
    meta: Obj = {"name": name}
    if labels:
        meta["labels"] = dict(labels)
    out: Obj = {"apiVersion": RBAC_V1, "kind": "ClusterRole", "metadata": meta, "rules": list(rules)}
    if selectors is not None:
        out["aggregationRule"] = {"clusterRoleSelectors": list(selectors)}
        if not rules:
            del out["rules"]
    return out


def role(namespace: str, name: str, *rules: Obj, labels: Mapping[str, str] | None = None) -> Obj:
    meta: Obj = {"name": name, "namespace": namespace}
    if labels:
        meta["labels"] = dict(labels)
    return {"apiVersion": RBAC_V1, "kind": "Role", "metadata": meta, "rules": list(rules)}


def _ref(kind: str, name: str) -> Obj:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": kind, "name": name}


def crb(name: str, role_name: str, *subjects: str, role_kind: str = "ClusterRole") -> Obj:
    return {"apiVersion": RBAC_V1, "kind": "ClusterRoleBinding", "metadata": {"name": name},
            "roleRef": _ref(role_kind, role_name), "subjects": [subject(s) for s in subjects]}


def rb(namespace: str, name: str, role_name: str, *subjects: str, role_kind: str = "ClusterRole") -> Obj:
    return {"apiVersion": RBAC_V1, "kind": "RoleBinding", "metadata": {"name": name, "namespace": namespace},
            "roleRef": _ref(role_kind, role_name), "subjects": [subject(s) for s in subjects]}


def to_yaml(objects: Sequence[Obj]) -> str:
    return "".join(f"---\n{json.dumps(o)}\n" for o in objects)
