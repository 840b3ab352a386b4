"""LNT901 policy-selects-nothing and LNT902 rule-peer-matches-nothing on small fixtures."""

from __future__ import annotations

from lint_fixtures import located, run

NP = """\
apiVersion: projectcalico.org/v3
kind: {kind}
metadata:
  name: application.carts
  namespace: shop
spec:
  tier: default
  selector: {selector}
  ingress:
    - action: Allow
      source:
        selector: name == 'front-end'
"""


def test_near_miss_value_is_an_error_pointing_at_the_value_with_a_hint() -> None:
    [found] = run("LNT901", NP.format(kind="NetworkPolicy", selector="name == 'cart'"))
    assert located([found]) == [("LNT901", "error", 8, 21, "spec.selector")]
    assert found.span is not None and found.span.end_col == 27  # the whole quoted 'cart'
    assert found.message == ("NetworkPolicy shop/application.carts matches no endpoint in inventory "
                             "cluster.yaml: no endpoint has name == 'cart'")
    assert found.hint == "did you mean 'carts'? 2 endpoints are labelled name=carts"
    assert str(found.resource) == "NetworkPolicy shop/application.carts"


def test_near_miss_in_a_staged_policy_is_a_warning() -> None:
    found = run("LNT901", NP.format(kind="StagedNetworkPolicy", selector="name == 'cart'"))
    assert located(found) == [("LNT901", "warning", 8, 21, "spec.selector")]


def test_label_nobody_carries_is_a_note() -> None:
    [found] = run("LNT901", NP.format(kind="NetworkPolicy", selector="quarantine == 'true'"))
    assert located([found]) == [("LNT901", "note", 8, 27, "spec.selector")]
    assert found.message.endswith("no endpoint has the label 'quarantine' at all")
    assert found.hint == "if the label is applied on demand (e.g. quarantine), this is expected"


def test_label_key_typo_is_an_error_with_a_label_hint() -> None:
    [found] = run("LNT901", NP.format(kind="NetworkPolicy", selector="nmae == 'carts'"))
    assert located([found]) == [("LNT901", "error", 8, 21, "spec.selector")]
    assert found.hint == "did you mean the label 'name'?"


def test_known_label_with_an_unrelated_value_is_a_warning_without_hint() -> None:
    [found] = run("LNT901", NP.format(kind="NetworkPolicy", selector="name == 'payment'"))
    assert located([found]) == [("LNT901", "warning", 8, 21, "spec.selector")]
    assert found.hint is None


def test_namespace_scoping_counts_pods_of_the_policy_namespace_only() -> None:
    # app=web pods exist, but in namespace web: the NetworkPolicy in shop selects none of them.
    [found] = run("LNT901", NP.format(kind="NetworkPolicy", selector="app == 'web'"))
    assert located([found]) == [("LNT901", "warning", 8, 13, "spec.selector")]
    assert found.message.endswith("no endpoint satisfies all of "
                                  '(app == "web" && projectcalico.org/namespace == "shop")')


def test_matching_selector_is_clean() -> None:
    assert run("LNT901", NP.format(kind="NetworkPolicy", selector="name == 'carts'")) == []
    assert run("LNT901", NP.format(kind="NetworkPolicy", selector="name in {'cart', 'carts'}")) == []


def test_kubernetes_policy_points_at_the_match_labels_value() -> None:
    text = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: carts
  namespace: shop
spec:
  podSelector:
    matchLabels:
      name: cart
  policyTypes: [Ingress]
"""
    [found] = run("LNT901", text)
    assert located([found]) == [("LNT901", "error", 9, 13, 'spec.podSelector.matchLabels.name')]
    assert found.hint == "did you mean 'carts'? 2 endpoints are labelled name=carts"


def test_global_policy_namespace_selector_near_miss_points_into_namespace_selector() -> None:
    text = """\
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: shop-wide
spec:
  namespaceSelector: team == 'shops'
  types: [Ingress]
"""
    [found] = run("LNT901", text)
    assert located([found]) == [("LNT901", "error", 6, 30, "spec.namespaceSelector")]
    assert found.message.endswith("no endpoint has pcns.team == 'shops'")
    assert found.hint == "did you mean 'shop'? 3 endpoints are labelled pcns.team=shop"


def test_inventory_lints_are_skipped_without_inventory() -> None:
    from lint_fixtures import context
    from tierguard.lint import run_all

    ctx = context(NP.format(kind="NetworkPolicy", selector="name == 'cart'"), inventory=None)
    assert list(run_all(ctx)) == []


# --- LNT902 -----------------------------------------------------------------------------------

RULES = """\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: carts
  namespace: shop
spec:
  selector: name == 'carts'
  ingress:
    - action: Allow
      source:
        selector: name == 'frontend'
    - action: Allow
      source:
        selector: app == 'web'
    - action: Allow
      source:
        selector: app == 'web'
        namespaceSelector: team == 'web'
    - action: Deny
      source:
        selector: zone == 'other-environments'
        namespaceSelector: global()
---
apiVersion: projectcalico.org/v3
kind: GlobalNetworkSet
metadata:
  name: other-environments
  labels:
    zone: other-environments
spec:
  nets: [10.200.0.0/16]
"""


def test_rule_peers_matching_nothing_after_namespace_scoping() -> None:
    found = run("LNT902", RULES)
    assert located(found) == [
        ("LNT902", "error", 11, 27, "spec.ingress[0].source.selector"),
        ("LNT902", "warning", 14, 19, "spec.ingress[1].source.selector"),
    ]
    assert found[0].message == ("NetworkPolicy shop/carts spec.ingress[0].source matches no endpoint or network "
                                "set in inventory cluster.yaml: no endpoint or network set has name == 'frontend'")
    assert found[0].hint == "did you mean 'front-end'? 1 endpoint is labelled name=front-end"
    # app == 'web' exists only in namespace web; the bare selector is scoped to shop (§3.5).
    assert found[1].message.endswith("no endpoint or network set satisfies all of "
                                     '(projectcalico.org/namespace == "shop" && app == "web")')


def test_kubernetes_peer_near_miss_points_at_the_peer_label() -> None:
    text = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: carts
  namespace: shop
spec:
  podSelector: {}
  ingress:
    - from:
        - podSelector:
            matchLabels:
              name: frontend
        - ipBlock:
            cidr: 10.0.0.0/8
"""
    found = run("LNT902", text)
    assert located(found) == [("LNT902", "error", 12, 21, "spec.ingress[0].from[0].podSelector.matchLabels.name")]
