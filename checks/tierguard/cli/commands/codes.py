"""`tierguard codes [CODE]`: list every diagnostic code, or print one code's documentation."""

from __future__ import annotations

import argparse

from tierguard import catalog
from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import ExitCode

NAME = "codes"
HELP = "List diagnostic codes, or show the documentation of one code."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("code", nargs="?", help="a code such as YML002")


def render_doc(doc: CodeDoc) -> str:
    parts = [f"{doc.code} {doc.name} ({doc.default_severity.value})", "", doc.summary]
    if doc.why:
        parts += ["", "Why it matters:", doc.why]
    if doc.failing:
        parts += ["", "Failing example:", doc.failing]
    if doc.passing:
        parts += ["", "Passing example:", doc.passing]
    if doc.references:
        parts += ["", "References:", doc.references]
    return "\n".join(parts)


def run(args: argparse.Namespace) -> int:
    table = catalog.all_codes()
    if args.code:
        doc = table.get(args.code.upper())
        if doc is None:
            print(f"unknown code {args.code}")
            return int(ExitCode.USAGE)
        print(render_doc(doc))
        return int(ExitCode.CLEAN)
    for code in sorted(table):
        doc = table[code]
        print(f"{doc.code}  {doc.name:32}  {doc.summary}")
    return int(ExitCode.CLEAN)
