"""`tierguard rbac ...` end to end through `main`: exact stdout, stderr and exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from rbac_factory import cluster_role, crb, group, rb, role, rule, sa, to_yaml, user
from tierguard.cli.main import main

PC = "projectcalico.org"
ALL = ["get", "list", "watch", "create", "update", "patch", "delete"]

RBAC = to_yaml(
    cluster_role("see-platform", rule(["get"], [PC], ["tiers"], names=["platform"])),
    cluster_role("edit-platform", rule(ALL, [PC], ["networkpolicies", "stagednetworkpolicies"]),
                 rule(ALL, [PC], ["tier.networkpolicies", "tier.stagednetworkpolicies"], names=["platform.*"])),
    cluster_role("log-reader", rule(["get"], [""], ["pods/log"])),
    cluster_role("health", rule(["get"], urls=["/healthz", "/metrics/*"])),
    role("team-a", "pod-reader", rule(["get", "list"], [""], ["pods"])),
    crb("alice-see", "see-platform", user("alice")),
    rb("team-a", "alice-edit", "edit-platform", user("alice")),
    rb("team-a", "sa-logs", "log-reader", group("system:serviceaccounts:ci")),
    rb("team-a", "ops-pods", "pod-reader", group("ops"), role_kind="Role"),
    crb("health", "health", group("system:authenticated")),
    rb("team-a", "builder", "pod-reader", sa("builder", "ci"), role_kind="Role"),
)


@pytest.fixture()
def rbac_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiers").mkdir()
    (tmp_path / "tiers" / "rbac.yaml").write_text(RBAC)
    return "tiers/rbac.yaml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["rbac", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("argv", "answer"), [
    (["can-i", "create", "networkpolicies.projectcalico.org", "-n", "team-a", "--as", "alice",
      "--tier", "platform"], "yes"),
    (["can-i", "create", "networkpolicies.projectcalico.org", "-n", "team-b", "--as", "alice",
      "--tier", "platform"], "no"),
    (["can-i", "create", "networkpolicies.projectcalico.org", "-n", "team-a", "--as", "alice"], "no"),
    (["can-i", "update", "networkpolicies.projectcalico.org", "platform.web", "-n", "team-a", "--as", "alice",
      "--calico-version", "3.31"], "yes"),
    (["can-i", "update", "networkpolicies.projectcalico.org", "platform.web", "-n", "team-a", "--as", "alice",
      "--calico-version", "3.32"], "no"),
    (["can-i", "update", "networkpolicies.projectcalico.org", "x", "-n", "team-a", "--as", "alice",
      "--tier", "platform", "--tier", "default"], "no"),
    (["can-i", "create", "tier.networkpolicies.projectcalico.org", "-n", "team-a", "--as", "alice"], "no"),
    (["can-i", "create", "tier.networkpolicies.projectcalico.org", "platform.*", "-n", "team-a",
      "--as", "alice"], "yes"),
    (["can-i", "get", "tiers.projectcalico.org", "platform", "--as", "alice"], "yes"),
    (["can-i", "get", "tiers.projectcalico.org", "--as", "alice"], "no"),
    (["can-i", "get", "pods/log", "-n", "team-a", "--as", "system:serviceaccount:ci:builder"], "yes"),
    (["can-i", "get", "pods/log", "-n", "team-a", "--as", "system:serviceaccount:ci:builder",
      "--as-group", "other"], "no"),
    (["can-i", "get", "pods", "-n", "team-a", "--as", "system:serviceaccount:ci:builder"], "yes"),
    (["can-i", "get", "pods", "--subresource", "log", "-n", "team-a", "--as", "system:serviceaccount:ci:builder"],
     "yes"),
    (["can-i", "get", "pods", "-n", "team-a", "--as", "bob", "--as-group", "ops"], "yes"),
    (["can-i", "get", "pods", "-n", "team-a", "-A", "--as", "bob", "--as-group", "ops"], "no"),
    (["can-i", "get", "Pods", "-n", "team-a", "--as", "bob", "--as-group", "ops"], "no"),
    (["can-i", "get", "pods.apps", "-n", "team-a", "--as", "bob", "--as-group", "ops"], "no"),
    (["can-i", "get", "/healthz", "--as", "anyone"], "yes"),
    (["can-i", "get", "/healthz", "--as", "system:anonymous"], "no"),
    (["can-i", "get", "/metrics/cpu", "-n", "team-a", "--as", "anyone"], "yes"),
    (["can-i", "post", "/healthz", "--as", "anyone"], "no"),
    (["can-i", "list", "networkpolicies.projectcalico.org", "-n", "team-a", "--as", "alice"], "yes"),
    (["can-i", "list", "networkpolicies.projectcalico.org", "-n", "team-a", "--as", "alice",
      "--calico-mode", "crd"], "yes"),
])
def test_can_i_answers(rbac_file: str, capsys: pytest.CaptureFixture[str], argv: list[str], answer: str) -> None:
    code, out, err = run(capsys, *argv)
    assert (code, out, err) == (0 if answer == "yes" else 1, answer + "\n", "")


def test_explicit_rbac_paths_and_explain(rbac_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "can-i", "create", "networkpolicies.projectcalico.org", "-n", "team-a",
                       "--as", "alice", "--explain", "--rbac", rbac_file)
    assert code == 1
    assert out.splitlines() == [
        "no",
        "allowed (rbac): create networkpolicies.projectcalico.org in namespace team-a",
        "  granted by RoleBinding team-a/alice-edit -> ClusterRole edit-platform rules[0] at tiers/rbac.yaml:20:3",
        "missing (tier visibility): get tiers.projectcalico.org 'default' (cluster-wide)",
        "  no rule grants it (2 binding(s) apply to the user here)",
        ("  almost: ClusterRoleBinding alice-see -> ClusterRole see-platform rules[0] at tiers/rbac.yaml:6:3: "
        "name 'default' is not in resourceNames ['platform']"),
        "missing (tier policy grant): create tier.networkpolicies.projectcalico.org 'default.*' in namespace team-a",
        "  no rule grants it (3 binding(s) apply to the user here)",
        ("  almost: RoleBinding team-a/alice-edit -> ClusterRole edit-platform rules[1] at tiers/rbac.yaml:33:3: "
        "name 'default.*' is not in resourceNames ['platform.*']"),
        "note: tier 'default' derived from the request name for Calico oss 3.32",
    ]


def test_explain_list_names_visible_tiers(rbac_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "can-i", "list", "networkpolicies.projectcalico.org", "-n", "team-a",
                       "--as", "alice", "--explain")
    assert code == 0
    assert out.splitlines()[-2:] == [
        "note: no tier given: the result is filtered to the tiers the user may get",
        "note: tiers visible to the user: platform",
    ]


def test_quiet_prints_nothing(rbac_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "can-i", "get", "/healthz", "--as", "x", "-q") == (0, "", "")


def test_rbac_problems_go_to_stderr_and_the_answer_stays_on_stdout(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(to_yaml(cluster_role("r", rule(["Get"], [""], ["pods"])), crb("r", "r", user("u"))))
    code, out, err = run(capsys, "can-i", "get", "pods", "--as", "u", "--rbac", str(bad))
    assert (code, out) == (1, "no\n")
    assert err == (f"{bad.as_posix()}:7:5: RBAC401 warning: unknown verb 'Get': it will never match a request "
                   "(hint: verbs are case-sensitive: write `get`)\n")


@pytest.mark.parametrize(("argv", "message"), [
    (["can-i", "get", "pods", "--as", "u", "--rbac", "nope"], "tierguard: error: no such file or directory: nope\n"),
    (["can-i", "get", "pods", "--as", "u", "--calico-version", "three"],
     "tierguard: error: not a Calico version: 'three' (expected e.g. 3.32)\n"),
    (["can-i", "get", "pods", "--as", "u", "--calico-version", "3.31", "--calico-mode", "crd"],
     "tierguard: error: --calico-mode crd needs Calico OSS 3.32 or later (the tier-RBAC webhook)\n"),
    (["can-i", "get", "/pods", "--as", "u", "--rbac", "tiers"], ""),
    (["can-i", "get", "", "--as", "u"], "tierguard: error: RESOURCE must not be empty\n"),
    (["can-i", "get", "pods/log", "--subresource", "x", "--as", "u"],
     "tierguard: error: --subresource needs a RESOURCE without /SUBRESOURCE\n"),
])
def test_usage_errors_exit_2(rbac_file: str, capsys: pytest.CaptureFixture[str], argv: list[str],
                             message: str) -> None:
    code, out, err = run(capsys, *argv)
    if not message:  # a valid call for contrast: a non-resource URL nobody may get
        assert (code, out, err) == (1, "no\n", "")
        return
    assert (code, out, err) == (2, "", message)


def test_missing_as_is_a_usage_error(rbac_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "can-i", "get", "pods")
    assert code == 2
    assert "the following arguments are required: --as" in err


def test_default_path_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    assert run(capsys, "can-i", "get", "pods", "--as", "u") == (
        2, "", "tierguard: error: no such file or directory: tiers\n")


def test_who_can(rbac_file: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "who-can", "create", "networkpolicies.projectcalico.org", "-n", "team-a",
                       "--tier", "platform")
    assert code == 0
    assert out.splitlines() == [
        "SUBJECT     VIA",
        "User alice  RoleBinding team-a/alice-edit, ClusterRoleBinding alice-see",
    ]
    code, out, _ = run(capsys, "who-can", "get", "pods", "-n", "team-a")
    assert out.splitlines() == [
        "SUBJECT                    VIA",
        "Group ops                  RoleBinding team-a/ops-pods",
        "ServiceAccount ci/builder  RoleBinding team-a/builder",
    ]
    code, out, _ = run(capsys, "who-can", "delete", "nodes")
    assert out == "no subject found in the loaded bindings is allowed\n"


def test_matrix_text_and_markdown(rbac_file: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "matrix")
    assert code == 0
    assert out.splitlines() == [
        "SUBJECT     TIER      SCOPE   POLICIES              STAGED",
        "User alice  platform  team-a  create,update,delete  create,update,delete",
    ]
    hostile = tmp_path / "hostile.yaml"
    hostile.write_text(RBAC + "---\n" + to_yaml(
        crb("evil-see", "see-platform", user("<b>x|y</b>")),
        crb("evil-edit", "edit-platform", user("<b>x|y</b>"))))
    code, out, _ = run(capsys, "matrix", "--format", "markdown", "--rbac", str(hostile))
    assert out.splitlines() == [
        "| Subject | Tier | Scope | Policies | Staged |",
        "|---|---|---|---|---|",
        "| User \\<b\\>x\\|y\\</b\\> | platform | \\* | create,update,delete | create,update,delete |",
        "| User alice | platform | team-a | create,update,delete | create,update,delete |",
    ]


FLUX = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: tiers, namespace: flux-system}
spec: {path: ./tiers, serviceAccountName: platform}
---
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {name: team-a, namespace: flux-system}
spec: {path: ./overlays/team-a, serviceAccountName: team-a}
"""

