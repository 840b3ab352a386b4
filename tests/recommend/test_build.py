"""Observation -> rule grouping, ordering, maxRules, naming and untrusted names."""

from __future__ import annotations

from tierguard.engine.ir import CalicoVersion, Direction, Edition
from tierguard.recommend.build import port_ranges, recommend_namespace
from tierguard.recommend.collect import collect, default_namespaces
from tierguard.recommend.model import Options, PortRange, Scope
from tierguard.recommend.names import policy_name
from tierguard.recommend.render import policy_document

from tests.recommend import helpers


def _rules(options: Options | None = None, flows: list[helpers.FlowRecord] | None = None,
           enterprise: bool = False) -> tuple[object, list[object]]:
    options = options or Options()
    inventory = helpers.inventory(enterprise)
    collected = collect(flows if flows is not None else helpers.shop_flows(), ["shop"], options)
    rec, problems = recommend_namespace("shop", collected.by_namespace["shop"], inventory.endpoints, options)
    return rec, problems


def test_egress_groups_follow_calico_order_dns_namespace_networkset_private_public() -> None:
    rec, _ = _rules()
    assert [(r.scope, r.protocol, r.ports) for r in rec.egress] == [  # type: ignore[attr-defined]
        (Scope.DNS, 6, (PortRange(53, 53),)),
        (Scope.DNS, 17, (PortRange(53, 53),)),
        (Scope.NAMESPACE, 6, (PortRange(5432, 5432), PortRange(9000, 9000))),
        (Scope.NETWORK_SET, 6, (PortRange(443, 443),)),
        (Scope.PRIVATE, 6, (PortRange(443, 443),)),
        (Scope.PUBLIC, 6, (PortRange(80, 80), PortRange(443, 443))),
    ]
    assert rec.types == (Direction.INGRESS, Direction.EGRESS)  # type: ignore[attr-defined]


def test_namespace_peers_sorted_by_namespace_then_protocol() -> None:
    web = helpers.wep("shop", "web-*")
    flows = [helpers.record(helpers.wep(ns, "x-*"), web, port, proto, "dst", line=n)
             for n, (ns, port, proto) in enumerate([("zeta", 80, "udp"), ("alpha", 81, "tcp"),
                                                    ("zeta", 79, "tcp"), ("alpha", 82, "udp")], 1)]
    rec, _ = _rules(flows=flows)
    assert [(r.peer.namespace_selector, r.protocol, r.ports) for r in rec.ingress] == [  # type: ignore[attr-defined]
        ("projectcalico.org/name == 'alpha'", 6, (PortRange(81, 81),)),
        ("projectcalico.org/name == 'alpha'", 17, (PortRange(82, 82),)),
        ("projectcalico.org/name == 'zeta'", 6, (PortRange(79, 79),)),
        ("projectcalico.org/name == 'zeta'", 17, (PortRange(80, 80),)),
    ]


def test_enterprise_network_set_rule_uses_name_and_kind_labels() -> None:
    rec, _ = _rules(Options(edition=Edition.ENTERPRISE), enterprise=True)
    rule = next(r for r in rec.egress if r.scope is Scope.NETWORK_SET)  # type: ignore[attr-defined]
    # The kind value comes from the inventory's model of the injected labels (see build.set_kind).
    assert rule.peer.selector == ("projectcalico.org/name == 'partner' && "
                                  "projectcalico.org/kind == 'NetworkSet'")
    assert rule.peer.namespace_selector == "global()"


def test_missing_port_widens_to_protocol_and_icmp_gets_no_ports() -> None:
    web = helpers.wep("shop", "web-*")
    flows = [helpers.record(web, helpers.peer("net", "", "pub"), None, "tcp", "src", line=1),
             helpers.record(web, helpers.peer("net", "", "pub"), 443, "tcp", "src", line=2),
             helpers.record(web, helpers.peer("net", "", "pub"), None, "icmp", "src", line=3)]
    rec, problems = _rules(flows=flows)
    assert [(r.protocol, r.ports) for r in rec.egress] == [(1, None), (6, None)]  # type: ignore[attr-defined]
    assert [(d.code, d.message) for d in problems] == [  # type: ignore[attr-defined]
        ("REC958", "Public rule TCP: some records carry no destination port; the rule allows every port")]
    rule = policy_document(rec)["spec"]["egress"][0]  # type: ignore[index, arg-type]
    assert rule["protocol"] == "ICMP" and "destination" not in rule  # type: ignore[index, operator]


def test_port_ranges_merge_runs_then_closest_gaps_to_fit_fifty() -> None:
    assert port_ranges([80, 81, 82, 443]) == (PortRange(80, 82), PortRange(443, 443))
    wide = port_ranges(range(1000, 1200, 2))  # 100 separate ports, gaps of 2
    assert len(wide) == 50
    assert wide[0] == PortRange(1000, 1002) and wide[-1] == PortRange(1196, 1198)


