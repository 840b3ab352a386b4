"""A miniature policy repository (tiers, base policies, a dev overlay, Flux manifests) for CLI tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FILES = {
    "tierguard.yaml": """\
environments:
  - name: dev
    overlay: overlays/dev
    cluster: eks-dev
    calicoVersion: "3.31"
    edition: oss
    kubernetesVersion: "1.32"
    flows: flows/dev
    inventory: inventory/dev
    flux: clusters/dev
validate:
  paths: [tiers, policies]
""",
    "tiers/kustomization.yaml": "resources: [security.yaml]\n",
    "tiers/security.yaml": """\
apiVersion: projectcalico.org/v3
kind: Tier
metadata:
  name: security
spec:
  order: 100
""",
    "policies/kustomization.yaml": "resources: [deny-cross-env.yaml, web.yaml]\n",
    "policies/deny-cross-env.yaml": """\
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: security.deny-cross-env
spec:
  tier: security
  selector: all()
  types: [Egress]
  egress:
    - action: Deny
      destination:
        nets: ["${OTHER_ENV_CIDR}"]
""",
    "policies/web.yaml": """\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata:
  name: allow-web
spec:
  selector: app == 'web'
  ingress:
    - action: Allow
      protocol: TCP
      destination:
        ports: [8080]
""",
    "overlays/dev/kustomization.yaml": "resources: [../../policies]\n",
    "clusters/dev/policies.yaml": """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: calico-policies
  namespace: flux-system
spec:
  interval: 10m
  prune: true
  sourceRef: {kind: GitRepository, name: netpol}
  path: ./overlays/dev
  postBuild:
    substitute:
      OTHER_ENV_CIDR: "10.20.0.0/16"
""",
}


@pytest.fixture()
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name, text in FILES.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return tmp_path


@pytest.fixture()
def no_renderer(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert os.environ["PATH"] == str(empty)
