"""Input shapes the upstream harnesses feed (`kind: List`, multi-document files, JSON inventory,
YAML probes, Calico flow lines with source ports) and the output modes around the verdict
(replace preview, end-of-tier pass of rule-less admin policies, uncertain rules)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from tierguard.cli.main import main

from .cluster import Probe, Simulator, all_pairs, assert_matrix, inventory_document, xyz_cluster
from .k8s_cases import CASES
from .k8s_reference import reference_matrix
from .test_admin_conformance import anp, cnp, in_ns, rule
from .test_calico_specific import DB_INGRESS, app_cluster, brief, calico, tier

PROFILE_APP = "0|__PROFILE__|pro:kns.app|allow|0"


def _run_files(capsys: pytest.CaptureFixture[str], policies: Path, inventory: Path, flows: Path,
               *flags: str) -> tuple[int, list[dict[str, Any]]]:
    capsys.readouterr()
    code = main(["simulate", "--policies", str(policies), "--inventory", str(inventory),
                 "--flows", str(flows), *flags, "--format", "jsonl"])
    out, _ = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()]


@pytest.mark.parametrize("layout", ["multi-document", "kind-list"])
def test_policy_file_layouts_json_inventory_and_yaml_probes(
        layout: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = next(c for c in CASES if c.name == "multiple-policies-union")
    cluster = xyz_cluster()
    policies = tmp_path / "policies.yaml"
    if layout == "multi-document":
        policies.write_text(yaml.safe_dump_all(list(case.policies)))
    else:
        policies.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List",
                                            "items": list(case.policies)}))
    inventory = tmp_path / "inventory.json"
    inventory.write_text(json.dumps(inventory_document(cluster)))
    probes = all_pairs(cluster, 81)
    flows = tmp_path / "probes.yaml"
    flows.write_text(yaml.safe_dump([{"from": p.source, "to": p.dest, "port": p.port,
                                      "protocol": p.protocol} for p in probes]))
    code, rows = _run_files(capsys, policies, inventory, flows)
    assert code == 0
    got = {(p.source, p.dest): r["verdict"] == "allow" for p, r in zip(probes, rows, strict=True)}
    assert_matrix(reference_matrix(cluster, case.policies, 81), got, cluster, layout)


SOURCE_PORTS = calico("NetworkPolicy", "sp", {
    "selector": "pod == 'a'", "types": ["Ingress"],
    "ingress": [{"action": "Allow", "protocol": "TCP", "source": {"ports": ["1000:2000"]}}]}, "x")


def test_source_ports_from_flow_lines_and_unknown_in_probes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cluster = xyz_cluster()
    records: list[dict[str, object]] = [{"source_type": "wep", "source_namespace": "y", "source_name": "a",
                "source_name_aggr": "a", "source_ip": "10.2.0.1", "source_port": port,
                "dest_type": "wep", "dest_namespace": "x", "dest_name": "a",
                "dest_name_aggr": "a", "dest_ip": "10.1.0.1", "dest_port": 80, "proto": "tcp",
                "reporter": "dst", "action": "allow"} for port in (1500, 3000)]
    records.append({"source_type": "net", "source_namespace": "-", "source_name": "-",
                    "source_name_aggr": "pub", "source_ip": "203.0.113.5", "dest_type": "wep",
                    "dest_namespace": "x", "dest_name": "-", "dest_name_aggr": "a",
                    "dest_ip": None, "dest_port": 80, "proto": "udp", "reporter": "dst",
                    "action": "deny"})
    sim = Simulator(tmp_path, capsys)
    rows, code, err = sim.run_raw([SOURCE_PORTS], cluster,
                                  "".join(json.dumps(r) + "\n" for r in records), "flows.jsonl")
    assert code == 0, err
    assert [(r["verdict"], r["enforced_policies"]["dst"]) for r in rows] == [  # type: ignore[index]
        ("allow", ["0|default|np:x/sp|allow|0"]), ("deny", ["0|default|np:x/sp|deny|-1"]),
        ("deny", ["0|default|np:x/sp|deny|-1"])]
    probe = sim.run([SOURCE_PORTS], cluster, [Probe("y/a", "x/a", 80)])
    assert probe.rows[0]["verdict"] == "deny"
    assert probe.rows[0]["uncertain"] is True
    assert probe.rows[0]["notes"] == [
        "np:x/sp rule 0: source-port-unknown (not evaluable from this flow; treated as no match)"]


STAGED_DELETE = {"apiVersion": "projectcalico.org/v3", "kind": "StagedKubernetesNetworkPolicy",
                 "metadata": {"name": "db-ingress", "namespace": "app"},
                 "spec": {"stagedAction": "Delete"}}
STAGED_SET = {"apiVersion": "projectcalico.org/v3", "kind": "StagedKubernetesNetworkPolicy",
              "metadata": {"name": "db-ingress", "namespace": "app"},
              "spec": {"podSelector": {"matchLabels": {"app": "db"}}, "policyTypes": ["Ingress"],
                       "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}]}}


def test_replace_preview_is_separate_from_pending(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    """Calico's pending ignores a staged Delete; the labelled replace preview removes the KNP."""
    sim = Simulator(tmp_path, capsys)
    run = sim.run([DB_INGRESS, STAGED_DELETE], app_cluster(), [Probe("app/web", "app/db", 5432)],
                  "--replace-preview")
    row = run.rows[0]
    assert (row["verdict"], row["pending_verdict"], row["replace_preview_verdict"]) == \
        ("deny", "deny", "allow")
    assert row["replace_preview_policies"] == {"src": [PROFILE_APP], "dst": [PROFILE_APP]}
    assert "tierguard extension" in str(row["replace_preview_note"])
    run = sim.run([DB_INGRESS, STAGED_SET], app_cluster(), [Probe("app/web", "app/db", 5432),
                                                           Probe("app/client", "app/db", 5432)],
                  "--replace-preview")
    assert [(r["verdict"], r["pending_verdict"], r["replace_preview_verdict"])
            for r in run.rows] == [("deny", "allow", "allow"), ("allow", "allow", "deny")]
    assert run.rows[1]["replace_preview_policies"]["dst"] == [  # type: ignore[index]
        "0|default|sknp:app/db-ingress|deny|-1"]


