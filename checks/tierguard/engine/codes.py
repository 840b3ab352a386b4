"""Diagnostic codes of evaluation and simulation (ENG601-ENG649; the compiler owns ENG650+)."""

from __future__ import annotations

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Severity

FLOW_UNRESOLVED = "ENG601"
FLOW_MALFORMED = "ENG602"
RULE_NOT_EVALUABLE = "ENG603"
NAMED_PORT_UNDECLARED = "ENG604"
NO_CALICO_ENDPOINT = "ENG605"
AMBIGUOUS_PEER = "ENG606"
FLOW_EMPTY = "ENG607"

CODES: tuple[CodeDoc, ...] = (
    CodeDoc(FLOW_UNRESOLVED, "flow-endpoint-unresolved", Severity.WARNING,
            "A flow or probe names a pod, host endpoint or network set that the inventory does not "
            "contain, so it cannot be simulated.",
            why="Without the endpoint's labels no selector can be evaluated; guessing would give "
                "a verdict Calico never computed. The record is reported with an error, never dropped.",
            failing="from: shop/cart-0   # no pod cart-0 in namespace shop in the inventory",
            passing="from: shop/cart-5d9f8b-x2k4q",
            references="calico-semantics.md §9.3"),
    CodeDoc(FLOW_MALFORMED, "flow-input-malformed", Severity.ERROR,
            "A line of a flow log or probe file cannot be read (bad JSON, missing field, bad port "
            "or protocol).",
            why="A record that cannot be parsed cannot be simulated; it is reported with its line.",
            failing="from,to,port,protocol\nshop/web,shop/db,eighty,TCP",
            passing="from,to,port,protocol\nshop/web,shop/db,80,TCP"),
    CodeDoc(RULE_NOT_EVALUABLE, "rule-not-evaluable", Severity.NOTE,
            "A rule could not be decided from an L3/L4 flow (HTTP match, Enterprise domains, or a "
            "port, ICMP type or IP the record lacks); it was treated as not matching and the "
            "verdict is marked uncertain.",
            why="HTTP rules are enforced by application-layer policy, not by the Linux dataplane; "
                "flow logs carry no HTTP fields. Treating them as matching would invent allows.",
            failing="ingress:\n- action: Allow\n  http:\n    methods: [GET]",
            references="calico-semantics.md §1.1, §9.6"),
    CodeDoc(NAMED_PORT_UNDECLARED, "named-port-undeclared", Severity.WARNING,
            "A rule uses a named port that no endpoint in the inventory declares.",
            why="A named port matches only addresses of endpoints that declare it, so such a port "
                "clause matches nothing and the rule is dead.",
            failing="destination:\n  ports: [metrics]   # no container port is named metrics",
            passing="destination:\n  ports: [http-metrics]",
            references="calico-semantics.md §1.11"),
    CodeDoc(NO_CALICO_ENDPOINT, "no-calico-endpoint", Severity.WARNING,
            "Neither end of a flow is a Calico endpoint (pod or host endpoint) of the inventory, so "
            "no Calico policy applies to it.",
            why="The flow either comes from another cluster or the inventory is stale."),
    CodeDoc(AMBIGUOUS_PEER, "ambiguous-peer", Severity.NOTE,
            "An aggregated flow record or label probe matches several endpoints with different "
            "labels; the first (by name) was evaluated.",
            why="Aggregated flow logs drop IPs and names; endpoints with different labels may get "
                "different verdicts.",
            references="calico-semantics.md §9.3"),
    CodeDoc(FLOW_EMPTY, "flow-input-empty", Severity.WARNING,
            "The flow or probe file is empty: there is nothing to simulate.",
            why="An empty file is well-formed (zero records), so it is not ENG602; but it is "
                "usually a mistake (a wrong path or glob, an export that failed), so the run says "
                "so instead of succeeding silently.",
            failing="# flows.jsonl: 0 bytes, or only blank lines",
            passing='{"source_type": "wep", "source_ip": "10.0.0.10", "dest_type": "wep", '
                    '"dest_ip": "10.0.0.30", "proto": "tcp", "dest_port": 5432}'),
)
