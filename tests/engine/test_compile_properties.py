"""Property tests for the selector constructions the compiler relies on."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st
from tierguard.engine.compile import compile_policy_set
from tierguard.engine.compile_selectors import attach_prefix, k8s_label_selector_text
from tierguard.engine.ir import CalicoVersion, Edition
from tierguard.loader.nodes import LMap
from tierguard.loader.yaml_source import load_yaml_text
from tierguard.model.build import build_resource
from tierguard.selector import parse

KEYS = st.sampled_from(["app", "tier", "env", "example.com/team"])
VALUES = st.sampled_from(["a", "b", "c"])
LABELS = st.dictionaries(KEYS, VALUES, max_size=4)
OPERATORS = st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"])
EXPRESSIONS = st.lists(st.tuples(KEYS, OPERATORS, st.lists(VALUES, min_size=1, max_size=3)), max_size=3)


def k8s_matches(match_labels: dict[str, str], expressions: list[tuple[str, str, list[str]]],
                labels: dict[str, str]) -> bool:
    """Kubernetes LabelSelector semantics, written out independently."""
    if any(labels.get(k) != v for k, v in match_labels.items()):
        return False
    for key, operator, values in expressions:
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


@settings(max_examples=150, deadline=None)
@given(LABELS, EXPRESSIONS, LABELS)
def test_k8s_label_selector_conversion_agrees_with_kubernetes(
        match_labels: dict[str, str], expressions: list[tuple[str, str, list[str]]], labels: dict[str, str]) -> None:
    plain: dict[str, object] = {
        "matchLabels": match_labels,
        "matchExpressions": [{"key": k, "operator": o, "values": v if o in ("In", "NotIn") else []}
                             for k, o, v in expressions]}
    namespace_text = k8s_label_selector_text(plain, pods=False)
    assert parse(namespace_text).matches(labels) is k8s_matches(match_labels, expressions, labels)
    pod_text = k8s_label_selector_text(plain, pods=True)
    with_orchestrator = {**labels, "projectcalico.org/orchestrator": "k8s"}
    assert parse(pod_text).matches(with_orchestrator) is k8s_matches(match_labels, expressions, labels)
    assert not parse(pod_text).matches(labels)  # pods only: never matches without the orchestrator label


def selectors() -> st.SearchStrategy[str]:
    leaf = st.one_of(
        st.builds(lambda k, v: f"{k} == '{v}'", KEYS, VALUES),
        st.builds(lambda k, v: f"{k} != '{v}'", KEYS, VALUES),
        st.builds(lambda k: f"has({k})", KEYS),
        st.builds(lambda k, vs: f"{k} in {{{', '.join(repr(v) for v in vs)}}}", KEYS, st.lists(VALUES, min_size=1)),
        st.just("all()"),
    )
    return st.recursive(leaf, lambda inner: st.one_of(
        st.builds(lambda a: f"!({a})", inner),
        st.builds(lambda a, b: f"({a}) && ({b})", inner, inner),
        st.builds(lambda a, b: f"({a}) || ({b})", inner, inner)), max_leaves=6)


@settings(max_examples=150, deadline=None)
@given(selectors(), LABELS)
def test_prefixing_is_relabelling(text: str, labels: dict[str, str]) -> None:
    """A pcns.-prefixed selector on prefixed labels decides exactly as the original on the originals."""
    prefixed = parse(attach_prefix(text, "pcns."))
    inherited = {f"pcns.{k}": v for k, v in labels.items()}
    assert prefixed.matches(inherited) is parse(text).matches(labels)


FIELDS = st.sampled_from([
    "selector", "ingress", "egress", "action", "source", "destination", "ports", "notPorts", "nets", "notNets",
    "protocol", "notProtocol", "icmp", "type", "code", "namespaceSelector", "notSelector", "serviceAccounts",
    "names", "services", "name", "namespace", "podSelector", "matchLabels", "matchExpressions", "key", "operator",
    "values", "from", "to", "port", "endPort", "subject", "priority", "tier", "order", "types", "policyTypes",
    "namespaces", "pods", "protocols", "tcp", "destinationPort", "number", "range", "start", "end", "portNumber",
    "portRange", "namedPort", "networks", "ipBlock", "cidr", "except", "stagedAction", "http"])
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 70000),
    st.sampled_from(["Allow", "Deny", "Pass", "Accept", "TCP", "udp", "In", "Exists", "all()", "global()",
                     "app == 'x'", "a ==", "10.0.0.0/8", "::/0", "http", "80:90", "Ingress", "Egress", "Admin"]))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                     st.dictionaries(FIELDS, inner, max_size=4)), max_leaves=25)
POLICY_KINDS = st.sampled_from([
    ("projectcalico.org/v3", "NetworkPolicy"), ("projectcalico.org/v3", "GlobalNetworkPolicy"),
    ("projectcalico.org/v3", "StagedNetworkPolicy"), ("projectcalico.org/v3", "StagedKubernetesNetworkPolicy"),
    ("networking.k8s.io/v1", "NetworkPolicy"), ("policy.networking.k8s.io/v1alpha1", "AdminNetworkPolicy"),
    ("policy.networking.k8s.io/v1alpha1", "BaselineAdminNetworkPolicy"),
    ("policy.networking.k8s.io/v1alpha2", "ClusterNetworkPolicy")])


@settings(max_examples=200, deadline=None)
@given(POLICY_KINDS, JSON, st.sampled_from(["3.29", "3.31", "3.32"]))
def test_compiling_any_model_never_raises(kind: tuple[str, str], spec: object, version: str) -> None:
    document = {"apiVersion": kind[0], "kind": kind[1], "metadata": {"name": "p", "namespace": "app"}, "spec": spec}
    root = load_yaml_text(json.dumps(document), "fuzz.yaml").documents[0].root
    assert isinstance(root, LMap)
    model, _ = build_resource(root)
    policy_set, diagnostics = compile_policy_set([model], CalicoVersion.parse(version), Edition.OSS)
    assert len(policy_set.policies) <= 1
    assert all(d.code in {"ENG650", "ENG651", "ENG652", "ENG653"} for d in diagnostics)
    for policy in policy_set.policies:
        assert [r.index for r in policy.ingress] == list(range(len(policy.ingress)))
        assert [r.index for r in policy.egress] == list(range(len(policy.egress)))
