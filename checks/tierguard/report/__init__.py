"""Stage 5 of the pipeline: formatters. One module per format, picked from one table by `--format`.

Every formatter exposes `NAME` and `render(run: RunResult) -> str`. Formatters never filter,
count failures or decide exit codes (`diagnostics.exit_code_for` does that).
"""

from __future__ import annotations

from types import ModuleType

from tierguard.report import github, json_format, sarif, text


def formatters() -> dict[str, ModuleType]:
    """The explicit format table: name -> formatter module."""
    return {module.NAME: module for module in (text, json_format, sarif, github)}


def get(name: str) -> ModuleType:
    """The formatter called `name`; fails loudly on an unknown name."""
    table = formatters()
    if name not in table:
        raise KeyError(f"unknown format {name!r} (known: {', '.join(sorted(table))})")
    return table[name]
