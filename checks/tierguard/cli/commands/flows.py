"""`tierguard flows import|summary|export`: the recorded-flow store (docs/flow-store.md)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from tierguard.cli.errors import UsageError
from tierguard.config.model import Environment
from tierguard.diagnostics import Diagnostic, Severity, exit_code_for, sorted_diagnostics
from tierguard.flows.export import write_enterprise
from tierguard.flows.model import FlowError, FlowRecord, SourceFormat
from tierguard.flows.read import read_flows
from tierguard.flows.readers.base import ReadOptions
from tierguard.flows.resolve import Resolver, Snapshot
from tierguard.flows.source import InputError
from tierguard.flows.store import (
    FlowStore,
    ImportReport,
    StoreError,
    StoreSummary,
    Talker,
    open_store,
)

NAME = "flows"
HELP = "Import recorded flow logs into the flow store, summarise it, or export normalized flows."
FORMATS = tuple(f.value for f in SourceFormat if f is not SourceFormat.STORE)


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="flows_action", metavar="ACTION")
    actions.required = True
    importer = actions.add_parser("import", help="import flow-log files into the store")
    importer.add_argument("inputs", nargs="+", metavar="FILE",
                          help="flow-log files, globs (quote them) or - for stdin; gzip is read")
    _store_arguments(importer)
    _reader_arguments(importer)
    importer.add_argument("--inventory", action="append", default=[], metavar="FILE[@TIME]",
                          help="inventory snapshot for resolving IP-only records; repeat with "
                               "@RFC3339 times for time-aware resolution")
    importer.add_argument("--retention-days", type=float, metavar="N",
                          help="drop flows older than N days before the newest flow")
    importer.add_argument("--no-fast-path", action="store_true",
                          help="read Calico Enterprise files with the Python reader only")
    importer.add_argument("--progress", choices=("auto", "always", "never"), default="auto",
                          help="progress bar on stderr (auto: when stderr is a terminal)")
    summary = actions.add_parser("summary", help="top talkers, denied flows, unresolved IPs, "
                                                 "time coverage")
    _store_arguments(summary)
    summary.add_argument("--top", type=int, default=10, metavar="N")
    summary.add_argument("--output", choices=("table", "json"), default="table")
    export = actions.add_parser("export", help="normalized JSON lines (Calico Enterprise shape) "
                                               "that `simulate --flows` reads")
    export.add_argument("inputs", nargs="*", metavar="FILE",
                        help="flow-log files to normalize instead of the store")
    _store_arguments(export)
    _reader_arguments(export)
    export.add_argument("--output-file", "-o", metavar="FILE", help="default: stdout")


def _store_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="PATH",
                        help="store file (.duckdb), or s3://bucket/key to read one")
    parser.add_argument("--env", metavar="NAME", help="use the environment's `flows` store "
                                                      "from tierguard.yaml")
    parser.add_argument("--config", "-c", metavar="FILE", help="tierguard.yaml to use")


def _reader_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, help="skip content detection")
    parser.add_argument("--vpc-fields", metavar="SPEC",
                        help="VPC Flow Logs custom format, e.g. '${version} ${srcaddr} ...'")


def run(args: argparse.Namespace) -> int:
    action = {"import": _import, "summary": _summary, "export": _export}[args.flows_action]
    try:
        return action(args)
    except (StoreError, InputError) as exc:
        raise UsageError(str(exc)) from None


# -- store location -----------------------------------------------------------------------------


def store_location(args: argparse.Namespace) -> str:
    """--store, else the `flows` entry of --env in tierguard.yaml (relative to its root)."""
    if args.store:
        return str(args.store)
    if not args.env:
        raise UsageError("give --store PATH or --env NAME (an environment with `flows:` in "
                         "tierguard.yaml)")
    root, environment = _environment(args)
    if not environment.flows:
        raise UsageError(f"environment {args.env!r} has no `flows:` store in tierguard.yaml")
    if environment.flows.startswith("s3://"):
        return environment.flows
    return str(root / environment.flows)


def _environment(args: argparse.Namespace) -> tuple[Path, Environment]:
    from tierguard.config.load import ConfigError, load_config

    try:
        config = load_config(Path(args.config) if args.config else None)
        return config.root, config.environment(args.env)
    except (ConfigError, FileNotFoundError) as exc:
        raise UsageError(str(exc)) from None
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None


def _inventory_specs(args: argparse.Namespace) -> list[str]:
    """--inventory, else the environment's `inventory` from tierguard.yaml (if any)."""
    if args.inventory or args.store or not args.env:
        return list(args.inventory)
    root, environment = _environment(args)
    return [str(root / environment.inventory)] if environment.inventory else []


