"""Simulation inputs and outputs: probe files, flow records -> queries -> JSON-ready results.

Pure: text in, records and dicts out. The CLI reads files and writes the rendered output.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

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
    name_part,
)
from tierguard.flows.model import FlowRecord
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
    notes = tuple(n for n in (src.note, dst.note) if n)
    errors = [e for e in (src.error, dst.error) if e]
    if errors or src.peer is None or dst.peer is None:
        return Query(file, line, source, dest, None, "; ".join(errors), notes, recorded)
    try:
        packet = make(src.peer, dst.peer)
    except ValueError as error:
        return Query(file, line, source, dest, None, str(error), notes, recorded)
    return Query(file, line, source, dest, packet, "", notes, recorded)


def query_from_probe(resolver: Resolver, probe: Probe) -> Query:
    return _query(probe.file, probe.line, probe.source, probe.dest,
                  resolver.spec(probe.source), resolver.spec(probe.dest),
                  lambda s, d: make_packet(s, d, probe.protocol, probe.port))


def query_from_flow(resolver: Resolver, record: FlowRecord) -> Query:
    """A flow-log record: IPs first, else namespace + name / name_aggr (calico-semantics §9.3)."""
    src, dst = record.source, record.dest
    resolved = [resolver.flow_peer(p.type.value, p.namespace, p.name, p.name_aggr, p.ip)
                for p in (src, dst)]
    number = record.protocol.number
    if number is None:
        return Query(record.file, record.line, _peer_label(src), _peer_label(dst), None,
                     f"protocol {record.protocol.name!r} has no number")
    recorded = (("reporter", record.reporter.value), ("action", record.action.value))
    return _query(record.file, record.line, _peer_label(src), _peer_label(dst), resolved[0],
                  resolved[1], lambda s, d: make_packet(s, d, number, record.dest_port,
                                                        src.port), recorded)


_CALICO_TYPES = frozenset({"wep", "hep", "ns", "net"})


class _BadRecord(ValueError):
    """A flow-log line whose fields have the wrong type."""


def _opt_port(doc: dict[str, object], key: str) -> int | None:
    value = doc.get(key)
    if value is None:
        return None
    if isinstance(value, str) and value.isdigit():  # some exporters quote numbers
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise _BadRecord(f"{key} {value!r} is not a port number")
    return value


_END_KEYS = tuple(tuple(f"{side}_{field}" for field in ("type", "namespace", "name", "name_aggr",
                                                           "ip"))
                  for side in ("source", "dest"))


def _field(doc: dict[str, object], key: str) -> str:
    value = doc.get(key)
    if value is None or value == "-":
        return ""
    if type(value) is not str:
        raise _BadRecord(f"{key} is {type(value).__name__}, expected a string")
    return value


def _end(doc: dict[str, object], keys: tuple[str, ...]) -> tuple[str, str, str, str, str | None]:
    kind = _field(doc, keys[0]) or "net"
    if kind not in _CALICO_TYPES:
        raise _BadRecord(f"{keys[0]} {kind!r} is not wep, hep, ns or net")
    return (kind, _field(doc, keys[1]), _field(doc, keys[2]), _field(doc, keys[3]),
            _field(doc, keys[4]) or None)


def calico_line_query(resolver: Resolver, doc: object, file: str, line: int) -> Query:
    """One Calico Enterprise flow-log object (felix line or Elasticsearch `_source`) -> Query.

    The fast path of `simulate` for the one format conformance suites and large logs use;
    it reads only the fields the simulation needs (flow-formats.md (a)).
    """
    if not isinstance(doc, dict):
        return Query(file, line, "", "", None, "a flow-log line must be a JSON object",
                     malformed=True)
    if "_source" in doc and isinstance(doc["_source"], dict):
        doc = doc["_source"]
    try:
        src_end, dst_end = _end(doc, _END_KEYS[0]), _end(doc, _END_KEYS[1])
        proto = doc.get("proto")
        if not isinstance(proto, (str, int)) or isinstance(proto, bool):
            raise _BadRecord(f"proto {proto!r} is not a protocol name or number")
        number = resolver.protocol(proto)
        dst_port, src_port = _opt_port(doc, "dest_port"), _opt_port(doc, "source_port")
        recorded = tuple((k, v) for k in ("reporter", "action")
                         if isinstance(v := doc.get(k), str))
    except (_BadRecord, ValueError) as error:
        return Query(file, line, "", "", None, f"bad flow-log record: {error}", malformed=True)
    src, src_label = resolver.flow_end(src_end, _end_label)
    dst, dst_label = resolver.flow_end(dst_end, _end_label)
    if src.peer is None or dst.peer is None:
        return _query(file, line, src_label, dst_label, src, dst, _no_packet, recorded)
    notes = tuple(n for n in (src.note, dst.note) if n)
    packet = make_packet(src.peer, dst.peer, number, dst_port, src_port)
    return Query(file, line, src_label, dst_label, packet, "", notes, recorded)


def _no_packet(src: Peer, dst: Peer) -> Packet:
    raise ValueError("unresolved")


def _end_label(kind: str, namespace: str, name: str, name_aggr: str, ip: str | None) -> str:
    base = name or name_aggr
    base = f"{namespace}/{base}" if namespace and base else base
    return f"{base} ({ip})" if base and ip else (base or ip or kind)


def _peer_label(peer: FlowPeer) -> str:
    ns, name, ip = peer.namespace, peer.name or peer.name_aggr, peer.ip
    base = f"{ns}/{name}" if ns and name else (name or "")
    return f"{base} ({ip})" if base and ip else (base or ip or "-")


_NO_SIDE: tuple[list[str] | None, list[dict[str, object]] | None, tuple[str, ...]] = (
    None, None, ())


class ResultRenderer:
    """Turns results into JSON-ready dicts, caching the per-side parts (sides are memoized)."""

    def __init__(self, evaluator: Evaluator, with_replace: bool) -> None:
        self.fmt: TraceFormat = evaluator.trace_format
        self.with_replace = with_replace
        self._sides: dict[int, tuple[SideResult, tuple[
            list[str] | None, list[dict[str, object]] | None, tuple[str, ...]]]] = {}

    def _side(self, side: SideResult | None
              ) -> tuple[list[str] | None, list[dict[str, object]] | None, tuple[str, ...]]:
        """(hit strings, located hits, doubt notes) of one side, cached by identity."""
        if side is None:
            return _NO_SIDE
        found = self._sides.get(id(side))
        if found is None or found[0] is not side:
            strings = side.strings(self.fmt)
            located = [_located(h, s, self.fmt) for h, s in zip(side.hits, strings)]
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
            src, dst = self._side(mode.src), self._side(mode.dst)
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

    def render(self, query: Query, result: FlowResult | None) -> dict[str, object]:
        out: dict[str, object] = {"file": query.file, "line": query.line, "src": query.source,
                                  "dst": query.dest}
        if query.packet is not None:
            out["protocol"] = protocol_name(query.packet.protocol)
            out["port"] = query.packet.dst_port
        if query.recorded:
            out["recorded"] = dict(query.recorded)
        error = query.error or (result.error if result is not None else "") or ""
        if error or result is None or result.enforced is None or result.pending is None:
            out.update(verdict=None, pending_verdict=None, enforced_policies=None,
                       pending_policies=None, error=error or "not evaluated")
            return out
        out.update(self._verdict_part(result))
        notes = list(query.notes) + list(result.notes)
        if notes:
            out["notes"] = notes + list(out.get("notes", []))  # type: ignore[call-overload]
        return out


def _doubt(why: str, index: int, policy: CompiledPolicy | None, profile: str,
           fmt: TraceFormat) -> str:
    owner = name_part(policy, fmt) if policy is not None else f"profile {profile}"
    return f"{owner} rule {index}: {why} (not evaluable from this flow; treated as no match)"


def _located(hit: Hit, string: str, fmt: TraceFormat) -> dict[str, object]:
    span = hit.span
    return {"hit": string, "policy": hit_name(hit, fmt),
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
