"""The repository's own pre-commit configuration, run by the real `pre-commit` in a temporary git
repository: a good change passes both hooks, a breaking change fails the review hook."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from review_repo import ALICE, commit_all, git, make_repo

pytestmark = pytest.mark.slow

PROJECT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _pre_commit(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": f"{BIN}{os.pathsep}/usr/local/bin:/usr/bin:/bin", "HOME": str(home),
           "PRE_COMMIT_HOME": str(home / "pre-commit"), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_AUTHOR_NAME": ALICE[0], "GIT_AUTHOR_EMAIL": ALICE[1], "NO_COLOR": "1"}
    return subprocess.run([str(BIN / "pre-commit"), "run", "--color", "never"], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "repo")
    shutil.copy(PROJECT / ".pre-commit-config.yaml", root / ".pre-commit-config.yaml")
    git(root, "config", "user.name", ALICE[0])
    git(root, "config", "user.email", ALICE[1])
    commit_all(root, "add hooks", ALICE)
    return root


def _status(output: str) -> dict[str, str]:
    """Hook name -> Passed/Failed/Skipped, from pre-commit's report lines."""
    found = {}
    for line in output.splitlines():
        for word in ("Passed", "Failed", "Skipped"):
            if line.endswith(word) and "." in line:
                found[line.split("..", 1)[0].strip()] = word
    return found


def test_hook_files_are_valid_and_publish_both_hooks() -> None:
    hooks = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert [(h["id"], h["language"], h["entry"].split()[0]) for h in hooks] == [
        ("tierguard-validate", "python", "tierguard"), ("tierguard-review", "python", "tierguard")]
    for command in (["validate-config", ".pre-commit-config.yaml"], ["validate-manifest", ".pre-commit-hooks.yaml"]):
        done = subprocess.run([str(BIN / "pre-commit"), *command], cwd=PROJECT, capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0, done.stdout + done.stderr


def test_real_pre_commit_passes_a_good_change(repo: Path, tmp_path: Path) -> None:
    path = repo / "policies/application/shop.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("  name: db-ingress\n",
                                                             "  name: db-ingress\n  labels: {owner: shop}\n"),
                    encoding="utf-8")
    git(repo, "add", "policies/application/shop.yaml")
    done = _pre_commit(repo, tmp_path)
    assert _status(done.stdout) == {
        "tierguard validate (changed policy files)": "Passed",
        "tierguard review (environments the change touches, against HEAD)": "Passed"}, done.stdout
    assert done.returncode == 0


def test_real_pre_commit_blocks_a_breaking_change(repo: Path, tmp_path: Path) -> None:
    path = repo / "policies/application/shop.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "        selector: app == 'api'\n", "        selector: app == 'worker'\n"), encoding="utf-8")
    git(repo, "add", "policies/application/shop.yaml")
    done = _pre_commit(repo, tmp_path)
    assert done.returncode == 1
    assert _status(done.stdout) == {
        "tierguard validate (changed policy files)": "Passed",
        "tierguard review (environments the change touches, against HEAD)": "Failed"}, done.stdout
    assert "GATE FAILED (1 reasons):" in done.stdout
    assert ("  - prod: newly-denied: newly denies observed shop/api-7d4b9c-* -> shop/db-7d4b9c-* 5432/TCP "
            "(7 flows) by np:shop/db-ingress end of tier application (no rule matched) "
            "[policies/application/shop.yaml:19]") in done.stdout


def test_review_hook_skips_environments_the_change_does_not_touch(repo: Path, tmp_path: Path) -> None:
    (repo / "tiers/README.txt").write_text("notes\n", encoding="utf-8")
    (repo / "inventory/other.yaml").write_text("kind: List\napiVersion: v1\nitems: []\n", encoding="utf-8")
    git(repo, "add", "--all")
    done = _pre_commit(repo, tmp_path)
    assert done.returncode == 0, done.stdout
    assert _status(done.stdout)["tierguard review (environments the change touches, against HEAD)"] == "Passed"
