"""Simulation inputs and outputs: probe files, flow records -> queries -> JSON-ready results.

Pure: text in, records and dicts out. The CLI reads files and writes the rendered output.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from tierguard.diagnostics import Diagnostic, Severity, Span
from tierguard.engine import codes
from tierguard.engine.evaluate import Evaluator
from tierguard.engine.ir import CompiledPolicy, PolicySet
from tierguard.engine.packet import Packet, Peer, protocol_name, protocol_number
from tierguard.engine.resolve import Resolved, Resolver, make_packet
from tierguard.engine.topology import Topology
from tierguard.engine.trace import (
    FlowResult,
    Hit,
    SideResult,
    TraceFormat,
    hit_name,
    hit_string,
    name_part,
)
from tierguard.fastinit import fast_init
from tierguard.flows import codes as flow_codes
from tierguard.flows.model import Action, EndpointType, FlowError, FlowRecord, Reporter
from tierguard.flows.model import Peer as FlowPeer
from tierguard.loader.nodes import LMap, LScalar, LSeq
from tierguard.loader.yaml_source import load_yaml_text

PROBE_FIELDS = ("from", "to", "port", "protocol")
REPLACE_LABEL = "replace preview (tierguard extension: staged Set replaces, staged Delete removes)"


@dataclass(frozen=True, slots=True)
class Probe:
    """One line of a probe file: from/to are `ns/pod`, `ns/label=value` or an IP."""

    file: str
    line: int
    source: str
    dest: str
    port: int | None
    protocol: str


@fast_init  # built once per flow record
@dataclass(frozen=True, slots=True)
class Query:
    """One input record ready to evaluate (packet set) or reported as unresolvable (error set)."""

    file: str
    line: int
    source: str
    dest: str
    packet: Packet | None
    error: str = ""
    notes: tuple[str, ...] = ()
    recorded: tuple[tuple[str, str], ...] = ()  # from a flow log: reporter, action
    malformed: bool = False  # the input line itself could not be read (ENG602)
    resolution: str = ""  # "labels": a peer was rebuilt from the record's labels (not inventory)


def _malformed(file: str, line: int, message: str) -> Diagnostic:
    return Diagnostic(codes.FLOW_MALFORMED, Severity.ERROR, message, Span(file, line, 1))


def parse_probes(text: str, file: str) -> list[Probe | Diagnostic]:
    """A CSV (header with from,to[,port][,protocol]) or YAML list of probes, in input order."""
    if file.lower().endswith(".csv") or _looks_like_csv(text):
        return _csv_probes(text, file)
    return _yaml_probes(text, file)


def _looks_like_csv(text: str) -> bool:
    first = next((ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")), "")
    return "," in first and first.split(",")[0].strip().lower() == "from"


def _probe(file: str, line: int, fields: dict[str, str]) -> Probe | Diagnostic:
    missing = [k for k in ("from", "to") if not fields.get(k, "").strip()]
    if missing:
        return _malformed(file, line, f"probe is missing {' and '.join(missing)}")
    protocol = fields.get("protocol", "").strip() or "TCP"
    try:
        number = protocol_number(protocol)
    except ValueError as error:
        return _malformed(file, line, str(error))
    port_text = fields.get("port", "").strip()
    port: int | None = None
    if port_text:
        if not port_text.isdigit() or not 0 < int(port_text) <= 65535:
            return _malformed(file, line, f"port {port_text!r} is not a number from 1 to 65535")
        port = int(port_text)
    elif number in (6, 17, 132):
        return _malformed(file, line, f"a {protocol_name(number)} probe needs a port")
    return Probe(file, line, fields["from"].strip(), fields["to"].strip(), port, protocol)


def _csv_probes(text: str, file: str) -> list[Probe | Diagnostic]:
    lines = [(n, ln) for n, ln in enumerate(text.splitlines(), 1)
             if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        return []
    header = [h.strip().lower() for h in next(csv.reader([lines[0][1]]))]
    unknown = [h for h in header if h not in PROBE_FIELDS]
    if unknown or "from" not in header or "to" not in header:
        return [_malformed(file, lines[0][0], "CSV header must name from,to[,port][,protocol]; "
                                              f"got {','.join(header)}")]
    out: list[Probe | Diagnostic] = []
    for number, row_text in lines[1:]:
        row = next(csv.reader(io.StringIO(row_text)))
        if len(row) != len(header):
            out.append(_malformed(file, number, f"expected {len(header)} columns, got {len(row)}"))
            continue
        out.append(_probe(file, number, dict(zip(header, row))))
    return out


def _yaml_probes(text: str, file: str) -> list[Probe | Diagnostic]:
    loaded = load_yaml_text(text, file)
    out: list[Probe | Diagnostic] = [d for d in loaded.diagnostics]
    for document in loaded.documents:
        root = document.root
        if isinstance(root, LMap) and isinstance(root.get("probes"), LSeq):
            root = root.get("probes")  # type: ignore[assignment]
        if not isinstance(root, LSeq):
            out.append(_malformed(file, root.span.line, "a probe file is a list of "
                                                        "{from, to, port, protocol} mappings"))
            continue
        for item in root:
            if not isinstance(item, LMap):
                out.append(_malformed(file, item.span.line, "each probe must be a mapping"))
                continue
            keys = list(item.keys())  # LMap.keys(): the mapping's keys in file order
            fields = {k: str(v.to_plain()) for k in keys
                      if isinstance(v := item.get(k), LScalar) and v.to_plain() is not None}
            extra = [k for k in keys if k not in PROBE_FIELDS]
            if extra:
                out.append(_malformed(file, item.span.line, f"unknown probe field(s) {extra}"))
                continue
            out.append(_probe(file, item.span.line, fields))
    return out


def _query(file: str, line: int, source: str, dest: str, src: Resolved, dst: Resolved,
           make: Callable[[Peer, Peer], Packet], recorded: tuple[tuple[str, str], ...] = ()) -> Query:
    # Both ends found with nothing to report is the common case (once per flow record): then
    # there are no notes or errors to collect.
    plain = src.plain and dst.plain
    notes = () if plain else tuple(n for n in (src.note, dst.note) if n)
    errors = [] if plain else [e for e in (src.error, dst.error) if e]
    resolution = "labels" if not plain and "labels" in (src.resolution, dst.resolution) else ""
    if errors or src.peer is None or dst.peer is None:
        return Query(file, line, source, dest, None, "; ".join(errors), notes, recorded,
                     resolution=resolution)
    try:
        packet = make(src.peer, dst.peer)
    except ValueError as error:
        return Query(file, line, source, dest, None, str(error), notes, recorded,
                     resolution=resolution)
    return Query(file, line, source, dest, packet, "", notes, recorded, resolution=resolution)


def query_from_probe(resolver: Resolver, probe: Probe) -> Query:
    return _query(probe.file, probe.line, probe.source, probe.dest,
                  resolver.spec(probe.source), resolver.spec(probe.dest),
                  lambda s, d: make_packet(s, d, probe.protocol, probe.port))


# Resolution and label of a flow peer by the peer object's identity (read_flows shares one
# Peer object between the records of a file that report the same peer); the entry keeps the
# peer alive, so its id cannot be reused while it is in the memo.
PeerMemo = dict[int, tuple[FlowPeer, Resolved, str]]
_MEMO_LIMIT = 200_000


def query_from_flow(resolver: Resolver, record: FlowRecord, memo: PeerMemo | None = None
                    ) -> Query:
    """A flow-log record: IPs first, else namespace + name / name_aggr (calico-semantics §9.3).
    `memo` (one per input) skips resolving and labelling a peer object seen before."""
    src, dst = record.source, record.dest
    (src_resolved, src_label), (dst_resolved, dst_label) = (
        _flow_end(resolver, src, memo), _flow_end(resolver, dst, memo))
    number = record.protocol.number
    if number is None:
        return Query(record.file, record.line, src_label, dst_label, None,
                     f"protocol {record.protocol.name!r} has no number")
    recorded = _RECORDED[record.reporter, record.action]
    return _query(record.file, record.line, src_label, dst_label, src_resolved, dst_resolved,
                  lambda s, d: make_packet(s, d, number, record.dest_port, src.port), recorded)


def _recorded(reporter: Reporter, action: Action) -> tuple[tuple[str, str], ...]:
    """The record's reporter and action as `recorded` shows them (not what was not reported)."""
    return tuple((key, value.value) for key, value in (("reporter", reporter), ("action", action))
                 if value is not Reporter.UNKNOWN and value is not Action.UNKNOWN)


