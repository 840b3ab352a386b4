"""Diagnostic codes of `tierguard recommend` (REC95x: recommendations from recorded flows)."""

from __future__ import annotations

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Severity

TIER_CREATED = "REC950"
NAME_REJECTED = "REC951"
NO_FLOWS = "REC952"
RULES_AGGREGATED = "REC953"
RULES_TRUNCATED = "REC954"
BREAKS_OBSERVED_FLOW = "REC955"
FLOW_UNVERIFIABLE = "REC956"
PEER_UNSUPPORTED = "REC957"
PORTS_WIDENED = "REC958"
DNS_SELECTOR_DROPPED = "REC959"

_REF = "calico-semantics.md §8 (policy recommendation engine), §5 (staged policies); docs/recommend.md"

CODES: tuple[CodeDoc, ...] = (
    CodeDoc(TIER_CREATED, "recommendation-tier-created", Severity.NOTE,
            "The recommendation tier is defined nowhere, so a Tier object is written with the "
            "recommendations (order 10000, defaultAction Deny, as Calico Enterprise creates "
            "namespace-isolation).",
            why="A policy in a tier that does not exist is rejected by Calico; the tier has to be "
                "applied before (or with) the staged policies.",
            failing="spec:\n  tier: namespace-isolation   # no Tier namespace-isolation anywhere",
            passing="kind: Tier\nmetadata:\n  name: namespace-isolation\nspec:\n  order: 10000",
            references=_REF),
    CodeDoc(NAME_REJECTED, "untrusted-name-rejected", Severity.WARNING,
            "A namespace, network-set or label taken from a flow log or the inventory is not a "
            "valid Kubernetes name, so it is not written into a selector.",
            why="Flow logs and inventories are untrusted input. A value such as "
                "`x' || all() || 'y` pasted into `projectcalico.org/name == '...'` would widen the "
                "selector to every endpoint; such records are skipped instead.",
            failing='"dest_namespace": "x\' || all() || \'y"',
            passing='"dest_namespace": "sock-shop"', references=_REF),
    CodeDoc(NO_FLOWS, "no-flows-for-namespace", Severity.WARNING,
            "No allowed flow reported by the namespace's own endpoints falls in the window, so no "
            "recommendation is made for it (Calico's `NoData`).",
            why="A policy learnt from no traffic would isolate the namespace completely.",
            failing="tierguard recommend --namespace idle --since 2026-11-24T00:00:00Z",
            passing="a window that contains the namespace's traffic", references=_REF),
    CodeDoc(RULES_AGGREGATED, "rules-aggregated-for-max-rules", Severity.WARNING,
            "A direction had more rules than --max-rules, so rules of the same kind and protocol "
            "were merged (namespaces into one `in {...}` selector, network sets into one selector).",
            why="Merging keeps every observed flow allowed but also allows the merged peers on each "
                "other's ports; review the merged rule.",
            failing="21 namespace rules with --max-rules 20",
            passing="one rule: namespaceSelector: projectcalico.org/name in {'a', 'b', ...}",
            references=_REF),
    CodeDoc(RULES_TRUNCATED, "rules-truncated-for-max-rules", Severity.ERROR,
            "Even after merging, a direction has more rules than --max-rules; the last rules are "
            "left out and the flows they covered would be denied.",
            why="The proof step lists the observed flows the truncated recommendation would deny.",
            failing="--max-rules 1 with DNS and namespace traffic",
            passing="--max-rules 20", references=_REF),
    CodeDoc(BREAKS_OBSERVED_FLOW, "recommendation-breaks-observed-flow", Severity.ERROR,
            "Replayed through the engine with the recommendation enforced, an observed allowed flow "
            "is denied.",
            why="A recommendation must at least keep the traffic it was learnt from. Causes: rules "
                "truncated by --max-rules, --only-undecided leaving out flows that a later tier "
                "(e.g. Kubernetes NetworkPolicies in the default tier) allowed, or an inventory "
                "that disagrees with the flow log.",
            failing="ledger/api -> kube-system/coredns UDP 53 denied by namespace-isolation",
            passing="every replayed flow allowed", references=_REF),
    CodeDoc(FLOW_UNVERIFIABLE, "flow-not-verifiable", Severity.WARNING,
            "An observed flow could not be replayed: a peer is not in the inventory, or the engine "
            "could not decide a rule for it (e.g. `nets` for a peer without an IP).",
            why="It is counted and listed, never silently treated as proven.",
            failing="a flow from a pod that no longer exists in the inventory",
            passing="an inventory recorded in the same window as the flows", references=_REF),
    CodeDoc(PEER_UNSUPPORTED, "peer-not-turned-into-rule", Severity.WARNING,
            "An observed flow's peer cannot be expressed as a rule (no protocol number, an IP-only "
            "record without workload resolution, a host peer without an IP, a `net` peer that is "
            "neither `pub` nor `pvt`).",
            why="The recommendation does not cover that flow; the proof step reports it as denied.",
            failing='"dest_type": "net", "dest_name_aggr": "-", "dest_ip": null',
            passing='"dest_type": "net", "dest_name_aggr": "pvt"', references=_REF),
    CodeDoc(PORTS_WIDENED, "ports-widened", Severity.NOTE,
            "A rule allows more ports than were observed: some records carried no destination port "
            "(aggregated away), the protocol takes no ports, or more than 50 ports were merged into "
            "ranges (Calico allows at most 50 port entries per rule).",
            why="The rule stays valid for Calico and keeps the observed flows, at the price of "
                "allowing a few unobserved ports.",
            failing="destination.ports with 80 entries", passing='ports: ["8000:8100"]',
            references=_REF),
    CodeDoc(DNS_SELECTOR_DROPPED, "dns-selector-not-found", Severity.NOTE,
            "The DNS destination's labels could not be turned into a selector that matches a pod "
            "of the DNS namespace in the inventory, so the DNS rule allows port 53 to the whole "
            "namespace.",
            why="Generated DNS rules with labels CoreDNS does not have break every lookup "
                "(peers.md §3 item 2); a namespace-wide rule is safer than a guessed label.",
            failing="selector: k8s-app == 'kube-dns' when the DNS pods are labelled app=coredns",
            passing="namespaceSelector: projectcalico.org/name == 'kube-system' (ports 53)",
            references=_REF),
)