def _many_namespaces(count: int) -> list[helpers.FlowRecord]:
    web = helpers.wep("shop", "web-*")
    return [helpers.record(helpers.wep(f"ns{n:02d}", "c-*"), web, 8000 + n, "tcp", "dst", line=n)
            for n in range(count)]


def test_max_rules_merges_namespace_rules_into_one_set_selector() -> None:
    rec, problems = _rules(Options(max_rules=3), flows=_many_namespaces(4))
    assert len(rec.ingress) == 1  # type: ignore[attr-defined]
    rule = rec.ingress[0]  # type: ignore[attr-defined]
    assert rule.peer.namespace_selector == "projectcalico.org/name in {'ns00', 'ns01', 'ns02', 'ns03'}"
    assert rule.ports == (PortRange(8000, 8003),)
    assert rule.flows == 4
    assert [(d.code, d.message) for d in problems] == [  # type: ignore[attr-defined]
        ("REC953", ("shop ingress: 4 rules exceed --max-rules 3; merged same-protocol namespace and "
                    "network-set rules into 1"))]


def test_max_rules_truncates_what_cannot_be_merged_and_says_so() -> None:
    web = helpers.wep("shop", "web-*")
    flows = [helpers.record(web, helpers.peer("net", "", "pvt"), 443, "tcp", "src", line=1),
             helpers.record(web, helpers.peer("net", "", "pub"), 443, "tcp", "src", line=2)]
    rec, problems = _rules(Options(max_rules=1), flows=flows)
    assert [r.scope for r in rec.egress] == [Scope.PRIVATE]  # type: ignore[attr-defined]
    assert [d.code for d in problems] == ["REC954"]  # type: ignore[attr-defined]
    assert problems[0].message == ("shop egress: still 2 rules after merging; left out the last 1 (Public TCP); "  # type: ignore[attr-defined]
                                   "their flows would be denied")


def test_policy_name_per_version_and_edition() -> None:
    v331, v332 = CalicoVersion(3, 31), CalicoVersion(3, 32)
    assert policy_name("namespace-isolation", "shop", v332, Edition.OSS) == "shop-recommendation"
    assert policy_name("namespace-isolation", "shop", v331, Edition.OSS) == \
        "namespace-isolation.shop-recommendation"
    assert policy_name("namespace-isolation", "shop", v332, Edition.ENTERPRISE) == \
        "namespace-isolation.shop-recommendation"
    assert policy_name("default", "shop", v331, Edition.OSS) == "shop-recommendation"
    long = policy_name("namespace-isolation", "a" * 40 + "-b" * 10, v331, Edition.OSS)
    assert long == "namespace-isolation." + "a" * 28 + "-recommendation" and len(long) == 63


def test_hostile_peer_namespace_is_skipped_not_written_into_a_selector() -> None:
    web = helpers.wep("shop", "web-*")
    evil = helpers.wep("x' || all() || 'y", "c-*")
    flows = [helpers.record(evil, web, 80, "tcp", "dst", line=7), helpers.record(evil, web, 81, "tcp", "dst", line=8),
             helpers.record(helpers.wep("other", "c-*"), web, 80, "tcp", "dst", line=9)]
    collected = collect(flows, ["shop"], Options())
    assert [(d.code, d.span.line if d.span else 0, d.message) for d in collected.diagnostics] == [
        ("REC951", 7, ("peer namespace \"x' || all() || 'y\" is not a valid namespace name; record skipped "
                       "(2 records like this)"))]
    assert [o.peer_namespace for o in collected.by_namespace["shop"]] == ["other"]


def test_hostile_network_set_name_is_skipped() -> None:
    api = helpers.wep("shop", "api-*")
    flows = [helpers.record(api, helpers.peer("ns", "", "partner' || all()"), 443, "tcp", "src", line=3)]
    collected = collect(flows, ["shop"], Options())
    assert [d.code for d in collected.diagnostics] == ["REC951"]
    assert collected.by_namespace == {}


def test_dns_selector_dropped_when_inventory_has_no_such_pod() -> None:
    api = helpers.wep("shop", "api-*")
    dns = helpers.wep("kube-system", "coredns-*", ["app=coredns-lookalike"])
    rec, problems = _rules(flows=[helpers.record(api, dns, 53, "udp", "src")])
    assert [(r.protocol, r.peer.selector) for r in rec.egress] == [(6, ""), (17, "")]  # type: ignore[attr-defined]
    assert [d.message for d in problems] == [  # type: ignore[attr-defined]
        ("DNS rule to namespace kube-system: no pod of namespace kube-system in the inventory has the labels "
         "app=coredns-lookalike; allowing port 53 to the whole namespace")]


