"""`who-can`: which binding subjects may make a request (tier grants included)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from tierguard.rbac.authorizer import RbacIndex, Request
from tierguard.rbac.subjects import SubjectKey, binding_subjects
from tierguard.rbac.tiers import DEFAULT_SETTINGS, AccessDecision, CalicoSettings, decide


@dataclass(frozen=True, slots=True)
class WhoCanEntry:
    subject: SubjectKey
    decision: AccessDecision

    @property
    def via(self) -> tuple[str, ...]:
        """The bindings that granted any of the checks, deduplicated, in order."""
        names = (str(g.binding.ref) for c in self.decision.checks for g in c.decision.grants)
        return tuple(dict.fromkeys(names))


def who_can(index: RbacIndex, request: Request, settings: CalicoSettings = DEFAULT_SETTINGS,
            tiers: Sequence[str] = ()) -> tuple[WhoCanEntry, ...]:
    """Each subject found in bindings that, acting as itself, is allowed `request` (user ignored)."""
    entries: list[WhoCanEntry] = []
    for subject in binding_subjects(index):
        decision = decide(index, replace(request, user=subject.identity()), settings, tiers)
        if decision.allowed:
            entries.append(WhoCanEntry(subject, decision))
    return tuple(entries)
