"""Calico tiered-policy RBAC (calico-semantics.md §7), in the shape of the cases in Calico's
`e2e/pkg/tests/policy/tiered_rbac.go` and the API server's `AuthorizeTierOperation`, asked
through `tierguard rbac can-i`.

Upstream facts relied on:
- a tiered request (networkpolicies, globalnetworkpolicies, stagednetworkpolicies,
  stagedglobalnetworkpolicies in projectcalico.org) needs (1) ordinary RBAC on the request, AND
  (2) `get` on `tiers` named <tier> at cluster scope (namespace ""), AND (3) the request's verb on
  `tier.<resource>` in the request's namespace for the name `<tier>.*`, or else for the request's
  exact name;
- names in resourceNames are literal: `*` and `tier.*` are not wildcards (calico#13396 unmerged);
- stagedkubernetesnetworkpolicies and networking.k8s.io networkpolicies are plain RBAC;
- OSS before 3.29 has no tiers; 3.29-3.31 (and Enterprise) derive the tier from the
  `<tier>.` prefix of the policy name; 3.32 names carry no tier;
- the 3.32 CRD-mode webhook checks only create/update/delete.

Unsure, so deliberately NOT asserted here:
- whether the API server's exact-name check on a create uses the object's name (storage wrapper
  passes `policy.Name`) or the URL name (empty). `can-i create ... NAME` sends NAME to both the
  base check and the tier check (kubectl-literal); only the nameless create is asserted.
- whether 3.29-3.31 `TierFromPolicyName` maps `knp.default.<name>` to tier `default` (tierguard
  derives `knp`); those objects are read-only projections of Kubernetes NetworkPolicies.
- how the CRD-mode webhook checks a PATCH (as `update` or as `patch`).
- on 3.32, which tier a named request without --tier is in: tierguard assumes `default`
  (asserted below because it is documented behaviour, but the API server reads spec.tier).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from crbac_cli import CanI
from crbac_objects import Obj, cluster_role, crb, rb, role, rule, to_yaml
from tierguard.cli.main import main

PC = "projectcalico.org"
ALL = ["get", "list", "watch", "create", "update", "patch", "delete"]
NP = "networkpolicies.projectcalico.org"
GNP = "globalnetworkpolicies.projectcalico.org"
SNP = "stagednetworkpolicies.projectcalico.org"
SGNP = "stagedglobalnetworkpolicies.projectcalico.org"
SKNP = "stagedkubernetesnetworkpolicies.projectcalico.org"
K8S_NP = "networkpolicies.networking.k8s.io"


def _see(tier: str) -> Obj:
    return cluster_role(f"see-{tier}", rule(["get"], [PC], ["tiers"], names=[tier]))


def _tier_np(tier: str, verbs: list[str] = ALL) -> Obj:
    return cluster_role(f"tier-np-{tier}", rule(verbs, [PC], ["tier.networkpolicies", "tier.stagednetworkpolicies"],
                                                 names=[f"{tier}.*"]))


OBJECTS: list[Obj] = [
    cluster_role("base-np", rule(ALL, [PC], ["networkpolicies", "stagednetworkpolicies"])),
    cluster_role("base-gnp", rule(ALL, [PC], ["globalnetworkpolicies", "stagedglobalnetworkpolicies"])),
    cluster_role("tier-gnp-platform", rule(ALL, [PC], ["tier.globalnetworkpolicies",
                                                       "tier.stagedglobalnetworkpolicies"], names=["platform.*"])),
    _see("platform"), _see("security"), _see("default"),
    _tier_np("platform"), _tier_np("security"), _tier_np("default"),
    cluster_role("tier-np-platform-get", rule(["get"], [PC], ["tier.networkpolicies"], names=["platform.*"])),
    cluster_role("tier-np-platform-update", rule(["update"], [PC], ["tier.networkpolicies"], names=["platform.*"])),
    cluster_role("tier-np-exact-old", rule(ALL, [PC], ["tier.networkpolicies"], names=["platform.web"])),
    cluster_role("tier-np-exact-bare", rule(ALL, [PC], ["tier.networkpolicies"], names=["web"])),
    cluster_role("tier-np-star-name", rule(ALL, [PC], ["tier.networkpolicies"], names=["*"])),
    cluster_role("tier-star-resource", rule(ALL, [PC], ["tier.*"], names=["platform.*"])),
    cluster_role("tier-np-only", rule(ALL, [PC], ["tier.networkpolicies"], names=["platform.*"])),
    cluster_role("calico-everything", rule(["*"], [PC], ["*"])),
    cluster_role("sknp", rule(ALL, [PC], ["stagedkubernetesnetworkpolicies"])),
    cluster_role("k8s-np", rule(ALL, ["networking.k8s.io"], ["networkpolicies"])),
    cluster_role("base-np-create-named", rule(["create"], [PC], ["networkpolicies"], names=["platform.web"])),
    role("team-a", "see-platform-in-ns", rule(["get"], [PC], ["tiers"], names=["platform"])),
    # alice: all three grants for tier platform in team-a.
    rb("team-a", "alice-base", "base-np", "User:alice"),
    crb("alice-see", "see-platform", "User:alice"),
    rb("team-a", "alice-tier", "tier-np-platform", "User:alice"),
    # bob: no tier.* grant.  carol: no base rule.  dave: cannot get the tier.
    rb("team-a", "bob-base", "base-np", "User:bob"),
    crb("bob-see", "see-platform", "User:bob"),
    crb("carol-see", "see-platform", "User:carol"),
    rb("team-a", "carol-tier", "tier-np-platform", "User:carol"),
    rb("team-a", "dave-base", "base-np", "User:dave"),
    rb("team-a", "dave-tier", "tier-np-platform", "User:dave"),
    # erin: tier grant for the exact old-style name platform.web; erin2: for the bare name web.
    rb("team-a", "erin-base", "base-np", "User:erin", "User:erin2"),
    crb("erin-see", "see-platform", "User:erin", "User:erin2"),
    rb("team-a", "erin-tier", "tier-np-exact-old", "User:erin"),
    rb("team-a", "erin2-tier", "tier-np-exact-bare", "User:erin2"),
    # frank: global policies in tier platform.
    crb("frank-base", "base-gnp", "User:frank"),
    crb("frank-see", "see-platform", "User:frank"),
    crb("frank-tier", "tier-gnp-platform", "User:frank"),
    # grace: global policies, but bound by a RoleBinding (cannot grant cluster-scoped requests).
    rb("team-a", "grace-base", "base-gnp", "User:grace"),
    crb("grace-see", "see-platform", "User:grace"),
    rb("team-a", "grace-tier", "tier-gnp-platform", "User:grace"),
    # gina: platform and security (a tier move is allowed); hank: platform only.
    rb("team-a", "gina-base", "base-np", "User:gina", "User:hank"),
    crb("gina-see-platform", "see-platform", "User:gina", "User:hank"),
    crb("gina-see-security", "see-security", "User:gina"),
    rb("team-a", "gina-tier-platform", "tier-np-platform", "User:gina", "User:hank"),
    rb("team-a", "gina-tier-security", "tier-np-security", "User:gina"),
    # ivan: the default tier.
    rb("team-a", "ivan-base", "base-np", "User:ivan"),
    crb("ivan-see", "see-default", "User:ivan"),
    rb("team-a", "ivan-tier", "tier-np-default", "User:ivan"),
    # judy: tier visibility only through a RoleBinding (the tier check is cluster-scoped).
    rb("team-a", "judy-base", "base-np", "User:judy"),
    rb("team-a", "judy-see", "see-platform-in-ns", "User:judy", role_kind="Role"),
    rb("team-a", "judy-see-cr", "see-platform", "User:judy"),
    rb("team-a", "judy-tier", "tier-np-platform", "User:judy"),
    # ken: literal `*` name.  mia: literal `tier.*` resource.
    rb("team-a", "ken-base", "base-np", "User:ken", "User:mia"),
    crb("ken-see", "see-platform", "User:ken", "User:mia"),
    rb("team-a", "ken-tier", "tier-np-star-name", "User:ken"),
    rb("team-a", "mia-tier", "tier-star-resource", "User:mia"),
    # leo: every projectcalico.org resource (covers base and tier.*) in team-a, plus the tier.
    rb("team-a", "leo-all", "calico-everything", "User:leo"),
    crb("leo-see", "see-platform", "User:leo"),
    # nick: tier grant for get only; nora: for update only.
    rb("team-a", "nick-base", "base-np", "User:nick", "User:nora"),
    crb("nick-see", "see-platform", "User:nick", "User:nora"),
    rb("team-a", "nick-tier", "tier-np-platform-get", "User:nick"),
    rb("team-a", "nora-tier", "tier-np-platform-update", "User:nora"),
    # oscar: staged base, but the tier grant covers only tier.networkpolicies.
    rb("team-a", "oscar-base", "base-np", "User:oscar"),
    crb("oscar-see", "see-platform", "User:oscar"),
    rb("team-a", "oscar-tier", "tier-np-only", "User:oscar"),
    # pat: plain RBAC on StagedKubernetesNetworkPolicy and Kubernetes NetworkPolicy only.
    rb("team-a", "pat-sknp", "sknp", "User:pat"),
    rb("team-a", "pat-k8s", "k8s-np", "User:pat"),
    # rita: tier grant in another namespace than the base rule.
    rb("team-a", "rita-base", "base-np", "User:rita"),
    crb("rita-see", "see-platform", "User:rita"),
    rb("team-b", "rita-tier", "tier-np-platform", "User:rita"),
    # sam: the base rule for create is restricted by name; tier grant complete.
    rb("team-a", "sam-base", "base-np-create-named", "User:sam"),
    crb("sam-see", "see-platform", "User:sam"),
    rb("team-a", "sam-tier", "tier-np-platform", "User:sam"),
    # ServiceAccount and group subjects get tier grants like users.
    rb("team-a", "ci-base", "base-np", "ServiceAccount::deployer", "Group:netops"),
    crb("ci-see", "see-platform", "ServiceAccount:team-a:deployer", "Group:netops"),
    rb("team-a", "ci-tier", "tier-np-platform", "ServiceAccount::deployer", "Group:netops"),
]


def _ask(can_i: CanI, *argv: str) -> str:
    return can_i(OBJECTS, *argv).text


@pytest.mark.parametrize(("argv", "answer"), [
    # The three grants (create without a name: the tier comes from --tier).
    (["create", NP, "-n", "team-a", "--as", "alice", "--tier", "platform"], "yes"),
    (["create", NP, "-n", "team-a", "--as", "bob", "--tier", "platform"], "no"),  # no tier.* grant
    (["create", NP, "-n", "team-a", "--as", "carol", "--tier", "platform"], "no"),  # no base rule
    (["create", NP, "-n", "team-a", "--as", "dave", "--tier", "platform"], "no"),  # cannot get tier
    (["create", NP, "-n", "team-b", "--as", "alice", "--tier", "platform"], "no"),  # other namespace
    (["create", NP, "-n", "team-a", "--as", "alice", "--tier", "security"], "no"),  # other tier
    (["create", NP, "-n", "team-a", "--as", "rita", "--tier", "platform"], "no"),  # tier grant elsewhere
    (["create", NP, "-n", "team-a", "--as", "judy", "--tier", "platform"], "no"),  # get tier namespaced only
    # Every verb is tier-checked by the API server, with its own verb.
    (["delete", NP, "web", "-n", "team-a", "--as", "alice", "--tier", "platform"], "yes"),
    (["delete", NP, "web", "-n", "team-a", "--as", "bob", "--tier", "platform"], "no"),
    (["get", NP, "web", "-n", "team-a", "--as", "bob", "--tier", "platform"], "no"),
    (["patch", NP, "web", "-n", "team-a", "--as", "alice", "--tier", "platform"], "yes"),
    (["get", NP, "web", "-n", "team-a", "--as", "nick", "--tier", "platform"], "yes"),
    (["create", NP, "-n", "team-a", "--as", "nick", "--tier", "platform"], "no"),
    (["update", NP, "web", "-n", "team-a", "--as", "nora", "--tier", "platform"], "yes"),
    (["patch", NP, "web", "-n", "team-a", "--as", "nora", "--tier", "platform"], "no"),
    # Names in resourceNames are literal.
    (["create", NP, "-n", "team-a", "--as", "ken", "--tier", "platform"], "no"),  # `*` is not "any tier"
    (["update", NP, "web", "-n", "team-a", "--as", "ken", "--tier", "platform"], "no"),
    (["create", NP, "-n", "team-a", "--as", "mia", "--tier", "platform"], "no"),  # `tier.*` is a literal resource
    # A rule on every projectcalico.org resource covers the policy and the pseudo-resource.
    (["create", NP, "-n", "team-a", "--as", "leo", "--tier", "platform"], "yes"),
    (["create", GNP, "--as", "leo", "--tier", "platform"], "no"),  # RoleBinding: not cluster-scoped
    # Exact-name grant: only for the name sent; a create has none.
    (["create", NP, "-n", "team-a", "--as", "erin", "--tier", "platform"], "no"),
    (["update", NP, "platform.web", "-n", "team-a", "--as", "erin", "--tier", "platform"], "yes"),
    (["update", NP, "platform.other", "-n", "team-a", "--as", "erin", "--tier", "platform"], "no"),
    # Base RBAC on create cannot be restricted by name: a nameless create is denied.
    (["create", NP, "-n", "team-a", "--as", "sam", "--tier", "platform"], "no"),
    # Global policies: cluster scope, tier.globalnetworkpolicies.
    (["create", GNP, "--as", "frank", "--tier", "platform"], "yes"),
    (["create", SGNP, "--as", "frank", "--tier", "platform"], "yes"),
    (["create", GNP, "--as", "frank", "--tier", "security"], "no"),
    (["create", NP, "-n", "team-a", "--as", "frank", "--tier", "platform"], "no"),
    (["create", GNP, "--as", "grace", "--tier", "platform"], "no"),
    # Staged kinds are tiered, with their own pseudo-resource.
    (["create", SNP, "-n", "team-a", "--as", "alice", "--tier", "platform"], "yes"),
    (["create", SNP, "-n", "team-a", "--as", "oscar", "--tier", "platform"], "no"),
    (["create", NP, "-n", "team-a", "--as", "oscar", "--tier", "platform"], "yes"),
    (["create", SNP, "-n", "team-a", "--as", "bob", "--tier", "platform"], "no"),
    # StagedKubernetesNetworkPolicy and Kubernetes NetworkPolicy: plain RBAC, --tier irrelevant.
    (["create", SKNP, "-n", "team-a", "--as", "pat"], "yes"),
    (["create", SKNP, "-n", "team-a", "--as", "pat", "--tier", "platform"], "yes"),
    (["create", K8S_NP, "-n", "team-a", "--as", "pat", "--tier", "platform"], "yes"),
    (["create", K8S_NP, "-n", "team-a", "--as", "alice"], "no"),
    (["create", SKNP, "-n", "team-a", "--as", "alice", "--tier", "platform"], "no"),
    # Default tier: a nameless create without --tier is in `default`.
    (["create", NP, "-n", "team-a", "--as", "ivan"], "yes"),
    (["create", NP, "-n", "team-a", "--as", "alice"], "no"),
    (["create", NP, "-n", "team-a", "--as", "ivan", "--tier", "platform"], "no"),
    # A tier move (update from one tier to another) needs both tiers.
    (["update", NP, "web", "-n", "team-a", "--as", "gina", "--tier", "platform", "--tier", "security"], "yes"),
    (["update", NP, "web", "-n", "team-a", "--as", "hank", "--tier", "platform", "--tier", "security"], "no"),
    (["update", NP, "web", "-n", "team-a", "--as", "hank", "--tier", "security", "--tier", "platform"], "no"),
    (["update", NP, "web", "-n", "team-a", "--as", "hank", "--tier", "platform"], "yes"),
    # Service accounts (implicit namespace in the RoleBinding) and groups.
    (["create", NP, "-n", "team-a", "--as", "system:serviceaccount:team-a:deployer", "--tier", "platform"], "yes"),
    (["create", NP, "-n", "team-a", "--as", "system:serviceaccount:team-b:deployer", "--tier", "platform"], "no"),
    (["create", NP, "-n", "team-a", "--as", "zed", "--as-group", "netops", "--tier", "platform"], "yes"),
    # list/watch without a tier: ordinary RBAC, then filtered to gettable tiers.
    (["list", NP, "-n", "team-a", "--as", "bob"], "yes"),
    (["watch", NP, "-n", "team-a", "--as", "bob"], "yes"),
    (["list", NP, "-n", "team-a", "--as", "carol"], "no"),
    (["list", NP, "-n", "team-a", "--as", "bob", "--tier", "platform"], "no"),
    (["list", NP, "-n", "team-a", "--as", "alice", "--tier", "platform"], "yes"),
    # Asking about the pseudo-resources directly is plain RBAC.
    (["create", "tier.networkpolicies.projectcalico.org", "platform.*", "-n", "team-a", "--as", "alice"], "yes"),
    (["create", "tier.networkpolicies.projectcalico.org", "-n", "team-a", "--as", "alice"], "no"),
    (["get", "tiers.projectcalico.org", "platform", "--as", "alice"], "yes"),
    (["get", "tiers.projectcalico.org", "security", "--as", "alice"], "no"),
])
def test_tiered_rbac_default_version(can_i: CanI, argv: list[str], answer: str) -> None:
    """Calico OSS 3.32 in API-server mode (the CLI default)."""
    assert _ask(can_i, *argv) == answer


@pytest.mark.parametrize(("version", "argv", "answer"), [
    # OSS before 3.29: no tiers, so plain RBAC decides.
    ("3.28", ["create", NP, "-n", "team-a", "--as", "bob", "--tier", "platform"], "yes"),
    ("3.28", ["create", NP, "-n", "team-a", "--as", "dave"], "yes"),
    ("3.28", ["create", NP, "-n", "team-a", "--as", "carol", "--tier", "platform"], "no"),
    ("3.29", ["create", NP, "-n", "team-a", "--as", "bob", "--tier", "platform"], "no"),
    # 3.29-3.31: the tier is the `<tier>.` prefix of the name, else default.
    ("3.29", ["update", NP, "platform.web", "-n", "team-a", "--as", "alice"], "yes"),
    ("3.30", ["delete", NP, "platform.web", "-n", "team-a", "--as", "alice"], "yes"),
    ("3.31", ["update", NP, "platform.web", "-n", "team-a", "--as", "alice"], "yes"),
    ("3.31", ["update", NP, "security.web", "-n", "team-a", "--as", "alice"], "no"),
    ("3.31", ["update", NP, "web", "-n", "team-a", "--as", "alice"], "no"),
    ("3.31", ["update", NP, "web", "-n", "team-a", "--as", "ivan"], "yes"),
    ("3.31", ["update", NP, "default.web", "-n", "team-a", "--as", "ivan"], "yes"),
    ("3.31", ["update", NP, "platform.web", "-n", "team-a", "--as", "erin"], "yes"),
    ("3.31", ["update", NP, "platform.other", "-n", "team-a", "--as", "erin"], "no"),
    ("3.31", ["update", GNP, "platform.gnp", "--as", "frank"], "yes"),
    ("3.31", ["create", NP, "platform.web", "-n", "team-a", "--as", "alice"], "yes"),
    ("3.31", ["get", NP, "platform.web", "-n", "team-a", "--as", "bob"], "no"),
    # 3.32: names carry no tier (the tier is spec.tier: pass --tier); without it, `default`.
    ("3.32", ["update", NP, "platform.web", "-n", "team-a", "--as", "alice"], "no"),
    ("3.32", ["update", NP, "platform.web", "-n", "team-a", "--as", "ivan"], "yes"),
    ("3.32", ["update", NP, "platform.web", "-n", "team-a", "--as", "alice", "--tier", "platform"], "yes"),
    # 3.32: the old-style name and the bare name are authorized independently.
    ("3.32", ["update", NP, "platform.web", "-n", "team-a", "--as", "erin", "--tier", "platform"], "yes"),
    ("3.32", ["update", NP, "web", "-n", "team-a", "--as", "erin", "--tier", "platform"], "no"),
    ("3.32", ["update", NP, "web", "-n", "team-a", "--as", "erin2", "--tier", "platform"], "yes"),
    ("3.32", ["update", NP, "platform.web", "-n", "team-a", "--as", "erin2", "--tier", "platform"], "no"),
    ("3.33", ["update", NP, "web", "-n", "team-a", "--as", "erin2", "--tier", "platform"], "yes"),
])
def test_tiered_rbac_by_version(can_i: CanI, version: str, argv: list[str], answer: str) -> None:
    assert _ask(can_i, *argv, "--calico-version", version) == answer


@pytest.mark.parametrize(("argv", "answer"), [
    (["create", NP, "-n", "team-a", "--as", "bob", "--tier", "platform"], "no"),
    (["update", NP, "platform.web", "-n", "team-a", "--as", "alice"], "yes"),  # prefixed names
    (["create", NP, "-n", "team-a", "--as", "alice", "--tier", "platform"], "yes"),
])
def test_tiered_rbac_enterprise(can_i: CanI, argv: list[str], answer: str) -> None:
    """Calico Enterprise always had tiers and tier-prefixed names."""
    assert _ask(can_i, *argv, "--calico-edition", "enterprise", "--calico-version", "3.20") == answer


@pytest.mark.parametrize(("argv", "answer"), [
    # The webhook only sees create/update/delete: reads are not tier-filtered.
    (["get", NP, "web", "-n", "team-a", "--as", "bob", "--tier", "platform"], "yes"),
    (["list", NP, "-n", "team-a", "--as", "bob", "--tier", "platform"], "yes"),
    (["watch", NP, "-n", "team-a", "--as", "bob", "--tier", "platform"], "yes"),
    (["get", NP, "web", "-n", "team-a", "--as", "carol", "--tier", "platform"], "no"),  # base RBAC still applies
    (["create", NP, "-n", "team-a", "--as", "bob", "--tier", "platform"], "no"),
    (["update", NP, "web", "-n", "team-a", "--as", "bob", "--tier", "platform"], "no"),
    (["delete", NP, "web", "-n", "team-a", "--as", "bob", "--tier", "platform"], "no"),
    (["create", NP, "-n", "team-a", "--as", "alice", "--tier", "platform"], "yes"),
    (["delete", NP, "web", "-n", "team-a", "--as", "alice", "--tier", "platform"], "yes"),
])
def test_tiered_rbac_crd_mode(can_i: CanI, argv: list[str], answer: str) -> None:
    """OSS 3.32 without the Calico API server: the tier-RBAC admission webhook.

    Not asserted (UNCONFIRMED upstream): whether the webhook checks a PATCH as `update` (it sees
    the admission operation UPDATE) or as `patch`.
    """
    assert _ask(can_i, *argv, "--calico-mode", "crd") == answer


@pytest.mark.parametrize("version", ["3.28", "3.31"])
def test_crd_mode_before_3_32_is_a_usage_error(can_i: CanI, version: str, capsys: pytest.CaptureFixture[str]) -> None:
    Path("rbac.yaml").write_text(to_yaml(OBJECTS), encoding="utf-8")
    code = main(["rbac", "can-i", "get", NP, "--as", "a", "--rbac", "rbac.yaml",
                 "--calico-mode", "crd", "--calico-version", version])
    out, err = capsys.readouterr()
    assert (code, out) == (2, "")
    assert "--calico-mode crd needs Calico OSS 3.32 or later" in err
