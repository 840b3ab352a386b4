"""The typed, frozen view of tierguard.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tierguard.engine.ir import CalicoVersion, Edition
from tierguard.loader.nodes import Node
from tierguard.loader.yaml_source import Limits

DEFAULT_KUBERNETES_VERSION = "1.32"
DEFAULT_CALICO_VERSION = CalicoVersion(3, 32)
# What `tierguard validate` checks with no PATH and no --env, besides every environment's overlay.
DEFAULT_VALIDATE_PATHS = ("tiers", "policies", "clusters", "argocd")


@dataclass(frozen=True, slots=True)
class Environment:
    """One cluster the repository deploys to. Paths are relative to the repository root."""

    name: str
    overlay: str
    cluster: str
    calico_version: CalicoVersion
    edition: Edition = Edition.OSS
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    flows: str = ""
    inventory: str = ""
    # Directory holding the environment's Flux Kustomizations (postBuild.substitute is read there).
    flux: str = ""
    # Optional YAML file of extra substitution variables (a flat mapping or a ConfigMap's data).
    vars: str = ""


@dataclass(frozen=True, slots=True)
class Config:
    """Everything tierguard.yaml says. `path` is None when no file was found (all defaults)."""

    root: Path
    path: Path | None = None
    environments: tuple[Environment, ...] = ()
    limits: Limits = Limits()
    validate_paths: tuple[str, ...] = DEFAULT_VALIDATE_PATHS
    kubernetes_version: str = DEFAULT_KUBERNETES_VERSION
    calico_version: CalicoVersion = DEFAULT_CALICO_VERSION
    edition: Edition = Edition.OSS
    # Sections later features own; kept as located nodes so they can report file:line problems.
    sections: tuple[tuple[str, Node], ...] = field(default=())

    def environment(self, name: str) -> Environment:
        """The environment called `name`; raises KeyError listing the known names."""
        for environment in self.environments:
            if environment.name == name:
                return environment
        known = ", ".join(e.name for e in self.environments) or "none configured"
        raise KeyError(f"no environment named {name!r} in tierguard.yaml (known: {known})")

    def section(self, name: str) -> Node | None:
        """A raw section such as `identities` or `acknowledged`, or None."""
        for key, node in self.sections:
            if key == name:
                return node
        return None
