"""Readable tier-by-tier walkthrough of one evaluation (what `tierguard explain` prints).

It renders the steps the evaluator recorded while computing the verdict, so the walkthrough
cannot disagree with `simulate`: both come from `Evaluator.evaluate`.
"""

from __future__ import annotations

from collections.abc import Callable

from tierguard.diagnostics import Span
from tierguard.engine.ir import (
    CompiledPolicy,
    CompiledRule,
    Direction,
    IcmpMatch,
    IPNetwork,
    PortMatch,
    ServiceRef,
)
from tierguard.engine.match import Why
from tierguard.engine.packet import Packet, Peer, protocol_name
from tierguard.engine.trace import (
    FlowResult,
    Hit,
    ModeResult,
    PolicyStep,
    ProfileStep,
    SideResult,
    TierStep,
    TraceFormat,
    Uncertainty,
    hit_name,
    hit_string,
    name_part,
)

_MODE_TITLES = {
    "enforced": "Enforced (what the dataplane does; staged policies ignored)",
    "pending": "Pending (staged policies evaluated alongside, as Calico's pending_policies)",
    "replace-preview": "Replace preview (tierguard extension, not Calico behaviour: staged Set "
                       "replaces its enforced namesake, staged Delete removes it)",
}


def _where(span: Span | None) -> str:
    return f" ({span.file}:{span.line})" if span is not None else ""


def _ports(match: PortMatch) -> str:
    items = [str(r.first) if r.first == r.last else f"{r.first}:{r.last}" for r in match.ranges]
    return "[" + ", ".join(items + list(match.names)) + "]"


def why_text(why: Why, rule: CompiledRule, pkt: Packet) -> str:
    """One sentence saying why `rule` did not match `pkt`."""
    src, dst = rule.source, rule.destination
    texts: dict[Why, Callable[[], str]] = {
        Why.IP_VERSION: lambda: f"ipVersion {rule.ip_version} but the packet is IPv{pkt.ip_version}",
        Why.FAMILY: lambda: (f"its nets/notNets hold no IPv{pkt.ip_version} CIDR, so Calico does not "
                             f"render it for IPv{pkt.ip_version}"),
        Why.PROTOCOL: lambda: (f"protocol {protocol_name(rule.protocol or 0)} did not match "
                               f"{protocol_name(pkt.protocol)}"),
        Why.NOT_PROTOCOL: lambda: f"notProtocol {protocol_name(pkt.protocol)} excludes the packet",
        Why.ICMP: lambda: f"icmp {_icmp(rule.icmp)} did not match type {pkt.icmp_type} code {pkt.icmp_code}",
        Why.NOT_ICMP: lambda: f"notICMP {_icmp(rule.not_icmp)} excludes the packet",
        Why.ICMP_UNKNOWN: lambda: "ICMP type/code not in the flow record (uncertain; treated as no match)",
        Why.SRC_NETS: lambda: f"source nets {_nets(src.nets)} do not contain {pkt.src.ip}",
        Why.SRC_NOT_NETS: lambda: f"source notNets {_nets(src.not_nets)} contain {pkt.src.ip}",
        Why.SRC_SELECTOR: lambda: f"source selector {src.selector} did not match {pkt.src.describe()}",
        Why.SRC_NOT_SELECTOR: lambda: (f"source notSelector {src.not_selector} matched "
                                       f"{pkt.src.describe()}"),
        Why.SRC_SERVICE: lambda: f"source is not a backend of service {_svc(src.service)}",
        Why.SRC_PORTS: lambda: f"source ports {_ports(src.ports or PortMatch())} did not match port {pkt.src_port}",
        Why.SRC_NOT_PORTS: lambda: f"source notPorts {_ports(src.not_ports or PortMatch())} include port {pkt.src_port}",
        Why.SRC_IP_UNKNOWN: lambda: "the source IP is not in the flow record (uncertain; treated as no match)",
        Why.SRC_PORT_UNKNOWN: lambda: "the source port is not in the flow record (uncertain; treated as no match)",
        Why.SRC_DOMAINS: lambda: "domain match not evaluable (uncertain; treated as no match)",
        Why.DST_NETS: lambda: f"destination nets {_nets(dst.nets)} do not contain {pkt.dst.ip}",
        Why.DST_NOT_NETS: lambda: f"destination notNets {_nets(dst.not_nets)} contain {pkt.dst.ip}",
        Why.DST_SELECTOR: lambda: (f"destination selector {dst.selector} did not match "
                                   f"{pkt.dst.describe()}"),
        Why.DST_NOT_SELECTOR: lambda: (f"destination notSelector {dst.not_selector} matched "
                                       f"{pkt.dst.describe()}"),
        Why.DST_SERVICE: lambda: (f"destination is not a backend of service {_svc(dst.service)} on "
                                  f"{protocol_name(pkt.protocol)} port {pkt.dst_port}"),
        Why.DST_PORTS: lambda: (f"destination ports {_ports(dst.ports or PortMatch())} did not "
                                f"match port {pkt.dst_port}"),
        Why.DST_NOT_PORTS: lambda: (f"destination notPorts {_ports(dst.not_ports or PortMatch())} "
                                    f"include port {pkt.dst_port}"),
        Why.DST_IP_UNKNOWN: lambda: "the destination IP is not in the flow record (uncertain; treated as no match)",
        Why.DST_PORT_UNKNOWN: lambda: "the destination port is not known (uncertain; treated as no match)",
        Why.DST_DOMAINS: lambda: "destination domains cannot be evaluated from L3/L4 (uncertain; treated as no match)",
        Why.SRC_SELECTOR_UNKNOWN: lambda: _selector_unknown("source selector", src.selector, pkt.src),
        Why.SRC_NOT_SELECTOR_UNKNOWN: lambda: _selector_unknown("source notSelector",
                                                                src.not_selector, pkt.src),
        Why.DST_SELECTOR_UNKNOWN: lambda: _selector_unknown("destination selector", dst.selector,
                                                            pkt.dst),
        Why.DST_NOT_SELECTOR_UNKNOWN: lambda: _selector_unknown("destination notSelector",
                                                                dst.not_selector, pkt.dst),
        Why.HTTP: lambda: ("L3/L4 part matched, but the HTTP match cannot be evaluated from a flow "
                           "(uncertain; treated as no match)"),
    }
    return texts[why]()


