"""Diagnostic codes of the flow readers, resolution and store (FLW5xx)."""

from __future__ import annotations

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Severity

MALFORMED_LINE = "FLW501"
BAD_FIELD = "FLW502"
UNKNOWN_ENUM = "FLW503"
INVALID_IP = "FLW504"
TRUNCATED_FILE = "FLW505"
BAD_POLICY_HIT = "FLW506"
DUPLICATE_RECORD = "FLW507"
CLOCK_SKEW = "FLW508"
UNKNOWN_FORMAT = "FLW509"
UNREADABLE_FILE = "FLW510"
SKIPPED_DATA = "FLW511"
MISSING_TIME = "FLW512"
SKIPPED_EVENTS = "FLW513"
UNRESOLVED_IP = "FLW520"
ALREADY_IMPORTED = "FLW530"
DUPLICATES_IN_STORE = "FLW531"
RETENTION_DROPPED = "FLW532"

_REF = "flow-formats.md; calico-semantics.md §6"

CODES: tuple[CodeDoc, ...] = (
    CodeDoc(MALFORMED_LINE, "malformed-flow-line", Severity.ERROR,
            "A flow-log line is not valid JSON or not in the expected text layout.",
            why="The record is lost; a half-written last line usually means the file was copied "
                "while the node was still writing it. The import continues with the next line.",
            failing='{"start_time":1741003237,"end_time":17410',
            passing='{"start_time":1741003237,"end_time":1741003537, ...}', references=_REF),
    CodeDoc(BAD_FIELD, "bad-flow-field", Severity.ERROR,
            "A required field is missing or has the wrong type.",
            why="Without a time, peers or action a record cannot be simulated; it is skipped.",
            failing='{"start_time":"yesterday", ...}', passing='{"start_time":1741003237, ...}',
            references=_REF),
    CodeDoc(UNKNOWN_ENUM, "unknown-enum-value", Severity.ERROR,
            "An enumerated field (action, reporter, endpoint type, verdict) has a value this "
            "version of tierguard does not know.",
            why="Guessing the meaning of a new value could turn a deny into an allow; the record "
                "is skipped and counted instead.",
            failing='"action":"maybe"', passing='"action":"deny"', references=_REF),
    CodeDoc(INVALID_IP, "invalid-ip", Severity.ERROR,
            "An IP address field is not a valid IPv4 or IPv6 address.",
            why="The AWS documentation's own example has a truncated IP (64.6.160); such records "
                "cannot be joined to workloads.",
            failing='"Dest IP":"64.6.160"', passing='"Dest IP":"64.6.160.1"', references=_REF),
    CodeDoc(TRUNCATED_FILE, "truncated-compressed-file", Severity.ERROR,
            "A gzip file ends before its end-of-stream marker.",
            why="Everything after the cut is lost; the records before it are imported.",
            references=_REF),
    CodeDoc(BAD_POLICY_HIT, "bad-policy-hit", Severity.WARNING,
            "A policy-hit string does not have the `<index>|<tier>|<name>|<action>|<rule>` shape.",
            why="The record is kept with the raw string, but the hit cannot be compared with "
                "simulated traces.",
            failing='"0|tier1|ns1/tier1.p1|maybe|0"', passing='"0|tier1|ns1/tier1.p1|allow|0"',
            references="calico-semantics.md §6.1"),
    CodeDoc(DUPLICATE_RECORD, "duplicate-flow-record", Severity.WARNING,
            "The same record appears twice in the input.",
            why="Counting it twice would inflate traffic; the second copy is skipped.",
            references=_REF),
    CodeDoc(CLOCK_SKEW, "clock-skew", Severity.WARNING,
            "A record ends before it starts, or lies far in the future.",
            why="Node clocks drift; the record is kept (with start and end swapped when reversed) "
                "but its time window is suspect.",
            failing='"start_time":1741003537,"end_time":1741003237', references=_REF),
    CodeDoc(UNKNOWN_FORMAT, "unknown-flow-format", Severity.ERROR,
            "The input does not look like any supported flow-log format.",
            why="Nothing can be read; pass --format to force a reader.", references=_REF),
    CodeDoc(UNREADABLE_FILE, "unreadable-flow-file", Severity.ERROR,
            "A flow file cannot be opened or decoded.", references=_REF),
    CodeDoc(SKIPPED_DATA, "vpc-skipped-data", Severity.WARNING,
            "A VPC Flow Logs record has log-status SKIPDATA: AWS dropped records in that window.",
            why="Traffic in the window is incomplete; a simulation over it may miss flows.",
            references="flow-formats.md (c)"),
    CodeDoc(MISSING_TIME, "missing-flow-time", Severity.WARNING,
            "A record carries no timestamp (EKS agent CloudWatch messages); the file's "
            "modification time is used.",
            why="Time-aware workload resolution and retention use that approximate time.",
            references="flow-formats.md (e)"),
    CodeDoc(SKIPPED_EVENTS, "skipped-non-flow-events", Severity.NOTE,
            "Events that are not flows were counted and skipped (Hubble replies, EKS agent "
            "EXPIRED/DELETED, VPC NODATA).", references=_REF),
    CodeDoc(UNRESOLVED_IP, "unresolved-ip", Severity.WARNING,
            "An IP-only record could not be joined to a pod, node or Service of the inventory.",
            why="Policies select workloads by labels; an unknown private IP cannot be evaluated.",
            references="flow-formats.md (c), (e)"),
    CodeDoc(ALREADY_IMPORTED, "already-imported", Severity.NOTE,
            "A file with the same content was imported into the store before; it is skipped.",
            references="docs/flow-store.md"),
    CodeDoc(DUPLICATES_IN_STORE, "records-already-in-store", Severity.NOTE,
            "Records of this file were already in the store (overlapping exports) and were not "
            "counted again.", references="docs/flow-store.md"),
    CodeDoc(RETENTION_DROPPED, "outside-retention", Severity.NOTE,
            "Aggregated flows older than the retention window were removed from the store.",
            references="docs/flow-store.md"),
)

DEFAULT_SEVERITY: dict[str, Severity] = {doc.code: doc.default_severity for doc in CODES}
