"""Git author -> Kubernetes identity: the typed `identities:` section of tierguard.yaml.

Shape (documented in docs/rbac.md):

    identities:
      source: author            # or: codeowners
      users:
        - author: alice@example.com    # Git author e-mail or forge login (case-insensitive)
          user: alice                  # Kubernetes user name
          groups: [team-payments]
      teams:
        - team: payments               # a CODEOWNERS owner is written @payments or @org/payments
          members: [alice@example.com, bob]
          groups: [team-payments]
      codeowners:                      # CODEOWNERS-style; the last matching line wins
        - path: /policies/base/payments/
          owners: ["@payments"]
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tierguard.rbac.identity import (
    AUTHENTICATED,
    UserInfo,
    service_account_groups,
    split_service_account,
)


class IdentitySource(enum.Enum):
    """Whose rights a change is checked against: its Git author's, or its path owners'."""

    AUTHOR = "author"
    CODEOWNERS = "codeowners"


@dataclass(frozen=True, slots=True)
class GitAuthor:
    email: str = ""
    login: str = ""
    name: str = ""

    def __str__(self) -> str:
        return self.login or self.email or self.name or "<unknown author>"


@dataclass(frozen=True, slots=True)
class KubeIdentity:
    """A Kubernetes user and groups; `user=""` stands for an otherwise unknown member of the groups."""

    user: str
    groups: tuple[str, ...] = ()

    def user_info(self) -> UserInfo:
        """The user as an authenticator builds it: service-account groups and system:authenticated."""
        groups = list(self.groups)
        account = split_service_account(self.user)
        if account is not None:
            groups.extend(service_account_groups(account[0]))
        groups.append(AUTHENTICATED)
        return UserInfo(self.user, tuple(dict.fromkeys(groups)))

    def __str__(self) -> str:
        who = self.user or "a member"
        return f"{who} (groups {', '.join(self.groups)})" if self.groups else who


@dataclass(frozen=True, slots=True)
class UserMapping:
    author: str
    user: str
    groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TeamMapping:
    team: str
    members: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PathOwners:
    pattern: str
    owners: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class IdentityMapping:
    users: tuple[UserMapping, ...] = ()
    teams: tuple[TeamMapping, ...] = ()
    codeowners: tuple[PathOwners, ...] = ()
    source: IdentitySource = IdentitySource.AUTHOR

    def for_author(self, author: GitAuthor) -> KubeIdentity | None:
        """The author's user mapping plus the groups of every team listing the author."""
        keys = {k.lower() for k in (author.email, author.login) if k}
        user = next((u for u in self.users if u.author.lower() in keys), None)
        groups = list(user.groups) if user else []
        for team in self.teams:
            if keys & {m.lower() for m in team.members}:
                groups.extend(team.groups)
        if user is None and not groups:
            return None
        name = user.user if user else ""
        return KubeIdentity(name, tuple(dict.fromkeys(groups)))

    def for_owner(self, owner: str) -> KubeIdentity | None:
        """A CODEOWNERS owner: `@team`/`@org/team` (a team), `@login` or an e-mail (a user)."""
        bare = owner.lstrip("@")
        team_name = bare.rsplit("/", 1)[-1]
        for team in self.teams:
            if team.team.lstrip("@").lower() in (bare.lower(), team_name.lower()):
                return KubeIdentity("", team.groups)
        return self.for_author(GitAuthor(email=bare, login=bare))

    def owners_of(self, path: str) -> tuple[str, ...]:
        """The owners of the last matching codeowners line (GitHub semantics), or ()."""
        for entry in reversed(self.codeowners):
            if _pattern(entry.pattern).search(path.lstrip("/")):
                return entry.owners
        return ()


def _pattern(pattern: str) -> re.Pattern[str]:
    """A CODEOWNERS/gitignore pattern as a regex over a repository-relative path."""
    anchored = pattern.startswith("/") or "/" in pattern.rstrip("/")
    body = pattern.strip("/")
    out: list[str] = []
    i = 0
    while i < len(body):
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif body[i] == "*":
            out.append("[^/]*")
            i += 1
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(body[i]))
            i += 1
    prefix = "^" if anchored else "(?:^|/)"
    # GitHub: `docs/*` owns the files directly in docs/, not those in its subdirectories.
    suffix = "$" if body.endswith("/*") and not body.endswith("**/*") else "(?:/|$)"
    return re.compile(prefix + "".join(out) + suffix)


def _strings(value: object, path: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"{path} must be a list of strings")
    return tuple(value)


def _string(entry: Mapping[str, object], key: str, path: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{path}.{key} must be a non-empty string")
    return value


def _entries(data: Mapping[str, object], key: str) -> Sequence[Mapping[str, object]]:
    value = data.get(key)
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError(f"identities.{key} must be a list of mappings")
    return value


def mapping_from_plain(data: Mapping[str, object]) -> IdentityMapping:
    """Build the mapping from the plain `identities:` value; ValueError names the bad key path."""
    unknown = set(data) - {"source", "users", "teams", "codeowners"}
    if unknown:
        raise ValueError(f"identities: unknown key(s) {', '.join(sorted(unknown))}")
    try:
        source = IdentitySource(data.get("source", "author"))
    except ValueError:
        raise ValueError("identities.source must be 'author' or 'codeowners'") from None
    users = tuple(UserMapping(_string(e, "author", f"identities.users[{i}]"),
                              _string(e, "user", f"identities.users[{i}]"),
                              _strings(e.get("groups"), f"identities.users[{i}].groups"))
                  for i, e in enumerate(_entries(data, "users")))
    teams = tuple(TeamMapping(_string(e, "team", f"identities.teams[{i}]"),
                              _strings(e.get("members"), f"identities.teams[{i}].members"),
                              _strings(e.get("groups"), f"identities.teams[{i}].groups"))
                  for i, e in enumerate(_entries(data, "teams")))
    owners = tuple(PathOwners(_string(e, "path", f"identities.codeowners[{i}]"),
                              _strings(e.get("owners"), f"identities.codeowners[{i}].owners"))
                   for i, e in enumerate(_entries(data, "codeowners")))
    return IdentityMapping(users, teams, owners, source)
