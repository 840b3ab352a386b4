"""docs/codes.md is generated from the catalog and must be up to date."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierguard import catalog
from tierguard.cli.commands.codes import render_markdown
from tierguard.cli.main import main

DOC = Path(__file__).resolve().parents[2] / "docs" / "codes.md"


def test_codes_md_is_up_to_date() -> None:
    expected = render_markdown(catalog.all_codes())
    assert DOC.read_text(encoding="utf-8") == expected, \
        "docs/codes.md is stale: run `tierguard codes --format markdown > docs/codes.md`"


def test_every_code_has_an_anchor_matching_its_help_uri() -> None:
    text = render_markdown(catalog.all_codes())
    for code, doc in catalog.all_codes().items():
        assert doc.help_uri == f"docs/codes.md#{code.lower()}"
        assert f'<a id="{code.lower()}"></a>' in text


def test_codes_command_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["codes", "--format", "markdown"]) == 0
    assert capsys.readouterr().out == render_markdown(catalog.all_codes())
