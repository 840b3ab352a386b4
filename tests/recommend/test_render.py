"""Exact YAML of a recommendation, and safe quoting of every string the emitter writes."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from tierguard.loader.yaml_source import load_yaml_text
from tierguard.recommend import Options, Result, World, run_recommend
from tierguard.recommend.render import scalar, to_yaml

from tests.recommend import helpers

GOLDEN_SHOP = """\
# Recommended by `tierguard recommend` for namespace shop: 10 allowed
# flow records, 2026-11-24T00:00:00Z .. 2026-11-24T02:00:00Z.
# Staged: it changes no traffic until promoted to a NetworkPolicy (docs/recommend.md).
apiVersion: projectcalico.org/v3
kind: StagedNetworkPolicy
metadata:
  name: shop-recommendation
  namespace: shop
  labels:
    policyrecommendation.tigera.io/scope: namespace
  annotations:
    policyrecommendation.tigera.io/lastUpdated: "2026-11-24T02:00:00Z"
    policyrecommendation.tigera.io/status: Learning
    recommend.tierguard.io/flows: "10"
    recommend.tierguard.io/window: "2026-11-24T00:00:00Z/2026-11-24T02:00:00Z"
spec:
  tier: namespace-isolation
  stagedAction: Learn
  selector: "projectcalico.org/namespace == 'shop'"
  types:
    - Ingress
    - Egress
  ingress:
    - action: Allow
      protocol: TCP
      source:
        namespaceSelector: "projectcalico.org/name == 'other'"
      destination:
        ports:
          - 8080
      metadata:
        annotations:
          policyrecommendation.tigera.io/scope: Namespace
          policyrecommendation.tigera.io/lastUpdated: "2026-11-24T01:00:00Z"
          policyrecommendation.tigera.io/namespace: other
          recommend.tierguard.io/flows: "1"
    - action: Allow
      protocol: TCP
      source:
        namespaceSelector: "projectcalico.org/name == 'shop'"
      destination:
        ports:
          - 5432
          - 9000
      metadata:
        annotations:
          policyrecommendation.tigera.io/scope: Namespace
          policyrecommendation.tigera.io/lastUpdated: "2026-11-24T01:00:00Z"
          policyrecommendation.tigera.io/namespace: shop
          recommend.tierguard.io/flows: "2"
  egress:
    - action: Allow
      protocol: TCP
      destination:
        selector: "k8s-app == 'kube-dns'"
        namespaceSelector: "projectcalico.org/name == 'kube-system'"
        ports:
          - 53
      metadata:
        annotations:
          policyrecommendation.tigera.io/scope: DNS
          policyrecommendation.tigera.io/lastUpdated: "2026-11-24T01:00:00Z"
          policyrecommendation.tigera.io/namespace: kube-system
          recommend.tierguard.io/flows: "0"
          recommend.tierguard.io/note: "DNS over TCP is not in the flows; added as the DNS fallback transport"
    - action: Allow
      protocol: UDP
      destination:
        selector: "k8s-app == 'kube-dns'"
        namespaceSelector: "projectcalico.org/name == 'kube-system'"
        ports:
          - 53
      metadata:
        annotations:
          policyrecommendation.tigera.io/scope: DNS
          policyrecommendation.tigera.io/lastUpdated: "2026-11-24T01:00:00Z"
          policyrecommendation.tigera.io/namespace: kube-system
          recommend.tierguard.io/flows: "1"
    - action: Allow
      protocol: TCP
      destination:
        namespaceSelector: "projectcalico.org/name == 'shop'"
        ports:
          - 5432
          - 9000
      metadata:
        annotations:
          policyrecommendation.tigera.io/scope: Namespace
          policyrecommendation.tigera.io/lastUpdated: "2026-11-24T01:00:00Z"
          policyrecommendation.tigera.io/namespace: shop
          recommend.tierguard.io/flows: "2"
    - action: Allow
      protocol: TCP
      destination:
        selector: "zone == 'partner'"
        namespaceSelector: "global()"
        ports:
          - 443
      metadata:
        annotations:
          policyrecommendation.tigera.io/scope: NetworkSet
          policyrecommendation.tigera.io/lastUpdated: "2026-11-24T02:00:00Z"
          policyrecommendation.tigera.io/name: partner
          recommend.tierguard.io/flows: "1"
    - action: Allow
      protocol: TCP
      destination:
        nets:
          - "10.0.0.0/8"
          - "172.16.0.0/12"
          - "192.168.0.0/16"
        ports:
          - 443
      metadata:
        annotations:
          policyrecommendation.tigera.io/scope: Private
          policyrecommendation.tigera.io/lastUpdated: "2026-11-24T01:00:00Z"
          recommend.tierguard.io/flows: "1"
    - action: Allow
      protocol: TCP
      destination:
        ports:
          - 80
          - 443
      metadata:
        annotations:
          policyrecommendation.tigera.io/scope: Public
          policyrecommendation.tigera.io/lastUpdated: "2026-11-24T01:00:00Z"
          recommend.tierguard.io/flows: "2"