def _options(args: argparse.Namespace) -> ReadOptions:
    return ReadOptions(vpc_fields=args.vpc_fields)


# -- import -------------------------------------------------------------------------------------


def _import(args: argparse.Namespace) -> int:
    location = store_location(args)
    if location.startswith("s3://"):
        raise UsageError("import into a local store file; s3:// stores are read-only here")
    specs = _inventory_specs(args)
    resolver = _resolver(specs) if specs else None
    bar = ProgressBar(sys.stderr, _progress_enabled(args.progress))
    with FlowStore(Path(location)) as store:
        report = store.import_files(
            args.inputs, SourceFormat(args.format) if args.format else None,
            options=_options(args), transform=resolver.resolve_all if resolver else None,
            retention_days=args.retention_days, fast_path=not args.no_fast_path,
            progress=bar.update)
    bar.finish()
    diagnostics = list(report.diagnostics)
    if resolver is not None:
        diagnostics += resolver.diagnostics()
    print(render_import(report, location))
    _print_diagnostics(diagnostics, sys.stderr)
    return int(exit_code_for(diagnostics, Severity.ERROR))


def _resolver(specs: Sequence[str]) -> Resolver:
    from tierguard.flows.common import FieldError, rfc3339_ms
    from tierguard.inventory.load import load_inventory

    snapshots = []
    for spec in specs:
        path_text, _, when = spec.partition("@")
        path = Path(path_text)
        if not path.is_file():
            raise UsageError(f"no such inventory file: {path_text}")
        try:
            taken = rfc3339_ms(when, "inventory time") if when else int(path.stat().st_mtime
                                                                         * 1000)
        except FieldError as exc:
            raise UsageError(str(exc)) from None
        inventory, problems = load_inventory(path)
        errors = [d for d in problems if d.severity is Severity.ERROR]
        if errors:
            _print_diagnostics(errors, sys.stderr)
            raise UsageError(f"inventory {path_text} has errors")
        snapshots.append(Snapshot(taken, inventory))
    return Resolver(snapshots)


def render_import(report: ImportReport, location: str) -> str:
    rows = [("file", "format", "status", "records", "new", "problems", "path", "seconds")]
    for f in report.files:
        rows.append((clean(f.label), f.format, f.status, f"{f.records:,}", f"{f.new_records:,}",
                     f"{f.problems:,}", "fast" if f.fast_path else "python", f"{f.seconds:.1f}"))
    lines = [table(rows), "",
             f"{report.new_records:,} new records of {report.records:,} read into {location}"]
    if report.retention_dropped:
        lines.append(f"{report.retention_dropped:,} aggregates dropped by retention")
    return "\n".join(lines)


# -- summary ------------------------------------------------------------------------------------


def _summary(args: argparse.Namespace) -> int:
    with open_store(store_location(args)) as store:
        summary = store.summary(top=args.top)
    print(summary_json(summary) if args.output == "json" else render_summary(summary))
    return 0


def _when(ms: int | None) -> str:
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _talker_rows(talkers: Sequence[Talker]) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = [("source", "destination", "port", "proto", "action",
                                    "records", "flows", "bytes")]
    for t in talkers:
        rows.append((clean(t.source), clean(t.dest), "-" if t.dest_port is None else
                     str(t.dest_port), t.protocol, t.action, f"{t.records:,}", f"{t.flows:,}",
                     f"{t.bytes:,}"))
    return rows


def render_summary(summary: StoreSummary) -> str:
    coverage = [
        ("records", f"{summary.records:,}"), ("flow keys", f"{summary.flow_keys:,}"),
        ("imported files", f"{summary.imported_files:,}"),
        ("first seen", _when(summary.first_seen_ms)), ("last seen", _when(summary.last_seen_ms)),
        ("hours with flows", f"{summary.hours_covered:,} of {summary.hours_spanned:,}"),
        ("by format", ", ".join(f"{f} {n:,}" for f, n in summary.by_format) or "-")]
    unresolved = [("ip", "side", "records", "first seen", "last seen")]
    unresolved += [(u.ip, u.side, f"{u.records:,}", _when(u.first_seen_ms),
                    _when(u.last_seen_ms)) for u in summary.unresolved]
    parts = ["Time coverage", table(coverage, header=False), "", "Top talkers (bytes)",
             table(_talker_rows(summary.top_talkers)), "", "Denied flows",
             table(_talker_rows(summary.denied)) if summary.denied else "  none", "",
             "Unresolved IPs", table(unresolved) if summary.unresolved else "  none"]
    return "\n".join(parts)


