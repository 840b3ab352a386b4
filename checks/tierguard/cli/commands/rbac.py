"""`tierguard rbac can-i | who-can | matrix | flux-check`: tier-aware RBAC from the command line.

`can-i` behaves like `kubectl auth can-i` (prints yes/no, exit 0/1) but evaluates Calico tier
grants too and reads RBAC objects from files instead of a cluster.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tierguard.diagnostics import Diagnostic, ExitCode, Severity, exit_code_for, sorted_diagnostics
from tierguard.engine.ir import CalicoVersion, Edition
from tierguard.loader.nodes import Document, LMap
from tierguard.loader.yaml_source import decode_source, load_yaml_text
from tierguard.model.rbac import rbac_set_from_documents
from tierguard.rbac import render
from tierguard.rbac.authorizer import RbacIndex, Request, build_index
from tierguard.rbac.changes import SourcedResource
from tierguard.rbac.flux import KustomizationId, check_flux_tenants
from tierguard.rbac.identity import impersonate
from tierguard.rbac.matrix import known_tiers, tier_matrix
from tierguard.rbac.resources import ResourceArg, parse_resource_arg
from tierguard.rbac.tiers import CalicoSettings, TierRbacMode, decide, gettable_tiers
from tierguard.rbac.who_can import who_can

NAME = "rbac"
HELP = "Tier-aware RBAC: can-i, who-can, the tier access matrix and Flux tenant checks."
DEFAULT_RBAC_PATHS = ("tiers",)
_YAML_SUFFIXES = (".yaml", ".yml")


def _usage_error(message: str) -> Exception:
    from tierguard.cli.main import UsageError  # imported late: main imports this module
    return UsageError(message)


def _add_sources(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rbac", action="append", default=[], metavar="PATH",
                        help="file or directory of RBAC YAML (repeatable; default: tiers/)")
    parser.add_argument("--calico-version", default="3.32", help="Calico version whose rules apply (default 3.32)")
    parser.add_argument("--calico-edition", choices=[e.value for e in Edition], default=Edition.OSS.value)
    parser.add_argument("--calico-mode", choices=[m.value for m in TierRbacMode],
                        default=TierRbacMode.API_SERVER.value,
                        help="apiserver (Calico API server) or crd (3.32+ native CRDs with the tier webhook)")


def _add_request(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("verb", help="e.g. create, get, list, *")
    parser.add_argument("resource", help="resource[.group][/subresource], or a non-resource URL starting with /")
    parser.add_argument("name", nargs="?", default="", help="resource name")
    parser.add_argument("--subresource", default="", help="subresource (same as RESOURCE/SUBRESOURCE)")
    parser.add_argument("-n", "--namespace", default="", help="namespace (default: cluster scope / all namespaces)")
    parser.add_argument("-A", "--all-namespaces", action="store_true", help="all namespaces (same as no -n)")
    parser.add_argument("--tier", action="append", default=[],
                        help="tier of a tiered policy (repeat for a tier move; default: derived from the name)")


def configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="rbac_command", metavar="SUBCOMMAND")
    sub.required = True
    can = sub.add_parser("can-i", help="may USER do VERB on RESOURCE? prints yes or no (exit 0 or 1)")
    _add_request(can)
    can.add_argument("--as", dest="as_user", required=True, metavar="USER",
                     help="user to check; system:serviceaccount:NS:NAME for a service account")
    can.add_argument("--as-group", action="append", default=[], metavar="GROUP", help="group (repeatable)")
    can.add_argument("--explain", action="store_true", help="name the granting or missing rules")
    can.add_argument("-q", "--quiet", action="store_true", help="print nothing; only the exit code answers")
    _add_sources(can)
    who = sub.add_parser("who-can", help="which subjects of the loaded bindings may do VERB on RESOURCE")
    _add_request(who)
    _add_sources(who)
    matrix = sub.add_parser("matrix", help="subject x tier x namespace: who may create/update/delete policies")
    matrix.add_argument("--format", choices=["text", "markdown"], default="text")
    matrix.add_argument("--tier", action="append", default=[], help="only these tiers (repeatable)")
    _add_sources(matrix)
    flux = sub.add_parser("flux-check", help="may each Flux Kustomization's service account apply its path?")
    flux.add_argument("--kustomizations", action="append", default=[], metavar="PATH", required=True,
                      help="file or directory holding the Flux Kustomization objects")
    flux.add_argument("--rendered", action="append", default=[], metavar="NS/NAME=PATH",
                      help="already-rendered output of Kustomization NS/NAME (repeatable)")
    flux.add_argument("--default-service-account", default="",
                      help="the controller's --default-service-account, for Kustomizations without one")
    _add_sources(flux)


@dataclass(frozen=True, slots=True)
class _Loaded:
    documents: tuple[Document, ...]
    diagnostics: tuple[Diagnostic, ...]


def _yaml_files(argument: str) -> list[Path]:
    path = Path(argument)
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in _YAML_SUFFIXES)
    if path.is_file():
        return [path]
    raise _usage_error(f"no such file or directory: {argument}")


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _load(arguments: Iterable[str]) -> _Loaded:
    documents: list[Document] = []
    diagnostics: list[Diagnostic] = []
    for argument in arguments:
        for path in _yaml_files(argument):
            name = _display(path)
            try:
                data = path.read_bytes()
            except OSError as error:
                raise _usage_error(f"cannot read {name}: {error.strerror or error}") from None
            text, problem = decode_source(data, name)
            if text is None:
                diagnostics.extend([problem] if problem else [])
                continue
            result = load_yaml_text(text, name)
            documents.extend(result.documents)
            diagnostics.extend(result.diagnostics)
    return _Loaded(tuple(documents), tuple(diagnostics))


def _settings(args: argparse.Namespace) -> CalicoSettings:
    try:
        version = CalicoVersion.parse(args.calico_version)
    except ValueError as error:
        raise _usage_error(str(error)) from None
    settings = CalicoSettings(version, Edition(args.calico_edition), TierRbacMode(args.calico_mode))
    if settings.mode is TierRbacMode.CRD_WEBHOOK and (settings.edition is Edition.ENTERPRISE
                                                      or version < CalicoVersion(3, 32)):
        raise _usage_error("--calico-mode crd needs Calico OSS 3.32 or later (the tier-RBAC webhook)")
    return settings


def _tier_names(documents: Iterable[Document]) -> list[str]:
    names: list[str] = []
    for document in documents:
        root = document.root
        if isinstance(root, LMap) and root.get("kind") is not None:
            plain = root.to_plain()
            meta = plain.get("metadata")
            if (plain.get("kind") == "Tier" and str(plain.get("apiVersion", "")).startswith("projectcalico.org/")
                    and isinstance(meta, dict) and isinstance(meta.get("name"), str)):
                names.append(meta["name"])
    return names


def _format(diagnostic: Diagnostic) -> str:
    where = f"{diagnostic.span}: " if diagnostic.span else ""
    hint = f" (hint: {diagnostic.hint})" if diagnostic.hint else ""
    return f"{where}{diagnostic.code} {diagnostic.severity.value}: {diagnostic.message}{hint}"


def _load_rbac(args: argparse.Namespace) -> tuple[RbacIndex, list[str]]:
    """Index the RBAC objects; problems go to stderr (stdout carries the answer)."""
    loaded = _load(args.rbac or DEFAULT_RBAC_PATHS)
    rbac, model_diagnostics = rbac_set_from_documents(loaded.documents)
    index = build_index(rbac)
    problems = [*loaded.diagnostics, *model_diagnostics, *index.diagnostics]
    for diagnostic in sorted_diagnostics(problems):
        if diagnostic.severity is not Severity.NOTE:
            print(_format(diagnostic), file=sys.stderr)
    return index, _tier_names(loaded.documents)


def _request(args: argparse.Namespace, user: str, groups: Sequence[str]) -> Request:
    try:
        target = parse_resource_arg(args.resource)
    except ValueError as error:
        raise _usage_error(str(error)) from None
    identity = impersonate(user, groups)
    if args.subresource:
        if target.subresource or not target.is_resource:
            raise _usage_error("--subresource needs a RESOURCE without /SUBRESOURCE")
        target = ResourceArg(target.resource, target.api_group, args.subresource)
    if not target.is_resource:
        if args.name:
            # A URL has no resource name; dropping NAME silently would answer another question
            # (kubectl: "NonResourceURL and ResourceName can not specified together").
            raise _usage_error(f"a non-resource URL takes no NAME (got {args.name!r})")
        return Request(identity, args.verb, path=target.path, resource_request=False)
    namespace = "" if args.all_namespaces else args.namespace
    return Request(identity, args.verb, target.resource, target.api_group, target.subresource,
                   args.name, namespace)


def _can_i(args: argparse.Namespace) -> int:
    settings = _settings(args)
    request = _request(args, args.as_user, args.as_group)
    index, tier_objects = _load_rbac(args)
    decision = decide(index, request, settings, args.tier)
    if not args.quiet:
        print("yes" if decision.allowed else "no")
        if args.explain:
            for line in render.explain(decision, index):
                print(line)
            if decision.notes and request.verb in ("list", "watch") and not args.tier:
                visible = gettable_tiers(index, request.user, known_tiers(index, tier_objects))
                print(f"note: tiers visible to the user: {', '.join(visible) or 'none'}")
    return int(ExitCode.CLEAN if decision.allowed else ExitCode.FINDINGS)


def _who_can(args: argparse.Namespace) -> int:
    settings = _settings(args)
    request = _request(args, "", ())
    index, _ = _load_rbac(args)
    for line in render.who_can_table(who_can(index, request, settings, args.tier)):
        print(line)
    return int(ExitCode.CLEAN)


def _matrix(args: argparse.Namespace) -> int:
    settings = _settings(args)
    index, tier_objects = _load_rbac(args)
    tiers = args.tier or known_tiers(index, tier_objects)
    rows = tier_matrix(index, settings, tiers)
    lines = render.matrix_markdown(rows) if args.format == "markdown" else render.matrix_text(rows)
    for line in lines:
        print(line)
    return int(ExitCode.CLEAN)


def _sourced(documents: Iterable[Document]) -> list[SourcedResource]:
    return [SourcedResource(d.root.to_plain(), d.root.span) for d in documents if isinstance(d.root, LMap)]


def _flux_check(args: argparse.Namespace) -> int:
    settings = _settings(args)
    index, _ = _load_rbac(args)
    kustomizations = _load(args.kustomizations)
    rendered: dict[KustomizationId, list[SourcedResource]] = {}
    problems = list(kustomizations.diagnostics)
    for entry in args.rendered:
        target, sep, path = entry.partition("=")
        namespace, slash, name = target.partition("/")
        if not sep or not slash or not namespace or not name or not path:
            raise _usage_error(f"--rendered takes NS/NAME=PATH, got {entry!r}")
        loaded = _load([path])
        problems.extend(loaded.diagnostics)
        rendered.setdefault(KustomizationId(namespace, name), []).extend(_sourced(loaded.documents))
    problems.extend(check_flux_tenants(_sourced(kustomizations.documents), rendered, index, settings,
                                       args.default_service_account))
    for diagnostic in sorted_diagnostics(problems):
        print(_format(diagnostic))
    return int(exit_code_for(problems))


def run(args: argparse.Namespace) -> int:
    handlers = {"can-i": _can_i, "who-can": _who_can, "matrix": _matrix, "flux-check": _flux_check}
    return handlers[args.rbac_command](args)
