"""The `can_i` fixture: `tierguard rbac can-i` in-process over RBAC YAML in a tmp directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from crbac_cli import CanI, make_can_i


@pytest.fixture()
def can_i(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> CanI:
    monkeypatch.chdir(tmp_path)
    return make_can_i(tmp_path, capsys)