def _selector_unknown(field: str, selector: object, peer: Peer) -> str:
    return (f"{field} {selector} matches a network set or host endpoint that may contain "
            f"{peer.describe()} (uncertain; treated as no match)")


def _icmp(match: IcmpMatch | None) -> str:
    if match is None:
        return ""
    return f"type {match.type}" + (f" code {match.code}" if match.code is not None else "")


def _nets(nets: tuple[IPNetwork, ...] | None) -> str:
    return "[" + ", ".join(str(n) for n in (nets or ())) + "]"


def _svc(ref: ServiceRef | None) -> str:
    return "?" if ref is None else f"{ref.namespace or '(policy namespace)'}/{ref.name}"


def _rule_lookup(rules: tuple[CompiledRule, ...]) -> dict[int, CompiledRule]:
    return {r.index: r for r in rules}


def _policy_lines(step: PolicyStep, direction: Direction, pkt: Packet,
                  fmt: TraceFormat) -> list[str]:
    policy = step.policy
    order = "order unset" if policy.order is None else f"order {_num(policy.order)}"
    lines = [f"    {_policy_name(policy, fmt)} ({order}){_where(policy.span)}"]
    rules = _rule_lookup(policy.rules(direction))
    if not step.rules:
        lines.append(f"      no {direction.value.lower()} rules")
    for tried in step.rules:
        lines.append("      " + _rule_line(tried.index, tried.action.value, tried.why,
                                           rules.get(tried.index), pkt))
    return lines


def _rule_line(index: int, action: str, why: Why | None, rule: CompiledRule | None,
               pkt: Packet) -> str:
    where = _where(rule.span) if rule is not None else ""
    if why is None:
        suffix = ": matched (Log: logged, scanning continues)" if action == "Log" else ": MATCHED"
        return f"rule {index} {action}{where}{suffix}"
    reason = why_text(why, rule, pkt) if rule is not None else why.value
    return f"rule {index} {action}{where}: {reason}"


def _policy_name(policy: CompiledPolicy, fmt: TraceFormat) -> str:
    return name_part(policy, fmt)


def _tier_lines(step: TierStep, direction: Direction, pkt: Packet, fmt: TraceFormat) -> list[str]:
    tier = step.tier
    order = "order unset" if tier.order is None else f"order {_num(tier.order)}"
    undefined = "; NOT DEFINED by any Tier object" if not tier.defined else ""
    lines = [f"  tier {tier.name} ({order}, defaultAction {tier.default_action.value}{undefined})"]
    for policy_step in step.policies:
        lines += _policy_lines(policy_step, direction, pkt, fmt)
    hit = step.hit
    if hit is not None:
        if hit.end_of_tier:
            lines.append(f"    end of tier: no policy matched -> defaultAction "
                         f"{hit.action.value} (attributed to {hit_name(hit, fmt)})")
        else:
            lines.append(f"    -> {hit.action.value} by {hit_name(hit, fmt)} rule {hit.rule_index}")
    return lines


def _profile_lines(step: ProfileStep, direction: Direction) -> list[str]:
    lines = [f"  profile {step.name}"]
    if not step.rules:
        lines.append(f"    no {direction.value.lower()} rules")
    for tried in step.rules:
        lines.append(f"    rule {tried.index} {tried.action.value}: "
                     + ("MATCHED" if tried.why is None else tried.why.value))
    return lines


