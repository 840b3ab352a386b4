"""`tierguard recommend` end to end: files in, YAML files and a proof summary out, then validate."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from tierguard.cli.main import main

from tests.recommend import helpers


def _inputs(tmp_path: Path, flows: list[helpers.FlowRecord] | None = None) -> tuple[Path, Path]:
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": helpers.objects()[:-1]}))
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "sets.yaml").write_text(yaml.safe_dump(helpers.objects()[-1]))
    log = tmp_path / "flows.jsonl"
    log.write_text("".join(helpers.calico_line(r) + "\n" for r in (flows or helpers.shop_flows())))
    return inventory, log


def test_recommend_writes_files_prints_proof_and_output_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    inventory, log = _inputs(tmp_path)
    code = main(["recommend", "--inventory", str(inventory), "--flows", str(log), "--policies", "policies",
                 "--namespace", "shop", "--calico-version", "3.31", "--out", "rec"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "rec").iterdir()) == ["shop.yaml", "tier.yaml"]
    text = (tmp_path / "rec" / "shop.yaml").read_text()
    assert "  name: namespace-isolation.shop-recommendation\n" in text
    assert out.splitlines() == [
        ("tierguard recommend: Calico 3.31 oss, tier namespace-isolation, 12 flow records read, 10 used for "
         "1 namespace(s)"),
        "namespace shop: namespace-isolation.shop-recommendation -> rec/shop.yaml",
        "  rules: ingress 2, egress 6; learnt from 10 records, 2026-11-24T00:00:00Z .. 2026-11-24T02:00:00Z",
        ("  proof: 10 observed allowed records replayed (3 with a stand-in pub/pvt address): 10 still allowed, "
         "0 would be DENIED, 0 unverifiable, 0 denied already without it"),
        "  reach: 18 of 18 pod->pod served-port triples allowed today, 11 with the recommendation enforced (-39%)",
    ]
    assert err == ("rec/tier.yaml:1:1: REC950 note: tier 'namespace-isolation' is defined nowhere; writing it "
                   "(order 10000, defaultAction Deny, as Calico Enterprise creates it)\n")
    assert main(["validate", "rec", "-f", "text"]) == 0


def test_recommend_to_stdout_and_exit_1_when_it_breaks_observed_traffic(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    web = helpers.wep("shop", "web-*")
    flows = [helpers.record(web, helpers.peer("net", "", "pvt"), 443, "tcp", "src", line=1),
             helpers.record(web, helpers.peer("net", "", "pub"), 443, "tcp", "src", line=2)]
    inventory, log = _inputs(tmp_path, flows)
    code = main(["recommend", "--inventory", str(inventory), "--flows", str(log), "--max-rules", "1"])
    out, err = capsys.readouterr()
    assert code == 1
    documents = list(yaml.safe_load_all(out))
    assert [d["kind"] for d in documents] == ["Tier", "StagedNetworkPolicy"]
    assert [r["metadata"]["annotations"]["policyrecommendation.tigera.io/scope"]
            for r in documents[1]["spec"]["egress"]] == ["Private"]
    assert "  BROKEN egress shop/web-* -> pub (203.0.113.254) TCP/443 x1: " \
           "0|namespace-isolation|snp:shop/shop-recommendation|deny|-1\n" in err
    assert f"{log}:2:1: REC955 error: shop: the recommendation would deny observed egress" in err


@pytest.mark.parametrize(("argv", "message"), [
    (["--namespace", "x' || all()"], "--namespace \"x' || all()\" is not a valid namespace name"),
    (["--since", "yesterday"], "--since 'yesterday' is not an ISO 8601 time"),
    (["--max-rules", "0"], "--max-rules must be at least 1"),
    (["--calico-version", "3.29"], "Calico Open Source 3.29 has no staged policies"),
])
def test_bad_flags_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str],
                                    message: str) -> None:
    inventory, log = _inputs(tmp_path)
    assert main(["recommend", "--inventory", str(inventory), "--flows", str(log), *argv]) == 2
    assert message in capsys.readouterr().err


def test_missing_inputs_are_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recommend"]) == 2
    assert "give --env NAME, or --inventory FILE and --flows FILE" in capsys.readouterr().err
    inventory, _ = _inputs(tmp_path)
    assert main(["recommend", "--inventory", str(inventory), "--flows", str(tmp_path / "none.jsonl")]) == 2


def test_control_characters_from_flow_logs_never_reach_the_terminal(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    ghost = helpers.wep("shop", "ghost\x1b[2J-*")
    inventory, log = _inputs(tmp_path, [helpers.record(ghost, helpers.wep("shop", "web-*"), 8080, "tcp", "src")])
    assert main(["recommend", "--inventory", str(inventory), "--flows", str(log), "--out", "rec"]) == 0
    out, err = capsys.readouterr()
    assert "\x1b" not in out + err
    assert "UNVERIFIABLE egress shop/ghost\\x1b[2J-* -> shop/web-* TCP/8080 x1" in out
