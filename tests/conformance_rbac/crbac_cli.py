"""Driving `tierguard rbac can-i` in-process, exactly as a user would call it.

Kept out of conftest.py: other test directories have a conftest module too, so tests import
these names from this uniquely named module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from crbac_objects import Obj, to_yaml
from tierguard.cli.main import main


@dataclass(frozen=True)
class Answer:
    text: str  # "yes" or "no"
    code: int
    stdout: str
    stderr: str


CanI = Callable[..., Answer]


def make_can_i(directory: Path, capsys: pytest.CaptureFixture[str]) -> CanI:
    """`can_i(objects, *argv)` writes `objects` to rbac.yaml and runs `tierguard rbac can-i argv
    --rbac rbac.yaml` (cwd must be `directory`). It asserts the kubectl contract (yes/exit 0,
    no/exit 1, nothing else on stdout without --explain) and returns the answer."""

    def ask(objects: Sequence[Obj] | str, *argv: str) -> Answer:
        text = objects if isinstance(objects, str) else to_yaml(objects)
        (directory / "rbac.yaml").write_text(text, encoding="utf-8")
        capsys.readouterr()
        code = main(["rbac", "can-i", *argv, "--rbac", "rbac.yaml"])
        out, err = capsys.readouterr()
        first = out.split("\n", 1)[0]
        assert (first, code) in (("yes", 0), ("no", 1)), (code, out, err)
        if "--explain" not in argv:
            assert out == first + "\n", out
        return Answer(first, code, out, err)

    return ask


def user_args(user: str, groups: Sequence[str] = ()) -> list[str]:
    args = ["--as", user]
    for group in groups:
        args += ["--as-group", group]
    return args
