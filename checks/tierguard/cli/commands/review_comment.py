"""`tierguard review-comment --body-file FILE [--pr N]`: post or update the one sticky PR comment.

Reads the token from GITHUB_TOKEN (never from a flag, so it stays out of process listings), the
repository from GITHUB_REPOSITORY, the API from GITHUB_API_URL and the PR number from --pr or the
event payload at GITHUB_EVENT_PATH. Exit 0 posted or updated, 1 the API refused, 2 usage.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from tierguard.cli.errors import UsageError
from tierguard.diagnostics import ExitCode
from tierguard.review.github_comment import CommentTarget, GitHubError, upsert
from tierguard.review.report_markdown import MARKER

NAME = "review-comment"
HELP = "Post or update the sticky tierguard review comment on a GitHub pull request."


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--body-file", required=True, type=Path,
                        help="the Markdown written by `tierguard review --markdown-out`")
    parser.add_argument("--pr", type=int, help="pull request number (default: from GITHUB_EVENT_PATH)")
    parser.add_argument("--repo", help="owner/name (default: GITHUB_REPOSITORY)")
    parser.add_argument("--api-url", help="REST API root (default: GITHUB_API_URL or https://api.github.com)")
    parser.add_argument("--marker", default=MARKER, help="hidden marker that identifies the comment")


def _event_pr_number() -> int | None:
    path = os.environ.get("GITHUB_EVENT_PATH")
    if not path:
        return None
    try:
        event = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    number = (event.get("pull_request") or {}).get("number") if isinstance(event, dict) else None
    return number if isinstance(number, int) else None


def run(args: argparse.Namespace) -> int:
    token = os.environ.get("GITHUB_TOKEN", "")
    repository = args.repo or os.environ.get("GITHUB_REPOSITORY", "")
    number = args.pr or _event_pr_number()
    api_url = args.api_url or os.environ.get("GITHUB_API_URL") or "https://api.github.com"
    if not token:
        raise UsageError("GITHUB_TOKEN is not set")
    if repository.count("/") != 1:
        raise UsageError("the repository (owner/name) is unknown: pass --repo or set GITHUB_REPOSITORY")
    if number is None:
        raise UsageError("the pull request number is unknown: pass --pr")
    try:
        body = args.body_file.read_text(encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot read {args.body_file}: {error.strerror}") from error
    try:
        outcome = upsert(CommentTarget(api_url, repository, number, token), body, args.marker)
    except GitHubError as error:
        print(f"tierguard review-comment: {error}", file=sys.stderr)
        return int(ExitCode.FINDINGS)
    print(f"{outcome.action} comment {outcome.comment_id} {outcome.url}".rstrip())
    return int(ExitCode.CLEAN)
