"""Builders for RBAC test objects: plain dicts, loaded through the real YAML loader and model."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import yaml
from tierguard.diagnostics import Diagnostic
from tierguard.loader.yaml_source import load_yaml_text
from tierguard.model.rbac import rbac_set_from_documents
from tierguard.rbac.authorizer import RbacIndex, Request, build_index
from tierguard.rbac.identity import UserInfo

GROUP = "rbac.authorization.k8s.io"
Obj = dict[str, object]


def rule(verbs: Sequence[str], groups: Sequence[str] = ("",), resources: Sequence[str] = (),
         names: Sequence[str] = (), urls: Sequence[str] = ()) -> Obj:
    out: Obj = {"verbs": list(verbs)}
    if urls:
        out["nonResourceURLs"] = list(urls)
    else:
        out["apiGroups"] = list(groups)
        out["resources"] = list(resources)
    if names:
        out["resourceNames"] = list(names)
    return out


def cluster_role(name: str, *rules: Obj, labels: Mapping[str, str] | None = None,
                 aggregate: Sequence[Obj] | None = None) -> Obj:
    meta: Obj = {"name": name}
    if labels:
        meta["labels"] = dict(labels)
    out: Obj = {"apiVersion": f"{GROUP}/v1", "kind": "ClusterRole", "metadata": meta, "rules": list(rules)}
    if aggregate is not None:
        out["aggregationRule"] = {"clusterRoleSelectors": list(aggregate)}
    return out


def role(namespace: str, name: str, *rules: Obj) -> Obj:
    return {"apiVersion": f"{GROUP}/v1", "kind": "Role", "metadata": {"name": name, "namespace": namespace},
            "rules": list(rules)}


def user(name: str) -> Obj:
    return {"kind": "User", "name": name, "apiGroup": GROUP}


def group(name: str) -> Obj:
    return {"kind": "Group", "name": name, "apiGroup": GROUP}


def sa(name: str, namespace: str | None = None) -> Obj:
    out: Obj = {"kind": "ServiceAccount", "name": name}
    if namespace is not None:
        out["namespace"] = namespace
    return out


def crb(name: str, role_name: str, *subjects: Obj, role_kind: str = "ClusterRole") -> Obj:
    return {"apiVersion": f"{GROUP}/v1", "kind": "ClusterRoleBinding", "metadata": {"name": name},
            "subjects": list(subjects), "roleRef": {"apiGroup": GROUP, "kind": role_kind, "name": role_name}}


def rb(namespace: str, name: str, role_name: str, *subjects: Obj, role_kind: str = "ClusterRole") -> Obj:
    return {"apiVersion": f"{GROUP}/v1", "kind": "RoleBinding",
            "metadata": {"name": name, "namespace": namespace},
            "subjects": list(subjects), "roleRef": {"apiGroup": GROUP, "kind": role_kind, "name": role_name}}


def to_yaml(*objects: Obj) -> str:
    return "---\n".join(yaml.safe_dump(o, sort_keys=False) for o in objects)


def load(text: str, file: str = "rbac.yaml") -> tuple[RbacIndex, list[Diagnostic]]:
    result = load_yaml_text(text, file)
    assert not result.diagnostics, result.diagnostics
    rbac, diagnostics = rbac_set_from_documents(result.documents)
    index = build_index(rbac)
    return index, [*diagnostics, *index.diagnostics]


def index_of(*objects: Obj) -> RbacIndex:
    return load(to_yaml(*objects))[0]


def req(username: str, verb: str, resource: str = "", group_: str = "", sub: str = "", name: str = "",
        namespace: str = "", groups: Sequence[str] = (), path: str = "") -> Request:
    info = UserInfo(username, tuple(groups))
    if path:
        return Request(info, verb, path=path, resource_request=False)
    return Request(info, verb, resource, group_, sub, name, namespace)
