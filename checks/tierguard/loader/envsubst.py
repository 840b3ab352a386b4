"""Flux post-build variable substitution over a rendered stream, as `flux envsubst --strict` does.

Flux substitutes each rendered object's YAML text (drone/envsubst semantics). We do the same
on the kustomize output, one document at a time, so an unset variable is reported at its line
and column in the rendered stream. Supported forms: `${var}`, `${var:=default}`,
`${var:-default}`, `${var=default}`, `${var-default}`, bare `$var`, and `$$` as an escaped `$`.
Objects labelled or annotated `kustomize.toolkit.fluxcd.io/substitute: disabled` are left alone.
Replacing a variable changes the columns of what follows it on the same line; line numbers are
kept unless a value contains a newline.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Mapping
from dataclasses import dataclass

from tierguard.diagnostics import Diagnostic, Severity, Span
from tierguard.loader import codes
from tierguard.loader.nodes import LMap
from tierguard.loader.yaml_source import load_yaml_text

DISABLE_KEY = "kustomize.toolkit.fluxcd.io/substitute"
# Flux accepts only variable names matching this (kustomize-controller postBuild docs).
VAR_NAME = re.compile(r"^[_A-Za-z][_A-Za-z0-9]*$")
_TOKEN = re.compile(r"\$(?:(\$)|\{([^}\n]*)\}|([_A-Za-z][_A-Za-z0-9]*)|(\{))")
_BRACED = re.compile(r"^([_A-Za-z][_A-Za-z0-9]*)(?:(:?[=-])(.*))?$", re.DOTALL)
_SEPARATOR = re.compile(r"^---[ \t]*$", re.MULTILINE)


@dataclass(frozen=True, slots=True)
class SubstitutionResult:
    """The substituted stream, and one diagnostic per unset variable or bad expression."""

    text: str
    diagnostics: tuple[Diagnostic, ...]


class _Positions:
    """Offset -> (line, column), both 1-based, for one text."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def at(self, offset: int) -> tuple[int, int]:
        """The 1-based (line, column) of a 0-based offset."""
        index = bisect.bisect_right(self._starts, offset) - 1
        return index + 1, offset - self._starts[index] + 1


def _substitution_disabled(chunk: str, file: str) -> bool:
    if DISABLE_KEY not in chunk:
        return False
    loaded = load_yaml_text(chunk, file)
    for document in loaded.documents:
        metadata = document.root.get("metadata") if isinstance(document.root, LMap) else None
        if not isinstance(metadata, LMap):
            continue
        for section in ("labels", "annotations"):
            values = metadata.get(section)
            flag = values.get(DISABLE_KEY) if isinstance(values, LMap) else None
            if flag is not None and flag.to_plain() == "disabled":
                return True
    return False


def _resolve(match: re.Match[str], variables: Mapping[str, str]) -> str | None:
    """The replacement text for one `$` token, or None when the variable is unset without default."""
    if match.group(1):
        return "$"
    name = match.group(3)
    if name is not None:
        return variables.get(name)
    body = match.group(2)
    parsed = _BRACED.match(body) if body is not None else None
    if parsed is None:
        return ""  # marker for a syntax problem, handled by the caller
    name, operator, default = parsed.groups()
    value = variables.get(name)
    if operator is None:
        return value
    if operator.startswith(":"):
        return value if value else default
    return value if value is not None else default


def _problem(match: re.Match[str], positions: _Positions, base: int, file: str,
             variables: Mapping[str, str]) -> Diagnostic | None:
    line, col = positions.at(base + match.start())
    span = Span(file, line, col, line, col + len(match.group(0)))
    if match.group(4) is not None:
        return Diagnostic(codes.SUBST_SYNTAX, Severity.ERROR, "unterminated '${': no closing '}' on this line", span)
    body = match.group(2)
    if body is not None and _BRACED.match(body) is None:
        return Diagnostic(codes.SUBST_SYNTAX, Severity.ERROR,
                          f"'{match.group(0)}' is not a variable Flux can substitute "
                          "(supported: ${var}, ${var:=default}, ${var:-default})", span)
    parsed = _BRACED.match(body) if body is not None else None
    name = parsed.group(1) if parsed is not None else match.group(3)
    if _resolve(match, variables) is None:
        return Diagnostic(codes.SUBST_UNSET, Severity.ERROR,
                          f"variable '{name}' is not set and has no default "
                          "(flux envsubst --strict fails here)", span,
                          hint="Add it to postBuild.substitute of the environment's Flux Kustomization, "
                               "or give a default with ${" + name + ":=value}.",
                          data=(("variable", name),))
    return None


def _substitute_chunk(chunk: str, base: int, positions: _Positions, file: str,
                      variables: Mapping[str, str], diagnostics: list[Diagnostic]) -> str:
    out: list[str] = []
    last = 0
    for match in _TOKEN.finditer(chunk):
        out.append(chunk[last:match.start()])
        last = match.end()
        problem = _problem(match, positions, base, file, variables)
        if problem is not None:
            diagnostics.append(problem)
            out.append(match.group(0))
            continue
        replacement = _resolve(match, variables)
        out.append(replacement if replacement is not None else "")
    out.append(chunk[last:])
    return "".join(out)


def substitute_stream(text: str, file: str, variables: Mapping[str, str]) -> SubstitutionResult:
    """Substitute every document of a rendered stream; unset variables become YML011 diagnostics."""
    positions = _Positions(text)
    diagnostics: list[Diagnostic] = []
    pieces: list[str] = []
    start = 0
    bounds = [m.start() for m in _SEPARATOR.finditer(text)] + [len(text)]
    for end in bounds:
        chunk = text[start:end]
        if "$" in chunk and not _substitution_disabled(chunk, file):
            chunk = _substitute_chunk(chunk, start, positions, file, variables, diagnostics)
        pieces.append(chunk)
        start = end
    return SubstitutionResult("".join(pieces), tuple(diagnostics))