@pytest.mark.parametrize(("document", "version", "hit"), [
    (cnp("empty", "Admin", 1, {"namespaces": {}}), "3.32", "0|kube-admin|kcnp:empty|pass|-1"),
    (anp("empty", 1, {"namespaces": {}}), "3.31",
     "0|adminnetworkpolicy|kanp.adminnetworkpolicy.empty|pass|-1"),
], ids=["cnp", "anp"])
def test_rule_less_admin_policy_is_an_end_of_tier_pass(
        document: dict[str, Any], version: str, hit: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """§1.12: no rules => empty types => both directions with zero rules => end-of-tier pass."""
    run = Simulator(tmp_path, capsys).run([document], app_cluster(),
                                          [Probe("app/web", "app/db", 5432)],
                                          "--calico-version", version)
    profile = PROFILE_APP if version == "3.32" else "0|__PROFILE__|__PROFILE__.kns.app|allow|0"
    profile = profile.replace("0|", "1|", 1)
    assert brief(run.rows[0])[:4] == ("allow", "allow", [hit, profile], [hit, profile])


@pytest.mark.parametrize(("tier_name", "verdict"), [("platform", "allow"), ("aaa", "deny")])
def test_user_tier_tied_with_admin_tier_sorts_by_name(tier_name: str, verdict: str,
                                                      tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    """§3.3 TierLess: equal order (1000) => tier name; `adminnetworkpolicy` vs the user tier."""
    documents = [tier(tier_name, 1000),
                 calico("GlobalNetworkPolicy", f"{tier_name}.deny", {
                     "tier": tier_name, "selector": "all()", "types": ["Ingress"],
                     "ingress": [{"action": "Deny"}]}),
                 anp("allow-y", 1, in_ns("x"), [rule("allow", "Allow", [in_ns("y")])])]
    run = Simulator(tmp_path, capsys).run(documents, xyz_cluster(), [Probe("y/a", "x/a", 80)],
                                          "--calico-version", "3.31")
    assert run.rows[0]["verdict"] == verdict