RENDERED = """\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web, namespace: team-a}
spec: {tier: platform, selector: app == 'web'}
"""


def test_flux_check(rbac_file: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "flux.yaml").write_text(FLUX)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "np.yaml").write_text(RENDERED)
    (tmp_path / "tier.yaml").write_text("apiVersion: projectcalico.org/v3\nkind: Tier\n"
                                        "metadata: {name: platform}\nspec: {order: 100}\n")
    code, out, _ = run(capsys, "flux-check", "--kustomizations", "flux.yaml",
                       "--rendered", "flux-system/team-a=out", "--rendered", "flux-system/tiers=tier.yaml")
    assert code == 1
    assert out.splitlines() == [
        ("out/np.yaml:1:1: RBAC430 error: Kustomization flux-system/team-a applies as "
        "system:serviceaccount:flux-system:team-a, which may not server-side apply NetworkPolicy team-a/web: "
        "missing create networkpolicies.projectcalico.org 'web' in namespace team-a; "
        "get tiers.projectcalico.org 'platform' (cluster-wide); "
        "create tier.networkpolicies.projectcalico.org 'platform.*' in namespace team-a (or the exact name 'web'); "
        "patch networkpolicies.projectcalico.org 'web' in namespace team-a; "
        "patch tier.networkpolicies.projectcalico.org 'platform.*' in namespace team-a (or the exact name 'web') "
        "(hint: Grant the service account these rights (tier grants included), or move the object to a "
        "Kustomization whose service account has them.)"),
        ("out/np.yaml:1:1: RBAC431 error: tier 'platform' of NetworkPolicy team-a/web is applied by "
        "flux-system/tiers, which Kustomization flux-system/team-a does not depend on "
        "(hint: Add dependsOn: [{name: tiers}] to Kustomization flux-system/team-a, and keep Tiers in their "
        "own Kustomization.)"),
        ("tier.yaml:1:1: RBAC430 error: Kustomization flux-system/tiers applies as "
        "system:serviceaccount:flux-system:platform, which may not server-side apply Tier platform: "
        "missing create tiers.projectcalico.org 'platform' (cluster-wide); "
        "patch tiers.projectcalico.org 'platform' (cluster-wide) "
        "(hint: Grant the service account these rights (tier grants included), or move the object to a "
        "Kustomization whose service account has them.)"),
    ]


