"""Diagnostic codes of the change review (REV7xx)."""

from __future__ import annotations

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Severity

NEWLY_DENIED = "REV701"
NEWLY_ALLOWED = "REV702"
STAGED_IMPACT = "REV703"
REACHABILITY_CHANGE = "REV704"
TEST_FAILED = "REV705"
UNAUTHORIZED_CHANGE = "REV706"
NEW_FINDING = "REV707"
ENVIRONMENT_NOT_EVALUATED = "REV708"
ACK_INVALID = "REV709"
ACK_EXPIRED = "REV710"
CONNTEST_INVALID = "REV711"
ACKNOWLEDGED_DENY = "REV712"

CODES: tuple[CodeDoc, ...] = (
    CodeDoc(NEWLY_DENIED, "newly-denied-observed-flow", Severity.ERROR,
            "The change denies traffic that was allowed and has been observed in recorded flows.",
            why="Observed traffic is real traffic: once Flux applies the change, these connections "
                "fail. Block the change unless a connectivity test (expect: deny) or an "
                "acknowledgement with a reason and an expiry says the break is intended.",
            failing="- action: Allow ...  # removed; front-end -> carts:80 was seen 1,204 times",
            passing="acknowledged:\n- from: sock-shop/front-end\n  to: sock-shop/carts\n  port: 80\n"
                    "  reason: carts moves behind the gateway\n  expires: 2026-12-31"),
    CodeDoc(NEWLY_ALLOWED, "newly-allowed-observed-flow", Severity.NOTE,
            "The change allows observed traffic that was denied before.",
            why="Opening a path is sometimes the point of a change and sometimes a mistake; "
                "reviewers should see it either way."),
    CodeDoc(STAGED_IMPACT, "staged-policy-impact", Severity.WARNING,
            "A staged policy in head would change the verdict of observed flows once enforced.",
            why="Staged policies are previews. This is what enforcing them would do to real traffic."),
    CodeDoc(REACHABILITY_CHANGE, "reachability-change", Severity.NOTE,
            "A workload pair and port in the inventory becomes reachable or unreachable.",
            why="Covers paths that recorded flows never saw, e.g. a new broad allow rule."),
    CodeDoc(TEST_FAILED, "connectivity-test-failed", Severity.ERROR,
            "A connectivity test in tests/connectivity/ does not hold under the changed policy.",
            why="Connectivity tests state intended reachability; a failure means the change breaks "
                "a promise someone wrote down."),
    CodeDoc(UNAUTHORIZED_CHANGE, "unauthorized-change", Severity.ERROR,
            "The change author, or the Flux tenant that applies it, may not make this change.",
            why="GitOps applies with the reconciler's rights; without this check a merge bypasses "
                "tier RBAC or fails at reconcile time after the merge."),
    CodeDoc(NEW_FINDING, "new-validation-finding", Severity.ERROR,
            "Validating head reports a finding that base does not have.",
            why="Only new findings block a change; existing ones are reported and left to their own fix."),
    CodeDoc(ENVIRONMENT_NOT_EVALUATED, "environment-not-evaluated", Severity.ERROR,
            "An environment could not be rendered, loaded or evaluated, so the change is unproven there.",
            why="A review that silently skips an environment would pass changes nobody checked."),
    CodeDoc(ACK_INVALID, "acknowledgement-invalid", Severity.ERROR,
            "An acknowledgement entry is malformed (missing from/to, reason or expiry, or a bad date).",
            why="An acknowledgement waives a gate; it must say what, why and until when.",
            failing="- from: sock-shop/front-end\n  to: sock-shop/carts",
            passing="- from: sock-shop/front-end\n  to: sock-shop/carts\n  port: 80\n"
                    "  reason: carts moves behind the gateway\n  expires: 2026-12-31"),
    CodeDoc(ACK_EXPIRED, "acknowledgement-expired", Severity.WARNING,
            "An acknowledgement has passed its expiry date and no longer waives anything.",
            why="Waivers must be revisited; an expired one is reported and ignored."),
    CodeDoc(CONNTEST_INVALID, "connectivity-test-invalid", Severity.ERROR,
            "A connectivity test entry is malformed or names an endpoint the inventory lacks.",
            why="A test that cannot be evaluated proves nothing; it is reported, never skipped silently."),
    CodeDoc(ACKNOWLEDGED_DENY, "acknowledged-newly-denied-flow", Severity.NOTE,
            "The change denies observed traffic, and a test or acknowledgement says that is intended.",
            why="Reported so the reviewer still sees what breaks, without blocking the change."),
)
