"""Recognise a flow-log format from the content (never from the file name)."""

from __future__ import annotations

import json
import re

from tierguard.flows.model import SourceFormat
from tierguard.flows.source import PARQUET_MAGIC

_VPC_LINE = re.compile(r"^(version\s|\$\{version\}|\d+\s+\S+\s+(eni-|-)\S*\s)")
_VPC_HEADER_FIELDS = ("srcaddr", "dstaddr", "pkt-srcaddr", "interface-id", "log-status")


def detect(head: bytes) -> SourceFormat | None:
    """The format of a file whose first (decompressed) bytes are `head`, or None."""
    if head.startswith(PARQUET_MAGIC):
        return SourceFormat.VPC_PARQUET
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    # Skip server-sent-event framing (Whisker's watch stream) to reach the first data line.
    first = next((line.strip() for line in text.splitlines() if line.strip()
                  and not line.startswith(("event:", "id:", "retry:", ":"))), "")
    if first.startswith("data:"):
        first = first[len("data:"):].strip()  # Whisker watch stream (server-sent events)
    if first.startswith("{"):
        return _detect_json(first, text)
    if "SIP:" in first and "DIP:" in first:
        return SourceFormat.EKS_AGENT
    if "Flow Info" in first:
        return SourceFormat.EKS_AGENT
    if _VPC_LINE.match(first) or any(field in first.split() for field in _VPC_HEADER_FIELDS):
        return SourceFormat.VPC
    return None


def _detect_json(first: str, text: str) -> SourceFormat | None:
    try:
        obj = json.loads(first)
    except json.JSONDecodeError:
        return _detect_document(text)
    if not isinstance(obj, dict):
        return None
    return _by_keys(obj)


def _by_keys(obj: dict[str, object]) -> SourceFormat | None:
    if "Key" in obj:
        return SourceFormat.GOLDMANE
    if "flow" in obj or ("verdict" in obj and "IP" in obj):
        return SourceFormat.HUBBLE
    if "items" in obj or "total" in obj:
        return SourceFormat.WHISKER
    if "Src IP" in obj or "Flow Info" in str(obj.get("msg", "")):
        return SourceFormat.EKS_AGENT
    source = obj.get("_source")
    doc = source if isinstance(source, dict) else obj
    # Endpoint types: only Enterprise records carry them (hand-written simulate inputs may
    # have little else).
    if ("source_name_aggr" in doc or "dest_name_aggr" in doc or "num_flows" in doc
            or "source_type" in doc or "dest_type" in doc):
        return SourceFormat.CALICO_ENTERPRISE
    if "protocol" in doc and "source_name" in doc:
        return SourceFormat.WHISKER
    if "start_time" in doc and "proto" in doc:
        return SourceFormat.CALICO_ENTERPRISE
    return None


def _detect_document(text: str) -> SourceFormat | None:
    """A pretty-printed JSON document (only the head is available)."""
    if re.search(r'"items"\s*:', text) and '"reporter"' in text:
        return SourceFormat.WHISKER
    if '"source_name_aggr"' in text:
        return SourceFormat.CALICO_ENTERPRISE
    return None
