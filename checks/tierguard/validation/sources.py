"""Where resources come from: files and directories, a stream (stdin), or an environment's overlay
rendered by kustomize and substituted like Flux's post-build step.

These functions are the reusable entry points for every command that needs an environment's
objects (validate, simulate, review, rbac): `load_paths`, `load_stream`, `load_environment`.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tierguard.config.model import Config, Environment
from tierguard.diagnostics import Diagnostic
from tierguard.loader import paths
from tierguard.loader.discovery import discover
from tierguard.loader.envsubst import VAR_NAME, substitute_stream
from tierguard.loader.files import display_name, load_file
from tierguard.loader.kustomize import Which, render_overlay
from tierguard.loader.nodes import LMap, LScalar
from tierguard.loader.resources import ResourceDoc, extract_resources
from tierguard.loader.sourcemap import SourceIndex, kustomization_sources
from tierguard.loader.yaml_source import Limits, load_yaml_text
from tierguard.model import gitops

# Files that are YAML but not cluster objects: their syntax is checked, their content is not.
NON_RESOURCE_FILES = frozenset({"kustomization.yaml", "kustomization.yml", "Kustomization",
                                "kustomizeconfig.yaml", "tierguard.yaml", ".pre-commit-config.yaml",
                                ".pre-commit-hooks.yaml"})

Runner = Callable[..., "subprocess.CompletedProcess[str]"]


@dataclass(frozen=True, slots=True)
class Loaded:
    """Resources from some source, the loader diagnostics, and how many files/streams were read."""

    resources: tuple[ResourceDoc, ...]
    diagnostics: tuple[Diagnostic, ...]
    inputs: int = 0


@dataclass(frozen=True, slots=True)
class LoadedEnvironment:
    """One environment as Flux would apply it: rendered, substituted, loaded, with a source index."""

    environment: Environment
    stream_name: str
    text: str | None
    loaded: Loaded
    sources: SourceIndex = field(default_factory=lambda: SourceIndex({}, {}))
    variables: tuple[tuple[str, str], ...] = ()


def load_paths(arguments: Sequence[str], cwd: Path, root: Path, limits: Limits = Limits(),
               skip: frozenset[Path] = frozenset()) -> Loaded:
    """Discover and load files (raises loader.discovery.DiscoveryError for a path naming nothing)."""
    resources: list[ResourceDoc] = []
    diagnostics: list[Diagnostic] = []
    files = discover(arguments, cwd)
    for path in files:
        loaded = load_file(path, display_name(path, root), limits)
        diagnostics.extend(loaded.diagnostics)
        if path.name in NON_RESOURCE_FILES or path.resolve() in skip:
            continue
        extracted = extract_resources(loaded.documents)
        resources.extend(extracted.resources)
        diagnostics.extend(extracted.diagnostics)
    return Loaded(tuple(resources), tuple(diagnostics), len(files))


def load_stream(text: str, name: str, limits: Limits = Limits()) -> Loaded:
    """Load a YAML stream such as `kubectl kustomize` output read from stdin."""
    loaded = load_yaml_text(text, name, limits)
    extracted = extract_resources(loaded.documents)
    return Loaded(extracted.resources, loaded.diagnostics + extracted.diagnostics, 1)


def _normal(path: str) -> str:
    return Path(path.strip().removeprefix("./") or ".").as_posix().rstrip("/")


def _flux_objects(config: Config, environment: Environment) -> Loaded:
    directory = config.root / environment.flux
    if not directory.is_dir():
        return Loaded((), ())
    return load_paths([str(directory)], config.root, config.root, config.limits)


def _config_map_data(resource: ResourceDoc) -> dict[str, str]:
    data = resource.root.get("data")
    if not isinstance(data, LMap):
        return {}
    return {str(k.value): str(v.value) for k, v in data.entries if isinstance(v, LScalar) and v.value is not None}


def _vars_file(config: Config, environment: Environment) -> tuple[dict[str, str], list[Diagnostic]]:
    if not environment.vars:
        return {}, []
    path = config.root / environment.vars
    loaded = load_file(path, display_name(path, config.root), config.limits)
    values: dict[str, str] = {}
    for document in loaded.documents:
        root = document.root
        data = root.get("data") if isinstance(root, LMap) else None
        if isinstance(root, LMap) and isinstance(data, LMap) and root.get("kind") is not None:
            root = data  # a ConfigMap: its data holds the variables
        if isinstance(root, LMap):
            values.update({str(k.value): str(v.value) for k, v in root.entries
                           if isinstance(v, LScalar) and v.value is not None})
    return values, list(loaded.diagnostics)


def _covers(flux_path: str, overlay: str) -> bool:
    """True when a Flux Kustomization's path and the environment's overlay render common objects."""
    a, b = _normal(flux_path), _normal(overlay)
    return a == b or a.startswith(b + "/") or b.startswith(a + "/")


def environment_variables(config: Config, environment: Environment) -> tuple[dict[str, str], list[Diagnostic]]:
    """The post-build variables Flux would use for the environment's overlay.

    From every Flux Kustomization under `environment.flux` whose spec.path is the overlay, inside
    it, or contains it: its postBuild.substitute, plus the data of the ConfigMaps named in
    substituteFrom when they are in the repository; then the optional `vars` file of tierguard.yaml
    (it wins, as a local stand-in for cluster-side ConfigMaps and Secrets). Names Flux would refuse
    (not matching its variable-name pattern) are dropped.
    """
    flux = _flux_objects(config, environment)
    diagnostics = list(flux.diagnostics)
    config_maps = {(r.namespace, r.name): r for r in flux.resources if r.kind == "ConfigMap"}
    values: dict[str, str] = {}
    for resource in flux.resources:
        if not gitops.is_gitops(resource) or resource.kind != "Kustomization":
            continue
        model, _ = gitops.build_gitops(resource)
        if not isinstance(model, gitops.FluxKustomization) or not _covers(model.path, environment.overlay):
            continue
        for ref in model.substitute_from:
            source = config_maps.get((model.namespace, ref.name))
            if ref.kind == "ConfigMap" and source is not None:
                values.update(_config_map_data(source))
        values.update(dict(model.substitute or ()))
    extra, problems = _vars_file(config, environment)
    diagnostics.extend(problems)
    values.update(extra)
    return {k: v for k, v in values.items() if VAR_NAME.match(k)}, diagnostics


def _attach(diagnostic: Diagnostic, resources: Sequence[ResourceDoc]) -> Diagnostic:
    """Give a stream-positioned diagnostic (an unset variable) its object and field path."""
    span = diagnostic.span
    if span is None or diagnostic.resource is not None:
        return diagnostic
    for resource in resources:
        path = paths.path_at(resource.root, span.line, span.col)
        if path is not None:
            return dataclasses.replace(diagnostic, resource=resource.ref, field_path=resource.field(path))
    return diagnostic


def load_environment(config: Config, environment: Environment, which: Which = shutil.which,
                     run: Runner = subprocess.run, with_sources: bool = True) -> LoadedEnvironment:
    """Render, substitute and load one environment's overlay.

    Raises loader.kustomize.RendererMissing (exit 2) when neither kustomize nor kubectl exists.
    """
    overlay = config.root / environment.overlay
    rendered = render_overlay(overlay, environment.overlay, which, run)
    if rendered.text is None:
        return LoadedEnvironment(environment, rendered.stream_name, None, Loaded((), rendered.diagnostics, 1))
    # Always strict, even when nothing defines variables: Flux would then apply `${VAR}` verbatim,
    # which is just as wrong as an unset variable, so both are reported (YML011).
    variables, problems = environment_variables(config, environment)
    substituted = substitute_stream(rendered.text, rendered.stream_name, variables)
    text = substituted.text
    problems.extend(substituted.diagnostics)
    loaded = load_stream(text, rendered.stream_name, config.limits)
    problems = [_attach(problem, loaded.resources) for problem in problems]
    index = SourceIndex.build(kustomization_sources(overlay, config.limits), config.root, config.limits) \
        if with_sources else SourceIndex({}, {})
    return LoadedEnvironment(environment, rendered.stream_name, text,
                             Loaded(loaded.resources, tuple(problems) + loaded.diagnostics, 1), index,
                             tuple(sorted(variables.items())))