# Every (reporter, action) pair, computed once: enum `.value` lookups are slow per record.
_RECORDED: Mapping[tuple[Reporter, Action], tuple[tuple[str, str], ...]] = MappingProxyType(
    {(reporter, action): _recorded(reporter, action) for reporter in Reporter for action in Action})


def _flow_end(resolver: Resolver, peer: FlowPeer, memo: PeerMemo | None) -> tuple[Resolved, str]:
    if memo is not None:
        found = memo.get(id(peer))
        if found is not None and found[0] is peer:
            return found[1], found[2]
    resolved, label = _flow_peer(resolver, peer), _peer_label(peer)
    if memo is not None:
        if len(memo) > _MEMO_LIMIT:
            memo.clear()
        memo[id(peer)] = (peer, resolved, label)
    return resolved, label


def _flow_peer(resolver: Resolver, peer: FlowPeer) -> Resolved:
    if peer.type is EndpointType.UNKNOWN:
        # An IP-only peer (VPC/EKS agent record, or a store export) that workload resolution
        # could not place: simulating it as an external address would invent a verdict.
        return Resolved(None, f"{peer.ip or 'peer'} is an IP-only peer that workload "
                              "resolution could not place (type unknown)")
    return resolver.flow_peer_labelled(peer.type.value, peer.namespace, peer.name,
                                       peer.name_aggr, peer.ip, peer.labels)


