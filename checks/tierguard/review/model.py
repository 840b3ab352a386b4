"""What a change review finds, per environment: the result types every formatter renders.

Pure data. The review pipeline (`review.run`) fills these in, `review.gate` decides, and the
`report_*` formatters only render; none of them filters, counts failures or picks an exit code.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from tierguard.diagnostics import Diagnostic, Span


class Verdict(enum.Enum):
    ALLOW = "allow"
    DENY = "deny"
    # The evaluator could not decide (an endpoint outside the inventory, an L7 rule, ...).
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class RuleLocation:
    """The policy rule (or tier default) that decided a verdict, located in the head tree."""

    policy: str  # display name, e.g. "application/sock-shop/carts-ingress"
    tier: str
    rule: str  # "ingress[0]", "egress[2]", "end of tier", "profile kns.sock-shop"
    action: str  # "allow" | "deny" | "pass" | "log"
    span: Span | None = None

    def where(self) -> str:
        if self.span is None:
            return self.policy
        return f"{self.span.file}:{self.span.line}"


@dataclass(frozen=True, slots=True, order=True)
class FlowKey:
    """Observed flows are grouped by source workload, destination workload and port/protocol."""

    source: str  # "namespace/workload", or an IP / network name for peers outside the cluster
    destination: str
    port: int
    protocol: str  # "TCP", "UDP", "SCTP", "ICMP", or a number


@dataclass(frozen=True, slots=True)
class FlowStats:
    flows: int
    bytes: int
    last_seen: str  # ISO-8601 UTC; "" when the source has no time


@dataclass(frozen=True, slots=True)
class FlowChange:
    """A group of observed flows whose verdict differs between base and head."""

    key: FlowKey
    stats: FlowStats
    before: Verdict
    after: Verdict
    responsible: RuleLocation | None
    # Set when a connectivity test or an acknowledgement says the change is intended.
    acknowledged_by: str = ""


@dataclass(frozen=True, slots=True)
class StagedImpact:
    """Observed flows whose pending verdict (staged policies evaluated) differs from enforced."""

    key: FlowKey
    stats: FlowStats
    enforced: Verdict  # head, staged policies ignored
    pending: Verdict  # head, staged policies evaluated alongside
    base_pending: Verdict  # what base's staged policies would have done
    responsible: RuleLocation | None

    @property
    def changed_from_base(self) -> bool:
        return self.pending is not self.base_pending


@dataclass(frozen=True, slots=True)
class ReachabilityChange:
    """A workload pair and port over the inventory whose reachability changes (observed or not)."""

    key: FlowKey
    before: Verdict
    after: Verdict
    observed: bool  # True when recorded flows contain this pair and port
    responsible: RuleLocation | None


@dataclass(frozen=True, slots=True)
class ConnTestResult:
    """One connectivity test (tests/connectivity/*.yaml) evaluated against head."""

    name: str
    environment: str
    source: str
    destination: str
    port: int
    protocol: str
    expect: Verdict
    actual: Verdict
    explanation: str
    span: Span | None = None
    # The verdict under base (None: the test is new in head). A test that already failed in base
    # is reported but does not block: the change did not break it.
    base_actual: Verdict | None = None

    @property
    def passed(self) -> bool:
        return self.actual is self.expect

    @property
    def failed_in_base(self) -> bool:
        return self.base_actual is not None and self.base_actual is not self.expect

    @property
    def newly_failing(self) -> bool:
        return not self.passed and not self.failed_in_base


@dataclass(frozen=True, slots=True)
class RbacDecision:
    check: str  # "change" (author authorization) or "tenant" (Flux service account)
    subject: str
    allowed: bool
    message: str
    span: Span | None = None


class FindingStatus(enum.Enum):
    NEW = "new"  # in head only: blocking when severe enough
    EXISTING = "existing"  # in base and head: reported, never blocking
    FIXED = "fixed"  # in base only


@dataclass(frozen=True, slots=True)
class Finding:
    diagnostic: Diagnostic
    status: FindingStatus
    tree: str  # "head" or "base": whose file the span points into


class GateKind(enum.Enum):
    NEWLY_DENIED = "newly-denied"
    TEST_FAILED = "test-failed"
    UNAUTHORIZED = "unauthorized"
    NEW_FINDINGS = "new-findings"
    NOT_EVALUATED = "not-evaluated"  # an environment could not be rendered or evaluated


@dataclass(frozen=True, slots=True)
class GateReason:
    kind: GateKind
    environment: str
    message: str
    span: Span | None = None


@dataclass(frozen=True, slots=True)
class Gate:
    reasons: tuple[GateReason, ...] = ()

    @property
    def passed(self) -> bool:
        return not self.reasons


@dataclass(frozen=True, slots=True)
class Acknowledgement:
    """An intended break: `from`/`to`/`port` with a reason and an expiry date."""

    source: str  # "ns/workload", fnmatch-style wildcards allowed
    destination: str
    port: int | None
    protocol: str | None
    reason: str
    expires: str  # YYYY-MM-DD
    environments: tuple[str, ...] = ()  # empty: every environment
    span: Span | None = None

    def label(self) -> str:
        where = f" ({self.span.file}:{self.span.line})" if self.span else ""
        return f"acknowledged until {self.expires}: {self.reason}{where}"


@dataclass(frozen=True, slots=True)
class Coverage:
    """How much work the review did, and how much the touched-endpoint filter saved."""

    flow_groups: int = 0
    flow_groups_reevaluated: int = 0  # touched by the change: evaluated under base and head
    flow_groups_staged: int = 0  # reached by head's staged policies: evaluated for staged impact
    flows: int = 0
    endpoints: int = 0
    touched_endpoints: int = 0
    changed_policies: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EnvironmentReview:
    name: str
    newly_denied: tuple[FlowChange, ...] = ()
    newly_allowed: tuple[FlowChange, ...] = ()
    staged_impact: tuple[StagedImpact, ...] = ()
    connectivity_diff: tuple[ReachabilityChange, ...] = ()
    tests: tuple[ConnTestResult, ...] = ()
    rbac: tuple[RbacDecision, ...] = ()
    findings: tuple[Finding, ...] = ()
    coverage: Coverage = Coverage()
    notes: tuple[str, ...] = ()  # things the reviewer should know that are not gate reasons
    gate: Gate = Gate()


@dataclass(frozen=True, slots=True)
class ReviewResult:
    base: str  # the base ref as given, plus its commit
    head: str  # a ref, or "working tree"
    author: str
    environments: tuple[EnvironmentReview, ...]
    expired_acknowledgements: tuple[Acknowledgement, ...] = ()
    gate: Gate = Gate()
    elapsed_seconds: float = 0.0
    notes: tuple[str, ...] = field(default=())
