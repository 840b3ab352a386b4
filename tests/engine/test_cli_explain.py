"""`tierguard explain`: walkthrough text, code documentation, usage errors; bad-input diagnostics."""

from __future__ import annotations

from pathlib import Path

import pytest
from tierguard.cli.main import main

FIXTURES = Path(__file__).parent / "fixtures" / "app"
COMMON = ["--policies", "policies", "--inventory", "inventory.yaml"]


@pytest.fixture(autouse=True)
def _in_fixture_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    # Diagnostics and walkthroughs name files relative to the working directory.
    monkeypatch.chdir(FIXTURES)


def test_walkthrough_names_rules_reasons_and_locations(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["explain", "--from", "app/app=client", "--to", "app/app=db", "--port", "80",
                 *COMMON])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Calico 3.32 (oss); flow-log hit strings in format B"
    assert lines[1] == ("Flow: app/client-7d9f8b-abcde (10.0.0.10) -> app/db-5c6b7f-klmno "
                        "(10.0.0.30) TCP port 80")
    assert lines[2] == "Verdict: DENY (pending, with staged policies: DENY)"
    platform, db = "policies/platform.yaml", "policies/db-ingress.yaml"
    assert f"      rule 0 Deny ({platform}:18): source nets [10.99.0.0/16] do not contain 10.0.0.10" in lines
    assert f"      rule 1 Pass ({platform}:21): MATCHED" in lines
    assert f"      rule 0 Allow ({db}:12): destination ports [5432] did not match port 80" in lines
    assert ("    end of tier: no policy matched -> defaultAction Deny (attributed to "
            "knp:app/db-ingress)") in lines
    assert ("      rule 0 Allow ({}:12): source selector (projectcalico.org/namespace == \"app\" "
            "&& app == \"web\") did not match app/client-7d9f8b-abcde (10.0.0.10)").format(
        "policies/lockdown.yaml") in lines
    assert "  trace: 0|platform|gnp:platform-base|pass|1, 1|default|knp:app/db-ingress|deny|-1" in lines


def test_explain_code_documentation(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "ENG604"]) == 0
    assert capsys.readouterr().out.startswith("ENG604 named-port-undeclared (warning)")
    assert main(["explain", "XYZ999"]) == 2
    assert "unknown diagnostic code 'XYZ999'" in capsys.readouterr().err


def test_explain_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--from", "app/app=client", "--to", "app/app=db", *COMMON]) == 2
    assert "a TCP flow needs --port" in capsys.readouterr().err
    assert main(["explain", "--from", "app/app=client", *COMMON]) == 2


def test_explain_unknown_pod_is_a_precise_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", "--from", "app/nobody", "--to", "app/app=db", "--port", "1",
                 *COMMON]) == 1
    assert capsys.readouterr().out.strip() == "error: no endpoint in the inventory matches pod app/nobody"


def test_named_port_nobody_declares_and_missing_tier(capsys: pytest.CaptureFixture[str],
                                                      tmp_path: Path) -> None:
    policy = tmp_path / "metrics.yaml"
    policy.write_text(
        "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: metrics\n"
        "  namespace: app\nspec:\n  tier: observability\n  selector: app == 'db'\n  ingress:\n"
        "  - action: Allow\n    protocol: TCP\n    destination:\n      ports: [metrics]\n")
    probes = tmp_path / "p.csv"
    probes.write_text("from,to,port\napp/app=client,app/app=db,9100\n")
    code = main(["simulate", "--policies", str(policy), "--inventory", "inventory.yaml",
                 "--flows", str(probes)])
    out, err = capsys.readouterr()
    [named] = [line for line in err.splitlines() if "ENG604" in line]
    assert named.startswith(f"{policy}:10:")
    assert named.endswith("ENG604 warning: named port 'metrics' is declared by no endpoint in the "
                          "inventory; this port clause of np:metrics rule 0 matches nothing")
    assert "ENG651" in err  # the compiler reports the undefined tier
    assert code == 1
    assert '"enforced_policies":{"src":["0|__PROFILE__|pro:kns.app|allow|0"],' \
           '"dst":["0|observability|np:app/metrics|deny|-1"]}' in out
