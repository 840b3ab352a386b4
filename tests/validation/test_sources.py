"""Where an environment's Flux post-build variables come from (no kubectl needed)."""

from __future__ import annotations

from pathlib import Path

from tierguard.config import load_config
from tierguard.validation.sources import environment_variables, load_paths

FLUX = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata: {{name: {name}, namespace: flux-system}}
spec:
  interval: 10m
  prune: true
  sourceRef: {{kind: GitRepository, name: netpol}}
  path: {path}
{post}"""


def _repo(tmp_path: Path, vars_line: str = "") -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "tierguard.yaml").write_text(
        "environments:\n  - name: dev\n    overlay: overlays/dev\n    calicoVersion: '3.32'\n" + vars_line)
    flux = tmp_path / "clusters/dev"
    flux.mkdir(parents=True)
    (flux / "tiers.yaml").write_text(FLUX.format(name="tiers", path="./tiers", post=""))
    (flux / "policies.yaml").write_text(FLUX.format(
        name="policies", path="./overlays/dev/policies",
        post="  postBuild:\n    substitute: {CIDR: 10.0.0.0/8, bad-name: x}\n"
             "    substituteFrom: [{kind: ConfigMap, name: cluster-vars}, {kind: Secret, name: s}]\n"))
    (flux / "other.yaml").write_text(FLUX.format(
        name="other", path="./overlays/prod", post="  postBuild:\n    substitute: {CIDR: 192.0.2.0/24}\n"))
    (flux / "vars.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cluster-vars, "
                                    "namespace: flux-system}\ndata: {REGION: eu-west-1, CIDR: overridden}\n")
    return tmp_path


def test_variables_from_covering_flux_kustomizations(tmp_path: Path) -> None:
    config = load_config(cwd=_repo(tmp_path))
    variables, problems = environment_variables(config, config.environment("dev"))
    # ./overlays/dev/policies lies inside the overlay; ./tiers and ./overlays/prod do not.
    # substitute wins over substituteFrom; names Flux refuses are dropped; Secrets are not in Git.
    assert variables == {"REGION": "eu-west-1", "CIDR": "10.0.0.0/8"}
    assert problems == []


def test_vars_file_wins(tmp_path: Path) -> None:
    root = _repo(tmp_path, "    vars: overlays/dev/vars.yaml\n")
    (root / "overlays/dev").mkdir(parents=True)
    (root / "overlays/dev/vars.yaml").write_text("CIDR: 172.16.0.0/12\nEXTRA: 'yes'\n")
    config = load_config(cwd=root)
    variables, _ = environment_variables(config, config.environment("dev"))
    assert variables == {"REGION": "eu-west-1", "CIDR": "172.16.0.0/12", "EXTRA": "yes"}


def test_non_resource_files_are_syntax_checked_only(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [a.yaml]\n")
    (tmp_path / "tierguard.yaml").write_text("environments: [\n")
    loaded = load_paths(["."], tmp_path, tmp_path)
    assert loaded.resources == ()
    assert [(d.code, d.span.file) for d in loaded.diagnostics] == [("YML001", "tierguard.yaml")]
