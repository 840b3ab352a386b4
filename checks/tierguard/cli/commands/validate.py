"""`tierguard validate [PATH...] [--env NAME]`: load, schema-check and admission-check resources.

With PATHs, validates those files, directories and globs (`-` reads a stream from stdin, e.g.
`kubectl kustomize overlays/dev | tierguard validate -`). With --env, renders that environment's
overlay like Flux (kustomize, then post-build substitution). With neither, validates every
environment of tierguard.yaml plus the repository's `validate.paths` (tiers/, policies/,
clusters/, argocd/ by default).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tierguard import catalog, lint
from tierguard.cli.errors import UsageError
from tierguard.config import Config, ConfigError, load_config
from tierguard.config.model import Environment
from tierguard.diagnostics import Diagnostic, ExitCode, Severity, exit_code_for
from tierguard.lint.environment import lint_environment, lint_resources
from tierguard.loader.discovery import DiscoveryError
from tierguard.loader.gcpause import paused_gc
from tierguard.loader.kustomize import RendererMissing
from tierguard.loader.sourcemap import remap_all
from tierguard.report import formatters
from tierguard.report import get as get_formatter
from tierguard.report import text as text_format
from tierguard.report.run import RunResult
from tierguard.suppress import Suppressed, Waiver, apply_waivers, waivers_of
from tierguard.validation.pipeline import (
    Settings,
    ValidationResult,
    dedupe,
    repo_tiers,
    validate_environment,
    validate_loaded,
    validate_paths,
)
from tierguard.validation.sources import LoadedEnvironment, load_stream

NAME = "validate"
HELP = "Validate policy files, or an environment's rendered overlay, with file:line diagnostics."
STDIN_NAME = "<stdin>"


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """The shared output flags (-f/--format, -o/--output-file, --fail-on, --exit-zero)."""
    parser.add_argument("-f", "--format", default="auto", choices=["auto", *sorted(formatters())],
                        help="output format (auto: github inside GitHub Actions, else text)")
    parser.add_argument("-o", "--output-file", type=Path, help="write the report here instead of stdout")
    parser.add_argument("--fail-on", default="error", choices=[s.value for s in Severity],
                        help="lowest severity that makes the exit code 1 (default: error)")
    parser.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    parser.add_argument("--show-suppressed", action="store_true",
                        help="list findings waived by tierguard.io/ignore (text format; else only counted)")


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH", help="files, directories or globs; '-' for stdin")
    parser.add_argument("--env", action="append", default=[], metavar="NAME",
                        help="validate this environment's rendered overlay (repeatable)")
    parser.add_argument("-c", "--config", type=Path, help="tierguard.yaml to use instead of discovering one")
    add_output_options(parser)


def load_run_config(path: Path | None) -> Config:
    """The run's Config; config problems are printed as diagnostics and raise UsageError (exit 2)."""
    try:
        return load_config(path, Path.cwd())
    except FileNotFoundError as error:
        raise UsageError(str(error)) from error
    except ConfigError as error:
        sys.stderr.write(text_format.render(RunResult(error.diagnostics, Path.cwd(), catalog.all_codes())))
        raise UsageError("invalid configuration (see the CFG diagnostics above)") from error


def _environments(config: Config, names: list[str]) -> list[Environment]:
    try:
        return [config.environment(name) for name in names]
    except KeyError as error:
        raise UsageError(str(error.args[0])) from error


def _skipped_files(config: Config) -> frozenset[Path]:
    """Per-environment vars files are substitution input, not cluster objects."""
    return frozenset((config.root / e.vars).resolve() for e in config.environments if e.vars)


