"""One sticky PR comment through the GitHub REST API: find ours by a hidden marker, then PATCH
it, or POST a new one. Standard library only (urllib), token from GITHUB_TOKEN.

Endpoints (REST v3): GET/POST /repos/{owner}/{repo}/issues/{number}/comments and
PATCH /repos/{owner}/{repo}/issues/comments/{id}. Listing follows `Link: <...>; rel="next"`.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from tierguard import __version__

COMMENT_LIMIT = 65_536
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="next"')


class GitHubError(Exception):
    """The API refused or failed; the message says which call and why."""


@dataclass(frozen=True, slots=True)
class CommentTarget:
    api_url: str  # e.g. https://api.github.com (GITHUB_API_URL)
    repository: str  # "owner/name" (GITHUB_REPOSITORY)
    number: int  # pull request number
    token: str

    def issue_comments_url(self) -> str:
        return f"{self.api_url.rstrip('/')}/repos/{self.repository}/issues/{self.number}/comments"

    def comment_url(self, comment_id: int) -> str:
        return f"{self.api_url.rstrip('/')}/repos/{self.repository}/issues/comments/{comment_id}"


@dataclass(frozen=True, slots=True)
class Outcome:
    action: str  # "created" | "updated"
    comment_id: int
    url: str


def upsert(target: CommentTarget, body: str, marker: str) -> Outcome:
    if marker not in body:
        body = f"{marker}\n{body}"
    if len(body) > COMMENT_LIMIT:
        raise GitHubError(f"comment body has {len(body)} characters; GitHub allows {COMMENT_LIMIT}")
    existing = find_marked(target, marker)
    if existing is not None:
        reply = _request(target, "PATCH", target.comment_url(existing), {"body": body})[0]
        return Outcome("updated", existing, str(reply.get("html_url", "")))
    reply = _request(target, "POST", target.issue_comments_url(), {"body": body})[0]
    return Outcome("created", int(reply["id"]), str(reply.get("html_url", "")))


def find_marked(target: CommentTarget, marker: str) -> int | None:
    """The id of the first existing comment carrying `marker`, across all pages."""
    url: str | None = f"{target.issue_comments_url()}?per_page=100"
    while url:
        page, link = _request(target, "GET", url, None)
        if not isinstance(page, list):
            raise GitHubError(f"GET {url}: expected a list of comments")
        for comment in page:
            if isinstance(comment, dict) and marker in str(comment.get("body", "")):
                return int(comment["id"])
        match = _NEXT.search(link)
        url = match.group(1) if match else None
    return None


def _request(target: CommentTarget, method: str, url: str,
             payload: dict[str, str] | None) -> tuple[Any, str]:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Accept": "application/vnd.github+json",
        "Authorization": f"Bearer {target.token}",
        "X-GitHub-Api-Version": "2022-11-28",
        "User-Agent": f"tierguard/{__version__}",
        **({"Content-Type": "application/json"} if data is not None else {}),
    })
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            text = response.read().decode("utf-8")
            link = response.headers.get("Link", "") or ""
    except urllib.error.HTTPError as error:
        detail = error.read().decode("utf-8", "replace")[:300]
        hint = " (pull requests from forks get a read-only token)" if error.code in (401, 403) else ""
        raise GitHubError(f"{method} {url}: HTTP {error.code}{hint}: {detail}") from error
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        raise GitHubError(f"{method} {url}: {error}") from error
    try:
        return (json.loads(text) if text else {}), link
    except json.JSONDecodeError as error:
        raise GitHubError(f"{method} {url}: response is not JSON") from error
