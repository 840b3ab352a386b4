"""Text: a terminal summary of the observe model (counts, the notable edges, the gaps)."""

from __future__ import annotations

import re

from tierguard.observe.model import STATUS_ORDER, Edge, ObserveModel, Status
from tierguard.observe.render_json import iso

NAME = "text"
# Allowed edges are the bulk; list every other status in full and allowed ones only as a count.
_LISTED = (Status.DENIED, Status.WOULD_BE_DENIED, Status.WOULD_BE_ALLOWED)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _safe(text: str) -> str:
    """Names come from flow logs: no terminal escape sequence or line break reaches the terminal."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def edge_line(edge: Edge) -> str:
    deciders = "; ".join(
        f"{d.mode} {d.side}: {_safe(d.policy)} {d.action} ({d.rule})"
        + (f" at {_safe(d.where)}" if d.where else "") for d in edge.decisions)
    return (f"  {_safe(edge.src.display)} -> {_safe(edge.dst.display)} {edge.service}: "
            f"{edge.status.value.upper()} flows={edge.flows} last={iso(edge.last_ms) or '-'}"
            + (" (recorded: " + ", ".join(f"{a}x{n}" for a, n in edge.recorded) + ")"
               if edge.recorded_differs else "")
            + (f"\n      {deciders}" if deciders else ""))


def render(model: ObserveModel) -> str:
    counts = model.status_counts()
    title = f"environment {model.environment}" if model.environment else "explicit inputs"
    lines = [f"tierguard observe: {_safe(title)} (Calico {model.calico_version} {model.edition})",
             (f"records: {model.records} read, {model.evaluated} evaluated, "
              f"{sum(u.records for u in model.unresolved)} unresolved"),
             f"graph: {len(model.nodes)} nodes, {len(model.edges)} edges ("
             + ", ".join(f"{counts[s]} {s.value}" for s in STATUS_ORDER) + "), "
             f"{sum(1 for e in model.edges if e.recorded_differs)} differing from the recorded action"]
    for status in _LISTED:
        edges = [e for e in model.edges if e.status is status]
        if edges:
            lines.append(f"{status.value} ({len(edges)}):")
            lines.extend(edge_line(e) for e in edges)
    gaps = model.gaps
    lines.append(f"gaps: {len(gaps.unselected)} workload direction(s) decided by the profile, "
                 f"{len(gaps.profile_allowed)} edge(s) allowed only by a profile, "
                 f"{len(gaps.quiet)} workload(s) without observed traffic")
    for item in gaps.unselected:
        lines.append(f"  {item.direction} {item.coverage.value}: {_safe(item.node.display)} "
                     f"({item.pods_affected} of {item.pods} pods)")
    for edge in gaps.profile_allowed:
        lines.append(f"  profile-only ({'+'.join(edge.profile_allowed)}): "
                     f"{_safe(edge.src.display)} -> {_safe(edge.dst.display)} {edge.service}")
    for node in gaps.quiet:
        lines.append(f"  no traffic: {_safe(node.key.display)}")
    for unresolved in model.unresolved:
        lines.append(f"unresolved ({unresolved.records} records, e.g. {_safe(unresolved.example)}): "
                     f"{_safe(unresolved.reason)}")
    lines.extend(f"note: {_safe(n)}" for n in model.notes)
    return "\n".join(lines) + "\n"