def query_from_flow_error(error: FlowError) -> Query:
    """A record `read_flows` could not read (an ERROR FlowError): reported in input order."""
    message = error.message
    if error.code in _FIELD_CODES:
        message = f"bad flow-log record: {message}"
    elif error.code == flow_codes.MALFORMED_LINE and message.startswith("expected a JSON object"):
        message = "a flow-log line must be a JSON object"
    return Query(error.file, error.line, "", "", None, message, malformed=True)


_FIELD_CODES = frozenset({flow_codes.BAD_FIELD, flow_codes.UNKNOWN_ENUM, flow_codes.INVALID_IP})


def _peer_label(peer: FlowPeer) -> str:
    ns, name, ip = peer.namespace, peer.name or peer.name_aggr, peer.ip
    base = f"{ns}/{name}" if ns and name else name
    return f"{base} ({ip})" if base and ip else (base or ip or peer.type.value)


_NO_SIDE: tuple[list[str] | None, list[dict[str, object]] | None, tuple[str, ...]] = (
    None, None, ())


class ResultRenderer:
    """Turns results into JSON-ready dicts, caching the per-side parts (sides are memoized)."""

    def __init__(self, evaluator: Evaluator, with_replace: bool) -> None:
        self.fmt: TraceFormat = evaluator.trace_format
        self.with_replace = with_replace
        self._sides: dict[int, tuple[SideResult, tuple[
            list[str] | None, list[dict[str, object]] | None, tuple[str, ...]]]] = {}
        # id(policy) -> (policy, its name in hit strings); the entry keeps the policy alive.
        self._names: dict[int, tuple[CompiledPolicy, str]] = {}

    def _hit_name(self, hit: Hit) -> str:
        """`hit_name`, remembered per policy: the same few policies name thousands of sides."""
        policy = hit.policy
        if policy is None:
            return hit_name(hit, self.fmt)
        found = self._names.get(id(policy))
        if found is None or found[0] is not policy:
            found = self._names[id(policy)] = (policy, hit_name(hit, self.fmt))
        return found[1]

    def side_parts(self, side: SideResult | None
                   ) -> tuple[list[str] | None, list[dict[str, object]] | None, tuple[str, ...]]:
        """(hit strings, located hits, doubt notes) of one side, cached by identity."""
        if side is None:
            return _NO_SIDE
        found = self._sides.get(id(side))
        if found is None or found[0] is not side:
            names = [self._hit_name(hit) for hit in side.hits]
            strings = [hit_string(i, hit, self.fmt, name)
                       for i, (hit, name) in enumerate(zip(side.hits, names))]
            located = [_located(h, s, name) for h, s, name in zip(side.hits, strings, names)]
            doubts = tuple(_doubt(u.why.value, u.rule_index, u.policy, u.profile, self.fmt)
                           for u in side.uncertain)
            found = self._sides[id(side)] = (side, (strings, located, doubts))
        return found[1]

    def _verdict_part(self, result: FlowResult) -> dict[str, object]:
        assert result.enforced is not None and result.pending is not None
        modes = [("enforced", result.enforced), ("pending", result.pending)]
        if self.with_replace and result.replace is not None:
            modes.append(("replace_preview", result.replace))
        out: dict[str, object] = {"verdict": result.enforced.verdict.value,
                                  "pending_verdict": result.pending.verdict.value}
        traces: dict[str, object] = {}
        doubts: set[str] = set()
        for label, mode in modes:
            src, dst = self.side_parts(mode.src), self.side_parts(mode.dst)
            out[f"{label}_policies"] = {"src": src[0], "dst": dst[0]}
            traces[label] = {"src": src[1], "dst": dst[1]}
            doubts.update(src[2], dst[2])
        if result.replace is not None and self.with_replace:
            out["replace_preview_verdict"] = result.replace.verdict.value
            out["replace_preview_note"] = REPLACE_LABEL
        out["trace"] = traces
        if doubts:
            out["uncertain"] = True
            out["notes"] = sorted(doubts)
        return out

    def head(self, query: Query) -> dict[str, object]:
        """The record's own fields, which `render` puts before the verdicts."""
        out: dict[str, object] = {"file": query.file, "line": query.line, "src": query.source,
                                  "dst": query.dest}
        if query.packet is not None:
            out["protocol"] = protocol_name(query.packet.protocol)
            out["port"] = query.packet.dst_port
        if query.recorded:
            out["recorded"] = dict(query.recorded)
        if query.resolution:
            out["resolution"] = query.resolution
        return out

    @staticmethod
    def error_of(query: Query, result: FlowResult | None) -> str:
        """Why the record has no verdict, or "" when it has one."""
        error = query.error or (result.error if result is not None else "") or ""
        if error or result is None or result.enforced is None or result.pending is None:
            return error or "not evaluated"
        return ""

    def render(self, query: Query, result: FlowResult | None) -> dict[str, object]:
        out = self.head(query)
        error = self.error_of(query, result)
        if error or result is None or result.enforced is None or result.pending is None:
            out.update(verdict=None, pending_verdict=None, enforced_policies=None,
                       pending_policies=None, error=error)
            return out
        out.update(self._verdict_part(result))
        if result.doubts:
            out["uncertain"] = True
            out["notes"] = sorted({*result.doubts, *out.get("notes", [])})  # type: ignore[misc]
        notes = list(query.notes) + list(result.notes)
        if notes:
            out["notes"] = notes + list(out.get("notes", []))  # type: ignore[call-overload]
        return out


