"""Git plumbing for a review: resolve refs, check trees out into temporary worktrees (always
removed again), list changed files and the authors of the head commits.

Only read-only git commands run against the user's repository, plus `git worktree add/remove`,
which touch nothing but `.git/worktrees` and the temporary directory.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


class WorkspaceError(Exception):
    """git is missing, the directory is not a repository, or a ref does not resolve."""


@dataclass(frozen=True, slots=True)
class Tree:
    root: Path
    label: str  # what the user asked for: a ref, or "working tree"
    commit: str  # full sha; "" for the working tree


@dataclass(frozen=True, slots=True)
class Author:
    name: str
    email: str

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>" if self.name else self.email


def git(repo: Path, *args: str) -> str:
    try:
        done = subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                              check=False, timeout=120)
    except FileNotFoundError as error:
        raise WorkspaceError("git is not installed or not on PATH") from error
    if done.returncode != 0:
        raise WorkspaceError(f"git {' '.join(args)}: {done.stderr.strip() or 'failed'}")
    return done.stdout


def repository_root(start: Path) -> Path:
    return Path(git(start, "rev-parse", "--show-toplevel").strip())


def resolve(repo: Path, ref: str) -> str:
    try:
        return git(repo, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}").strip()
    except WorkspaceError as error:
        raise WorkspaceError(f"cannot resolve git ref {ref!r} to a commit") from error


@contextmanager
def checkout(repo: Path, ref: str) -> Iterator[Tree]:
    """A detached worktree of `ref` in a temporary directory, removed whatever happens."""
    commit = resolve(repo, ref)
    scratch = Path(tempfile.mkdtemp(prefix="tierguard-review-"))
    path = scratch / "tree"
    try:
        git(repo, "worktree", "add", "--detach", "--quiet", str(path), commit)
        yield Tree(path, ref, commit)
    finally:
        try:
            if path.exists():
                git(repo, "worktree", "remove", "--force", str(path))
        except WorkspaceError:
            pass  # the directory goes below anyway; prune forgets the registration
        shutil.rmtree(scratch, ignore_errors=True)
        try:
            git(repo, "worktree", "prune")
        except WorkspaceError:
            pass


def working_tree(repo: Path) -> Tree:
    return Tree(repo, "working tree", "")


def changed_files(repo: Path, base_commit: str, head: Tree) -> tuple[str, ...]:
    """Repository-relative paths that differ between base and head (untracked files included
    when head is the working tree)."""
    if head.commit:
        names = git(repo, "diff", "--name-only", "--no-renames", base_commit, head.commit).splitlines()
    else:
        names = git(repo, "diff", "--name-only", "--no-renames", base_commit).splitlines()
        names += git(repo, "ls-files", "--others", "--exclude-standard").splitlines()
    return tuple(sorted({name for name in names if name}))


def head_authors(repo: Path, base_commit: str, head: Tree) -> tuple[Author, ...]:
    """Authors of the commits in base..head; for the working tree, the configured git identity."""
    if head.commit:
        text = git(repo, "log", "--format=%an%x00%ae", f"{base_commit}..{head.commit}")
    else:
        text = _configured_identity(repo)
    authors: dict[str, Author] = {}
    for line in text.splitlines():
        name, _, email = line.partition("\x00")
        if email or name:
            authors.setdefault(email.lower() or name, Author(name, email))
    return tuple(authors.values())


def _configured_identity(repo: Path) -> str:
    try:
        name = git(repo, "config", "user.name").strip()
    except WorkspaceError:
        name = ""
    try:
        email = git(repo, "config", "user.email").strip()
    except WorkspaceError:
        email = ""
    return f"{name}\x00{email}" if name or email else ""
