"""Turn PATH arguments (files, directories, globs) into the list of YAML/JSON files to load."""

from __future__ import annotations

import glob
from collections.abc import Iterable, Sequence
from pathlib import Path

YAML_SUFFIXES = frozenset({".yaml", ".yml", ".json"})
# Directories never searched: VCS data, virtualenvs, caches and tool state.
_SKIPPED_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache",
                           ".pytest_cache", ".ruff_cache", ".tox"})


class DiscoveryError(Exception):
    """A PATH argument that names nothing: a usage error (exit 2), not a finding."""


def is_yaml_file(path: Path) -> bool:
    """True for the suffixes loaded from directories (.yaml, .yml, .json)."""
    return path.suffix.lower() in YAML_SUFFIXES


def _walk(directory: Path) -> Iterable[Path]:
    for child in sorted(directory.iterdir()):
        if child.is_dir():
            if child.name not in _SKIPPED_DIRS and not child.name.startswith("."):
                yield from _walk(child)
        elif child.is_file() and is_yaml_file(child):
            yield child


def _expand(argument: str, cwd: Path) -> list[Path]:
    if glob.has_magic(argument):
        pattern = argument if Path(argument).is_absolute() else str(cwd / argument)
        matches = [Path(m) for m in sorted(glob.glob(pattern, recursive=True))]
        found = [p for m in matches for p in (_walk(m) if m.is_dir() else [m]) if is_yaml_file(p)]
        if not found:
            raise DiscoveryError(f"{argument}: the pattern matches no .yaml, .yml or .json file")
        return found
    path = Path(argument)
    path = path if path.is_absolute() else cwd / path
    if path.is_dir():
        return list(_walk(path))
    if path.is_file():
        # A file named explicitly is loaded whatever its suffix: the user asked for it.
        return [path]
    raise DiscoveryError(f"{argument}: no such file or directory")


def discover(arguments: Sequence[str], cwd: Path) -> tuple[Path, ...]:
    """Every file named by the arguments, in argument order, each once."""
    seen: set[Path] = set()
    ordered: list[Path] = []
    for argument in arguments:
        for path in _expand(argument, cwd):
            key = path.resolve()
            if key not in seen:
                seen.add(key)
                ordered.append(path)
    return tuple(ordered)
