"""Every overlay renders with the real `kubectl kustomize`, and renders what the example promises."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from examplegen_paths import REPO

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")]

CLUSTER_SCOPED = {"Tier", "GlobalNetworkPolicy", "StagedGlobalNetworkPolicy", "GlobalNetworkSet", "ClusterRole",
                  "ClusterRoleBinding"}
TIERED = {"NetworkPolicy", "GlobalNetworkPolicy", "StagedNetworkPolicy", "StagedGlobalNetworkPolicy"}


def _render(path: str) -> list[dict[str, Any]]:
    result = subprocess.run(["kubectl", "kustomize", "--load-restrictor", "LoadRestrictionsNone", path],
                            cwd=REPO, capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stderr
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def _ids(objects: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
    return {(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in objects}


@pytest.mark.parametrize("path", ["overlays/dev", "overlays/staging", "overlays/prod", ".", "tiers",
                                  "clusters/dev", "clusters/staging", "clusters/prod"])
def test_renders_without_namespaces_on_cluster_scoped_objects(path: str) -> None:
    objects = _render(path)
    assert objects
    stamped = [(o["kind"], o["metadata"]["name"]) for o in objects
               if o["kind"] in CLUSTER_SCOPED and "namespace" in o["metadata"]]
    assert stamped == []


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_policies_are_tier_prefixed_and_substitutable(env: str) -> None:
    objects = _render(f"overlays/{env}")
    for obj in objects:
        if obj["apiVersion"] == "projectcalico.org/v3" and obj["kind"] in TIERED:
            tier = obj["spec"]["tier"]
            assert obj["metadata"]["name"].startswith(f"{tier}."), obj["metadata"]["name"]
    text = yaml.safe_dump_all(objects)
    flux = yaml.safe_load((REPO / "clusters" / env / "calico-policies.yaml").read_text(encoding="utf-8"))
    variables = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", text))
    assert variables == set(flux["spec"]["postBuild"]["substitute"])


def test_the_new_policy_is_staged_in_dev_and_enforced_elsewhere() -> None:
    by_env = {env: {(o["kind"], o["metadata"]["name"]): o for o in _render(f"overlays/{env}")
                    if o["metadata"].get("namespace") == "ledger"} for env in ("dev", "staging", "prod")}
    staged = by_env["dev"][("StagedNetworkPolicy", "application.ledger-worker-egress")]
    assert ("NetworkPolicy", "application.ledger-worker-egress") not in by_env["dev"]
    for env in ("staging", "prod"):
        enforced = by_env[env][("NetworkPolicy", "application.ledger-worker-egress")]
        assert ("StagedNetworkPolicy", "application.ledger-worker-egress") not in by_env[env]
        assert {**enforced["spec"], "stagedAction": "Set"} == staged["spec"]


def test_prod_renders_exactly_the_example_objects() -> None:
    ids = _ids(_render("overlays/prod"))
    sock_shop = {("NetworkPolicy", "sock-shop", f"application.{s}") for s in (
        "front-end", "catalogue", "catalogue-db", "carts", "carts-db", "orders", "orders-db", "payment", "shipping",
        "user", "user-db", "rabbitmq", "session-db", "queue-master")}
    expected = sock_shop | {
        ("Tier", "", "security"), ("Tier", "", "platform"), ("Tier", "", "application"),
        ("GlobalNetworkSet", "", "other-environments"), ("GlobalNetworkSet", "", "partner-bank-api"),
        ("GlobalNetworkPolicy", "", "security.quarantine"), ("GlobalNetworkPolicy", "", "security.block-instance-metadata"),
        ("GlobalNetworkPolicy", "", "security.deny-cross-environment"), ("GlobalNetworkPolicy", "", "platform.allow-dns-egress"),
        ("GlobalNetworkPolicy", "", "platform.allow-prometheus-scrape"),
        ("NetworkPolicy", "kube-system", "platform.kube-dns-ingress"),
        ("NetworkPolicy", "ingress-nginx", "platform.ingress-nginx-controller"),
        ("StagedNetworkPolicy", "sock-shop", "application.default-deny"),
        ("NetworkPolicy", "ledger", "application.ledger-api"), ("NetworkPolicy", "ledger", "application.ledger-worker-egress"),
        ("NetworkPolicy", "ledger", "ledger-db"), ("NetworkPolicy", "ledger", "default-deny-ingress"),
        ("ClusterRole", "", "tierguard:tier-viewer"), ("ClusterRoleBinding", "", "tierguard:tier-viewer:all-teams"),
        ("ClusterRole", "", "tierguard:security-tier-editor"),
        ("ClusterRoleBinding", "", "tierguard:security-tier-editor:team-security"),
        ("ClusterRole", "", "tierguard:platform-tier-editor"),
        ("ClusterRoleBinding", "", "tierguard:platform-tier-editor:team-platform"),
        ("ClusterRole", "", "tierguard:application-tier-editor"),
        ("RoleBinding", "sock-shop", "tierguard:application-tier-editor:team-sockshop"),
        ("RoleBinding", "ledger", "tierguard:application-tier-editor:team-ledger"),
    }
    assert ids == expected


def test_the_carts_selector_bug_is_kept() -> None:
    carts = [o for o in _render("overlays/prod") if o["metadata"]["name"] == "application.carts"]
    assert [c["spec"]["selector"] for c in carts] == ["name == 'cart'"]


def test_argo_waves_put_tiers_before_policies() -> None:
    waves = {(o["kind"], o["metadata"]["name"]): o["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave")
             for o in _render("overlays/prod")}
    assert {w for (kind, _), w in waves.items() if kind == "Tier"} == {"-1"}
    assert {w for (kind, _), w in waves.items() if kind.startswith("Cluster") or kind == "RoleBinding"} == {"-1"}
    assert {w for (kind, _), w in waves.items() if "Network" in kind} == {"0"}


def test_the_example_change_applies_with_git_am(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(REPO / "policies", repo / "policies")
    env = {"GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_SYSTEM": "/dev/null", "HOME": str(tmp_path),
           "GIT_COMMITTER_NAME": "ci", "GIT_COMMITTER_EMAIL": "ci@example.com", "PATH": "/usr/bin:/bin"}

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True)
        return done.stdout

    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("-c", "user.name=ci", "-c", "user.email=ci@example.com", "commit", "-qm", "base")
    git("am", "-q", str(REPO / "examples" / "change" / "break-orders.patch"))
    assert git("log", "-1", "--format=%an <%ae>").strip() == "Dana Kim <dana.kim@example.com>"
    assert git("diff", "--name-only", "HEAD~1").split() == [
        "policies/application/sock-shop/user.yaml", "policies/security/block-instance-metadata.yaml"]
    user = yaml.safe_load((repo / "policies/application/sock-shop/user.yaml").read_text(encoding="utf-8"))
    assert [r["source"]["selector"] for r in user["spec"]["ingress"]] == ["name == 'front-end'"]
    imds = yaml.safe_load((repo / "policies/security/block-instance-metadata.yaml").read_text(encoding="utf-8"))
    assert [(r["action"], r.get("source", {}).get("selector")) for r in imds["spec"]["egress"]] == [
        ("Pass", None), ("Pass", "name == 'shipping'"), ("Deny", None)]
    assert imds["spec"]["tier"] == "security"