"""

GOLDEN_TIER = """\
# Tier for `tierguard recommend` output, as Calico Enterprise creates it for policy
# recommendations. Apply it before the staged policies.
apiVersion: projectcalico.org/v3
kind: Tier
metadata:
  name: namespace-isolation
spec:
  order: 10000
  defaultAction: Deny
"""


def _run(enterprise: bool = False) -> Result:
    inventory = helpers.inventory(enterprise)
    world = World(inventory.endpoints, inventory.services, inventory.nodes)
    return run_recommend(helpers.shop_flows(), world, Options(), ["shop"], "out")


def test_oss_332_recommendation_is_exactly_the_golden_text() -> None:
    result = _run()
    assert [(o.name, o.namespace) for o in result.outputs] == [("out/tier.yaml", ""), ("out/shop.yaml", "shop")]
    assert result.outputs[0].text == GOLDEN_TIER
    assert result.outputs[1].text == GOLDEN_SHOP


def test_output_is_deterministic_whatever_the_record_order() -> None:
    inventory = helpers.inventory()
    world = World(inventory.endpoints, inventory.services, inventory.nodes)
    flows = helpers.shop_flows()
    forward = run_recommend(flows, world, Options(), ["shop"], "out")
    backward = run_recommend(list(reversed(flows)), world, Options(), ["shop"], "out")
    assert [o.text for o in forward.outputs] == [o.text for o in backward.outputs]


def test_written_yaml_reads_back_as_the_same_document() -> None:
    result = _run()
    loaded = load_yaml_text(result.outputs[1].text, "shop.yaml")
    assert loaded.diagnostics == ()
    plain = loaded.documents[0].root.to_plain()
    assert plain["spec"]["egress"][3]["destination"] == {  # type: ignore[index]
        "selector": "zone == 'partner'", "namespaceSelector": "global()", "ports": [443]}
    assert plain["metadata"]["annotations"]["recommend.tierguard.io/flows"] == "10"  # type: ignore[index]


def test_scalar_quotes_what_yaml_would_misread() -> None:
    assert scalar("sock-shop") == "sock-shop"
    assert scalar("yes") == '"yes"'
    assert scalar("Null") == '"Null"'
    assert scalar("2026-11-24") == '"2026-11-24"'
    assert scalar("443") == '"443"'
    assert scalar("a: b") == '"a: b"'
    assert scalar("x' || all() || 'y") == "\"x' || all() || 'y\""
    assert scalar('q"\\\n\x07') == '"q\\"\\\\\\n\\x07"'


@settings(max_examples=300, deadline=None)
@given(st.text(), st.text(min_size=1))
def test_any_string_round_trips_through_the_project_loader(value: str, key: str) -> None:
    text = to_yaml({"metadata": {"annotations": {key: value}}, "list": [value, 7]})
    loaded = load_yaml_text(text, "t.yaml")
    assert loaded.diagnostics == ()
    assert loaded.documents[0].root.to_plain() == {"metadata": {"annotations": {key: value}}, "list": [value, 7]}
