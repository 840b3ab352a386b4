"""Reading waivers from the `tierguard.io/ignore` annotation.

The value holds one or more entries separated by newlines or `;`, each `CODE[,CODE...]: reason`.
Codes are exact (`LNT901`, not a family prefix like `LNT9`): a waiver must name what it hides.
The reason is required. A malformed entry, or an unknown code in it, is a SUP001 finding at the
annotation; the entry's remaining known codes are still waived.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from tierguard.diagnostics import Diagnostic, ResourceRef, Severity, Span
from tierguard.loader import paths
from tierguard.loader.nodes import LMap, LScalar, Node
from tierguard.loader.resources import ResourceDoc
from tierguard.suppress import codes

ANNOTATION = "tierguard.io/ignore"
_ENTRY_SEPARATOR = re.compile(r"[;\n]")
_CODE_SHAPE = re.compile(r"[A-Z]{3}[0-9]{3}")
_HINT = f'write {ANNOTATION}: "CODE[,CODE...]: reason", entries separated by ";" or newlines'


@dataclass(frozen=True, slots=True)
class Waiver:
    """One waived code on one object, with its reason and where the annotation is."""

    resource: ResourceRef
    code: str
    reason: str
    span: Span
    field_path: str


@dataclass(frozen=True, slots=True)
class WaiverParse:
    """The waivers found, and SUP001 findings for the entries that do not parse."""

    waivers: tuple[Waiver, ...]
    diagnostics: tuple[Diagnostic, ...]


@dataclass(frozen=True, slots=True)
class WaiverSite:
    """Where an annotation is, for the findings and waivers made from it."""

    resource: ResourceRef
    span: Span
    field_path: str

    def problem(self, message: str, hint: str = _HINT) -> Diagnostic:
        return Diagnostic(codes.MALFORMED_WAIVER, Severity.ERROR, message, self.span, self.resource,
                          self.field_path, hint)


def _annotation(resource: ResourceDoc) -> Node | None:
    metadata = resource.root.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, LMap) else None
    return annotations.get(ANNOTATION) if isinstance(annotations, LMap) else None


def _unknown(code: str, known: Collection[str]) -> str | None:
    """Why `code` cannot be waived, or None when it can."""
    if code.startswith("SUP"):
        return f"waiver findings ({code}) cannot themselves be waived"
    if code in known:
        return None
    family = sorted(k for k in known if k.startswith(code)) if code else []
    if family and not _CODE_SHAPE.fullmatch(code):
        return f"'{code}' is a code prefix; waivers name exact codes (e.g. {family[0]})"
    return f"'{code}' is not a tierguard diagnostic code (see `tierguard codes`)"


def _entry(text: str, site: WaiverSite, known: Collection[str]) -> tuple[list[Waiver], list[Diagnostic]]:
    codes_text, colon, reason = text.partition(":")
    reason = reason.strip()
    listed = [c.strip() for c in codes_text.split(",")]
    if not colon or not reason:
        return [], [site.problem(f"waiver '{text}' gives no reason; a waiver must say why the finding is accepted")]
    if not any(listed):
        return [], [site.problem(f"waiver '{text}' names no code")]
    waivers: list[Waiver] = []
    problems: list[Diagnostic] = []
    for code in listed:
        why = _unknown(code, known)
        if why is None:
            waivers.append(Waiver(site.resource, code, reason, site.span, site.field_path))
        else:
            problems.append(site.problem(f"waiver '{text}': {why}", "name exact codes; `tierguard codes` lists them"))
    return waivers, problems


def parse_waivers(value: str, site: WaiverSite, known: Collection[str]) -> WaiverParse:
    """The entries of one annotation value."""
    waivers: list[Waiver] = []
    problems: list[Diagnostic] = []
    for raw in _ENTRY_SEPARATOR.split(value):
        if raw.strip():
            found, bad = _entry(raw.strip(), site, known)
            waivers += found
            problems += bad
    if not waivers and not problems:
        problems.append(site.problem(f"{ANNOTATION} is empty"))
    return WaiverParse(tuple(waivers), tuple(problems))


def _of_resource(resource: ResourceDoc, known: Collection[str]) -> WaiverParse:
    node = _annotation(resource)
    if node is None:
        return WaiverParse((), ())
    field_path = resource.field(paths.join("metadata.annotations", ANNOTATION))
    site = WaiverSite(resource.ref, node.span, field_path)
    if not isinstance(node, LScalar) or not isinstance(node.value, str):
        return WaiverParse((), (site.problem(f"{ANNOTATION} must be a string"),))
    return parse_waivers(node.value, site, known)


def waivers_of(resources: Iterable[ResourceDoc], known: Collection[str]) -> WaiverParse:
    """Every waiver of `resources`; `known` is the set of codes that exist (catalog.all_codes())."""
    waivers: list[Waiver] = []
    problems: list[Diagnostic] = []
    for resource in resources:
        parsed = _of_resource(resource, known)
        waivers += parsed.waivers
        problems += parsed.diagnostics
    return WaiverParse(tuple(waivers), tuple(problems))
