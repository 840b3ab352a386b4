"""Every format parses its own fixture, field by field."""

from __future__ import annotations

from pathlib import Path

from flows_testlib import FALLBACK_MS, brief, fixture, read
from tierguard.flows import ReadOptions
from tierguard.flows.detect import detect
from tierguard.flows.model import (
    Action,
    Counts,
    EndpointType,
    HitAction,
    HitKind,
    Peer,
    Protocol,
    Reporter,
    ServiceRef,
    SourceFormat,
)
from tierguard.flows.source import sniff


def test_detection_by_content() -> None:
    expected = {"ce.jsonl": SourceFormat.CALICO_ENTERPRISE,
                "ce-es.jsonl": SourceFormat.CALICO_ENTERPRISE,
                "goldmane.jsonl": SourceFormat.GOLDMANE, "whisker.json": SourceFormat.WHISKER,
                "hubble.jsonl": SourceFormat.HUBBLE, "vpc-v2.txt": SourceFormat.VPC,
                "vpc-v5.txt": SourceFormat.VPC, "eks-node.log": SourceFormat.EKS_AGENT,
                "eks-cloudwatch.log": SourceFormat.EKS_AGENT}
    assert {name: detect(sniff(Path(fixture(name)))) for name in expected} == expected


def test_calico_enterprise_current_shape_format_a() -> None:
    records, errors = read("ce.jsonl")
    assert errors == []
    first = records[0]
    assert (first.start_ms, first.end_ms) == (1_760_000_000_000, 1_760_000_300_000)
    assert first.source == Peer(EndpointType.WORKLOAD, "shop", "", "web-7d4b9c8f6d-*", None, None,
                                ("app=web", "tier=front"))
    assert first.dest == Peer(EndpointType.WORKLOAD, "shop", "", "api-5c7f9d8b4c-*", None, None,
                              ("app=api",))
    assert first.dest_port == 8080
    assert first.protocol == Protocol(6, "tcp")
    assert (first.reporter, first.action) == (Reporter.DST, Action.ALLOW)
    assert first.dest_service == ServiceRef("shop", "api", "http", 80)
    assert first.counts == Counts(flows=3, packets_in=40, packets_out=52, bytes_in=4200,
                                  bytes_out=9100)
    assert first.observer == "node-a"
    assert (first.format, first.line) == (SourceFormat.CALICO_ENTERPRISE, 1)
    # stored order is random; parsed hits are sorted by index, raw strings kept as reported
    assert first.enforced_raw == ("1|default|shop/default.api-ingress|allow|0",
                                  "0|platform|platform.baseline|pass|2")
    assert [(h.index, h.tier, h.qualified_name, h.action, h.rule_index)
            for h in first.enforced] == [
        (0, "platform", "gnp:baseline", HitAction.PASS, 2),
        (1, "default", "np:shop/api-ingress", HitAction.ALLOW, 0)]
    assert [(h.qualified_name, h.staged, h.end_of_tier) for h in first.pending] == [
        ("gnp:baseline", False, False), ("snp:shop/api-lockdown", True, True)]


def test_calico_enterprise_legacy_all_policies() -> None:
    legacy = read("ce.jsonl")[0][1]
    assert legacy.source == Peer(EndpointType.WORKLOAD, "ops", "debug-shell", "debug-shell",
                                 "10.1.0.99", None, ("run=debug-shell",))
    assert legacy.dest.ip == "10.1.0.22" and legacy.dest.name == "api-5c7f9d8b4c-q8w2z"
    assert legacy.dest_service is None
    assert legacy.action is Action.DENY
    # staged hits are not part of the enforced trace; there is no pending trace
    assert legacy.enforced_raw == ("1|default|shop/default.api-ingress|deny|-1",
                                   "0|platform|platform.baseline|pass|1")
    assert legacy.pending_raw is None and legacy.pending == ()
    assert legacy.observer == ""


def test_calico_enterprise_format_b_and_numeric_protocol() -> None:
    records = read("ce.jsonl")[0]
    third, fourth = records[2], records[3]
    assert [h.kind for h in third.enforced] == [HitKind.NETWORK_POLICY, HitKind.PROFILE]
    assert [(h.kind, h.rule_index) for h in third.pending] == [
        (HitKind.NETWORK_POLICY, 1), (HitKind.STAGED_NETWORK_POLICY, -1)]
    assert fourth.protocol == Protocol(6, "tcp")
    assert fourth.dest == Peer(EndpointType.NETWORK, "", "", "pub", None, None, ())
    assert fourth.attribute("dest_domains") == "api.payments.example"