def _doubt(why: str, index: int, policy: CompiledPolicy | None, profile: str,
           fmt: TraceFormat) -> str:
    owner = name_part(policy, fmt) if policy is not None else f"profile {profile}"
    return f"{owner} rule {index}: {why} (not evaluable from this flow; treated as no match)"


def _located(hit: Hit, string: str, name: str) -> dict[str, object]:
    span = hit.span
    return {"hit": string, "policy": name,
            "file": span.file if span is not None else None,
            "line": span.line if span is not None else None}


def evaluate_queries(evaluator: Evaluator, queries: Iterator[Query], with_replace: bool
                     ) -> Iterator[tuple[Query, FlowResult | None]]:
    """Evaluate each query in input order; unresolvable ones pass through with no result."""
    for query in queries:
        if query.packet is None:
            yield query, None
        else:
            yield query, evaluator.evaluate(query.packet, with_replace=with_replace)


def undeclared_named_ports(policy_set: PolicySet, topology: Topology) -> list[Diagnostic]:
    """ENG604 for rules whose named ports no endpoint in the inventory declares (§1.11)."""
    declared = {p.name for ep in topology.endpoints for p in ep.ports}
    out = []
    for policy in policy_set.policies:
        for rule in policy.ingress + policy.egress:
            for side in (rule.source, rule.destination):
                for match in (side.ports, side.not_ports):
                    for name in (match.names if match is not None else ()):
                        if name not in declared:
                            out.append(Diagnostic(
                                codes.NAMED_PORT_UNDECLARED, Severity.WARNING,
                                f"named port {name!r} is declared by no endpoint in the inventory; "
                                f"this port clause of {policy.kind.short}:{policy.name} rule "
                                f"{rule.index} matches nothing",
                                rule.span or policy.span))
    return out


def summary(results: Sequence[dict[str, object]]) -> dict[str, int]:
    counts = {"records": len(results), "allow": 0, "deny": 0, "errors": 0, "uncertain": 0}
    for item in results:
        verdict = item.get("verdict")
        if verdict in ("allow", "deny"):
            counts[str(verdict)] += 1
        if item.get("error"):
            counts["errors"] += 1
        if item.get("uncertain"):
            counts["uncertain"] += 1
    return counts
