"""Table tests for rule matching, calico-semantics §3.5 (one case per bullet)."""

from __future__ import annotations

import ipaddress

import pytest
from engine_factory import ent, evaluator, netset, packet, pod, policy, ports, rule, traces
from tierguard.engine.ir import Action, Direction, IcmpMatch, PolicyKind, ServiceRef
from tierguard.engine.match import Why
from tierguard.engine.trace import Mode
from tierguard.inventory.model import NamedPort, Service, ServicePort

A = pod("a-1a2b3c-aaaaa", "ns", {"app": "a"}, "10.0.0.1",
        ports=[NamedPort("http", 8080, 6), NamedPort("dns", 53, 17)])
B = pod("b-1a2b3c-bbbbb", "ns", {"app": "b"}, "10.0.0.2", ports=[NamedPort("http", 9090, 6)])
B6 = pod("b6-1a2b3c-bbbbb", "ns", {"app": "b6"}, "fd00::2")
SET = netset("partners", "ns", {"role": "partner"}, "203.0.113.0/24")
ENDPOINTS = [A, B, B6, SET]
SVC = Service("api", "ns", (ipaddress.ip_address("10.96.0.10"),), (ServicePort("http", 80, 8080, 6),),
              backends=((ipaddress.ip_address("10.0.0.1"), "http", 8080, 6),))


def _verdict(r: object, src: object, dst: object, port: int | None = 80, protocol: str = "TCP",
             **kw: object) -> tuple[str, Why | None]:
    """Ingress on dst (a pod in ns) with one Allow rule: allow iff the rule matched."""
    target = policy(PolicyKind.NETWORK_POLICY, "p", "projectcalico.org/namespace == 'ns'",
                    namespace="ns", ingress=[r])  # type: ignore[list-item]
    ev = evaluator([target], ENDPOINTS, services=[SVC])
    pkt = packet(ev, src, dst, port, protocol, **kw)  # type: ignore[arg-type]
    result = ev.evaluate(pkt)
    assert result.enforced is not None and result.enforced.dst is not None
    why = ev.matcher.check(target.ingress[0], pkt, "ns")
    return result.enforced.dst.hits[0].action.trace_word, why


