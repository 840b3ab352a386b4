"""LNT903-LNT907: staged copies, Pass without a later tier, unreachable rules, tier order ties, http."""

from __future__ import annotations

from lint_fixtures import located, run

POLICY = """\
apiVersion: projectcalico.org/v3
kind: {kind}
metadata:
  name: application.api
  namespace: shop
spec:
  tier: application
  order: 10
  selector: name == 'carts'
  ingress:
    - action: Allow
      protocol: TCP
      destination:
        ports: [{port}]
"""
TIERS = """\
apiVersion: projectcalico.org/v3
kind: Tier
metadata:
  name: security
spec:
  order: {security}
  defaultAction: {default}
---
apiVersion: projectcalico.org/v3
kind: Tier
metadata:
  name: application
spec:
  order: 300
---
"""


# --- LNT903 staged-policy-left-behind ----------------------------------------------------------


def test_staged_copy_with_the_same_spec_is_reported_at_its_kind() -> None:
    text = POLICY.format(kind="StagedNetworkPolicy", port=80) + "---\n" + POLICY.format(kind="NetworkPolicy",
                                                                                         port=80)
    [found] = run("LNT903", text)
    assert located([found]) == [("LNT903", "warning", 2, 7, "kind")]
    assert found.message == ("StagedNetworkPolicy shop/application.api is an exact staged copy of the enforced "
                             "NetworkPolicy shop/application.api; the policy was promoted but the staged copy "
                             "was left behind")


def test_staged_copy_with_a_different_spec_is_a_preview_not_a_leftover() -> None:
    text = POLICY.format(kind="StagedNetworkPolicy", port=8080) + "---\n" + POLICY.format(kind="NetworkPolicy",
                                                                                           port=80)
    assert run("LNT903", text) == []


def test_staged_kubernetes_policy_twin() -> None:
    knp = """\
apiVersion: {api}
kind: {kind}
metadata:
  name: carts
  namespace: shop
spec:
  podSelector:
    matchLabels: {{name: carts}}
  policyTypes: [Ingress]
"""
    text = (knp.format(api="projectcalico.org/v3", kind="StagedKubernetesNetworkPolicy") + "---\n"
            + knp.format(api="networking.k8s.io/v1", kind="NetworkPolicy"))
    assert located(run("LNT903", text)) == [("LNT903", "warning", 2, 7, "kind")]


# --- LNT904 pass-without-later-tier -------------------------------------------------------------

PASSER = """\
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: security.guard
spec:
  tier: security
  order: 100
  selector: all()
  types: [Egress]
  egress:
    - action: Deny
      destination:
        nets: [169.254.169.254/32]
    - action: Pass
"""


def test_pass_with_no_later_policy_for_the_endpoints() -> None:
    # The application-tier policy governs ingress only, so egress Pass reaches nothing.
    text = TIERS.format(security=100, default="Deny") + PASSER + "---\n" + POLICY.format(kind="NetworkPolicy",
                                                                                          port=80)
    [found] = run("LNT904", text)
    assert located([found]) == [("LNT904", "warning", 29, 15, "spec.egress[1].action")]
    assert found.message == ("GlobalNetworkPolicy security.guard spec.egress[1].action: Pass goes to the next "
                             "tier, but no tier after 'security' has an egress policy for the endpoints this "
                             "policy selects; the traffic falls through to the profiles, which allow it")


def test_pass_reaching_a_later_policy_is_clean() -> None:
    later = POLICY.format(kind="NetworkPolicy", port=80).replace("  ingress:\n", "  types: [Ingress, Egress]\n"
                                                                  "  egress:\n    - action: Allow\n  ingress:\n")
    assert run("LNT904", TIERS.format(security=100, default="Deny") + PASSER + "---\n" + later) == []


def test_pass_without_inventory_needs_any_later_policy_for_the_direction() -> None:
    text = TIERS.format(security=100, default="Deny") + PASSER
    assert located(run("LNT904", text, inventory=None)) == [("LNT904", "warning", 29, 15, "spec.egress[1].action")]


def test_tier_default_action_pass_with_nothing_after_it() -> None:
    text = TIERS.format(security=100, default="Pass") + PASSER.replace("    - action: Pass\n", "")
    [found] = run("LNT904", text)
    assert located([found]) == [("LNT904", "warning", 7, 18, "spec.defaultAction")]
    assert found.message.startswith("Tier security has defaultAction Pass, but no later tier has an egress policy")


# --- LNT905 unreachable-rule ------------------------------------------------------------------


def test_rules_after_an_unconditional_deny_are_unreachable() -> None:
    text = """\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: carts
  namespace: shop
spec:
  selector: name == 'carts'
  types: [Egress]
  egress:
    - action: Log
    - action: Deny
    - action: Allow
      protocol: UDP
      destination:
        ports: [53]
    - action: Log
"""
    found = run("LNT905", text)
    assert located(found) == [("LNT905", "warning", 12, 7, "spec.egress[2]"),
                              ("LNT905", "warning", 16, 7, "spec.egress[3]")]
    assert found[0].message == ("NetworkPolicy shop/carts spec.egress[2] is unreachable: spec.egress[1] (Deny "
                                "with no match criteria) matches every packet first")


def test_constrained_rules_do_not_shadow_later_ones() -> None:
    text = POLICY.format(kind="NetworkPolicy", port=80) + "    - action: Deny\n"
    assert run("LNT905", text) == []


# --- LNT906 duplicate-tier-order -----------------------------------------------------------------


def test_tiers_with_the_same_order() -> None:
    found = run("LNT906", TIERS.format(security=300, default="Deny"))
    assert located(found) == [("LNT906", "warning", 6, 10, "spec.order"), ("LNT906", "warning", 14, 10, "spec.order")]
    assert found[0].message == ("Tier security has order 300, the same as application; Calico orders tied tiers "
                                "by name: application before security")


def test_tier_with_the_order_of_a_builtin_tier() -> None:
    found = run("LNT906", TIERS.format(security=1000, default="Deny"), version="3.32")
    assert located(found) == [("LNT906", "warning", 6, 10, "spec.order")]
    assert found[0].message.startswith("Tier security has order 1000, the same as kube-admin")
    assert run("LNT906", TIERS.format(security=100, default="Deny")) == []


# --- LNT907 http-rule-not-enforced ------------------------------------------------------------------


def test_http_match_is_reported_at_the_http_field() -> None:
    text = POLICY.format(kind="NetworkPolicy", port=80) + "      http:\n        methods: [GET]\n"
    [found] = run("LNT907", text)
    assert located([found]) == [("LNT907", "warning", 16, 9, "spec.ingress[0].http")]
    assert found.hint == "match on ports instead, or make sure application layer policy is enabled for these pods"
