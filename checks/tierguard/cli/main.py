"""`tierguard` entry point: one explicit table of subcommands, `main(argv) -> int`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from types import ModuleType

from tierguard import __version__
from tierguard.cli.commands import codes as codes_cmd
from tierguard.cli.commands import explain as explain_cmd
from tierguard.cli.commands import flows as flows_cmd
from tierguard.cli.commands import observe as observe_cmd
from tierguard.cli.commands import rbac as rbac_cmd
from tierguard.cli.commands import recommend as recommend_cmd
from tierguard.cli.commands import review as review_cmd
from tierguard.cli.commands import review_comment as review_comment_cmd
from tierguard.cli.commands import selector as selector_cmd
from tierguard.cli.commands import simulate as simulate_cmd
from tierguard.cli.commands import validate as validate_cmd
from tierguard.cli.errors import UsageError
from tierguard.diagnostics import ExitCode

__all__ = ["UsageError", "build_parser", "entry", "main"]


def _commands() -> tuple[ModuleType, ...]:
    # The explicit command table. Add a module here when a command lands.
    return (codes_cmd, validate_cmd, selector_cmd, rbac_cmd, simulate_cmd, explain_cmd,
            review_cmd, review_comment_cmd, flows_cmd, observe_cmd, recommend_cmd)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tierguard",
        description="Validate, simulate and review Calico tiered network policy before GitOps applies it.")
    parser.add_argument("--version", action="version", version=f"tierguard {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in _commands():
        command_parser = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.configure(command_parser)
        command_parser.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0) if exit_.code in (0, None) else int(ExitCode.USAGE)
    try:
        return int(args._run(args))
    except UsageError as error:
        print(f"tierguard: error: {error}", file=sys.stderr)
        return int(ExitCode.USAGE)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (e.g. `tierguard codes | head`): not an error of ours.
        _silence_stdout()
        return int(ExitCode.CLEAN)
    except Exception:
        logging.getLogger("tierguard").exception("internal error")
        print("tierguard: internal error (exit 3); the traceback above is a bug, please report it.",
              file=sys.stderr)
        return int(ExitCode.INTERNAL)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not raise again."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def entry() -> None:
    sys.exit(main())