def test_calico_enterprise_elasticsearch_document() -> None:
    records, errors = read("ce-es.jsonl")
    assert errors == []
    (doc,) = records
    assert doc.source == Peer(EndpointType.NETWORK, "", "", "pvt", None, None, ())
    assert doc.dest.name_aggr == "web-7d4b9c8f6d-*"
    assert [h.qualified_name for h in doc.enforced] == ["pro:kns.shop"]
    assert doc.enforced[0].tier == "__PROFILE__"
    assert (doc.observer, doc.attribute("cluster")) == ("node-a", "lab")
    assert doc.counts == Counts(6, 12, 10, 300, 900)


def test_goldmane_integer_enums_and_omitted_zeros() -> None:
    records, errors = read("goldmane.jsonl")
    assert errors == []
    first, second = records
    assert first.source == Peer(EndpointType.WORKLOAD, "shop", "", "web-7d4b9c8f6d-*", None,
                                None, ("app=web", "tier=front"))
    assert (first.reporter, first.action, first.dest_port) == (Reporter.DST, Action.ALLOW, 8080)
    assert first.dest_service == ServiceRef("shop", "api", "http", 80)
    assert first.counts == Counts(3, 40, 52, 4200, 9100)
    # policy_index omitted = 0; sorted by index; EndOfTier attributed to its trigger
    assert first.enforced_raw == ("0|platform|gnp:baseline|pass|2",
                                  "1|default|np:shop/api-ingress|allow|0")
    assert first.pending_raw == ("0|platform|gnp:baseline|pass|2",
                                 "1|default|snp:shop/api-lockdown|deny|-1")
    # a global peer has no namespace; a profile hit has tier __PROFILE__
    assert second.dest == Peer(EndpointType.NETWORK, "", "", "pub", None, None, ())
    assert second.enforced_raw == ("0|__PROFILE__|pro:kns.shop|allow|0",)
    assert second.counts == Counts(1, 0, 8, 0, 700)


def test_whisker_string_enums_joined_labels() -> None:
    records, errors = read("whisker.json")
    assert errors == []
    first, second = records
    assert first.line == 4 and second.line == 37
    assert first.source.labels == ("app=web", "tier=front")
    assert first.enforced_raw == ("0|platform|gnp:baseline|pass|2",
                                  "1|default|np:shop/api-ingress|allow|0")
    assert first.pending_raw == ("0|platform|gnp:baseline|pass|2",
                                 "1|default|snp:shop/api-lockdown|deny|-1")
    assert first.counts == Counts(0, 40, 52, 4200, 9100)
    assert second.source == Peer(EndpointType.NETWORK, "", "", "pvt", None, None, ())
    assert (second.start_ms, second.protocol, second.action) == (1_760_000_000_250,
                                                                Protocol(17, "udp"), Action.DENY)


def test_hubble_events() -> None:
    records, errors = read("hubble.jsonl")
    assert brief(errors) == [("FLW513", 0, "note")]
    assert errors[0].message == "1 reply events (is_reply: true) counted and skipped"
    verdict, drop = records
    assert verdict.start_ms == verdict.end_ms == 1_760_000_000_123
    assert verdict.source == Peer(EndpointType.WORKLOAD, "shop", "web-7d4b9c8f6d-x2k9p",
                                  "web-7d4b9c8f6d-*", "10.1.0.11", 51000,
                                  ("app=web", "io.kubernetes.pod.namespace=shop", "tier=front"),
                                  workload="Deployment/web")
    assert verdict.dest.name_aggr == "api-5c7f9d8b4c-*" and verdict.dest.ip == "10.1.0.22"
    assert (verdict.reporter, verdict.action, verdict.dest_port) == (Reporter.DST, Action.ALLOW,
                                                                     8080)
    assert verdict.enforced_raw == ("0||knp:shop/api-ingress|allow|-2",)
    assert verdict.dest_service == ServiceRef("shop", "api")
    assert (verdict.observer, verdict.counts) == ("node-b", Counts(flows=1))
    assert drop.source.ip == "fd00:10::5" and drop.dest == Peer(
        EndpointType.NETWORK, "", "", "pub", "2001:db8::7", None, ("reserved:world",))
    assert (drop.reporter, drop.action, drop.protocol) == (Reporter.SRC, Action.DENY,
                                                          Protocol(17, "udp"))
    assert drop.enforced_raw == ("0||CiliumNetworkPolicy:shop/no-dns-out|deny|-2",)
    assert drop.attribute("drop_reason") == "POLICY_DENIED"


