"""Render a kustomize overlay the way Flux's kustomize-controller builds it.

`kustomize build` is used when a `kustomize` binary is on PATH, else `kubectl kustomize`; both get
`--load-restrictor LoadRestrictionsNone`, which Flux uses too. Locations in the output are
positions in the rendered stream, named `<kustomize OVERLAY>`.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from tierguard.diagnostics import Diagnostic, Severity, Span
from tierguard.loader import codes

RENDER_TIMEOUT_SECONDS = 300
_KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")

Which = Callable[[str], "str | None"]


class RendererMissing(Exception):
    """Neither kustomize nor kubectl is installed: a set-up problem (exit 2), not a finding."""


@dataclass(frozen=True, slots=True)
class Rendered:
    """The rendered stream of one overlay, or the diagnostic that says why there is none."""

    stream_name: str
    text: str | None
    diagnostics: tuple[Diagnostic, ...]
    command: tuple[str, ...]


def stream_name(overlay_name: str) -> str:
    """The file name diagnostics use for an overlay's rendered output."""
    return f"<kustomize {overlay_name}>"


def render_command(overlay: Path, which: Which = shutil.which) -> tuple[str, ...]:
    """The command line that renders `overlay`; raises RendererMissing when no tool is found."""
    kustomize = which("kustomize")
    if kustomize:
        return (kustomize, "build", "--load-restrictor", "LoadRestrictionsNone", str(overlay))
    kubectl = which("kubectl")
    if kubectl:
        return (kubectl, "kustomize", "--load-restrictor", "LoadRestrictionsNone", str(overlay))
    raise RendererMissing(
        "rendering an overlay needs `kubectl` (which embeds kustomize) or `kustomize` on PATH; "
        "neither was found. Install kubectl, or validate files instead of --env.")


def kustomization_file(overlay: Path) -> Path | None:
    """The overlay's kustomization file, or None."""
    for name in _KUSTOMIZATION_FILES:
        if (overlay / name).is_file():
            return overlay / name
    return None


def _failure(overlay_name: str, anchor: str, stderr: str, why: str) -> Diagnostic:
    detail = " ".join(line.strip() for line in stderr.strip().splitlines()[-3:] if line.strip())
    message = f"kustomize build of {overlay_name} failed: {detail or why}"
    return Diagnostic(codes.KUSTOMIZE_FAILED, Severity.ERROR, message, Span(anchor, 1, 1, 1, 2))


def render_overlay(overlay: Path, overlay_name: str, which: Which = shutil.which,
                   run: Callable[..., subprocess.CompletedProcess[str]] = subprocess.run) -> Rendered:
    """Render one overlay directory. Tool failures become a YML010 diagnostic at its kustomization."""
    name = stream_name(overlay_name)
    anchor_file = kustomization_file(overlay)
    anchor = f"{overlay_name}/{anchor_file.name}" if anchor_file else overlay_name
    command = render_command(overlay, which)
    if not overlay.is_dir():
        return Rendered(name, None, (_failure(overlay_name, anchor, "", "no such directory"),), command)
    try:
        done = run(list(command), capture_output=True, text=True, timeout=RENDER_TIMEOUT_SECONDS,
                   check=False)
    except subprocess.TimeoutExpired:
        return Rendered(name, None, (_failure(overlay_name, anchor, "", "timed out"),), command)
    except OSError as error:
        raise RendererMissing(f"cannot run {command[0]}: {error}") from error
    if done.returncode != 0:
        return Rendered(name, None, (_failure(overlay_name, anchor, done.stderr,
                                              f"exit {done.returncode}"),), command)
    return Rendered(name, done.stdout, (), command)
