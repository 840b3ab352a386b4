"""Find tierguard.yaml (walking up from the working directory), validate it, build a `Config`."""

from __future__ import annotations

from pathlib import Path

from tierguard.config import codes
from tierguard.config.model import (
    DEFAULT_CALICO_VERSION,
    DEFAULT_KUBERNETES_VERSION,
    DEFAULT_VALIDATE_PATHS,
    Config,
    Environment,
)
from tierguard.config.schema import check, number_text
from tierguard.config.spec import CONFIG_SCHEMA, RAW_SECTIONS
from tierguard.diagnostics import Diagnostic, Severity, Span
from tierguard.engine.ir import CalicoVersion, Edition
from tierguard.loader.files import load_file
from tierguard.loader.nodes import LMap, LScalar, LSeq, Node
from tierguard.loader.yaml_source import DEFAULT_MAX_BYTES, DEFAULT_MAX_NODES, Limits

CONFIG_NAME = "tierguard.yaml"


class ConfigError(Exception):
    """tierguard.yaml is invalid: the run stops with exit 2 and these diagnostics."""

    def __init__(self, diagnostics: tuple[Diagnostic, ...]) -> None:
        super().__init__("; ".join(f"{d.span}: {d.code} {d.message}" for d in diagnostics))
        self.diagnostics = diagnostics


def find_config(start: Path) -> Path | None:
    """tierguard.yaml in `start` or an ancestor; the walk stops at the git root or filesystem root."""
    directory = start.resolve()
    while True:
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
        if (directory / ".git").exists() or directory.parent == directory:
            return None
        directory = directory.parent


def _git_root(start: Path) -> Path:
    directory = start.resolve()
    while not (directory / ".git").exists():
        if directory.parent == directory:
            return start.resolve()
        directory = directory.parent
    return directory


def _text(node: Node | None, default: str = "") -> str:
    if isinstance(node, LScalar) and node.value is not None and not isinstance(node.value, bool):
        return number_text(node)
    return default


def _int(node: Node | None, default: int) -> int:
    return node.value if isinstance(node, LScalar) and isinstance(node.value, int) else default


def _environment(node: LMap) -> Environment:
    name = _text(node.get("name"))
    return Environment(
        name=name,
        overlay=_text(node.get("overlay")).rstrip("/"),
        cluster=_text(node.get("cluster"), name),
        calico_version=CalicoVersion.parse(_text(node.get("calicoVersion"), str(DEFAULT_CALICO_VERSION))),
        edition=Edition(_text(node.get("edition"), Edition.OSS.value)),
        kubernetes_version=_text(node.get("kubernetesVersion"), DEFAULT_KUBERNETES_VERSION),
        flows=_text(node.get("flows")),
        inventory=_text(node.get("inventory")),
        flux=_text(node.get("flux"), f"clusters/{name}").rstrip("/"),
        vars=_text(node.get("vars")),
    )


def _build(root_node: LMap, path: Path) -> Config:
    environments = root_node.get("environments")
    loader = root_node.get("loader")
    defaults = root_node.get("defaults")
    validate = root_node.get("validate")
    limits = Limits(
        max_bytes=_int(loader.get("maxBytes"), DEFAULT_MAX_BYTES) if isinstance(loader, LMap) else DEFAULT_MAX_BYTES,
        max_nodes=_int(loader.get("maxNodes"), DEFAULT_MAX_NODES) if isinstance(loader, LMap) else DEFAULT_MAX_NODES)
    validate_paths: tuple[str, ...] = DEFAULT_VALIDATE_PATHS
    if isinstance(validate, LMap) and isinstance(validate.get("paths"), LSeq):
        listed = validate.get("paths")
        assert isinstance(listed, LSeq)
        validate_paths = tuple(_text(item) for item in listed)
    d = defaults if isinstance(defaults, LMap) else LMap((), root_node.span)
    return Config(
        root=path.parent,
        path=path,
        environments=tuple(_environment(e) for e in environments if isinstance(e, LMap))
        if isinstance(environments, LSeq) else (),
        limits=limits,
        validate_paths=validate_paths,
        kubernetes_version=_text(d.get("kubernetesVersion"), DEFAULT_KUBERNETES_VERSION),
        calico_version=CalicoVersion.parse(_text(d.get("calicoVersion"), str(DEFAULT_CALICO_VERSION))),
        edition=Edition(_text(d.get("edition"), Edition.OSS.value)),
        sections=tuple((key, value) for key in RAW_SECTIONS
                       if (value := root_node.get(key)) is not None),
    )


def _read(path: Path, display: str) -> LMap:
    loaded = load_file(path, display)
    problems = tuple(d for d in loaded.diagnostics if d.severity is Severity.ERROR)
    if problems:
        raise ConfigError(tuple(Diagnostic(codes.UNREADABLE, Severity.ERROR, f"{d.message} ({d.code})",
                                           d.span, hint=d.hint) for d in problems))
    if not loaded.documents:
        return LMap((), Span(display, 1, 1, 1, 1))
    if len(loaded.documents) > 1 or not isinstance(loaded.documents[0].root, LMap):
        raise ConfigError((Diagnostic(codes.UNREADABLE, Severity.ERROR,
                                      "tierguard.yaml must be one YAML mapping", Span(display, 1, 1, 1, 2)),))
    return loaded.documents[0].root


def load_config(explicit: Path | None = None, cwd: Path | None = None) -> Config:
    """The configuration for a run: `explicit` (-c), else the discovered file, else all defaults.

    Raises ConfigError (exit 2) for any schema problem, and FileNotFoundError for a missing -c file.
    """
    start = (cwd or Path.cwd()).resolve()
    path = explicit if explicit is not None else find_config(start)
    if path is None:
        return Config(root=_git_root(start))
    if not path.is_file():
        raise FileNotFoundError(f"configuration file {path} does not exist")
    root_node = _read(path, path.name if explicit is None else str(path))
    problems = tuple(check(CONFIG_SCHEMA, root_node))
    if problems:
        raise ConfigError(problems)
    return _build(root_node, path.resolve())
