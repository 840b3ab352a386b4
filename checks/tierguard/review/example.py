"""`tierguard review --example`: the README's main job, reviewing the bundled example change.

1. Copy the bundled example (tierguard.yaml, tiers, policies, overlays, clusters, inventory,
   flows, connectivity tests, acknowledgements) into a temporary directory and commit it as the
   base (`git init`; the user's repository is never touched).
2. Apply `examples/change/*.patch` as one commit by the example's author: a `git format-patch`
   file keeps its own author through `git am`; a plain diff is committed as the author named in
   `examples/change/AUTHOR` ("Name <email>").
3. Review HEAD~1..HEAD, print the result, and write review.md, review.sarif, review.json and
   connectivity-tests.xml to the output directory.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tierguard.review import (
    report_json,
    report_junit,
    report_markdown,
    report_sarif,
    report_summary,
    report_text,
)
from tierguard.review.gate import exit_code
from tierguard.review.run import CACHE_DIR, Options, run_review

EXAMPLE_PATHS = ("tierguard.yaml", "kustomization.yaml", "tiers", "policies", "components", "overlays",
                 "clusters", "argocd", "inventory", "flows", ".tierguard", "tests/connectivity")
CHANGE_DIR = "examples/change"
_AUTHOR = re.compile(r"^\s*(?P<name>[^<]*?)\s*<(?P<email>[^>]+)>\s*$")
_BASE_AUTHOR = ("tierguard example", "example@tierguard.invalid")


class ExampleError(Exception):
    """The bundled example or its change is missing or does not apply (exit 2)."""


def _git(root: Path, *args: str, author: tuple[str, str] = _BASE_AUTHOR) -> str:
    env = {"GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1],
           "GIT_COMMITTER_NAME": _BASE_AUTHOR[0], "GIT_COMMITTER_EMAIL": _BASE_AUTHOR[1],
           "GIT_CONFIG_NOSYSTEM": "1", "HOME": str(root), "PATH": "/usr/local/bin:/usr/bin:/bin"}
    done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, env=env,
                          check=False, timeout=120)
    if done.returncode != 0:
        raise ExampleError(f"git {' '.join(args[:2])} failed: {done.stderr.strip()}")
    return done.stdout


def copy_example(project: Path, target: Path) -> None:
    if not (project / "tierguard.yaml").is_file():
        raise ExampleError(f"{project} has no tierguard.yaml: run --example from the tierguard repository")
    for name in EXAMPLE_PATHS:
        source = project / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "cache"))
        elif source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _author(change: Path) -> tuple[str, str]:
    file = change / "AUTHOR"
    if file.is_file():
        match = _AUTHOR.match(file.read_text(encoding="utf-8").strip())
        if match:
            return match.group("name"), match.group("email")
    raise ExampleError(f"{file} must name the change's author as 'Name <email>'")


def apply_change(project: Path, clone: Path) -> None:
    change = project / CHANGE_DIR
    patches = sorted(change.glob("*.patch")) + sorted(change.glob("*.diff"))
    if not patches:
        raise ExampleError(f"no *.patch or *.diff in {change}")
    for patch in patches:
        text = patch.read_text(encoding="utf-8")
        if text.startswith("From "):  # git format-patch: the patch carries its author
            _git(clone, "am", "--quiet", "--keep-non-patch", str(patch.resolve()))
        else:
            author = _author(change)
            _git(clone, "apply", "--index", str(patch.resolve()))
            _git(clone, "commit", "--quiet", "--no-verify", "-m", f"example change: {patch.stem}",
                 author=author)


def prepare_clone(project: Path, scratch: Path) -> Path:
    clone = scratch / "example"
    clone.mkdir(parents=True)
    copy_example(project, clone)
    _git(clone, "init", "--quiet", "--initial-branch=main")
    _git(clone, "add", "--all")
    _git(clone, "commit", "--quiet", "--no-verify", "-m", "bundled example (base)")
    apply_change(project, clone)
    return clone


def run_example(project: Path, out_dir: Path, fmt: str = "text",
                environments: tuple[str, ...] = ()) -> int:
    scratch = Path(tempfile.mkdtemp(prefix="tierguard-example-"))
    try:
        clone = prepare_clone(project, scratch)
        # The clone's flows are the project's flows: share the project's aggregated-flow cache.
        result = run_review(Options(repo=clone, base="HEAD~1", head="HEAD", environments=environments,
                                    cache_dir=project / CACHE_DIR))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    files = {"review.md": report_markdown.render(result), "review.sarif": report_sarif.render(result),
             "review.json": report_json.render(result), "connectivity-tests.xml": report_junit.render(result),
             "summary.md": report_summary.render(result)}
    for name, text in files.items():
        (out_dir / name).write_text(text, encoding="utf-8")
    main = {"markdown": files["review.md"], "json": files["review.json"], "sarif": files["review.sarif"],
            "junit": files["connectivity-tests.xml"], "summary": files["summary.md"]}
    sys.stdout.write(main.get(fmt) or report_text.render(result))
    if fmt == "text":
        sys.stdout.write(f"\nwrote {', '.join(str(out_dir / n) for n in files)}\n")
    return exit_code(result)
