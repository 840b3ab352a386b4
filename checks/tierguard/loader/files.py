"""Read one YAML/JSON file from disk into located documents, refusing huge and binary files."""

from __future__ import annotations

from pathlib import Path

from tierguard.diagnostics import Diagnostic, Severity, Span
from tierguard.loader import codes
from tierguard.loader.yaml_source import Limits, LoadResult, decode_source, load_yaml_text


def display_name(path: Path, root: Path) -> str:
    """The name diagnostics use: relative to the repository root when inside it, else absolute."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def load_file(path: Path, name: str, limits: Limits = Limits()) -> LoadResult:
    """Load every document of a file. The size is checked with stat() before anything is read."""
    try:
        size = path.stat().st_size
    except OSError as error:
        return _unreadable(name, error)
    if size > limits.max_bytes:
        return LoadResult((), (Diagnostic(
            codes.YAML_TOO_LARGE, Severity.ERROR,
            f"file is {size:,} bytes, over the {limits.max_bytes:,}-byte limit for one YAML source",
            Span(name, 1, 1, 1, 2), hint="Split the file, or raise loader.maxBytes in tierguard.yaml."),))
    try:
        data = path.read_bytes()
    except OSError as error:
        return _unreadable(name, error)
    text, diag = decode_source(data, name, limits)
    if text is None:
        assert diag is not None
        return LoadResult((), (diag,))
    return load_yaml_text(text, name, limits)


def _unreadable(name: str, error: OSError) -> LoadResult:
    return LoadResult((), (Diagnostic(
        codes.YAML_UNREADABLE, Severity.ERROR, f"cannot read file: {error.strerror or error}",
        Span(name, 1, 1, 1, 2)),))
