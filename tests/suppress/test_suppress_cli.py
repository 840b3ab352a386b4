"""`tierguard validate` with waivers: exit code, text tally, --show-suppressed, and the bundled example."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from tierguard.cli.main import main

REPO = Path(__file__).resolve().parents[2]
POLICY = """\
apiVersion: projectcalico.org/v3
kind: GlobalNetworkPolicy
metadata:
  name: security.web
  annotations:
    tierguard.io/ignore: "{value}"
spec:
  tier: security
  selector: app == 'web' &&
"""
SELECTOR = ("p.yaml:9:28: CAL212 spec.selector: invalid selector: expected a selector expression, found end "
            "of selector at column 16 of \"app == 'web' &&\"")
TIER = "p.yaml:8:9: CAL210 tier 'security' is not defined anywhere in the repository and is not a built-in tier"


@pytest.fixture
def in_tmp(tmp_path: Path) -> Iterator[Path]:
    previous = Path.cwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(previous)


def _validate(directory: Path, value: str, capsys: pytest.CaptureFixture[str], *flags: str) -> tuple[int, str, str]:
    (directory / "p.yaml").write_text(POLICY.format(value=value), encoding="utf-8")
    code = main(["validate", "p.yaml", *flags])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_waived_errors_do_not_fail_the_run(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = _validate(in_tmp, "CAL210, CAL212: tier comes from the platform repo", capsys)
    assert code == 0
    assert out == "2 suppressed (tierguard.io/ignore; --show-suppressed lists them)\n"
    assert err == ("tierguard validate: 0 environment(s) rendered, 1 file(s), 1 object(s) checked: 0 error(s), "
                   "0 warning(s), 0 note(s), 2 suppressed\n")


def test_show_suppressed_lists_them_with_the_reason(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _validate(in_tmp, "CAL212: migration", capsys, "--show-suppressed")
    assert code == 1
    lines = out.splitlines()
    assert lines[0] == TIER
    assert lines[2:] == [SELECTOR, "    suppressed: migration", "1 suppressed"]


def test_a_waiver_without_reason_is_an_error_and_waives_nothing(in_tmp: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _validate(in_tmp, "CAL210, CAL212", capsys)
    assert code == 1
    findings = [line for line in out.splitlines() if not line.startswith("    ")]
    assert findings == [
        "p.yaml:6:26: SUP001 waiver 'CAL210, CAL212' gives no reason; a waiver must say why the finding is accepted",
        TIER, SELECTOR]


def test_an_unused_waiver_is_a_warning(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _validate(in_tmp, "CAL210, CAL212: platform tier; LNT904: not a pass rule", capsys)
    assert code == 0
    assert out.splitlines()[0] == ("p.yaml:6:26: SUP002 [warning] waiver for LNT904 on GlobalNetworkPolicy "
                                   "security.web suppressed nothing in this run")
    assert out.splitlines()[-1] == "2 suppressed (tierguard.io/ignore; --show-suppressed lists them)"


@pytest.fixture
def at_repository() -> Iterator[Path]:
    previous = Path.cwd()
    os.chdir(REPO)
    try:
        yield REPO
    finally:
        os.chdir(previous)


@pytest.mark.slow
def test_bundled_example_waives_the_quarantine_note(at_repository: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--env", "dev"]) == 1
    captured = capsys.readouterr()
    assert [line for line in captured.out.splitlines() if not line.startswith("    ")] == [
        ("policies/application/sock-shop/carts.yaml:15:21: LNT901 NetworkPolicy sock-shop/application.carts "
         "matches no endpoint in inventory inventory/dev/cluster.yaml: no endpoint has name == 'cart'"),
        "1 suppressed (tierguard.io/ignore; --show-suppressed lists them)"]
    assert captured.err.endswith("1 error(s), 0 warning(s), 0 note(s), 1 suppressed\n")
