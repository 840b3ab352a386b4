"""`tierguard simulate`: evaluate flow logs or probes against policy and an inventory.

Output (`--format jsonl`): one JSON object per input record, in input order, with `verdict`,
`pending_verdict`, `enforced_policies`/`pending_policies` (hit strings per reporter side) and
`error` for records that could not be resolved (they are reported, never dropped).
"""

from __future__ import annotations

import argparse
import gc
import io
import itertools
import multiprocessing
import shutil
import sys
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TextIO

import orjson

from tierguard.cli.errors import UsageError
from tierguard.diagnostics import Diagnostic, ExitCode, Severity, Span, exit_code_for
from tierguard.engine import codes
from tierguard.engine.compile import compile_policy_set, profiles_for
from tierguard.engine.evaluate import Evaluator
from tierguard.engine.ir import CalicoVersion, Edition
from tierguard.engine.resolve import Resolver
from tierguard.engine.simulate import (
    PeerMemo,
    Probe,
    Query,
    ResultRenderer,
    evaluate_queries,
    parse_probes,
    query_from_flow,
    query_from_flow_error,
    query_from_probe,
    summary,
    undeclared_named_ports,
)
from tierguard.engine.topology import Topology
from tierguard.flows.detect import detect
from tierguard.flows.model import FlowError, FlowRecord, SourceFormat
from tierguard.flows.read import is_store_location, read_flow_slice, read_flows
from tierguard.flows.readers.base import ReadOptions
from tierguard.flows.source import InputError, is_gzip, sniff
from tierguard.inventory.load import load_inventory, repository_objects
from tierguard.loader.discovery import DiscoveryError, discover
from tierguard.loader.files import display_name, load_file
from tierguard.loader.resources import ResourceDoc, extract_resources
from tierguard.model.build import build_resource
from tierguard.report.simulate_jsonl import SimulateJsonLines