CASES = [
    # (id, rule, src, dst, port, protocol, extra, expected action, expected why)
    ("protocol-match", rule(Action.ALLOW, protocol=6), B, A, 80, "TCP", {}, "allow", None),
    ("protocol-mismatch", rule(Action.ALLOW, protocol=17), B, A, 80, "TCP", {}, "deny", Why.PROTOCOL),
    ("not-protocol", rule(Action.ALLOW, not_protocol=6), B, A, 80, "TCP", {}, "deny",
     Why.NOT_PROTOCOL),
    ("not-protocol-other", rule(Action.ALLOW, not_protocol=17), B, A, 80, "TCP", {}, "allow", None),
    ("icmp-type", rule(Action.ALLOW, protocol=1, icmp=IcmpMatch(8)), B, A, None, "ICMP",
     {"icmp_type": 8, "icmp_code": 0}, "allow", None),
    ("icmp-type-mismatch", rule(Action.ALLOW, protocol=1, icmp=IcmpMatch(8)), B, A, None, "ICMP",
     {"icmp_type": 0, "icmp_code": 0}, "deny", Why.ICMP),
    ("icmp-code-mismatch", rule(Action.ALLOW, protocol=1, icmp=IcmpMatch(3, 4)), B, A, None, "ICMP",
     {"icmp_type": 3, "icmp_code": 1}, "deny", Why.ICMP),
    ("not-icmp", rule(Action.ALLOW, protocol=1, not_icmp=IcmpMatch(8)), B, A, None, "ICMP",
     {"icmp_type": 8}, "deny", Why.NOT_ICMP),
    ("icmp-unknown-type", rule(Action.ALLOW, protocol=1, icmp=IcmpMatch(8)), B, A, None, "ICMP", {},
     "deny", Why.ICMP_UNKNOWN),
    ("ip-version-4", rule(Action.ALLOW, ip_version=4), B, A, 80, "TCP", {}, "allow", None),
    ("ip-version-6-vs-v4-packet", rule(Action.ALLOW, ip_version=6), B, A, 80, "TCP", {}, "deny",
     Why.IP_VERSION),
    ("v4-only-nets-never-match-v6", rule(Action.ALLOW, source=ent(not_nets=["10.9.0.0/16"])),
     "fd00::9", B6, 80, "TCP", {}, "deny", Why.FAMILY),
    ("mixed-family-nets-keep-v6", rule(Action.ALLOW, source=ent(nets=["10.0.0.0/8", "fd00::/64"])),
     "fd00::9", B6, 80, "TCP", {}, "allow", None),
    ("src-nets", rule(Action.ALLOW, source=ent(nets=["10.0.0.0/30"])), B, A, 80, "TCP", {}, "allow",
     None),
    ("src-nets-miss", rule(Action.ALLOW, source=ent(nets=["10.1.0.0/16"])), B, A, 80, "TCP", {},
     "deny", Why.SRC_NETS),
    ("src-not-nets", rule(Action.ALLOW, source=ent(not_nets=["10.0.0.2/32"])), B, A, 80, "TCP", {},
     "deny", Why.SRC_NOT_NETS),
    ("dst-nets", rule(Action.ALLOW, destination=ent(nets=["10.0.0.1/32"])), B, A, 80, "TCP", {},
     "allow", None),
    ("src-selector", rule(Action.ALLOW, source=ent(selector="app == 'b'")), B, A, 80, "TCP", {},
     "allow", None),
    ("src-selector-miss", rule(Action.ALLOW, source=ent(selector="app == 'c'")), B, A, 80, "TCP", {},
     "deny", Why.SRC_SELECTOR),
    ("selector-not-has-excludes-external", rule(Action.ALLOW, source=ent(selector="!has(app)")),
     "198.51.100.1", A, 80, "TCP", {}, "deny", Why.SRC_SELECTOR),
    ("not-selector-admits-external", rule(Action.ALLOW, source=ent(not_selector="has(app)")),
     "198.51.100.1", A, 80, "TCP", {}, "allow", None),
    ("not-selector-excludes-matching", rule(Action.ALLOW, source=ent(not_selector="app == 'b'")), B,
     A, 80, "TCP", {}, "deny", Why.SRC_NOT_SELECTOR),
    ("selector-network-set-by-cidr", rule(Action.ALLOW, source=ent(selector="role == 'partner'")),
     "203.0.113.77", A, 80, "TCP", {}, "allow", None),
    ("selector-network-set-outside-cidr", rule(Action.ALLOW, source=ent(selector="role == 'partner'")),
     "203.0.114.77", A, 80, "TCP", {}, "deny", Why.SRC_SELECTOR),
    ("dst-ports-range", rule(Action.ALLOW, protocol=6, destination=ent(ports=ports((80, 90)))), B, A,
     85, "TCP", {}, "allow", None),
    ("dst-ports-range-miss", rule(Action.ALLOW, protocol=6, destination=ent(ports=ports((80, 90)))),
     B, A, 91, "TCP", {}, "deny", Why.DST_PORTS),
    ("dst-not-ports", rule(Action.ALLOW, protocol=6, destination=ent(not_ports=ports(80))), B, A, 80,
     "TCP", {}, "deny", Why.DST_NOT_PORTS),
    ("named-port-declared-by-dst", rule(Action.ALLOW, protocol=6, destination=ent(ports=ports("http"))),
     B, A, 8080, "TCP", {}, "allow", None),
    ("named-port-other-number", rule(Action.ALLOW, protocol=6, destination=ent(ports=ports("http"))),
     B, A, 9090, "TCP", {}, "deny", Why.DST_PORTS),
    ("named-port-other-protocol", rule(Action.ALLOW, destination=ent(ports=ports("dns"))), B, A, 53,
     "TCP", {}, "deny", Why.DST_PORTS),
    ("named-port-nobody-declares", rule(Action.ALLOW, protocol=6,
                                        destination=ent(ports=ports("metrics"))),
     B, A, 8080, "TCP", {}, "deny", Why.DST_PORTS),
    ("named-port-restricted-to-selector", rule(Action.ALLOW, protocol=6, destination=ent(
        selector="app == 'a'", ports=ports("http"))), B, A, 8080, "TCP", {}, "allow", None),
    ("src-port-unknown-is-uncertain", rule(Action.ALLOW, protocol=6, source=ent(ports=ports(1000))),
     B, A, 80, "TCP", {}, "deny", Why.SRC_PORT_UNKNOWN),
    ("src-port-known", rule(Action.ALLOW, protocol=6, source=ent(ports=ports((1000, 2000)))), B, A,
     80, "TCP", {"src_port": 1500}, "allow", None),
    ("dst-service-backend-ip-and-port", rule(Action.ALLOW, destination=ent(
        service=ServiceRef("api", "ns"))), B, A, 8080, "TCP", {}, "allow", None),
    ("dst-service-wrong-port", rule(Action.ALLOW, destination=ent(service=ServiceRef("api", "ns"))),
     B, A, 80, "TCP", {}, "deny", Why.DST_SERVICE),
    ("dst-service-namespace-defaults-to-policy", rule(Action.ALLOW, destination=ent(
        service=ServiceRef("api", ""))), B, A, 8080, "TCP", {}, "allow", None),
    ("src-service-no-port-check", rule(Action.ALLOW, source=ent(service=ServiceRef("api", "ns"))),
     A, B, 12345, "TCP", {}, "allow", None),
    ("src-service-non-backend", rule(Action.ALLOW, source=ent(service=ServiceRef("api", "ns"))),
     B, A, 80, "TCP", {}, "deny", Why.SRC_SERVICE),
    ("http-not-evaluable", rule(Action.ALLOW, has_http=True), B, A, 80, "TCP", {}, "deny", Why.HTTP),
    ("empty-rule-matches-external", rule(Action.ALLOW), "198.51.100.1", A, 80, "TCP", {}, "allow",
     None),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_rule_matching(case: tuple[object, ...]) -> None:
    _, r, src, dst, port, protocol, extra, action, why = case
    assert _verdict(r, src, dst, port, protocol, **extra) == (action, why)  # type: ignore[arg-type]


def test_uncertain_rules_are_reported_on_the_side() -> None:
    target = policy(PolicyKind.NETWORK_POLICY, "p", "projectcalico.org/namespace == 'ns'",
                    namespace="ns", ingress=[rule(Action.ALLOW, has_http=True)])
    ev = evaluator([target], ENDPOINTS)
    result = ev.evaluate(packet(ev, B, A, 80))
    assert result.uncertain
    assert result.enforced is not None and result.enforced.dst is not None
    [note] = result.enforced.dst.uncertain
    assert (note.policy, note.rule_index, note.why) == (target, 0, Why.HTTP)


def test_log_rule_keeps_scanning() -> None:
    target = policy(PolicyKind.NETWORK_POLICY, "p", "projectcalico.org/namespace == 'ns'",
                    namespace="ns", ingress=[rule(Action.LOG), rule(Action.DENY)])
    ev = evaluator([target], ENDPOINTS)
    assert traces(ev, packet(ev, B, A, 80))[1:] == (["0|default|np:ns/p|deny|1"], "deny")


def test_ipv6_flow_against_ipv4_rules_gives_precise_end_of_tier() -> None:
    target = policy(PolicyKind.NETWORK_POLICY, "v4", "projectcalico.org/namespace == 'ns'",
                    namespace="ns", ingress=[rule(Action.ALLOW, ip_version=4),
                                             rule(Action.ALLOW, source=ent(nets=["0.0.0.0/0"]))])
    ev = evaluator([target], ENDPOINTS)
    pkt = packet(ev, "fd00::9", B6, 80)
    assert pkt.ip_version == 6
    assert traces(ev, pkt)[1:] == (["0|default|np:ns/v4|deny|-1"], "deny")
    side = ev.side(B6, Direction.INGRESS, pkt, Mode.ENFORCED, explain=True)
    assert [s.why for s in side.tiers[0].policies[0].rules] == [Why.IP_VERSION, Why.FAMILY]