def test_flux_check_bad_rendered_argument(rbac_file: str, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "flux.yaml").write_text(FLUX)
    assert run(capsys, "flux-check", "--kustomizations", "flux.yaml", "--rendered", "team-a=out") == (
        2, "", "tierguard: error: --rendered takes NS/NAME=PATH, got 'team-a=out'\n")


NEAR = to_yaml(
    cluster_role("readers", rule(["get", "list"], [""], ["pods"]), rule(["get"], [""], ["secrets"], names=["s1"])),
    rb("a", "r", "readers", user("bob")),
)


@pytest.mark.parametrize(("argv", "hints"), [
    (["delete", "pods", "-n", "a"],
     [("  almost: RoleBinding a/r -> ClusterRole readers rules[0] at near.yaml:6:3: verb 'delete' is not in "
      "['get', 'list']")]),
    (["get", "secrets", "s2", "-n", "a"],
     [("  almost: RoleBinding a/r -> ClusterRole readers rules[1] at near.yaml:13:3: name 's2' is not in "
      "resourceNames ['s1']")]),
    (["get", "secrets", "-n", "a"],
     [("  almost: RoleBinding a/r -> ClusterRole readers rules[1] at near.yaml:13:3: it lists resourceNames "
      "['s1'], and the request has no name")]),
    (["get", "pods", "-n", "b"], ["  elsewhere: RoleBinding a/r grants it in namespace a only"]),
])
def test_explain_names_near_misses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str], argv: list[str], hints: list[str]) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "near.yaml").write_text(NEAR)
    code, out, _ = run(capsys, "can-i", *argv, "--as", "bob", "--rbac", "near.yaml", "--explain")
    assert code == 1
    assert out.splitlines()[3:] == hints