def test_vpc_default_v2() -> None:
    records, errors = read("vpc-v2.txt")
    assert brief(errors) == [("FLW513", 0, "note")]
    accept, reject = records
    assert accept.source == Peer(EndpointType.UNKNOWN, ip="10.1.0.11", port=51000)
    assert accept.dest == Peer(EndpointType.UNKNOWN, ip="10.1.0.22")
    assert (accept.dest_port, accept.protocol, accept.reporter, accept.action) == (
        8080, Protocol(6, "tcp"), Reporter.UNKNOWN, Action.ALLOW)
    assert accept.counts == Counts(flows=1, packets_out=52, bytes_out=9100)
    assert (accept.start_ms, accept.end_ms) == (1_760_000_000_000, 1_760_000_060_000)
    assert accept.observer == "eni-0aa0000000000001a"
    assert reject.action is Action.DENY and reject.dest_port == 22


def test_vpc_custom_v5_header_pkt_addresses_direction_ipv6() -> None:
    records, errors = read("vpc-v5.txt")
    assert brief(errors) == [("FLW511", 5, "warning")]
    pod, sdk, ipv6 = records
    assert (pod.line, pod.source.ip, pod.dest.ip, pod.reporter) == (2, "10.1.0.11", "10.1.0.22",
                                                                   Reporter.SRC)
    assert (pod.attribute("srcaddr"), pod.attribute("traffic-path")) == ("10.1.0.5", "1")
    assert sdk.attribute("pkt-dst-aws-service") == "DYNAMODB"
    assert (ipv6.source.ip, ipv6.dest.ip, ipv6.reporter) == ("2600:1f18::a", "2600:1f18::b",
                                                             Reporter.DST)


def test_vpc_fields_from_option_without_header(tmp_path: Path) -> None:
    path = tmp_path / "cwl.txt"
    path.write_text("10.1.0.11 10.1.0.22 8080 6 ACCEPT 1760000000 1760000060 ingress\n")
    options = ReadOptions(vpc_fields="${pkt-srcaddr} ${pkt-dstaddr} ${dstport} ${protocol} "
                                     "${action} ${start} ${end} ${flow-direction}")
    records, errors = read(str(path), format="vpc", options=options)
    assert errors == []
    assert (records[0].source.ip, records[0].dest_port, records[0].reporter) == (
        "10.1.0.11", 8080, Reporter.DST)


def test_eks_agent_node_file_all_shapes() -> None:
    records, errors = read("eks-node.log")
    assert brief(errors) == [("FLW513", 0, "note")]
    assert errors[0].message == "1 EXPIRED/DELETED events counted and skipped"
    keys, ts, msg_v4, msg_v6 = records
    assert (keys.start_ms, keys.source.ip, keys.source.port, keys.dest.ip, keys.dest_port) == (
        1_760_000_000_000, "10.1.0.11", 51000, "10.1.0.22", 8080)
    assert (keys.reporter, keys.action, keys.protocol) == (Reporter.UNKNOWN, Action.ALLOW,
                                                          Protocol(6, "tcp"))
    assert (ts.start_ms, ts.dest.ip) == (1_760_000_001_500, "172.30.0.40")
    assert (msg_v4.reporter, msg_v4.action, msg_v4.attribute("tier")) == (
        Reporter.DST, Action.DENY, "NETWORK_POLICY")
    assert (msg_v6.source.ip, msg_v6.dest.ip, msg_v6.protocol, msg_v6.reporter,
            msg_v6.attribute("tier")) == ("fd00:10::5", "fd00:10::9", Protocol(17, "udp"),
                                          Reporter.SRC, "ADMIN")


def test_eks_agent_cloudwatch_messages() -> None:
    records, errors = read("eks-cloudwatch.log")
    assert brief(errors) == [("FLW512", 0, "warning")]
    assert errors[0].message == ("2 records carry no timestamp; using 2025-10-09T08:55:00Z")
    first, no_node, timed = records
    assert (first.observer, first.start_ms, first.action) == ("node-b", FALLBACK_MS, Action.ALLOW)
    assert (no_node.observer, no_node.source.ip, no_node.action) == ("", "10.1.0.99",
                                                                     Action.DENY)
    assert (timed.start_ms, timed.dest.ip, timed.attribute("tier")) == (
        1_760_000_005_000, "172.30.0.40", "BASELINE")


def test_whisker_watch_stream_lines(tmp_path: Path) -> None:
    import json

    item = json.loads(Path(fixture("whisker.json")).read_text())["items"][1]
    path = tmp_path / "watch.txt"
    path.write_text(f"event: flow\ndata: {json.dumps(item)}\n\n: keep-alive\n"
                    f"data: {json.dumps(item | {'dest_port': 9998})}\n")
    assert detect(sniff(path)) is SourceFormat.WHISKER
    records, errors = read(str(path))
    assert errors == []
    assert [(r.line, r.dest_port) for r in records] == [(2, 9999), (5, 9998)]
