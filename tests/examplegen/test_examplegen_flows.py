"""The dev recording: 7 days, every noise category, and the Calico Enterprise field conventions."""

from __future__ import annotations

from datetime import UTC, datetime

from tierguard.examplegen.topology import Topology
from tierguard.examplegen.world import build_world

Record = dict[str, object]
DAY = 86400
START = int(datetime(2026, 11, 18, tzinfo=UTC).timestamp())


def _policies(record: Record, key: str) -> list[str]:
    policies = record["policies"]
    assert isinstance(policies, dict)
    value = policies[key]
    assert isinstance(value, list)
    return value


def _starts_with(value: object, prefix: str) -> bool:
    return isinstance(value, str) and value.startswith(prefix)


def test_recording_covers_seven_days(dev_records: list[Record]) -> None:
    starts = [r["start_time"] for r in dev_records]
    ends = [r["end_time"] for r in dev_records]
    assert all(isinstance(v, int) for v in starts + ends)
    assert min(starts) < START + 3600  # type: ignore[operator]
    assert max(ends) - min(starts) >= 7 * DAY  # type: ignore[operator]
    days = {(s - START) // DAY for s in starts}  # type: ignore[operator]
    assert days == set(range(7))


def test_windows_are_an_hour_per_node_and_not_clock_aligned(dev_records: list[Record]) -> None:
    assert {r["end_time"] - r["start_time"] for r in dev_records} == {3600}  # type: ignore[operator]
    offsets = {(r["host"], r["start_time"] % 3600) for r in dev_records}  # type: ignore[operator]
    hosts = {h for h, _ in offsets}
    assert len(hosts) == 3
    assert len(offsets) == 3  # one fixed felix timer offset per node
    assert all(r["@timestamp"] == r["end_time"] * 1000 for r in dev_records)  # type: ignore[operator]
    assert {r["cluster"] for r in dev_records} == {"eks-dev-euw1"}


def test_dns_to_kube_dns_on_udp_53(dev_records: list[Record]) -> None:
    dns = [r for r in dev_records if r["proto"] == "udp" and r["dest_port"] == 53 and r["dest_type"] == "wep"]
    src = [r for r in dns if r["reporter"] == "src" and r["source_name_aggr"] == "orders-gxqzrzjv5f-*"]
    assert src, "orders resolves names"
    assert {(r["dest_namespace"], r["dest_service_name"], r["dest_service_port"], r["dest_service_port_num"])
            for r in src} == {("kube-system", "kube-dns", "dns", 53)}
    assert {tuple(_policies(r, "enforced_policies")) for r in src} == {(
        "0|security|security.deny-cross-environment|pass|-1",
        "1|platform|platform.allow-dns-egress|allow|0")}
    dst = [r for r in dns if r["reporter"] == "dst" and r["source_name_aggr"] == "orders-gxqzrzjv5f-*"]
    assert {tuple(_policies(r, "enforced_policies")) for r in dst} == {(
        "0|security|security.deny-cross-environment|pass|-1",
        "1|platform|kube-system/platform.kube-dns-ingress|allow|0")}


def test_kubelet_probes_come_from_private_node_addresses(topology: Topology, dev_records: list[Record]) -> None:
    world = build_world(topology, "dev", 7)
    probes = [r for r in dev_records if r["source_type"] == "net" and r["source_name_aggr"] == "pvt"
              and r["dest_port"] == 80 and _starts_with(r["dest_name_aggr"], "catalogue-")]
    assert probes
    assert {r["reporter"] for r in probes} == {"dst"}
    assert {(r["source_namespace"], r["source_name"], r["source_ip"], r["source_labels"]) for r in probes} == {
        ("-", "-", None, None)}
    catalogue_nodes = {p.node.name for p in world.pods if p.workload.key == "sock-shop/catalogue"}
    assert {r["host"] for r in probes} == catalogue_nodes  # each probe is reported by the pod's own node
    assert {tuple(_policies(r, "enforced_policies")) for r in probes} == {
        ("0|__PROFILE__|__PROFILE__.kns.sock-shop|allow|0",)}


def test_nightly_cronjob_runs_once_a_night_with_a_new_job_name(dev_records: list[Record]) -> None:
    backup = [r for r in dev_records if _starts_with(r["source_name_aggr"], "ledger-backup-")]
    names = sorted({str(r["source_name_aggr"]) for r in backup})
    assert len(names) == 7
    assert all(name.endswith("-*") for name in names)
    hours = {datetime.fromtimestamp(int(r["start_time"]), UTC).hour for r in backup}  # type: ignore[call-overload]
    assert hours == {2}
    targets = {(r["dest_name_aggr"], r["dest_port"], r["reporter"], r["action"]) for r in backup}
    assert ("ledger-db-*", 5432, "dst", "allow") in targets
    assert ("pub", 443, "src", "allow") in targets
    db = [r for r in backup if r["dest_name_aggr"] == "ledger-db-*" and r["reporter"] == "dst"]
    assert {tuple(_policies(r, "enforced_policies"))[-1] for r in db} == {"2|default|ledger/knp.default.ledger-db|allow|0"}


def test_rollout_changes_the_orders_pod_hash_mid_week(topology: Topology, dev_records: list[Record]) -> None:
    rollout = topology.workload("sock-shop/orders").rollout  # type: ignore[union-attr]
    assert rollout is not None
    moment = int(rollout.timestamp())
    before = {r["source_name_aggr"] for r in dev_records if r["end_time"] <= moment - 3600  # type: ignore[operator]
              and _starts_with(r["source_name_aggr"], "orders-") and not _starts_with(r["source_name_aggr"], "orders-db")}
    after = {r["source_name_aggr"] for r in dev_records if r["start_time"] >= moment + 3600  # type: ignore[operator]
             and _starts_with(r["source_name_aggr"], "orders-") and not _starts_with(r["source_name_aggr"], "orders-db")}
    assert before == {"orders-gxqzrzjv5f-*"}
    assert after == {"orders-ndpkxn4vln-*"}
    labels_after = {tuple(r["source_labels"]["labels"]) for r in dev_records  # type: ignore[index]
                    if r["source_name_aggr"] == "orders-ndpkxn4vln-*"}
    assert labels_after == {("name=orders", "pod-template-hash=ndpkxn4vln")}


def test_instance_metadata_attempt_is_denied_at_the_source(dev_records: list[Record]) -> None:
    denied = [r for r in dev_records if r["dest_ip"] == "169.254.169.254" and r["action"] == "deny"]
    assert denied
    assert {(r["source_name_aggr"], r["reporter"], r["dest_type"], r["dest_name_aggr"], r["dest_namespace"],
             r["source_port"]) for r in denied} == {("shipping-vc4bql4nnk-*", "src", "net", "pub", "-", None)}
    # Denied flows keep IPs and pod names (aggregation level 1).
    assert all(r["source_ip"] and r["source_name"] == "shipping-vc4bql4nnk-7g64m" for r in denied)
    assert {tuple(_policies(r, "enforced_policies")) for r in denied} == {
        ("0|security|security.block-instance-metadata|deny|1",)}
    # The allow-listed agent passes the guardrail.
    agent = [r for r in dev_records if _starts_with(r["source_name_aggr"], "ebs-csi-controller-")
             and r["dest_port"] == 80 and r["dest_name_aggr"] == "pub"]
    assert agent and {r["action"] for r in agent} == {"allow"}
    assert {_policies(r, "enforced_policies")[0] for r in agent} == {
        "0|security|security.block-instance-metadata|pass|0"}


def test_cross_namespace_attempts(dev_records: list[Record]) -> None:
    netshoot = [r for r in dev_records if r["source_name_aggr"] == "netshoot"]
    to_db = {(r["reporter"], r["action"]) for r in netshoot if r["dest_port"] == 3306}
    assert to_db == {("src", "allow"), ("dst", "deny")}
    denied = [r for r in netshoot if r["action"] == "deny"]
    assert {tuple(_policies(r, "enforced_policies"))[-1] for r in denied} == {
        "2|application|sock-shop/application.catalogue-db|deny|-1"}
    # carts is not isolated (the selector typo), so the same pod reaches it.
    to_carts = {(r["reporter"], r["action"]) for r in netshoot if r["dest_port"] == 80}
    assert to_carts == {("src", "allow"), ("dst", "allow")}


def test_cross_environment_attempt_is_denied_in_staging(staging_records: list[Record]) -> None:
    attempt = [r for r in staging_records if r["dest_type"] == "ns" and r["dest_name_aggr"] == "other-environments"]
    assert attempt
    assert {(r["action"], r["reporter"], r["dest_port"], r["dest_namespace"]) for r in attempt} == {
        ("deny", "src", 5432, "-")}
    assert {str(r["dest_ip"]).startswith("10.30.") for r in attempt} == {True}
    assert {tuple(_policies(r, "enforced_policies")) for r in attempt} == {
        ("0|security|security.deny-cross-environment|deny|0",)}
    assert {r["dest_labels"]["labels"][0] for r in attempt} == {  # type: ignore[index]
        "security.example.com/zone=other-environments"}


def test_staged_policies_show_up_only_in_pending(dev_records: list[Record]) -> None:
    carts = [r for r in dev_records if r["reporter"] == "dst" and _starts_with(r["dest_name_aggr"], "carts-")
             and _starts_with(r["source_name_aggr"], "front-end-")]
    assert carts and {r["action"] for r in carts} == {"allow"}
    assert {_policies(r, "enforced_policies")[-1] for r in carts} == {"2|__PROFILE__|__PROFILE__.kns.sock-shop|allow|0"}
    assert {_policies(r, "pending_policies")[-1] for r in carts} == {
        "2|application|sock-shop/application.staged:default-deny|deny|-1"}
    sentry = [r for r in dev_records if _starts_with(r["source_name_aggr"], "ledger-worker-")
              and r["dest_domains"] == ["o450.ingest.sentry.io"]]
    assert sentry and {r["action"] for r in sentry} == {"allow"}
    assert {_policies(r, "pending_policies")[-1] for r in sentry} == {
        "2|application|ledger/application.staged:ledger-worker-egress|deny|-1"}


def test_allowed_records_are_aggregated_at_level_two(dev_records: list[Record]) -> None:
    allowed = [r for r in dev_records if r["action"] == "allow"]
    assert {(r["source_ip"], r["dest_ip"], r["source_port"], r["source_name"], r["dest_name"]) for r in allowed} == {
        (None, None, None, "-", "-")}
    assert {r["source_type"] for r in dev_records} == {"wep", "net"}
    assert {r["dest_type"] for r in dev_records} == {"wep", "net", "ns"}
    for record in dev_records:
        for side in ("source", "dest"):
            labels = record[f"{side}_labels"]
            if record[f"{side}_type"] == "net":
                assert labels is None and record[f"{side}_namespace"] == "-"
                assert record[f"{side}_name_aggr"] in ("pvt", "pub")
            elif labels is not None:
                assert isinstance(labels, dict) and all("=" in item for item in labels["labels"])
        assert record["reporter"] in ("src", "dst")
        assert record["proto"] in ("tcp", "udp")
        assert record["num_flows"] >= 1  # type: ignore[operator]
