"""`tierguard explain`: walk one connection through the tiers, or document a diagnostic code.

`tierguard explain --from app/client --to app/db --port 5432 --policies DIR --inventory FILE`
prints, for the source's egress and the destination's ingress, which policies applied, which
rule matched (file:line), why the others did not, and where the verdict came from.
`tierguard explain CAL201` prints that code's documentation.
"""

from __future__ import annotations

import argparse
import sys

from tierguard import catalog
from tierguard.cli.commands.codes import render_doc
from tierguard.cli.commands.simulate import add_common_arguments, load_setup, write_diagnostics
from tierguard.cli.errors import UsageError
from tierguard.diagnostics import ExitCode
from tierguard.engine.explain import render
from tierguard.engine.packet import protocol_name, protocol_number
from tierguard.engine.resolve import make_packet, resolve_spec

NAME = "explain"
HELP = "Explain the verdict for one connection tier by tier, or show a diagnostic code's docs."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("code", nargs="?", help="a diagnostic code such as CAL201")
    parser.add_argument("--from", dest="source", metavar="X", help="ns/pod, ns/label=value or an IP")
    parser.add_argument("--to", dest="dest", metavar="Y", help="ns/pod, ns/label=value or an IP")
    parser.add_argument("--port", type=int, metavar="N", help="destination port")
    parser.add_argument("--protocol", default="TCP", metavar="P", help="protocol (default TCP)")
    parser.add_argument("--source-port", type=int, metavar="N", help="source port, if known")
    add_common_arguments(parser)


def _code_doc(code: str) -> int:
    doc = catalog.all_codes().get(code.upper())
    if doc is None:
        raise UsageError(f"unknown diagnostic code {code!r} (see `tierguard codes`)")
    print(render_doc(doc))
    return int(ExitCode.CLEAN)


def run(args: argparse.Namespace) -> int:
    if args.code:
        if args.source or args.dest:
            raise UsageError("give either a diagnostic code or --from/--to, not both")
        return _code_doc(args.code)
    if not args.source or not args.dest:
        raise UsageError("give --from X --to Y [--port N] (or a diagnostic code)")
    try:
        protocol = protocol_number(args.protocol)
    except ValueError as error:
        raise UsageError(str(error)) from None
    if args.port is None and protocol in (6, 17, 132):
        raise UsageError(f"a {protocol_name(protocol)} flow needs --port")
    if args.port is not None and not 0 < args.port <= 65535:
        raise UsageError(f"--port {args.port} is not from 1 to 65535")
    setup = load_setup(args)
    write_diagnostics(setup.diagnostics, sys.stderr)
    evaluator = setup.evaluator
    src = resolve_spec(evaluator.topology, args.source)
    dst = resolve_spec(evaluator.topology, args.dest)
    problems = [p for p in (src.error, dst.error) if p]
    if problems or src.peer is None or dst.peer is None:
        print("\n".join(f"error: {p}" for p in problems))
        return int(ExitCode.FINDINGS)
    packet = make_packet(src.peer, dst.peer, protocol, args.port, args.source_port)
    result = evaluator.evaluate(packet, with_replace=args.replace_preview, explain=True)
    version = evaluator.policy_set
    header = (f"Calico {version.version} ({version.edition.value}); flow-log hit strings in "
              f"format {evaluator.trace_format.value}")
    notes = [f"note: {n}" for n in (src.note, dst.note) if n]
    print("\n".join([header] + notes))
    print(render(result, evaluator.trace_format, tuple(t.name for t in evaluator.tiers)))
    return int(ExitCode.FINDINGS if result.error else ExitCode.CLEAN)