def test_only_undecided_learns_from_profile_hits_only() -> None:
    web, api = helpers.wep("shop", "web-*"), helpers.wep("shop", "api-*")
    decided = helpers.record(web, api, 9000, "tcp", "src", hits=["0|default|shop/knp.default.allow-api|allow|0"])
    undecided_flow = helpers.record(web, api, 9001, "tcp", "src", line=2)
    collected = collect([decided, undecided_flow], ["shop"], Options(only_undecided=True))
    assert [(o.port, o.undecided) for o in collected.by_namespace["shop"]] == [(9000, False), (9001, True)]
    assert [o.port for o in collected.learnt(Options(only_undecided=True))["shop"]] == [9001]


def test_default_namespaces_skip_system_prefixes() -> None:
    extra = [helpers.namespace("calico-system"), helpers.pod("calico-system", "node-1", "10.9.0.1", {}),
             helpers.namespace("tigera-x"), helpers.pod("tigera-x", "t-1", "10.9.0.2", {})]
    assert default_namespaces(helpers.inventory(extra=extra).endpoints) == ("other", "shop")


def test_window_filters_records() -> None:
    early, late = helpers.shop_flows()[0:2], helpers.both(helpers.wep("other", "client-*"), helpers.wep("shop", "web-*"),
                                                          8081, start=helpers.T0 + 10 * helpers.HOUR, line=40)
    options = Options(since_ms=helpers.T0 + 5 * helpers.HOUR)
    collected = collect([*early, *late], ["shop"], options)
    assert [o.port for o in collected.by_namespace["shop"]] == [8081]


def test_port_ranges_of_a_port_scan_fit_fifty_and_cover_every_port() -> None:
    ports = list(range(1, 65536, 3))
    ranges = port_ranges(ports)
    assert len(ranges) <= 50
    assert all(any(r.first <= p <= r.last for r in ranges) for p in ports[::97])


def test_oss_network_set_with_hostile_label_falls_back_to_its_nets() -> None:
    hostile = helpers.global_network_set("evil-set", ["203.0.113.0/24", "2001:db8::/64"],
                                         {"zone": "x' || all() || 'y"})
    api = helpers.wep("shop", "api-*")
    flows = [helpers.record(api, helpers.peer("ns", "", "evil-set"), 443, "tcp", "src")]
    inventory = helpers.inventory(extra=[hostile])
    collected = collect(flows, ["shop"], Options())
    rec, problems = recommend_namespace("shop", collected.by_namespace["shop"], inventory.endpoints, Options())
    assert [(r.peer.selector, r.peer.nets) for r in rec.egress] == [
        ("", ("203.0.113.0/24",)), ("", ("2001:db8::/64",))]
    assert problems == []


def test_hostile_dns_labels_from_the_flow_log_are_not_written() -> None:
    api = helpers.wep("shop", "api-*")
    dns = helpers.wep("kube-system", "coredns-*", ["k8s-app=kube-dns' || all() || 'x"])
    rec, problems = _rules(flows=[helpers.record(api, dns, 53, "udp", "src")])
    assert {r.peer.selector for r in rec.egress} == {""}  # type: ignore[attr-defined]
    assert [d.code for d in problems] == ["REC959"]  # type: ignore[attr-defined]


def test_large_oss_network_set_without_labels_is_split_at_256_nets() -> None:
    nets = [f"10.{n // 256}.{n % 256}.0/24" for n in range(300)]
    big = helpers.global_network_set("big", nets, {})
    api = helpers.wep("shop", "api-*")
    collected = collect([helpers.record(api, helpers.peer("ns", "", "big"), 443, "tcp", "src")], ["shop"], Options())
    inventory = helpers.inventory(extra=[big])
    rec, _ = recommend_namespace("shop", collected.by_namespace["shop"], inventory.endpoints, Options())
    assert [len(r.peer.nets) for r in rec.egress] == [256, 44]
    assert rec.egress[0].peer.nets[0] == "10.0.0.0/24" and rec.egress[1].peer.nets[-1] == "10.1.43.0/24"


def test_max_rules_merges_enterprise_network_sets_by_name() -> None:
    api = helpers.wep("shop", "api-*")
    flows = [helpers.record(api, helpers.peer("ns", "", name), port, "tcp", "src", line=n)
             for n, (name, port) in enumerate([("set-c", 443), ("set-a", 8443), ("set-b", 443)], 1)]
    options = Options(edition=Edition.ENTERPRISE, max_rules=2)
    rec, problems = _rules(options, flows=flows, enterprise=True)
    assert [(r.peer.selector, r.peer.namespace_selector, r.ports, r.peer_names) for r in rec.egress] == [  # type: ignore[attr-defined]
        ("projectcalico.org/name in {'set-a', 'set-b', 'set-c'} && projectcalico.org/kind == 'NetworkSet'",
         "global()", (PortRange(443, 443), PortRange(8443, 8443)), ("set-a", "set-b", "set-c"))]
    assert [d.code for d in problems] == ["REC953"]  # type: ignore[attr-defined]