def side_lines(title: str, side: SideResult | None, pkt: Packet, fmt: TraceFormat,
               skipped_tiers: tuple[str, ...]) -> list[str]:
    """The walkthrough of one reporter side."""
    if side is None:
        return [f"{title}: no record (not a Calico endpoint, or the source already denied)"]
    lines = [f"{title}: {side.verdict.value.upper()}"]
    for step in side.tiers:
        lines += _tier_lines(step, side.direction, pkt, fmt)
    applied = {s.tier.name for s in side.tiers}
    rest = [t for t in skipped_tiers if t not in applied]
    if rest:
        lines.append(f"  tiers skipped (no policy selects this endpoint for "
                     f"{side.direction.value.lower()}): {', '.join(rest)}")
    for profile_step in side.profiles:
        lines += _profile_lines(profile_step, side.direction)
    last = side.hits[-1] if side.hits else None
    if last is not None:
        lines.append(f"  verdict from: {_decided_by(last, fmt)}{_where(last.span)}")
    for doubt in side.uncertain:
        owner = (name_part(doubt.policy, fmt) if doubt.policy is not None
                 else f"profile {doubt.profile}")
        lines.append(f"  UNCERTAIN: {owner} rule {doubt.rule_index}: {doubt.why.value} (could "
                     "not be decided from this flow; treated as no match, so the verdict may "
                     "differ)")
    lines.append("  trace: " + (", ".join(hit_string(i, h, fmt) for i, h in enumerate(side.hits))
                                or "(empty)"))
    return lines


def _decided_by(hit: Hit, fmt: TraceFormat) -> str:
    if hit.policy is None:
        return f"profile {hit.profile} ({hit.action.value})"
    if hit.end_of_tier:
        return f"end of tier {hit.tier}, defaultAction {hit.action.value} ({hit_name(hit, fmt)})"
    return f"{hit_name(hit, fmt)} rule {hit.rule_index} ({hit.action.value})"


def mode_lines(result: ModeResult, pkt: Packet, fmt: TraceFormat,
               tier_names: tuple[str, ...]) -> list[str]:
    lines = [_MODE_TITLES[result.mode.value] + f": {result.verdict.value.upper()}"]
    lines += side_lines(f"Source {pkt.src.describe()} egress (reporter src)", result.src, pkt, fmt,
                        tier_names)
    lines += side_lines(f"Destination {pkt.dst.describe()} ingress (reporter dst)", result.dst,
                        pkt, fmt, tier_names)
    return lines


def render(result: FlowResult, fmt: TraceFormat, tier_names: tuple[str, ...],
           header: str = "") -> str:
    """The full walkthrough text for one flow."""
    lines = [header] if header else []
    if result.error is not None:
        return "\n".join(lines + [f"error: {result.error}"])
    assert result.packet is not None
    lines.append(f"Flow: {result.packet.describe()}")
    lines += [f"note: {n}" for n in result.notes]
    lines += _summary(result, fmt)
    for mode in (result.enforced, result.pending, result.replace):
        if mode is None:
            continue
        if mode is result.pending and result.enforced is not None and _same(mode, result.enforced):
            lines += ["", _MODE_TITLES["pending"] + f": {mode.verdict.value.upper()} "
                      "(same trace as enforced: no staged policy changed the outcome)"]
            continue
        lines.append("")
        lines += mode_lines(mode, result.packet, fmt, tier_names)
    return "\n".join(lines)


def _summary(result: FlowResult, fmt: TraceFormat) -> list[str]:
    enforced, pending = result.enforced, result.pending
    if enforced is None or pending is None:
        return []
    verdicts = (f"Verdict: {enforced.verdict.value.upper()} (pending, with staged policies: "
                f"{pending.verdict.value.upper()})")
    lines = [verdicts]
    for label, side in (("source egress", enforced.src), ("destination ingress", enforced.dst)):
        if side is not None and side.hits:
            last = side.hits[-1]
            lines.append(f"  {label}: {side.verdict.value} by {_decided_by(last, fmt)}"
                         f"{_where(last.span)}")
    if enforced.src is None and enforced.dst is None:
        lines.append("  no policy evaluated: " + "; ".join(result.notes))
    if result.uncertain:
        lines.append("UNCERTAIN: the verdict may differ; this flow lacks what some rules need:")
        lines += [f"  - {d}" for d in result.doubts]
        lines += [f"  - {_doubt_line(u, fmt)}" for u in _uncertainties(result)]
    return lines


def _uncertainties(result: FlowResult) -> list[Uncertainty]:
    """Every undecidable rule of every mode and side, once each, in walk order."""
    seen: list[Uncertainty] = []
    for mode in (result.enforced, result.pending, result.replace):
        for side in (() if mode is None else (mode.src, mode.dst)):
            for doubt in (() if side is None else side.uncertain):
                if doubt not in seen:
                    seen.append(doubt)
    return seen


def _doubt_line(doubt: Uncertainty, fmt: TraceFormat) -> str:
    owner = name_part(doubt.policy, fmt) if doubt.policy is not None else f"profile {doubt.profile}"
    return f"{owner} rule {doubt.rule_index}: {doubt.why.value}"


def _num(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _same(a: ModeResult, b: ModeResult) -> bool:
    def hits(m: ModeResult) -> tuple[object, ...]:
        return tuple(None if s is None else s.hits for s in (m.src, m.dst))
    return a.verdict is b.verdict and hits(a) == hits(b)
