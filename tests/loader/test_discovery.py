"""PATH arguments: files, directories (recursive, YAML/JSON only, skipping hidden dirs), globs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierguard.loader.discovery import DiscoveryError, discover


@pytest.fixture()
def tree(tmp_path: Path) -> Path:
    for name in ("a.yaml", "b.yml", "c.json", "notes.txt", "sub/d.YAML", ".git/e.yaml", ".hidden/f.yaml",
                 ".venv/g.yaml", "sub/deeper/h.yml"):
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("a: 1\n")
    return tmp_path


def _names(paths: tuple[Path, ...], root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in paths]


def test_directory_is_walked_in_sorted_order(tree: Path) -> None:
    assert _names(discover(["."], tree), tree) == ["a.yaml", "b.yml", "c.json", "sub/d.YAML", "sub/deeper/h.yml"]


def test_explicit_file_any_suffix_and_dedupe(tree: Path) -> None:
    assert _names(discover(["notes.txt", "a.yaml", "./a.yaml"], tree), tree) == ["notes.txt", "a.yaml"]


def test_glob(tree: Path) -> None:
    assert _names(discover(["**/*.yml"], tree), tree) == ["b.yml", "sub/deeper/h.yml"]


def test_missing_path_and_empty_glob(tree: Path) -> None:
    with pytest.raises(DiscoveryError, match="nope.yaml: no such file or directory"):
        discover(["nope.yaml"], tree)
    with pytest.raises(DiscoveryError, match="matches no"):
        discover(["*.toml"], tree)
