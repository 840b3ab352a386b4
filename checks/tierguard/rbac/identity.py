"""Who is asking: user info as the API server builds it for an impersonated request.

Follows `k8s.io/apiserver/pkg/endpoints/filters/impersonation.go` and
`k8s.io/apiserver/pkg/authentication/serviceaccount/util.go`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:"
ALL_SERVICE_ACCOUNTS = "system:serviceaccounts"
AUTHENTICATED = "system:authenticated"
UNAUTHENTICATED = "system:unauthenticated"
ANONYMOUS = "system:anonymous"

_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


@dataclass(frozen=True, slots=True)
class UserInfo:
    name: str
    groups: tuple[str, ...] = ()


def service_account_username(namespace: str, name: str) -> str:
    """`system:serviceaccount:NS:NAME`."""
    return f"{SERVICE_ACCOUNT_PREFIX}{namespace}:{name}"


def service_account_groups(namespace: str) -> tuple[str, str]:
    """The groups every service account of `namespace` belongs to."""
    return ALL_SERVICE_ACCOUNTS, f"{ALL_SERVICE_ACCOUNTS}:{namespace}"


def split_service_account(username: str) -> tuple[str, str] | None:
    """(namespace, name) when `username` is a valid service-account user name (`SplitUsername`)."""
    if not username.startswith(SERVICE_ACCOUNT_PREFIX):
        return None
    parts = username[len(SERVICE_ACCOUNT_PREFIX):].split(":")
    if len(parts) != 2:
        return None
    namespace, name = parts
    if len(namespace) > 63 or not _DNS_LABEL.fullmatch(namespace):
        return None
    if len(name) > 253 or not _DNS_SUBDOMAIN.fullmatch(name):
        return None
    return namespace, name


def impersonate(username: str, groups: Sequence[str] = ()) -> UserInfo:
    """The user the API server authorizes for `--as USER [--as-group G ...]`.

    A service-account user gets its two implicit groups only when no group is given (upstream:
    `if !groupsSpecified`). Everyone but `system:anonymous` gets `system:authenticated` unless
    `system:authenticated` or `system:unauthenticated` was given; the anonymous user gets
    `system:unauthenticated`.
    """
    result = list(groups)
    account = split_service_account(username)
    if account is not None and not groups:
        result = list(service_account_groups(account[0]))
    if username != ANONYMOUS:
        if AUTHENTICATED not in result and UNAUTHENTICATED not in result:
            result.append(AUTHENTICATED)
    elif UNAUTHENTICATED not in result:
        result.append(UNAUTHENTICATED)
    return UserInfo(username, tuple(result))
