"""Validation as one call: resources in, diagnostics out (schemas, models, then admission rules).

Reuse from other commands:
    settings = Settings.for_environment(config, env)         # or Settings.for_config(config)
    loaded = sources.load_environment(config, env)            # render + Flux substitution + load
    result = Validator(settings).validate(loaded.loaded.resources, repo_tiers(config))
    # result.checked holds each ResourceDoc with its typed model (Calico/K8s/admin/GitOps)
or simply `validate_environment(config, env)` / `validate_paths(config, [...])`.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tierguard import rules
from tierguard.config.model import Config, Environment
from tierguard.diagnostics import Diagnostic, sorted_diagnostics
from tierguard.engine.ir import CalicoVersion, Edition
from tierguard.loader.discovery import DiscoveryError
from tierguard.loader.gcpause import paused_gc
from tierguard.loader.kustomize import Which
from tierguard.loader.resources import ResourceDoc
from tierguard.loader.sourcemap import remap_all
from tierguard.loader.yaml_source import Limits
from tierguard.rules.context import RuleContext, builtin_tiers
from tierguard.selector import SelectorCache
from tierguard.validation.dispatch import Checked, check_resource
from tierguard.validation.k8s_schema import K8sSchemas
from tierguard.validation.sources import (
    Loaded,
    LoadedEnvironment,
    Runner,
    load_environment,
    load_paths,
)

CALICO_API_VERSION = "projectcalico.org/v3"


@dataclass(frozen=True, slots=True)
class Settings:
    """What validation depends on: the target versions and edition, and the loader limits."""

    kubernetes_version: str
    calico_version: CalicoVersion
    edition: Edition
    limits: Limits = Limits()

    @classmethod
    def for_config(cls, config: Config) -> Settings:
        """The settings of `defaults:` in tierguard.yaml."""
        return cls(config.kubernetes_version, config.calico_version, config.edition, config.limits)

    @classmethod
    def for_environment(cls, config: Config, environment: Environment) -> Settings:
        """The settings of one environment."""
        return cls(environment.kubernetes_version, environment.calico_version, environment.edition, config.limits)


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """Findings, and every checked object with its typed model."""

    diagnostics: tuple[Diagnostic, ...]
    checked: tuple[Checked, ...]
    inputs: int = 0  # files or streams read


def tiers_defined(resources: Iterable[ResourceDoc]) -> frozenset[str]:
    """Names of the Calico Tier objects among `resources`."""
    return frozenset(r.name for r in resources if r.kind == "Tier" and r.api_version == CALICO_API_VERSION and r.name)


def repo_tiers(config: Config) -> frozenset[str]:
    """Tiers defined anywhere under the repository's validate paths (tiers/ by default)."""
    existing = [p for p in config.validate_paths if (config.root / p).exists()]
    if not existing:
        return frozenset()
    try:
        loaded = load_paths(existing, config.root, config.root, config.limits)
    except DiscoveryError:
        return frozenset()
    return tiers_defined(loaded.resources)


def dedupe(diagnostics: Iterable[Diagnostic]) -> tuple[Diagnostic, ...]:
    """Sorted, each (code, place, message) once: a source file seen directly and through an overlay."""
    seen: set[tuple[object, ...]] = set()
    unique: list[Diagnostic] = []
    for diagnostic in sorted_diagnostics(diagnostics):
        key = (diagnostic.code, diagnostic.span, diagnostic.message)
        if key not in seen:
            seen.add(key)
            unique.append(diagnostic)
    return tuple(unique)


class Validator:
    """Validates resources for one set of settings; keeps its compiled schemas between calls."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.schemas = K8sSchemas(settings.kubernetes_version)

    def validate(self, resources: Sequence[ResourceDoc], extra_tiers: frozenset[str] = frozenset()) -> ValidationResult:
        """Schema-check every resource, then run the admission rules with the run's known tiers."""
        with paused_gc():
            return self._validate(resources, extra_tiers)

    def _validate(self, resources: Sequence[ResourceDoc], extra_tiers: frozenset[str]) -> ValidationResult:
        diagnostics: list[Diagnostic] = []
        checked: list[Checked] = []
        for resource in resources:
            result, problems = check_resource(resource, self.schemas)
            checked.append(result)
            diagnostics.extend(problems)
        known = builtin_tiers(self.settings.calico_version, self.settings.edition) | extra_tiers | tiers_defined(resources)
        selectors = SelectorCache()
        for item in checked:
            ctx = RuleContext(item.resource, item.model, self.settings.calico_version, self.settings.edition, known,
                              selectors)
            diagnostics.extend(rules.run_all(ctx))
        return ValidationResult(tuple(diagnostics), tuple(checked))


def validate_loaded(loaded: Loaded, settings: Settings, extra_tiers: frozenset[str] = frozenset()) -> ValidationResult:
    """Validate already-loaded resources; loader diagnostics come first."""
    result = Validator(settings).validate(loaded.resources, extra_tiers)
    return ValidationResult(loaded.diagnostics + result.diagnostics, result.checked, loaded.inputs)


def validate_paths(config: Config, arguments: Sequence[str], cwd: Path, settings: Settings | None = None,
                   skip: frozenset[Path] = frozenset()) -> ValidationResult:
    """Validate files, directories and globs (DiscoveryError for a path that names nothing)."""
    loaded = load_paths(arguments, cwd, config.root, config.limits, skip)
    return validate_loaded(loaded, settings or Settings.for_config(config), repo_tiers(config))


def validate_environment(config: Config, environment: Environment, which: Which = shutil.which,
                         run: Runner = subprocess.run) -> tuple[LoadedEnvironment, ValidationResult]:
    """Render an environment like Flux, validate it, and point diagnostics at source files when unambiguous."""
    loaded = load_environment(config, environment, which, run)
    result = validate_loaded(loaded.loaded, Settings.for_environment(config, environment), repo_tiers(config))
    remapped = remap_all(result.diagnostics, loaded.loaded.resources, loaded.sources)
    return loaded, ValidationResult(tuple(remapped), result.checked, result.inputs)
