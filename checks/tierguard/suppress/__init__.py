"""In-repository waivers: the `tierguard.io/ignore` annotation, and applying it to findings.

Pure: ResourceDocs and Diagnostics in, waivers and split diagnostics out (no I/O, no printing).
"""

from __future__ import annotations

from tierguard.suppress.apply import Suppressed, SuppressionResult, apply_waivers
from tierguard.suppress.waivers import (
    ANNOTATION,
    Waiver,
    WaiverParse,
    WaiverSite,
    parse_waivers,
    waivers_of,
)

__all__ = ["ANNOTATION", "Suppressed", "SuppressionResult", "Waiver", "WaiverParse", "WaiverSite",
           "apply_waivers", "parse_waivers", "waivers_of"]
