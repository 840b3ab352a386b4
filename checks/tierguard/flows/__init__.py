"""Recorded flows: readers for real flow-log formats, workload resolution and the flow store.

Public entry points: `read_flows` (files, globs, stdin or a store -> records and FlowErrors) and
the normalized model types.
"""

from __future__ import annotations

from tierguard.flows.model import (
                                   Action,
                                   Counts,
                                   EndpointType,
                                   FlowError,
                                   FlowRecord,
                                   HitAction,
                                   HitKind,
                                   Peer,
                                   PolicyHit,
                                   Protocol,
                                   Reporter,
                                   ServiceRef,
                                   SourceFormat,
)
from tierguard.flows.read import read_flows
from tierguard.flows.readers.base import ReadOptions
from tierguard.flows.source import InputError

__all__ = ["Action", "Counts", "EndpointType", "FlowError", "FlowRecord", "HitAction", "HitKind",
           "InputError", "Peer", "PolicyHit", "Protocol", "ReadOptions", "Reporter",
           "ServiceRef", "SourceFormat", "read_flows"]
