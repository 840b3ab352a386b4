"""Diagnostic codes of policy compilation (ENG65x, within the engine family ENG6xx)."""

from __future__ import annotations

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Severity

POLICY_NOT_COMPILED = "ENG650"
UNDEFINED_TIER = "ENG651"
KIND_NOT_IN_VERSION = "ENG652"
RULE_NOT_CONVERTED = "ENG653"

CODES: tuple[CodeDoc, ...] = (
    CodeDoc(POLICY_NOT_COMPILED, "policy-not-compiled", Severity.ERROR,
            "A policy holds a value Calico would reject (invalid selector, port, protocol, CIDR or "
            "action), so the simulation leaves the policy out.",
            why="Calico's API server refuses the whole object; simulating it anyway would show "
                "verdicts the cluster never gives.",
            failing="destination:\n  ports: ['80-90']", passing="destination:\n  ports: ['80:90']"),
    CodeDoc(UNDEFINED_TIER, "undefined-tier", Severity.ERROR,
            "A policy names a tier that no Tier object defines and that is not built in.",
            why="Calico rejects a policy whose tier does not exist; the simulation keeps it in an "
                "undefined tier ordered after every real tier (felix TierLess) so its effect is "
                "still visible.",
            failing="spec:\n  tier: securty", passing="spec:\n  tier: security",
            references="calico-semantics §1.5, §3.3"),
    CodeDoc(KIND_NOT_IN_VERSION, "kind-not-in-version", Severity.WARNING,
            "A policy kind does not exist in the configured Calico version, so it has no effect.",
            why="AdminNetworkPolicy/BaselineAdminNetworkPolicy are handled only by Calico 3.29-3.31 "
                "(BANP from 3.30) and ClusterNetworkPolicy only from 3.32; staged kinds need OSS 3.30.",
            references="calico-semantics version timeline, §1.10"),
    CodeDoc(RULE_NOT_CONVERTED, "rule-not-converted", Severity.WARNING,
            "A Kubernetes or admin policy rule cannot be converted; Calico drops it, or replaces it "
            "with a bare Deny when its action is Deny or Pass (fail-closed).",
            why="The rule you wrote is not the rule the cluster enforces.",
            references="calico-semantics §1.9, §1.10"),
)