def summary_json(summary: StoreSummary) -> str:
    def talkers(items: Sequence[Talker]) -> list[dict[str, object]]:
        return [{"source": t.source, "dest": t.dest, "dest_port": t.dest_port,
                 "protocol": t.protocol, "action": t.action, "records": t.records,
                 "flows": t.flows, "bytes": t.bytes} for t in items]
    return json.dumps({
        "records": summary.records, "flow_keys": summary.flow_keys,
        "imported_files": summary.imported_files, "first_seen": _when(summary.first_seen_ms),
        "last_seen": _when(summary.last_seen_ms), "hours_covered": summary.hours_covered,
        "hours_spanned": summary.hours_spanned, "by_format": dict(summary.by_format),
        "top_talkers": talkers(summary.top_talkers), "denied": talkers(summary.denied),
        "unresolved": [{"ip": u.ip, "side": u.side, "records": u.records,
                        "first_seen": _when(u.first_seen_ms), "last_seen": _when(u.last_seen_ms)}
                       for u in summary.unresolved]}, indent=2)


# -- export -------------------------------------------------------------------------------------


def _export(args: argparse.Namespace) -> int:
    sources: list[str] = list(args.inputs) or [store_location(args)]
    diagnostics: list[Diagnostic] = []

    def records() -> Iterator[FlowRecord]:
        for item in read_flows(sources, args.format, options=_options(args)):
            if isinstance(item, FlowError):
                diagnostics.append(item.diagnostic)
            else:
                yield item

    try:
        if args.output_file:
            with open(args.output_file, "w", encoding="utf-8") as out:
                count = write_enterprise(records(), out)
        else:
            count = write_enterprise(records(), sys.stdout)
    except BrokenPipeError:  # `| head`: the reader has all it wanted
        sys.stderr.close()
        return 0
    except OSError as exc:
        raise UsageError(f"cannot write {args.output_file}: {exc.strerror or exc}") from None
    _print_diagnostics(diagnostics, sys.stderr)
    print(f"{count:,} records exported", file=sys.stderr)
    return int(exit_code_for(diagnostics, Severity.ERROR))


# -- output helpers -----------------------------------------------------------------------------


def clean(text: str) -> str:
    """Flow logs are untrusted: no control characters (terminal escapes) reach the terminal."""
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in text)


def table(rows: Sequence[Sequence[str]], header: bool = True) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
             for row in rows]
    if header:
        lines.insert(1, "  " + "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _print_diagnostics(diagnostics: Sequence[Diagnostic], out: TextIO) -> None:
    for d in sorted_diagnostics(diagnostics):
        where = f"{d.span.file}:{d.span.line}" if d.span and d.span.line else (
            d.span.file if d.span else "")
        prefix = f"{clean(where)}: " if where else ""
        print(f"{prefix}{d.severity.value} {d.code}: {clean(d.message)}", file=out)


def _progress_enabled(mode: str) -> bool:
    return mode == "always" or (mode == "auto" and sys.stderr.isatty())


class ProgressBar:
    """A one-line progress bar on stderr: files done, records read, rate."""

    WIDTH = 30

    def __init__(self, out: TextIO, enabled: bool) -> None:
        self.out = out
        self.enabled = enabled
        self.started = time.monotonic()
        self.last_draw = 0.0
        self.total_before = 0
        self.current_file = -1
        self.current_count = 0

    def update(self, count: int, index: int, total: int, label: str) -> None:
        if index != self.current_file:
            self.total_before += self.current_count
            self.current_file, self.current_count = index, 0
        self.current_count = count
        now = time.monotonic()
        if not self.enabled or now - self.last_draw < 0.2:
            return
        self.last_draw = now
        done = int(self.WIDTH * (index + 1) / max(total, 1))
        records = self.total_before + count
        rate = records / max(now - self.started, 1e-9)
        self.out.write(f"\r[{'#' * done}{'.' * (self.WIDTH - done)}] file {index + 1}/{total} "
                       f"{records:,} records {rate:,.0f}/s {clean(label)[-40:]}\x1b[K")
        self.out.flush()

    def finish(self) -> None:
        if self.enabled and self.last_draw:
            self.out.write("\n")
            self.out.flush()
