"""`simulate` and `explain` on lossy records: uncertainty, label-rebuilt pods and mixed families
are visible in jsonl, text and the walkthrough (never silent)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tierguard.cli.main import main

INVENTORY = """\
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: shop, labels: {team: shop}}}
- {apiVersion: v1, kind: ServiceAccount, metadata: {name: web, namespace: shop}}
- apiVersion: v1
  kind: Node
  metadata: {name: node-1}
  status: {addresses: [{type: InternalIP, address: 192.168.0.1}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: web-5c6b7f-aaaaa, namespace: shop, generateName: web-5c6b7f-,
             labels: {app: web}}
  spec:
    serviceAccountName: web
    nodeName: node-1
    containers: [{name: main, ports: [{name: http, containerPort: 8080, protocol: TCP}]}]
  status: {phase: Running, podIP: 10.0.0.1, podIPs: [{ip: 10.0.0.1}]}
- apiVersion: v1
  kind: Pod
  metadata: {name: db-1a2b3c-bbbbb, namespace: shop, generateName: db-1a2b3c-,
             labels: {app: db}}
  spec: {serviceAccountName: web, nodeName: node-1, containers: [{name: main}]}
  status: {phase: Running, podIP: 10.0.0.2, podIPs: [{ip: 10.0.0.2}]}
"""

POLICY = """\
apiVersion: projectcalico.org/v3
kind: NetworkPolicy
metadata: {name: web-ingress, namespace: shop}
spec:
  selector: app == 'web'
  types: [Ingress]
  ingress:
  - action: Allow
    protocol: TCP
    source: {selector: app == 'db', ports: [1024]}
"""


def _record(**fields: object) -> str:
    base: dict[str, object] = {
        "source_ip": None, "source_name": "-", "source_name_aggr": "pvt", "source_namespace": "-",
        "source_port": None, "source_type": "net", "source_labels": None,
        "dest_ip": None, "dest_name": "-", "dest_name_aggr": "web-5c6b7f-*",
        "dest_namespace": "shop", "dest_port": 8080, "dest_type": "wep",
        "dest_labels": {"labels": ["app=web"]}, "proto": "tcp", "action": "allow",
        "reporter": "dst"}
    base.update(fields)
    return json.dumps(base)


@pytest.fixture()
def inputs(tmp_path: Path) -> tuple[Path, Path, Path]:
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "web.yaml").write_text(POLICY)
    (tmp_path / "inventory.yaml").write_text(INVENTORY)
    flows = tmp_path / "flows.jsonl"
    flows.write_text("\n".join([
        _record(),  # kubelet probe, source address aggregated away
        _record(source_type="wep", source_name_aggr="db-9x8y7z-*", source_namespace="shop",
                source_port=1024, source_labels={"labels": ["app=db", "pod-template-hash=9x8y7z"]}),
        _record(source_ip="fd00::5", source_name_aggr="pub", dest_ip="10.0.0.1"),
    ]) + "\n")
    return tmp_path / "policies", tmp_path / "inventory.yaml", flows


def _simulate(capsys: pytest.CaptureFixture[str], inputs: tuple[Path, Path, Path],
              fmt: str) -> tuple[int, str]:
    policies, inventory, flows = inputs
    code = main(["simulate", "--policies", str(policies), "--inventory", str(inventory),
                 "--flows", str(flows), "--format", fmt])
    return code, capsys.readouterr().out


HOST_DOUBT = ("source is a private (pvt) address the record does not carry: if it is an address "
              "of node node-1 (192.168.0.1), where shop/web-5c6b7f-aaaaa (10.0.0.1) runs (e.g. a "
              "kubelet probe), Calico does not police host -> local workload traffic and the "
              "connection is allowed (calico-semantics §3.6); evaluated as a non-host peer")
REBUILT = ("resolved by labels: shop/db-9x8y7z-* not in inventory (recorded labels, service "
           "account web of db-1a2b3c-bbbbb, no container ports)")
MIXED = ("source fd00::5 is IPv6 but destination 10.0.0.1 is IPv4: one connection cannot mix "
         "address families, so no policy can be evaluated")


def test_jsonl_marks_uncertainty_rebuilt_pods_and_mixed_families(
        capsys: pytest.CaptureFixture[str], inputs: tuple[Path, Path, Path]) -> None:
    code, out = _simulate(capsys, inputs, "jsonl")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["verdict"], r.get("uncertain"), r.get("resolution"), r.get("error"))
            for r in rows] == [("deny", True, None, None), ("allow", None, "labels", None),
                               (None, None, None, MIXED)]
    assert rows[0]["notes"] == [HOST_DOUBT]
    assert rows[0]["enforced_policies"] == {
        "src": None, "dst": ["0|default|np:shop/web-ingress|deny|-1"]}
    assert rows[1]["notes"] == [REBUILT]
    assert rows[1]["enforced_policies"] == {
        "src": ["0|__PROFILE__|pro:kns.shop|allow|0"],
        "dst": ["0|default|np:shop/web-ingress|allow|0"]}
    assert code == 0


def test_text_format_flags_uncertain_verdicts_and_label_resolution(
        capsys: pytest.CaptureFixture[str], inputs: tuple[Path, Path, Path]) -> None:
    _, out = _simulate(capsys, inputs, "text")
    lines = out.splitlines()
    flows = str(inputs[2])
    assert (f"{flows}:1: pvt -> shop/web-5c6b7f-* TCP/8080: DENY (pending DENY) UNCERTAIN "
            "(see notes: the verdict may differ)") in lines
    assert f"    note: {HOST_DOUBT}" in lines
    assert ("    resolution: labels (a peer missing from the inventory was rebuilt from the "
            "record's labels)") in lines
    assert f"    note: {REBUILT}" in lines
    assert f"{flows}:3: pub (fd00::5) -> shop/web-5c6b7f-* (10.0.0.1): ERROR {MIXED}" in lines


def test_explain_lists_undecidable_rules(capsys: pytest.CaptureFixture[str],
                                         inputs: tuple[Path, Path, Path]) -> None:
    policies, inventory, _ = inputs
    code = main(["explain", "--from", "shop/db-1a2b3c-bbbbb", "--to", "shop/web-5c6b7f-aaaaa",
                 "--port", "8080", "--policies", str(policies), "--inventory", str(inventory)])
    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert "Verdict: DENY (pending, with staged policies: DENY)" in lines
    assert "UNCERTAIN: the verdict may differ; this flow lacks what some rules need:" in lines
    assert "  - np:shop/web-ingress rule 0: source-port-unknown" in lines
    assert ("  UNCERTAIN: np:shop/web-ingress rule 0: source-port-unknown (could not be decided "
            "from this flow; treated as no match, so the verdict may differ)") in lines


def test_explain_mixed_families_is_an_error(capsys: pytest.CaptureFixture[str],
                                            inputs: tuple[Path, Path, Path]) -> None:
    policies, inventory, _ = inputs
    code = main(["explain", "--from", "fd00::5", "--to", "shop/web-5c6b7f-aaaaa", "--port", "80",
                 "--policies", str(policies), "--inventory", str(inventory)])
    lines = capsys.readouterr().out.splitlines()
    assert (code, lines[-1]) == (1, f"error: {MIXED}")


def test_probe_mixed_families_is_an_error(capsys: pytest.CaptureFixture[str],
                                          inputs: tuple[Path, Path, Path]) -> None:
    policies, inventory, flows = inputs
    probes = flows.with_name("probes.csv")
    probes.write_text("from,to,port,protocol\nfd00::5,shop/web-5c6b7f-aaaaa,80,TCP\n")
    main(["simulate", "--policies", str(policies), "--inventory", str(inventory),
          "--flows", str(probes)])
    row = json.loads(capsys.readouterr().out)
    assert (row["verdict"], row["error"]) == (None, MIXED)