NAME = "simulate"
HELP = "Simulate flow logs or probes against the policies and an inventory (verdicts and traces)."
DEFAULT_VERSION = "3.32"
_PROBE_SUFFIXES = (".csv", ".yaml", ".yml")
# Output lines are about 2 KB: with the default 8 KB buffer, a write system call every few
# records cost seconds over a million.
_OUTPUT_BUFFER = 1 << 20
_NO_FUTURE = 1 << 62  # "now" for read_flows: no record is in the future for a simulation


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags `simulate` and `explain` share."""
    parser.add_argument("--policies", action="append", default=[], metavar="PATH",
                        help="policy YAML file or directory (repeatable)")
    parser.add_argument("--inventory", metavar="FILE",
                        help="kubectl get ... -o yaml|json List of namespaces, pods, services, ...")
    parser.add_argument("--calico-version", default=DEFAULT_VERSION, metavar="X.Y",
                        help=f"Calico version whose semantics to use (default {DEFAULT_VERSION})")
    parser.add_argument("--edition", choices=("oss", "enterprise"), default="oss",
                        help="Calico edition (default oss)")
    parser.add_argument("--replace-preview", action="store_true",
                        help="also compute the replace preview (tierguard extension, not Calico "
                             "behaviour): staged Set replaces its enforced namesake, staged Delete "
                             "removes it")


def configure(parser: argparse.ArgumentParser) -> None:
    add_common_arguments(parser)
    parser.add_argument("--flows", required=True, metavar="FILE",
                        help="Calico Enterprise flow-log JSON lines (or another supported flow "
                             "format), a flow store (.duckdb file or s3:// URL), or a probe "
                             "file (.csv/.yaml with from,to,port,protocol)")
    parser.add_argument("--format", "-f", choices=("jsonl", "json", "text"), default="jsonl",
                        help="output format (default jsonl)")
    parser.add_argument("--output-file", "-o", metavar="FILE", help="write results here")
    parser.add_argument("--jobs", "-j", type=int, default=1, metavar="N",
                        help="worker processes for large Calico JSON-lines inputs (default 1); "
                             "output order is the input order either way")


@dataclass(frozen=True, slots=True)
class Setup:
    """Everything loaded for a simulation, plus the diagnostics found while loading."""

    evaluator: Evaluator
    diagnostics: tuple[Diagnostic, ...]


def load_setup(args: argparse.Namespace) -> Setup:
    """Policies + inventory -> an Evaluator. Raises UsageError for bad flags or missing paths."""
    try:
        version = CalicoVersion.parse(args.calico_version)
    except ValueError as error:
        raise UsageError(str(error)) from None
    edition = Edition(args.edition)
    if not args.policies:
        raise UsageError("give at least one --policies PATH")
    if not args.inventory:
        raise UsageError("give --inventory FILE")
    cwd = Path.cwd()
    try:
        files = discover(args.policies, cwd)
    except DiscoveryError as error:
        raise UsageError(str(error)) from None
    if not Path(args.inventory).is_file():
        raise UsageError(f"{args.inventory}: no such file")
    diagnostics: list[Diagnostic] = []
    models: list[object] = []
    resources: list[ResourceDoc] = []
    for path in files:
        loaded = load_file(path, display_name(path, cwd))
        diagnostics += loaded.diagnostics
        extracted = extract_resources(loaded.documents)
        diagnostics += extracted.diagnostics
        resources.extend(extracted.resources)
        for resource in extracted.resources:
            model, found = build_resource(resource.root, resource.file)
            diagnostics += found
            if model is not None:
                models.append(model)
    policy_set, found = compile_policy_set(models, version, edition)
    diagnostics += found
    # Network sets and host endpoints kept in the policy repository join the recorded inventory.
    inventory, found = load_inventory(args.inventory, enterprise_labels=edition is Edition.ENTERPRISE,
                                      repository_objects=repository_objects(resources))
    diagnostics += found
    topology = Topology(inventory.endpoints, inventory.services, inventory.nodes)
    profiles = {p.name: p for e in inventory.endpoints for p in profiles_for(e)}
    evaluator = Evaluator(policy_set, topology, profiles.values())
    diagnostics += undeclared_named_ports(policy_set, topology)
    return Setup(evaluator, tuple(diagnostics))


def is_probe_file(path: Path) -> bool:
    """Probe files: .csv/.yaml/.yml by extension, else content that is not JSON lines.
    (Flow stores are recognised before this is asked.)"""
    if path.suffix.lower() in _PROBE_SUFFIXES:
        return True
    if path.suffix.lower() in (".json", ".jsonl", ".log", ".gz", ".ndjson"):
        return False
    try:
        with path.open("rb") as handle:
            head = handle.read(4096).lstrip()
    except OSError:
        return False
    return not head.startswith((b"{", b"["))


def _probe_queries(resolver: Resolver, path: Path) -> Iterator[Query]:
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"{path}: cannot read probe file: {error}") from None
    for item in parse_probes(text, name):
        if isinstance(item, Probe):
            yield query_from_probe(resolver, item)
        else:
            line = item.span.line if item.span is not None else 0
            yield Query(name, line, "", "", None, item.message, malformed=True)


def _read_options() -> ReadOptions:
    # Hand-written simulation inputs may omit the time window, reporter and action.
    return ReadOptions(partial=True)


def _flow_queries(resolver: Resolver, items: Iterable[FlowRecord | FlowError],
                  diagnostics: list[Diagnostic]) -> Iterator[Query]:
    """One query per record, in input order. Records that could not be read become malformed
    queries (reported in place, never dropped); warnings and notes go to the diagnostics."""
    memo: PeerMemo = {}
    try:
        for item in items:
            if isinstance(item, FlowRecord):
                yield query_from_flow(resolver, item, memo)
            elif item.severity is Severity.ERROR:
                yield query_from_flow_error(item)
            else:
                diagnostics.append(item.diagnostic)
    except InputError as error:  # includes a store that cannot be opened or downloaded
        raise UsageError(str(error)) from None


def _read_all(flows: str) -> Iterator[FlowRecord | FlowError]:
    # One result per input record: no duplicate check; the time of a record does not matter
    # to a simulation, so future-dated recordings are not reported as clock skew.
    return read_flows(flows, None, options=_read_options(), dedupe=False, now_ms=_NO_FUTURE)


def _is_empty(path: Path) -> bool:
    if path.suffix == ".gz":
        return False
    with path.open("rb") as handle:
        return not handle.read(65536).strip() and path.stat().st_size <= 65536


def _queries(setup: Setup, flows: str, diagnostics: list[Diagnostic]) -> Iterator[Query]:
    resolver = Resolver(setup.evaluator.topology)
    if is_store_location(flows):  # a .duckdb store or an s3:// URL of one
        return _flow_queries(resolver, _read_all(flows), diagnostics)
    path = Path(flows)
    if not path.is_file():
        raise UsageError(f"{flows}: no such file")
    if _is_empty(path):
        diagnostics.append(Diagnostic(codes.FLOW_EMPTY, Severity.WARNING,
                                      "the flow file is empty: nothing to simulate",
                                      Span(str(path), 1, 1)))
        return iter(())
    if is_probe_file(path):
        return _probe_queries(resolver, path)
    return _flow_queries(resolver, _read_all(flows), diagnostics)


def _record_diagnostic(query: Query) -> Diagnostic:
    if query.malformed:
        code, severity = codes.FLOW_MALFORMED, Severity.ERROR
    elif "neither end is a Calico endpoint" in query.error:
        code, severity = codes.NO_CALICO_ENDPOINT, Severity.WARNING
    else:
        code, severity = codes.FLOW_UNRESOLVED, Severity.WARNING
    return Diagnostic(code, severity, query.error, Span(query.file, query.line, 1))


def write_diagnostics(diagnostics: Sequence[Diagnostic], stream: TextIO) -> None:
    for diag in diagnostics:
        where = f"{diag.span.file}:{diag.span.line}:{diag.span.col}: " if diag.span else ""
        stream.write(f"{where}{diag.code} {diag.severity.value}: {diag.message}\n")


def _text_line(item: dict[str, object]) -> str:
    head = f"{item['file']}:{item['line']}: {item['src']} -> {item['dst']}"
    if item.get("error"):
        return f"{head}: ERROR {item['error']}"
    port = f" {item.get('protocol')}/{item.get('port')}" if item.get("port") is not None else \
        f" {item.get('protocol')}"
    verdicts = (f"{str(item['verdict']).upper()} (pending "
                f"{str(item['pending_verdict']).upper()})")
    if item.get("uncertain"):  # the verdict rests on a rule or path the record cannot decide
        verdicts += " UNCERTAIN (see notes: the verdict may differ)"
    lines = [f"{head}{port}: {verdicts}"]
    if item.get("resolution"):
        lines.append(f"    resolution: {item['resolution']} (a peer missing from the inventory "
                     "was rebuilt from the record's labels)")
    for mode in ("enforced_policies", "pending_policies", "replace_preview_policies"):
        sides = item.get(mode)
        if isinstance(sides, dict):
            for side, hits in sides.items():
                if hits is not None:
                    lines.append(f"    {mode.split('_policies')[0]} {side}: {', '.join(hits)}")
    notes = item.get("notes")
    for note in notes if isinstance(notes, list) else []:
        lines.append(f"    note: {note}")
    return "\n".join(lines)


def _write_stream(setup: Setup, queries: Iterator[Query], fmt: str, replace: bool,
                  stream: BinaryIO, diagnostics: list[Diagnostic]) -> list[dict[str, object]]:
    """Evaluate and write jsonl/text records as they come; collect them for json."""
    renderer = ResultRenderer(setup.evaluator, replace)
    collected: list[dict[str, object]] = []
    if fmt == "jsonl":
        lines = SimulateJsonLines(renderer)
        for query, result in evaluate_queries(setup.evaluator, queries, replace):
            if renderer.error_of(query, result):
                diagnostics.append(_record_diagnostic(query))
            stream.write(lines.line(query, result))
        return collected
    for query, result in evaluate_queries(setup.evaluator, queries, replace):
        item = renderer.render(query, result)
        if item.get("error"):
            diagnostics.append(_record_diagnostic(query))
        if fmt == "text":
            stream.write(_text_line(item).encode() + b"\n")
        else:
            collected.append(item)
    return collected


def _chunks(path: Path, jobs: int) -> list[tuple[int, int, int]]:
    """(start byte, end byte, first line number) of `jobs` pieces of the file, split at line
    ends."""
    size = path.stat().st_size
    cuts = [k / jobs for k in range(1, jobs)]
    bounds = [0]
    with path.open("rb") as handle:
        for cut in cuts:
            handle.seek(max(int(size * cut), bounds[-1]))
            handle.readline()
            bounds.append(min(handle.tell(), size))
        bounds.append(size)
        pieces, line = [], 1
        for start, end in itertools.pairwise(bounds):
            pieces.append((start, end, line))
            if end < size:  # (the last piece's lines number nothing after it)
                line += _count_lines(handle, start, end)
    return [p for p in pieces if p[1] > p[0]]


def _count_lines(handle: io.BufferedReader, start: int, end: int, block: int = 1 << 22) -> int:
    """Line ends in bytes [start, end), read into one reused buffer: reading the whole range
    at once costs more in page faults for the buffer than the counting does."""
    handle.seek(start)
    buffer = bytearray(block)
    view = memoryview(buffer)
    count, left = 0, end - start
    while left > 0:
        got = handle.readinto(view[:min(block, left)])
        if not got:
            break
        count += buffer.count(b"\n", 0, got)
        left -= got
    return count


def _slice_queries(resolver: Resolver, path: Path, start: int, end: int, first_line: int,
                   diagnostics: list[Diagnostic]) -> Iterator[Query]:
    items = read_flow_slice(path, start, end, first_line, SourceFormat.CALICO_ENTERPRISE,
                            options=_read_options(), now_ms=_NO_FUTURE)
    return _flow_queries(resolver, items, diagnostics)


def _worker(setup: Setup, resolver: Resolver, path: Path, piece: tuple[int, int, int], fmt: str,
            replace: bool, part: str,
            results: multiprocessing.SimpleQueue[tuple[str, list[Diagnostic]]]) -> None:
    start, end, first_line = piece
    diagnostics: list[Diagnostic] = []
    with open(part, "wb", buffering=_OUTPUT_BUFFER) as stream:
        queries = _slice_queries(resolver, path, start, end, first_line, diagnostics)
        _write_stream(setup, queries, fmt, replace, stream, diagnostics)
    results.put((part, diagnostics))


def _run_parallel(setup: Setup, path: Path, args: argparse.Namespace, stream: BinaryIO,
                  diagnostics: list[Diagnostic]) -> None:
    """Split a Calico JSON-lines file over worker processes; output keeps input order."""
    context = multiprocessing.get_context("fork")
    results: multiprocessing.SimpleQueue[tuple[str, list[Diagnostic]]] = context.SimpleQueue()
    pieces = _chunks(path, args.jobs)
    if not pieces:
        return
    # Each process warms its own caches: simulating a warm-up head first in the parent (and
    # forking warm workers) was slower, since the other cores wait for the whole head.
    resolver = Resolver(setup.evaluator.topology)
    own, *forked = pieces
    stream.flush()  # nothing buffered may be inherited by the forked workers
    # Keep the collector off the loaded policies and inventory in every process: its passes
    # would write to (and so copy) the pages the workers share with the parent.
    gc.freeze()
    with tempfile.TemporaryDirectory(prefix="tierguard-simulate-") as tmp:
        parts = []
        # fork: workers share the loaded policies and inventory copy-on-write (nothing pickled).
        for k, piece in enumerate(forked):
            part = str(Path(tmp) / f"part-{k}")
            process = context.Process(target=_worker, args=(
                setup, resolver, path, piece, args.format, args.replace_preview, part, results))
            process.start()
            parts.append((part, process))
        # The parent is one of the `jobs` workers: it writes its piece straight to the output.
        _write_stream(setup, _slice_queries(resolver, path, *own, diagnostics), args.format,
                      args.replace_preview, stream, diagnostics)
        found = dict(results.get() for _ in parts)
        for part, process in parts:
            process.join()
            if process.exitcode != 0 or part not in found:
                raise RuntimeError(f"simulate worker for {part} failed (exit {process.exitcode})")
            diagnostics += found[part]
            with open(part, "rb") as handle:
                shutil.copyfileobj(handle, stream)


def _parallel_ok(args: argparse.Namespace) -> bool:
    """Plain Calico Enterprise JSON lines are split at line ends over the workers; other
    inputs (gzip, stores, probe files, other formats) are read in one process."""
    path = Path(args.flows)
    return (args.jobs > 1 and args.format != "json" and not is_store_location(args.flows)
            and path.is_file() and not is_probe_file(path) and not is_gzip(path)
            and detect(sniff(path)) is SourceFormat.CALICO_ENTERPRISE)


def run(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    setup = load_setup(args)
    diagnostics = list(setup.diagnostics)
    stream: BinaryIO = sys.stdout.buffer
    if args.output_file:
        try:
            stream = open(args.output_file, "wb", buffering=_OUTPUT_BUFFER)
        except OSError as error:
            raise UsageError(f"{args.output_file}: {error.strerror or error}") from None
    try:
        if _parallel_ok(args):
            _run_parallel(setup, Path(args.flows), args, stream, diagnostics)
        else:
            collected = _write_stream(setup, _queries(setup, args.flows, diagnostics),
                                      args.format, args.replace_preview, stream, diagnostics)
            if args.format == "json":
                stream.write(orjson.dumps(
                    {"calico_version": str(setup.evaluator.policy_set.version),
                     "edition": setup.evaluator.policy_set.edition.value,
                     "trace_format": setup.evaluator.trace_format.value,
                     "results": collected, "summary": summary(collected)},
                    option=orjson.OPT_INDENT_2) + b"\n")
    finally:
        if stream is not sys.stdout.buffer:
            stream.close()
        else:
            stream.flush()
    write_diagnostics(diagnostics, sys.stderr)
    # Unresolved records are reported in the output and as warnings; errors (unreadable or
    # malformed input, policies Calico would reject) make the exit code 1.
    return int(exit_code_for(diagnostics)) if diagnostics else int(ExitCode.CLEAN)
