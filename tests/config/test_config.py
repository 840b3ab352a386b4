"""tierguard.yaml: discovery by walking up, schema errors with key paths, the typed Config."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierguard.config import ConfigError, find_config, load_config
from tierguard.engine.ir import CalicoVersion, Edition

GOOD = """\
defaults:
  calicoVersion: "3.32"
environments:
  - name: dev
    overlay: overlays/dev/
    cluster: eks-dev
    calicoVersion: 3.30
    edition: enterprise
    kubernetesVersion: "1.31"
    flows: s3://bucket/flows/dev
    inventory: inventory/dev
    vars: overlays/dev/vars.yaml
  - name: prod
    overlay: overlays/prod
    calicoVersion: "3.32.1"
loader:
  maxBytes: 1000000
validate:
  paths: [tiers]
identities:
  alice: {groups: [security]}
acknowledged:
  - reason: planned
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tierguard.yaml"
    path.write_text(text)
    return path


def _problems(tmp_path: Path, text: str) -> list[tuple[str, int, int, str]]:
    with pytest.raises(ConfigError) as caught:
        load_config(_write(tmp_path, text))
    return [(d.code, d.span.line, d.span.col, d.message) for d in caught.value.diagnostics]


def test_typed_config(tmp_path: Path) -> None:
    config = load_config(_write(tmp_path, GOOD))
    dev, prod = config.environments
    assert dev.name == "dev" and dev.overlay == "overlays/dev" and dev.cluster == "eks-dev"
    assert dev.calico_version == CalicoVersion(3, 30)  # unquoted 3.30 keeps its trailing zero
    assert dev.edition is Edition.ENTERPRISE and dev.kubernetes_version == "1.31"
    assert dev.flows == "s3://bucket/flows/dev" and dev.flux == "clusters/dev"
    assert prod.cluster == "prod" and prod.edition is Edition.OSS and prod.calico_version == CalicoVersion(3, 32)
    assert config.limits.max_bytes == 1_000_000 and config.validate_paths == ("tiers",)
    assert config.root == tmp_path.resolve()
    assert config.section("identities") is not None and config.section("nothing") is None
    assert config.environment("prod") is prod
    with pytest.raises(KeyError, match="known: dev, prod"):
        config.environment("qa")


def test_unknown_key_names_the_key_path(tmp_path: Path) -> None:
    text = GOOD.replace('    calicoVersion: "3.32.1"', '    calicoVerison: "3.32.1"')
    assert _problems(tmp_path, text) == [
        ("CFG801", 15, 5, "environments[1]: unknown key 'calicoVerison' (known keys: calicoVersion, cluster, "
                          "edition, flows, flux, inventory, kubernetesVersion, name, overlay, vars)"),
        ("CFG803", 13, 5, "environments[1]: missing required key 'calicoVersion'"),
    ]


def test_wrong_types_and_values(tmp_path: Path) -> None:
    text = ("environments:\n  name: dev\nloader:\n  maxBytes: big\n"
            "defaults:\n  edition: enterprize\n  kubernetesVersion: '1.20'\n  calicoVersion: 'x'\n")
    assert [(c, line, col) for c, line, col, _ in _problems(tmp_path, text)] == [
        ("CFG802", 2, 3), ("CFG802", 4, 13), ("CFG804", 6, 12), ("CFG804", 7, 22), ("CFG804", 8, 18)]


def test_duplicate_environment_names(tmp_path: Path) -> None:
    text = ("environments:\n  - {name: dev, overlay: a, calicoVersion: '3.31'}\n"
            "  - {name: dev, overlay: b, calicoVersion: '3.31'}\n")
    assert _problems(tmp_path, text) == [
        ("CFG804", 3, 12, "environments[1].name: duplicate name 'dev' (also at environments[0])")]


def test_yaml_errors_are_config_errors(tmp_path: Path) -> None:
    assert [c for c, *_ in _problems(tmp_path, "a: [\n")] == ["CFG805"]
    assert [c for c, *_ in _problems(tmp_path, "- a\n")] == ["CFG805"]


def test_discovery_walks_up_and_stops_at_git_root(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    repo = tmp_path / "repo"
    (repo / ".git").mkdir(parents=True)
    (repo / "deep/er").mkdir(parents=True)
    assert find_config(repo / "deep/er") is None  # the walk stops at the git root
    _write(repo, GOOD)
    assert find_config(repo / "deep/er") == (repo / "tierguard.yaml").resolve()


def test_no_config_gives_defaults_rooted_at_git_root(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "sub").mkdir()
    config = load_config(cwd=tmp_path / "sub")
    assert config.path is None and config.root == tmp_path.resolve() and config.environments == ()


def test_missing_explicit_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_config(tmp_path / "nope.yaml")


def test_schema_language_scalars() -> None:
    from tierguard.config.schema import Bool, Int, Obj, Prop, check
    from tierguard.loader.yaml_source import load_yaml_text

    schema = Obj({"flag": Prop(Bool()), "count": Prop(Int(minimum=1))})
    [document] = load_yaml_text("flag: 'yes'\ncount: 0\n", "s.yaml").documents
    assert [(d.code, d.span.line, d.message) for d in check(schema, document.root)] == [
        ("CFG802", 1, "flag: expected true or false, found a str"),
        ("CFG804", 2, "count: must be at least 1"),
    ]
