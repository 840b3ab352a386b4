"""The subjects named in bindings, and the identity each one acts as."""

from __future__ import annotations

from dataclasses import dataclass

from tierguard.model.rbac import SubjectKind
from tierguard.rbac.authorizer import RbacIndex
from tierguard.rbac.identity import (
    AUTHENTICATED,
    UNAUTHENTICATED,
    UserInfo,
    impersonate,
    service_account_username,
)


@dataclass(frozen=True, slots=True, order=True)
class SubjectKey:
    kind: str
    name: str
    namespace: str = ""

    def __str__(self) -> str:
        if self.kind == SubjectKind.SERVICE_ACCOUNT.value:
            return f"ServiceAccount {self.namespace}/{self.name}"
        return f"{self.kind} {self.name}"

    def identity(self) -> UserInfo:
        """A User acts alone (plus system:authenticated); a Group as an otherwise unknown member."""
        if self.kind == SubjectKind.SERVICE_ACCOUNT.value:
            return impersonate(service_account_username(self.namespace, self.name))
        if self.kind == SubjectKind.GROUP.value:
            extra = () if self.name in (AUTHENTICATED, UNAUTHENTICATED) else (AUTHENTICATED,)
            return UserInfo("", (self.name, *extra))
        return impersonate(self.name)


def binding_subjects(index: RbacIndex) -> tuple[SubjectKey, ...]:
    """Every valid subject of every binding, sorted; SA namespaces defaulted as the authorizer does."""
    found: set[SubjectKey] = set()
    for binding in index.bindings:
        for subject in binding.subjects:
            if subject.kind is SubjectKind.INVALID or not subject.name:
                continue
            namespace = ""
            if subject.kind is SubjectKind.SERVICE_ACCOUNT:
                namespace = subject.namespace or binding.namespace
                if not namespace:
                    continue
            found.add(SubjectKey(subject.kind.value, subject.name, namespace))
    return tuple(sorted(found))