@dataclass(slots=True)
class _Tally:
    """What a run looked at, for the summary line, and what it found."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    waivers: list[Waiver] = field(default_factory=list)
    environments: int = 0
    inventories: int = 0  # environments whose inventory lints ran
    files: int = 0
    objects: int = 0

    def add(self, result: ValidationResult, *, environment: bool = False,
            relocate: Callable[[Sequence[Diagnostic]], list[Diagnostic]] = list) -> None:
        """Count one validation result in, with the waivers of its objects (`relocate`: to source lines)."""
        self.diagnostics.extend(result.diagnostics)
        parsed = waivers_of((c.resource for c in result.checked), catalog.all_codes())
        self.diagnostics.extend(relocate(parsed.diagnostics))
        self.waivers.extend(_relocated(parsed.waivers, relocate))
        self.objects += len(result.checked)
        if environment:
            self.environments += 1
        else:
            self.files += result.inputs


def _relocated(waivers: Sequence[Waiver], relocate: Callable[[Sequence[Diagnostic]], list[Diagnostic]]) -> list[Waiver]:
    """Waivers read from a rendered overlay, moved to their source lines like its findings are."""
    probes = [Diagnostic(w.code, Severity.NOTE, "", w.span, w.resource, w.field_path) for w in waivers]
    return [dataclasses.replace(w, span=p.span or w.span) for w, p in zip(waivers, relocate(probes), strict=True)]


def _to_sources(loaded: LoadedEnvironment) -> Callable[[Sequence[Diagnostic]], list[Diagnostic]]:
    return lambda diagnostics: remap_all(diagnostics, loaded.loaded.resources, loaded.sources)


def _with_lints(result: ValidationResult, settings: Settings) -> ValidationResult:
    """The lints that need no inventory (LNT9xx), added to a file or stream validation."""
    lints = lint_resources(result.checked, settings.calico_version, settings.edition)
    return dataclasses.replace(result, diagnostics=result.diagnostics + tuple(lints))


def _validate_files(config: Config, paths: list[str], settings: Settings, tally: _Tally) -> None:
    files = [p for p in paths if p != "-"]
    if "-" in paths:
        # Never read more than the limit (plus one, to know it was exceeded): YML004 follows.
        loaded = load_stream(sys.stdin.read(config.limits.max_bytes + 1), STDIN_NAME, config.limits)
        tally.add(_with_lints(validate_loaded(loaded, settings, repo_tiers(config)), settings))
    if files:
        result = validate_paths(config, files, Path.cwd(), settings, _skipped_files(config))
        tally.add(_with_lints(result, settings))


def _validate_environments(config: Config, environments: list[Environment], tally: _Tally) -> None:
    for environment in environments:
        loaded, result = validate_environment(config, environment)
        # The lints, with the environment's recorded inventory when it has one (LNT9xx).
        lints = lint_environment(config, environment, loaded, result.checked)
        tally.add(dataclasses.replace(result, diagnostics=result.diagnostics + tuple(lints)), environment=True,
                  relocate=_to_sources(loaded))
        if environment.inventory and (config.root / environment.inventory).exists():
            tally.inventories += 1


def _default_run(config: Config, tally: _Tally) -> None:
    existing = [str(config.root / p) for p in config.validate_paths if (config.root / p).exists()]
    if not existing and not config.environments:
        raise UsageError("nothing to validate: no PATH given, no environments in tierguard.yaml, and none of "
                         f"{', '.join(config.validate_paths)} exists under {config.root}")
    _validate_environments(config, list(config.environments), tally)
    if existing:
        settings = Settings.for_config(config)
        tally.add(_with_lints(validate_paths(config, existing, config.root, settings, _skipped_files(config)),
                              settings))


def collect(args: argparse.Namespace, config: Config) -> _Tally:
    """Validate what the arguments name; usage problems raise UsageError (exit 2)."""
    environments = _environments(config, args.env)
    tally = _Tally()
    try:
        if args.paths:
            settings = Settings.for_environment(config, environments[0]) if environments else Settings.for_config(config)
            _validate_files(config, args.paths, settings, tally)
        elif environments:
            _validate_environments(config, environments, tally)
        else:
            _default_run(config, tally)
    except DiscoveryError as error:
        raise UsageError(str(error)) from error
    except RendererMissing as error:
        raise UsageError(str(error)) from error
    return tally


def format_name(requested: str) -> str:
    """The formatter for --format (auto: github inside GitHub Actions, else text)."""
    if requested != "auto":
        return requested
    return "github" if os.environ.get("GITHUB_ACTIONS") == "true" else "text"


def docs_base() -> str:
    """Inside GitHub Actions, the repository's files at the analysed commit; else "" (local file URIs)."""
    server, repository, sha = (os.environ.get(k, "") for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_SHA"))
    return f"{server}/{repository}/blob/{sha}/" if server and repository and sha else ""


def emit(diagnostics: tuple[Diagnostic, ...], args: argparse.Namespace, root: Path, scope: str = "",
         suppressed: tuple[Suppressed, ...] = ()) -> None:
    """Render with the chosen formatter to stdout or --output-file, and a one-line summary to stderr."""
    formatter = get_formatter(format_name(args.format))
    output = formatter.render(RunResult(diagnostics, root, catalog.all_codes(), docs_base=docs_base(),
                                        suppressed=suppressed, show_suppressed=args.show_suppressed))
    if args.output_file is not None:
        try:
            args.output_file.write_text(output, encoding="utf-8")
        except OSError as error:
            raise UsageError(f"cannot write {args.output_file}: {error.strerror}") from error
    else:
        sys.stdout.write(output)
    counts = {s: sum(1 for d in diagnostics if d.severity is s) for s in Severity}
    sys.stderr.write(f"tierguard validate: {scope}{counts[Severity.ERROR]} error(s), "
                     f"{counts[Severity.WARNING]} warning(s), {counts[Severity.NOTE]} note(s)"
                     f"{f', {len(suppressed)} suppressed' if suppressed else ''}\n")


def _not_run(tally: _Tally) -> frozenset[str]:
    """Codes no check of this run could report: waivers for them are not flagged as unused."""
    if tally.inventories:
        return frozenset()
    return frozenset(code for code, module in lint.table().items() if module.NEEDS_INVENTORY)


def run(args: argparse.Namespace) -> int:
    config = load_run_config(args.config)
    with paused_gc():  # one short-lived run builds only acyclic trees; see loader.gcpause
        tally = collect(args, config)
    # Waived findings are split off here, once: only the reported ones can fail the run.
    waived = apply_waivers(dedupe(tally.diagnostics), tally.waivers, _not_run(tally))
    diagnostics = dedupe(waived.diagnostics)
    scope = (f"{tally.environments} environment(s) rendered, {tally.files} file(s), "
             f"{tally.objects} object(s) checked: ")
    emit(diagnostics, args, config.root, scope, waived.suppressed)
    if args.exit_zero:
        return int(ExitCode.CLEAN)
    return int(exit_code_for(diagnostics, Severity(args.fail_on)))
