"""Impersonated user info (`--as`, `--as-group`) and service-account user names."""

from __future__ import annotations

import pytest
from tierguard.rbac.identity import UserInfo, impersonate, split_service_account


@pytest.mark.parametrize(("username", "groups", "expected"), [
    ("alice", [], ("system:authenticated",)),
    ("alice", ["team-a"], ("team-a", "system:authenticated")),
    ("alice", ["system:authenticated"], ("system:authenticated",)),
    ("alice", ["system:unauthenticated"], ("system:unauthenticated",)),
    ("system:anonymous", [], ("system:unauthenticated",)),
    ("system:anonymous", ["system:unauthenticated"], ("system:unauthenticated",)),
    ("system:serviceaccount:ci:builder", [],
     ("system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated")),
    # upstream adds the service-account groups only when no group is given
    ("system:serviceaccount:ci:builder", ["extra"], ("extra", "system:authenticated")),
    # not a valid service-account user name: an ordinary user
    ("system:serviceaccount:CI:builder", [], ("system:authenticated",)),
    ("system:serviceaccount:ci:builder:x", [], ("system:authenticated",)),
])
def test_impersonated_groups(username: str, groups: list[str], expected: tuple[str, ...]) -> None:
    assert impersonate(username, groups) == UserInfo(username, expected)


@pytest.mark.parametrize(("username", "expected"), [
    ("system:serviceaccount:ns:name", ("ns", "name")),
    ("system:serviceaccount:ns:my.dotted-name", ("ns", "my.dotted-name")),
    ("system:serviceaccount:ns:", None),
    ("system:serviceaccount::name", None),
    ("system:serviceaccount:ns", None),
    ("system:serviceaccount:n_s:name", None),
    ("system:serviceaccounts:ns:name", None),
    ("serviceaccount:ns:name", None),
    ("system:serviceaccount:" + "a" * 64 + ":name", None),
])
def test_split_service_account(username: str, expected: tuple[str, str] | None) -> None:
    assert split_service_account(username) == expected
