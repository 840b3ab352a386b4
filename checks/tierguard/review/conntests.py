"""Connectivity tests (`tests/connectivity/*.yaml`): declared reachability, checked against head.

A file holds a list of tests, either at the top level or under `tests:`. Each test:

    - name: front-end reaches carts          # optional; defaults to "from -> to port"
      from: sock-shop/name=front-end          # ns/pod, ns/label=value, hep/<name> or an IP
      to: sock-shop/name=carts
      port: 80
      protocol: TCP                           # default TCP
      expect: allow                           # allow | deny, or per environment:
      # expect: {dev: allow, prod: deny}
      environments: [dev, prod]               # optional; default every environment

A test with `expect: deny` that holds also acknowledges a newly denied observed flow between the
same workloads and port: the break is declared intended.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from tierguard.diagnostics import Diagnostic, Severity, Span
from tierguard.engine.packet import protocol_name, protocol_number
from tierguard.engine.resolve import make_packet, resolve_spec
from tierguard.loader.nodes import Document, LMap, LScalar, LSeq, Node
from tierguard.review import codes
from tierguard.review.model import ConnTestResult, FlowKey, Verdict
from tierguard.review.replay import Outcome, Tree, outcome, workload_name

_KEYS = frozenset({"name", "from", "to", "port", "protocol", "expect", "environments",
                   "description"})
_EXPECT = {"allow": Verdict.ALLOW, "deny": Verdict.DENY}


@dataclass(frozen=True, slots=True)
class ConnTest:
    name: str
    source: str
    destination: str
    port: int
    protocol: str
    expect: Mapping[str, Verdict]  # environment -> verdict; "*" for every environment
    environments: tuple[str, ...]
    span: Span

    def expectation(self, environment: str) -> Verdict | None:
        if self.environments and environment not in self.environments:
            return None
        return self.expect.get(environment, self.expect.get("*"))


def parse_tests(documents: Iterable[Document]) -> tuple[tuple[ConnTest, ...], tuple[Diagnostic, ...]]:
    tests: list[ConnTest] = []
    problems: list[Diagnostic] = []
    for document in documents:
        root = document.root
        items = root.get("tests") if isinstance(root, LMap) else root
        if not isinstance(items, LSeq):
            problems.append(_problem("a connectivity test file holds a list of tests (or `tests:`)",
                                     root.span))
            continue
        for item in items:
            test, found = _parse_one(item)
            problems.extend(found)
            if test is not None:
                tests.append(test)
    return tuple(tests), tuple(problems)


def _problem(message: str, span: Span) -> Diagnostic:
    return Diagnostic(codes.CONNTEST_INVALID, Severity.ERROR, message, span)


def _text(node: Node | None) -> str:
    if isinstance(node, LScalar) and node.value is not None and not isinstance(node.value, bool):
        return str(node.value).strip()
    return ""


def _parse_one(item: Node) -> tuple[ConnTest | None, list[Diagnostic]]:
    if not isinstance(item, LMap):
        return None, [_problem("a connectivity test must be a mapping with from, to, port, expect",
                               item.span)]
    problems = [_problem(f"unknown key '{key}' in connectivity test (allowed: "
                         f"{', '.join(sorted(_KEYS))})", item.key_span(key) or item.span)
                for key in item.keys() if key not in _KEYS]
    source, destination = _text(item.get("from")), _text(item.get("to"))
    for key, value in (("from", source), ("to", destination)):
        if not value:
            problems.append(_problem(f"connectivity test needs '{key}'", item.span))
    port_node = item.get("port")
    port = port_node.value if isinstance(port_node, LScalar) else None
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        problems.append(_problem("port must be a number from 1 to 65535",
                                 port_node.span if port_node else item.span))
        port = 0
    protocol = _text(item.get("protocol")) or "TCP"
    try:
        protocol = protocol_name(protocol_number(protocol))
    except ValueError:
        problems.append(_problem(f"unknown protocol '{protocol}'", item.span))
    expect, found = _expect(item.get("expect"), item.span)
    problems += found
    environments = item.get("environments")
    envs: tuple[str, ...] = ()
    if isinstance(environments, LSeq):
        envs = tuple(_text(e) for e in environments if _text(e))
    elif environments is not None:
        problems.append(_problem("environments must be a list of names", environments.span))
    if problems:
        return None, problems
    name = _text(item.get("name")) or f"{source} -> {destination} {port}/{protocol}"
    return ConnTest(name, source, destination, int(port), protocol, expect, envs, item.span), []


def _expect(node: Node | None, where: Span) -> tuple[dict[str, Verdict], list[Diagnostic]]:
    if isinstance(node, LScalar) and _text(node).lower() in _EXPECT:
        return {"*": _EXPECT[_text(node).lower()]}, []
    if isinstance(node, LMap) and node.keys():
        out: dict[str, Verdict] = {}
        for key in node.keys():
            value = _text(node.get(key)).lower()
            if value not in _EXPECT:
                return {}, [_problem(f"expect.{key} must be allow or deny", node.span)]
            out[key] = _EXPECT[value]
        return out, []
    return {}, [_problem("expect must be allow or deny (or a mapping environment -> allow|deny)",
                         node.span if node is not None else where)]


@dataclass(frozen=True, slots=True)
class Evaluated:
    result: ConnTestResult
    covers: FlowKey | None  # the workload-level key this test speaks for, when resolvable


def evaluate_tests(tests: Iterable[ConnTest], environment: str, head: Tree,
                   base: Tree | None = None, base_tests: Iterable[ConnTest] = ()) -> tuple[Evaluated, ...]:
    """Each test of the environment under head; tests that base also has are evaluated under base
    too, so a failure the change did not cause is told apart from one it did."""
    in_base = {(t.name, t.source, t.destination, t.port, t.protocol) for t in base_tests}
    out: list[Evaluated] = []
    for test in tests:
        expect = test.expectation(environment)
        if expect is None:
            continue
        evaluated = _evaluate(test, expect, environment, head)
        if base is not None and (test.name, test.source, test.destination, test.port,
                                 test.protocol) in in_base:
            before = _evaluate(test, expect, environment, base).result.actual
            result = replace(evaluated.result, base_actual=before)
            if result.failed_in_base and not result.passed:
                result = replace(result, explanation=f"{result.explanation} (already failing in base)")
            evaluated = Evaluated(result, evaluated.covers)
        out.append(evaluated)
    return tuple(out)


def _evaluate(test: ConnTest, expect: Verdict, environment: str, head: Tree) -> Evaluated:
    topology = head.topology
    src = resolve_spec(topology, test.source)
    dst = resolve_spec(topology, test.destination)
    if src.peer is None or dst.peer is None:
        why = src.error or dst.error
        return Evaluated(ConnTestResult(test.name, environment, test.source, test.destination, test.port,
                                    test.protocol, expect, Verdict.UNKNOWN,
                                    f"cannot evaluate: {why}", test.span), None)
    result = outcome(head, make_packet(src.peer, dst.peer, test.protocol, test.port))
    explanation = _explain(result, src.note or dst.note)
    covers = None
    if src.peer.endpoint is not None or src.peer.ip is not None:
        src_name = workload_name(src.peer.endpoint) if src.peer.endpoint else str(src.peer.ip)
        dst_name = workload_name(dst.peer.endpoint) if dst.peer.endpoint else str(dst.peer.ip)
        covers = FlowKey(src_name, dst_name, test.port, test.protocol)
    return Evaluated(ConnTestResult(test.name, environment, test.source, test.destination, test.port,
                                test.protocol, expect, result.enforced, explanation, test.span), covers)


def _explain(result: Outcome, note: str) -> str:
    rule = result.enforced_rule
    if result.enforced is Verdict.UNKNOWN:
        text = f"not decidable: {result.note or 'no Calico endpoint on either side'}"
    else:
        verb = "allowed" if result.enforced is Verdict.ALLOW else "denied"
        text = f"{verb} (no policy applies)" if rule is None else \
            f"{verb} by {rule.policy} {rule.rule} ({rule.where()})"
    return f"{text}; {note}" if note else text
