"""Rendering overlays: tool choice, failures as YML010, a missing tool as RendererMissing."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from tierguard.loader.kustomize import RendererMissing, render_command, render_overlay


def _which(found: dict[str, str]):  # type: ignore[no-untyped-def]
    return lambda name: found.get(name)


def test_kustomize_is_preferred_then_kubectl(tmp_path: Path) -> None:
    both = _which({"kustomize": "/bin/kustomize", "kubectl": "/bin/kubectl"})
    assert render_command(tmp_path, both) == ("/bin/kustomize", "build", "--load-restrictor",
                                              "LoadRestrictionsNone", str(tmp_path))
    only_kubectl = _which({"kubectl": "/bin/kubectl"})
    assert render_command(tmp_path, only_kubectl)[:2] == ("/bin/kubectl", "kustomize")


def test_missing_tools_raise_renderer_missing(tmp_path: Path) -> None:
    with pytest.raises(RendererMissing, match="needs `kubectl`"):
        render_command(tmp_path, _which({}))


def test_failed_build_is_a_diagnostic_stand_in_runner(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [missing.yaml]\n")

    def failing_runner(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 1, "", "Error: accumulating resources: missing.yaml: no such file\n")

    rendered = render_overlay(tmp_path, "overlays/dev", _which({"kubectl": "kubectl"}), failing_runner)
    [diag] = rendered.diagnostics
    assert rendered.text is None
    assert (diag.code, diag.span.file, diag.span.line) == ("YML010", "overlays/dev/kustomization.yaml", 1)
    assert "missing.yaml: no such file" in diag.message


@pytest.mark.slow
def test_real_kubectl_kustomize(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("namespace: shop\nresources: [np.yaml]\n")
    (tmp_path / "np.yaml").write_text("apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\n"
                                      "metadata:\n  name: allow\nspec:\n  selector: all()\n")
    rendered = render_overlay(tmp_path, "overlays/x")
    assert rendered.diagnostics == ()
    assert rendered.stream_name == "<kustomize overlays/x>"
    assert rendered.text is not None and "namespace: shop" in rendered.text
