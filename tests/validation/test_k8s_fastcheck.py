"""The fast validity test agrees exactly with jsonschema on the Kubernetes schemas it compiles."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from tierguard.validation.k8s_fastcheck import compile_schema
from tierguard.validation.k8s_schema import K8sSchemas

_SCHEMAS = K8sSchemas("1.32")

_NETWORK_POLICY: dict[str, Any] = {
    "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
    "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"}},
    "spec": {
        "podSelector": {"matchLabels": {"app": "web"},
                        "matchExpressions": [{"key": "tier", "operator": "In", "values": ["a"]}]},
        "policyTypes": ["Ingress", "Egress"],
        "ingress": [{"from": [{"podSelector": {}}, {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}],
                     "ports": [{"port": 80, "protocol": "TCP"}, {"port": "http", "endPort": 90}]}],
        "egress": [{"to": [{"namespaceSelector": {"matchLabels": {"team": "a"}}}], "ports": [{"port": 53}]}],
    },
}
_CLUSTER_ROLE: dict[str, Any] = {
    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"},
    "rules": [{"apiGroups": ["projectcalico.org"], "resources": ["tiers"], "verbs": ["get"]}],
    "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"a": "b"}}]},
}
_VALUES: st.SearchStrategy[Any] = st.sampled_from([None, True, False, 0, 1, 80, 1.0, 1.5, -2, "", "x", "TCP", "Ingress", [], {}, [1], ["a"],
                           {"a": 1}, {"a": "b"}, [{}], {"matchLabels": {}}])


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, prefix + (key,))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, prefix + (index,))
    return found


@st.composite
def _mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    instance = copy.deepcopy(base)
    for _ in range(draw(st.integers(0, 3))):
        path = draw(st.sampled_from(_paths(instance)))
        if not path:
            continue
        parent = instance
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["set", "set", "delete", "add"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["extra", "port", "cidr", "name", "matchLabels"]))] = copy.deepcopy(draw(_VALUES))
        else:
            parent[path[-1]] = copy.deepcopy(draw(_VALUES))
    return instance


def _agree(api_version: str, kind: str, instance: dict[str, Any]) -> None:
    validator = _SCHEMAS.validator(api_version, kind)
    assert validator is not None
    fast = compile_schema(validator.schema)
    assert fast is not None
    assert fast(instance) == validator.is_valid(instance)


@settings(max_examples=400, deadline=None)
@given(_mutated(_NETWORK_POLICY))
def test_network_policy_verdicts_match_jsonschema(instance: dict[str, Any]) -> None:
    _agree("networking.k8s.io/v1", "NetworkPolicy", instance)


@settings(max_examples=200, deadline=None)
@given(_mutated(_CLUSTER_ROLE))
def test_cluster_role_verdicts_match_jsonschema(instance: dict[str, Any]) -> None:
    _agree("rbac.authorization.k8s.io/v1", "ClusterRole", instance)


def test_the_bundled_valid_examples_pass_and_a_known_error_fails() -> None:
    _agree("networking.k8s.io/v1", "NetworkPolicy", _NETWORK_POLICY)
    assert compile_schema(_SCHEMAS.validator("networking.k8s.io/v1", "NetworkPolicy").schema)(_NETWORK_POLICY)  # type: ignore[union-attr,misc]
    broken = copy.deepcopy(_NETWORK_POLICY)
    broken["spec"]["ingress"][0]["ports"][0]["port"] = None  # null matches both branches of oneOf
    assert not compile_schema(_SCHEMAS.validator("networking.k8s.io/v1", "NetworkPolicy").schema)(broken)  # type: ignore[union-attr,misc]
    _agree("networking.k8s.io/v1", "NetworkPolicy", broken)


def test_unsupported_keywords_give_no_fast_test() -> None:
    assert compile_schema({"type": "object", "patternProperties": {"a": {}}}) is None
    assert compile_schema({"$ref": "#/x"}) is None
    assert compile_schema({"allOf": [{"type": "string"}]}) is None
    assert compile_schema({"enum": [1, "a"]}) is None
