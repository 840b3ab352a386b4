"""The sticky comment client against a local HTTP stand-in for the GitHub REST API.

The real API cannot be reached here; the stand-in (127.0.0.1, random port) implements the three
calls the client makes -- list issue comments (paginated with Link headers), PATCH a comment,
POST a comment -- and records every request so the tests can assert exactly what was sent.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from tierguard.cli.main import main
from tierguard.review.github_comment import CommentTarget, GitHubError, upsert
from tierguard.review.report_markdown import MARKER

PAGE = 2


@dataclass
class StandInState:
    comments: list[dict[str, object]] = field(default_factory=list)
    requests: list[tuple[str, str, str, str]] = field(default_factory=list)  # method, path, auth, body
    refuse: int = 0  # answer every request with this status when non-zero
    next_id: int = 1000


def _handler(state: StandInState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # keep pytest output clean
            pass

        def _reply(self, status: int, payload: object, link: str = "") -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            if link:
                self.send_header("Link", link)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _record(self) -> str:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode() if length else ""
            state.requests.append((self.command, self.path, self.headers.get("Authorization", ""), body))
            return body

        def do_GET(self) -> None:
            self._record()
            if state.refuse:
                return self._reply(state.refuse, {"message": "Resource not accessible by integration"})
            match = re.fullmatch(r"/repos/acme/policies/issues/7/comments\?per_page=100(?:&page=(\d+))?",
                                 self.path)
            if match is None:
                return self._reply(404, {"message": "Not Found"})
            page = int(match.group(1) or 1)
            items = state.comments[(page - 1) * PAGE: page * PAGE]
            link = ""
            if page * PAGE < len(state.comments):
                host = f"http://127.0.0.1:{self.server.server_address[1]}"
                link = (f'<{host}/repos/acme/policies/issues/7/comments?per_page=100&page={page + 1}>; '
                        'rel="next"')
            return self._reply(200, items, link)

        def do_POST(self) -> None:
            body = json.loads(self._record())
            if state.refuse:
                return self._reply(state.refuse, {"message": "Resource not accessible by integration"})
            if self.path != "/repos/acme/policies/issues/7/comments":
                return self._reply(404, {"message": "Not Found"})
            state.next_id += 1
            comment = {"id": state.next_id, "body": body["body"],
                       "html_url": f"https://example.invalid/c/{state.next_id}"}
            state.comments.append(comment)
            return self._reply(201, comment)

        def do_PATCH(self) -> None:
            body = json.loads(self._record())
            match = re.fullmatch(r"/repos/acme/policies/issues/comments/(\d+)", self.path)
            found = [c for c in state.comments if match and c["id"] == int(match.group(1))]
            if not found:
                return self._reply(404, {"message": "Not Found"})
            found[0]["body"] = body["body"]
            return self._reply(200, found[0])

    return Handler


@pytest.fixture()
def stand_in() -> Iterator[tuple[str, StandInState]]:
    state = StandInState()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _target(url: str) -> CommentTarget:
    return CommentTarget(url, "acme/policies", 7, "t0k3n")


def test_stand_in_creates_a_comment_when_none_carries_the_marker(stand_in: tuple[str, StandInState]) -> None:
    url, state = stand_in
    state.comments = [{"id": 1, "body": "LGTM"}, {"id": 2, "body": "nit"}, {"id": 3, "body": "other bot"}]
    outcome = upsert(_target(url), f"{MARKER}\n## review", MARKER)
    assert (outcome.action, outcome.comment_id) == ("created", 1001)
    assert [(m, p) for m, p, _, _ in state.requests] == [
        ("GET", "/repos/acme/policies/issues/7/comments?per_page=100"),
        ("GET", "/repos/acme/policies/issues/7/comments?per_page=100&page=2"),
        ("POST", "/repos/acme/policies/issues/7/comments")]
    assert {auth for _, _, auth, _ in state.requests} == {"Bearer t0k3n"}
    assert state.comments[-1] == {"id": 1001, "body": f"{MARKER}\n## review",
                                  "html_url": "https://example.invalid/c/1001"}


def test_stand_in_updates_the_marked_comment_found_on_a_later_page(stand_in: tuple[str, StandInState]) -> None:
    url, state = stand_in
    state.comments = [{"id": 1, "body": "LGTM"}, {"id": 2, "body": "nit"},
                      {"id": 3, "body": f"{MARKER}\nold review"}]
    outcome = upsert(_target(url), "## new review", MARKER)
    assert (outcome.action, outcome.comment_id) == ("updated", 3)
    assert [m for m, _, _, _ in state.requests] == ["GET", "GET", "PATCH"]
    assert state.requests[-1][1] == "/repos/acme/policies/issues/comments/3"
    assert state.comments[2]["body"] == f"{MARKER}\n## new review"
    assert len(state.comments) == 3


def test_stand_in_second_run_updates_instead_of_posting_again(stand_in: tuple[str, StandInState]) -> None:
    url, state = stand_in
    first = upsert(_target(url), f"{MARKER}\nfirst", MARKER)
    second = upsert(_target(url), f"{MARKER}\nsecond", MARKER)
    assert (first.action, second.action) == ("created", "updated")
    assert first.comment_id == second.comment_id
    assert [c["body"] for c in state.comments] == [f"{MARKER}\nsecond"]


def test_stand_in_read_only_token_is_a_clear_error(stand_in: tuple[str, StandInState]) -> None:
    url, state = stand_in
    state.refuse = 403
    with pytest.raises(GitHubError, match=r"HTTP 403 \(pull requests from forks get a read-only token\)"):
        upsert(_target(url), "body", MARKER)


def test_stand_in_oversized_body_is_refused_before_any_request(stand_in: tuple[str, StandInState]) -> None:
    url, state = stand_in
    with pytest.raises(GitHubError, match="GitHub allows 65536"):
        upsert(_target(url), "x" * 70_000, MARKER)
    assert state.requests == []


def test_stand_in_review_comment_command(stand_in: tuple[str, StandInState], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    url, state = stand_in
    body = tmp_path / "review.md"
    body.write_text(f"{MARKER}\n## ✅ tierguard review: gate passed\n", encoding="utf-8")
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7}}), encoding="utf-8")
    monkeypatch.setenv("GITHUB_TOKEN", "t0k3n")
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/policies")
    monkeypatch.setenv("GITHUB_API_URL", url)
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    assert main(["review-comment", "--body-file", str(body)]) == 0
    assert capsys.readouterr().out == "created comment 1001 https://example.invalid/c/1001\n"
    assert state.comments[0]["body"] == body.read_text(encoding="utf-8")
    state.refuse = 403
    assert main(["review-comment", "--body-file", str(body)]) == 1


def test_review_comment_without_token_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    body = tmp_path / "review.md"
    body.write_text("x", encoding="utf-8")
    assert main(["review-comment", "--body-file", str(body), "--pr", "7", "--repo", "a/b"]) == 2
    assert capsys.readouterr().err == "tierguard: error: GITHUB_TOKEN is not set\n"
