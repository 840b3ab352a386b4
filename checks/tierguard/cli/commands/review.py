"""`tierguard review`: what a change does to real traffic, per environment, with a merge gate.

    tierguard review [--base REF] [--head REF | --worktree] [--env NAME ...]
                     [--format text|markdown|json|sarif|junit|summary] [-o FILE]
                     [--markdown-out FILE] [--sarif-out FILE] [--json-out FILE]
                     [--junit-out FILE] [--summary-out FILE] [--changed-envs-only]
                     [--time-budget SECONDS] [--author EMAIL] [-c tierguard.yaml]
    tierguard review --example [--out-dir DIR]

Exit codes: 0 gate passed, 1 gate failed, 2 usage or configuration, 3 internal error;
`--exit-zero` reports without gating (0 instead of 1).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from tierguard.cli.errors import UsageError
from tierguard.config.load import ConfigError
from tierguard.review import (
    report_json,
    report_junit,
    report_markdown,
    report_sarif,
    report_summary,
    report_text,
)
from tierguard.review.adapters import SetupError
from tierguard.review.gate import exit_code
from tierguard.review.model import ReviewResult
from tierguard.review.run import Options, ReviewError, run_review
from tierguard.review.workspace import WorkspaceError

NAME = "review"
HELP = ("Review a change: replay recorded flows under base and head per environment, run "
        "connectivity tests and tier RBAC, and gate (exit 1) on unacknowledged breaks.")

Formatter = Callable[[ReviewResult], str]


def formatters() -> dict[str, Formatter]:
    """One formatter per output format (the explicit table)."""
    return {"text": report_text.render, "markdown": report_markdown.render,
            "json": report_json.render, "sarif": report_sarif.render,
            "junit": report_junit.render, "summary": report_summary.render}


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", default="HEAD", help="git ref of the base (default: HEAD)")
    head = parser.add_mutually_exclusive_group()
    head.add_argument("--head", help="git ref of the head (default: the working tree)")
    head.add_argument("--worktree", action="store_true",
                      help="review the working tree as head (the default)")
    parser.add_argument("--env", action="append", default=[], metavar="NAME",
                        help="environment to review (repeatable; default: every environment)")
    parser.add_argument("--changed-envs-only", action="store_true",
                        help="review only environments whose overlay, Flux objects, flows, inventory "
                             "or tests the change touches (used by the pre-commit hook)")
    parser.add_argument("--time-budget", type=float, metavar="SECONDS",
                        help="stop starting new environments after this many seconds (reported)")
    parser.add_argument("--author", help="review as this git author e-mail instead of the head commits'")
    parser.add_argument("-c", "--config", type=Path,
                        help="tierguard.yaml path relative to each tree's root (default: tierguard.yaml)")
    parser.add_argument("-f", "--format", choices=sorted(formatters()), default="text",
                        help="format of the main output (default: text)")
    parser.add_argument("-o", "--output-file", type=Path, help="write the main output here, not stdout")
    for name in ("markdown", "sarif", "json", "junit", "summary"):
        parser.add_argument(f"--{name}-out", type=Path, metavar="FILE",
                            help=f"also write the {name} report to FILE")
    parser.add_argument("-C", "--repo", type=Path, default=Path("."),
                        help="repository to review (default: the current directory)")
    parser.add_argument("--exit-zero", action="store_true",
                        help="report only: exit 0 even when the gate fails (2 and 3 still mean errors)")
    parser.add_argument("--example", action="store_true",
                        help="review the bundled example change (examples/change/) in a temporary "
                             "clone of the bundled example; writes Markdown and SARIF to --out-dir")
    parser.add_argument("--out-dir", type=Path, default=Path("out"),
                        help="where --example writes review.md, review.sarif, review.json (default: out)")


def _usage(message: str) -> Exception:
    return UsageError(message)


def _write(path: Path, text: str) -> None:
    try:
        if path.parent != Path(""):
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise _usage(f"cannot write {path}: {error.strerror or error}") from error


def run(args: argparse.Namespace) -> int:
    if args.example:
        from tierguard.review import example

        try:
            code = example.run_example(args.repo.resolve(), args.out_dir, args.format, tuple(args.env))
        except example.ExampleError as error:
            raise _usage(str(error)) from error
        except (ReviewError, WorkspaceError, SetupError) as error:
            raise _usage(str(error)) from error
        return 0 if args.exit_zero else code
    if args.time_budget is not None and args.time_budget <= 0:
        raise _usage("--time-budget must be a positive number of seconds")
    options = Options(repo=args.repo.resolve(), base=args.base, head=args.head,
                      environments=tuple(args.env), changed_only=args.changed_envs_only,
                      author=args.author, time_budget=args.time_budget, config=args.config)
    result = review(options)
    emit(result, args.format, args.output_file, {
        "markdown": args.markdown_out, "sarif": args.sarif_out, "json": args.json_out,
        "junit": args.junit_out, "summary": args.summary_out})
    return 0 if args.exit_zero else exit_code(result)


def review(options: Options) -> ReviewResult:
    """Run the review, turning bad input into usage errors (exit 2)."""
    try:
        return run_review(options)
    except (ReviewError, WorkspaceError, SetupError) as error:
        raise _usage(str(error)) from error
    except ConfigError as error:
        raise _usage(f"tierguard.yaml is invalid: {error}") from error


def emit(result: ReviewResult, fmt: str, output: Path | None, extra: dict[str, Path | None]) -> None:
    table = formatters()
    main_text = table[fmt](result)
    if output is not None:
        _write(output, main_text)
    else:
        sys.stdout.write(main_text)
    for name, path in extra.items():
        if path is not None:
            _write(path, table[name](result))

