"""`tierguard selector check|eval`: canonicalise a selector, or list what it selects (like calicoq)."""

from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path

from tierguard.diagnostics import Diagnostic, ExitCode, Severity, sorted_diagnostics
from tierguard.inventory.load import load_inventory
from tierguard.inventory.model import Endpoint, EndpointKind
from tierguard.selector import Selector, SelectorError, parse

NAME = "selector"
HELP = "Check a Calico selector (print its canonical form) or evaluate it against an inventory."

_KIND_WORDS = {EndpointKind.WORKLOAD: "pod", EndpointKind.HOST: "hostendpoint",
               EndpointKind.NETWORK_SET: "networkset",
               EndpointKind.GLOBAL_NETWORK_SET: "globalnetworkset"}
_KIND_ORDER = {kind: index for index, kind in enumerate(_KIND_WORDS)}


def configure(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="selector_action", metavar="ACTION")
    actions.required = True
    check = actions.add_parser("check", help="print the canonical form, or the error with a caret",
                               description="Exit 0 and print the canonical form if EXPR is a "
                                           "valid selector; exit 1 and point at the error if not.")
    check.add_argument("expression", metavar="EXPR", help="the selector, e.g. \"app == 'web'\"")
    evaluate = actions.add_parser("eval", help="list the pods, network sets and host endpoints "
                                               "an expression selects")
    evaluate.add_argument("expression", metavar="EXPR", help="the selector")
    evaluate.add_argument("--inventory", metavar="FILE", required=True,
                          help="a Kubernetes List (YAML or JSON) of namespaces, pods, "
                               "service accounts, network sets and host endpoints")


def run(args: argparse.Namespace) -> int:
    try:
        selector = parse(args.expression)
    except SelectorError as error:
        _write(render_error(args.expression, error))
        return int(ExitCode.FINDINGS)
    if args.selector_action == "check":
        _write([str(selector)])
        return int(ExitCode.CLEAN)
    return _evaluate(selector, args.inventory)


def render_error(text: str, error: SelectorError) -> list[str]:
    """Three lines: the reason, the (escaped) selector, and a caret under the bad column."""
    shown, caret_at = _display(text, error.column)
    return [f"invalid selector: {error.reason} (column {error.column + 1})",
            f"  {shown}", "  " + caret_at + "^"]


def _display(text: str, column: int) -> tuple[str, str]:
    """The selector with control characters escaped, and the padding that reaches `column`."""
    shown: list[str] = []
    padding: list[str] = []
    for index, char in enumerate(text):
        piece = _printable(char)
        shown.append(piece)
        if index < column:
            padding.append(_blank(piece))
    return "".join(shown), "".join(padding)


def _printable(char: str) -> str:
    # Escape line breaks, control characters and undecodable bytes (lone surrogates) so the
    # echo stays on one line and the caret stays under the right character.
    return char if char == "\t" or char.isprintable() else repr(char)[1:-1]


def _blank(piece: str) -> str:
    if piece == "\t":
        return "\t"
    wide = sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in piece)
    return " " * wide


def _evaluate(selector: Selector, inventory_path: str) -> int:
    if not Path(inventory_path).is_file():
        from tierguard.cli.main import UsageError  # the CLI table imports this module
        raise UsageError(f"inventory file not found: {inventory_path}")
    inventory, diagnostics = load_inventory(inventory_path)
    _report(diagnostics)
    matching = sorted((e for e in inventory.endpoints if selector.matches(e.labels)),
                      key=lambda e: (_KIND_ORDER[e.kind], e.namespace, e.name))
    lines = [f"Endpoints matching selector {selector}:"]
    lines += [f"  {_describe(endpoint)}" for endpoint in matching] or ["  (none)"]
    _write(lines)
    failed = any(d.severity is Severity.ERROR for d in diagnostics)
    return int(ExitCode.FINDINGS if failed else ExitCode.CLEAN)


def _describe(endpoint: Endpoint) -> str:
    where = f"{endpoint.namespace}/{endpoint.name}" if endpoint.namespace else endpoint.name
    return f"{_KIND_WORDS[endpoint.kind]} {_escape(where)}"


def _escape(text: str) -> str:
    return "".join(_printable(char) for char in text)


def _report(diagnostics: list[Diagnostic]) -> None:
    for diagnostic in sorted_diagnostics(diagnostics):
        where = f"{diagnostic.span}: " if diagnostic.span else ""
        print(_escape(f"{where}{diagnostic.code} {diagnostic.message}"), file=sys.stderr)


def _write(lines: list[str]) -> None:
    for line in lines:
        print(line)
