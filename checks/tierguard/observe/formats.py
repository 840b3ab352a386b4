"""The observe output formats: one module per format behind one interface.

Every formatter module exposes `NAME: str` and `render(model: ObserveModel) -> str`; it never
filters, evaluates or decides exit codes. Untrusted strings are escaped by each formatter for
its own output (JSON by the encoder, HTML by Jinja2 autoescape).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from tierguard.observe import render_json, render_text
from tierguard.observe.model import ObserveModel
from tierguard.report import html_observe

_SUFFIXES = {".html": "html", ".htm": "html", ".json": "json", ".txt": "text"}


class Formatter(Protocol):
    NAME: str

    def render(self, model: ObserveModel) -> str: ...


def formatters() -> dict[str, Formatter]:
    """The explicit format table: name -> formatter module."""
    modules: tuple[Formatter, ...] = (render_text, render_json, html_observe)
    return {module.NAME: module for module in modules}


def format_for_path(path: Path) -> str:
    """The format an output file name asks for (`.html`, `.json`), else text."""
    return _SUFFIXES.get(path.suffix.lower(), "text")
