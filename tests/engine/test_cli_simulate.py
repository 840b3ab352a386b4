"""`tierguard simulate` end to end: YAML policies through the compiler, inventory, flows/probes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tierguard.cli.main import main

FIXTURES = Path(__file__).parent / "fixtures" / "app"
POLICIES = str(FIXTURES / "policies")
INVENTORY = str(FIXTURES / "inventory.yaml")


def _run(capsys: pytest.CaptureFixture[str], flows: Path | str, *extra: str
         ) -> tuple[int, list[dict[str, object]], str]:
    code = main(["simulate", "--policies", POLICIES, "--inventory", INVENTORY, "--flows",
                 str(flows), *extra])
    out, err = capsys.readouterr()
    return code, [json.loads(line) for line in out.splitlines()], err


def test_probe_csv_verdicts_traces_and_errors(capsys: pytest.CaptureFixture[str]) -> None:
    code, rows, err = _run(capsys, FIXTURES / "probes.csv")
    assert code == 1  # line 7 is malformed (error); the simulation itself ran
    assert [(r["line"], r["verdict"], r["pending_verdict"]) for r in rows] == [
        (2, "allow", "allow"), (3, "deny", "deny"), (4, "deny", "deny"), (5, "deny", "deny"),
        (6, None, None), (7, None, None)]
    assert rows[0]["enforced_policies"] == {
        "src": ["0|__PROFILE__|pro:kns.app|allow|0"],
        "dst": ["0|platform|gnp:platform-base|pass|1", "1|default|knp:app/db-ingress|allow|0"]}
    assert rows[1]["enforced_policies"] == {
        "src": ["0|__PROFILE__|pro:kns.app|allow|0"],
        "dst": ["0|platform|gnp:platform-base|pass|1", "1|default|knp:app/db-ingress|deny|-1"]}
    assert rows[1]["pending_policies"]["dst"] == [  # type: ignore[index]
        "0|platform|gnp:platform-base|pass|1", "1|default|snp:app/lockdown|deny|-1"]
    assert rows[2]["enforced_policies"]["src"] is None  # type: ignore[index]
    assert rows[3]["enforced_policies"]["dst"] == ["0|platform|gnp:platform-base|deny|0"]  # type: ignore[index]
    assert rows[4]["error"] == "no endpoint in the inventory matches pod app/ghost"
    assert rows[5]["error"] == "port 'eighty' is not a number from 1 to 65535"
    assert "probes.csv:6:1: ENG601 warning: no endpoint in the inventory matches pod app/ghost" in err
    assert "probes.csv:7:1: ENG602 error: port 'eighty' is not a number from 1 to 65535" in err


def test_structured_trace_names_file_and_rule_line(capsys: pytest.CaptureFixture[str]) -> None:
    _, rows, _ = _run(capsys, FIXTURES / "probes.csv")
    dst = rows[0]["trace"]["enforced"]["dst"]  # type: ignore[index]
    assert [(t["hit"], Path(t["file"]).name, t["line"]) for t in dst] == [
        ("0|platform|gnp:platform-base|pass|1", "platform.yaml", 21),
        ("1|default|knp:app/db-ingress|allow|0", "db-ingress.yaml", 12)]


CALICO_LINES = [
    # IPs present (aggregation level 1)
    {"source_ip": "10.0.0.10", "source_name": "client-7d9f8b-abcde", "source_name_aggr": "client-7d9f8b-*",
     "source_namespace": "app", "source_type": "wep", "dest_ip": "10.0.0.30",
     "dest_name": "db-5c6b7f-klmno", "dest_name_aggr": "db-5c6b7f-*", "dest_namespace": "app",
     "dest_type": "wep", "dest_port": 5432, "proto": "tcp", "action": "allow", "reporter": "dst"},
    # aggregated: names only
    {"source_ip": None, "source_name": "-", "source_name_aggr": "web-5c6b7f-*",
     "source_namespace": "app", "source_type": "wep", "dest_ip": None, "dest_name": "-",
     "dest_name_aggr": "db-5c6b7f-*", "dest_namespace": "app", "dest_type": "wep",
     "dest_port": 5432, "proto": "tcp", "action": "deny", "reporter": "dst"},
    # public peer with an IP
    {"source_ip": "203.0.113.7", "source_name": "-", "source_name_aggr": "pub",
     "source_namespace": "-", "source_type": "net", "dest_ip": "10.0.0.20", "dest_name": "-",
     "dest_name_aggr": "web-5c6b7f-*", "dest_namespace": "app", "dest_type": "wep",
     "dest_port": 80, "proto": "tcp", "action": "allow", "reporter": "dst"},
    # unknown pod
    {"source_ip": None, "source_name": "-", "source_name_aggr": "ghost-1234-*",
     "source_namespace": "app", "source_type": "wep", "dest_ip": "10.0.0.30", "dest_name": "-",
     "dest_name_aggr": "db-5c6b7f-*", "dest_namespace": "app", "dest_type": "wep",
     "dest_port": 5432, "proto": "tcp", "action": "deny", "reporter": "dst"},
]


def test_calico_enterprise_jsonl(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    flows = tmp_path / "flows.jsonl"
    lines = [json.dumps(d) for d in CALICO_LINES]
    lines.insert(2, '{"source_type": "wep", "proto": "tcp", "dest_port": 80')  # truncated
    flows.write_text("\n".join(lines) + "\n")
    code, rows, err = _run(capsys, flows)
    assert code == 1
    assert [(r["line"], r["verdict"], r.get("recorded")) for r in rows] == [
        (1, "allow", {"reporter": "dst", "action": "allow"}),
        (2, "deny", {"reporter": "dst", "action": "deny"}),
        (3, None, None),
        (4, "allow", {"reporter": "dst", "action": "allow"}),
        (5, None, {"reporter": "dst", "action": "deny"})]
    assert rows[1]["enforced_policies"]["dst"] == [  # type: ignore[index]
        "0|platform|gnp:platform-base|pass|1", "1|default|knp:app/db-ingress|deny|-1"]
    assert rows[1]["pending_policies"]["dst"] == [  # type: ignore[index]
        "0|platform|gnp:platform-base|pass|1", "1|default|snp:app/lockdown|allow|0"]
    assert rows[1]["pending_verdict"] == "allow"
    assert rows[2]["error"].startswith("not valid JSON")  # type: ignore[union-attr]
    assert rows[3]["enforced_policies"] == {
        "src": None, "dst": ["0|platform|gnp:platform-base|pass|1", "1|__PROFILE__|pro:kns.app|allow|0"]}
    assert rows[4]["error"] == "no endpoint in the inventory matches pod app/ghost-1234-*"
    assert f"{flows}:3:1: ENG602 error: not valid JSON" in err
    assert f"{flows}:5:1: ENG601 warning" in err


def test_format_a_for_calico_331(capsys: pytest.CaptureFixture[str]) -> None:
    _, rows, _ = _run(capsys, FIXTURES / "probes.csv", "--calico-version", "3.31")
    assert rows[0]["enforced_policies"] == {
        "src": ["0|__PROFILE__|__PROFILE__.kns.app|allow|0"],
        "dst": ["0|platform|platform.platform-base|pass|1",
                "1|default|app/knp.default.db-ingress|allow|0"]}
    assert rows[1]["pending_policies"]["dst"][1] == (  # type: ignore[index]
        "1|default|app/default.staged:lockdown|deny|-1")


def test_replace_preview_is_labelled(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    probes = tmp_path / "p.yaml"
    probes.write_text("- {from: app/app=web, to: app/app=db, port: 5432, protocol: TCP}\n")
    code, rows, _ = _run(capsys, probes, "--replace-preview")
    assert code == 0
    [row] = rows
    assert (row["verdict"], row["pending_verdict"], row["replace_preview_verdict"]) == (
        "deny", "allow", "allow")
    assert "tierguard extension" in str(row["replace_preview_note"])


def test_json_and_text_formats(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    probes = tmp_path / "p.csv"
    probes.write_text("from,to,port\napp/app=client,app/app=db,5432\n")
    main(["simulate", "--policies", POLICIES, "--inventory", INVENTORY, "--flows", str(probes),
          "--format", "json"])
    doc = json.loads(capsys.readouterr().out)
    assert (doc["calico_version"], doc["trace_format"], doc["summary"]) == (
        "3.32", "B", {"records": 1, "allow": 1, "deny": 0, "errors": 0, "uncertain": 0})
    main(["simulate", "--policies", POLICIES, "--inventory", INVENTORY, "--flows", str(probes),
          "--format", "text"])
    text = capsys.readouterr().out
    assert text.splitlines()[0] == (f"{probes}:2: app/app=client -> app/app=db TCP/5432: ALLOW "
                                    "(pending ALLOW)")


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["simulate", "--policies", POLICIES, "--inventory", INVENTORY,
                 "--flows", str(tmp_path / "missing.jsonl")]) == 2
    assert main(["simulate", "--policies", str(tmp_path / "nope"), "--inventory", INVENTORY,
                 "--flows", str(FIXTURES / "probes.csv")]) == 2
    assert main(["simulate", "--policies", POLICIES, "--inventory", INVENTORY, "--flows",
                 str(FIXTURES / "probes.csv"), "--calico-version", "three"]) == 2
    err = capsys.readouterr().err
    assert "missing.jsonl: no such file" in err
    assert "not a Calico version: 'three'" in err


def test_parallel_jobs_give_identical_output_in_input_order(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    flows = tmp_path / "flows.jsonl"
    lines = [json.dumps(d) for d in CALICO_LINES] * 25
    lines.insert(9, "{broken")
    flows.write_text("\n".join(lines) + "\n")
    single = _run(capsys, flows)
    parallel = _run(capsys, flows, "--jobs", "3")
    assert single[0] == parallel[0] == 1
    assert single[1] == parallel[1]
    assert [r["line"] for r in parallel[1]] == list(range(1, 102))
    assert sorted(single[2].splitlines()) == sorted(parallel[2].splitlines())


def test_yaml_probe_file_with_unknown_field(capsys: pytest.CaptureFixture[str],
                                            tmp_path: Path) -> None:
    probes = tmp_path / "probes.yaml"
    probes.write_text("probes:\n- from: app/app=client\n  to: 10.0.0.30\n  port: 5432\n"
                      "- from: app/app=client\n  to: app/app=db\n  prot: TCP\n")
    code, rows, err = _run(capsys, probes)
    assert code == 1
    assert [(r["line"], r["verdict"], r.get("error")) for r in rows] == [
        (2, "allow", None), (5, None, "unknown probe field(s) ['prot']")]
    assert f"{probes}:5:1: ENG602 error: unknown probe field(s) ['prot']" in err


def test_hostile_and_odd_flow_lines(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    flows = tmp_path / "odd.jsonl"
    flows.write_text(
        '{"source_type": "wep", "source_ip": "10.0.0.10", "dest_type": "wep", '
        '"dest_ip": "10.0.0.30", "proto": "tcp", "dest_port": "5432"}\n'
        '{"source_type": "pod", "dest_type": "wep", "proto": "tcp"}\n'
        "[1, 2]\n"
        '{"source_type": "wep", "source_ip": "fd00::1", "dest_type": "wep", '
        '"dest_ip": "10.0.0.30", "proto": "tcp", "dest_port": 5432}\n')
    code, rows, _ = _run(capsys, flows)
    assert code == 1
    assert [(r["verdict"], r.get("error")) for r in rows] == [
        ("allow", None),
        (None, "bad flow-log record: source_type 'pod' is not wep, hep, ns or net"),
        (None, "a flow-log line must be a JSON object"),
        (None, "wep fd00::1 is not in the inventory")]


def test_empty_flow_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    flows = tmp_path / "empty.jsonl"
    flows.write_text("\n")
    code, rows, err = _run(capsys, flows)
    assert (code, rows) == (0, [])
    assert "ENG607 warning: the flow file is empty" in err
