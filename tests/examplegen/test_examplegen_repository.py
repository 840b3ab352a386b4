"""The committed example data and configuration agree with the generator and with each other."""

from __future__ import annotations

import glob
import gzip
from pathlib import Path
from typing import Any

import pytest
import yaml
from examplegen_paths import REPO
from tierguard.examplegen.generate import flow_files, inventory_yaml
from tierguard.examplegen.topology import Topology

ENVS = ("dev", "staging", "prod")
KUBECTL_ORDER = ["Namespace", "Pod", "ServiceAccount", "Service", "EndpointSlice", "Node"]


def _yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _inventory(env: str) -> dict[str, Any]:
    data = _yaml(REPO / "inventory" / env / "cluster.yaml")
    assert isinstance(data, dict)
    return data


@pytest.mark.parametrize("env", ENVS)
def test_committed_inventory_is_what_the_generator_makes(topology: Topology, env: str) -> None:
    committed = (REPO / "inventory" / env / "cluster.yaml").read_text(encoding="utf-8")
    assert committed == inventory_yaml(topology, env, 7), (
        "regenerate with: python -m tierguard.examplegen all --seed 7")


@pytest.mark.parametrize("env", ENVS)
def test_inventory_is_a_kubectl_list_with_the_expected_pods(topology: Topology, env: str) -> None:
    inventory = _inventory(env)
    assert (inventory["apiVersion"], inventory["kind"], inventory["metadata"]) == ("v1", "List", {"resourceVersion": ""})
    kinds = [item["kind"] for item in inventory["items"]]
    assert sorted(set(kinds), key=KUBECTL_ORDER.index) == KUBECTL_ORDER
    assert kinds == sorted(kinds, key=KUBECTL_ORDER.index)  # kubectl prints kind by kind
    namespaces = {i["metadata"]["name"]: i["metadata"]["labels"] for i in inventory["items"] if i["kind"] == "Namespace"}
    assert all(labels["kubernetes.io/metadata.name"] == name for name, labels in namespaces.items())
    pods = [i for i in inventory["items"] if i["kind"] == "Pod"]
    running = [p for p in pods if p["status"]["phase"] == "Running" and not p["spec"].get("hostNetwork")]
    sock_shop = sorted(p["metadata"]["labels"]["name"] for p in running if p["metadata"]["namespace"] == "sock-shop")
    replicas = {"dev": 1, "staging": 1, "prod": 2}[env]
    scaled = ["carts", "catalogue", "front-end", "orders", "payment", "shipping", "user"]
    single = ["carts-db", "catalogue-db", "orders-db", "queue-master", "rabbitmq", "session-db", "user-db"]
    assert sock_shop == sorted(scaled * replicas + single)
    # Nobody is labelled name=cart: the selector of application.carts matches nothing.
    assert not [p for p in pods if p["metadata"].get("labels", {}).get("name") == "cart"]
    for pod in running:
        meta = pod["metadata"]
        if "pod-template-hash" in meta.get("labels", {}):
            assert meta["name"].startswith(meta["generateName"])
            assert meta["generateName"].endswith(meta["labels"]["pod-template-hash"] + "-")
        for port in pod["spec"]["containers"][0].get("ports", []):
            assert set(port) == {"containerPort", "name", "protocol"}
    backups = [p for p in pods if p["metadata"]["name"].startswith("ledger-backup-")]
    assert [p["status"]["phase"] for p in backups] == ["Succeeded"] * 3
    slices = [i for i in inventory["items"] if i["kind"] == "EndpointSlice"]
    pod_ips = {p["status"]["podIP"] for p in running}
    for item in slices:
        for endpoint in item["endpoints"]:
            if "targetRef" in endpoint:
                assert endpoint["addresses"][0] in pod_ips
    nodes = [i for i in inventory["items"] if i["kind"] == "Node"]
    assert len(nodes) == topology.environment(env).nodes
    vpc = {"dev": "10.10.", "staging": "10.20.", "prod": "10.30."}[env]
    assert all(n["status"]["addresses"][0]["address"].startswith(vpc) for n in nodes)


def test_dev_inventory_holds_the_post_rollout_orders_pod() -> None:
    pods = [i for i in _inventory("dev")["items"] if i["kind"] == "Pod"
            and i["metadata"]["namespace"] == "sock-shop" and i["metadata"]["labels"].get("name") == "orders"]
    assert [p["metadata"]["generateName"] for p in pods] == ["orders-ndpkxn4vln-"]


@pytest.mark.slow
@pytest.mark.parametrize("env", ENVS)
def test_committed_flows_are_what_the_generator_makes(topology: Topology, env: str) -> None:
    files = flow_files(topology, env, 7)
    committed = sorted(Path(p).name for p in glob.glob(str(REPO / "flows" / env / "*.jsonl.gz")))
    assert committed == [f.name for f in files]
    for flow_file in files:
        assert (REPO / "flows" / env / flow_file.name).read_bytes() == flow_file.data, (
            "regenerate with: python -m tierguard.examplegen all --seed 7")


def test_committed_flows_stay_small() -> None:
    total = sum(Path(p).stat().st_size for p in glob.glob(str(REPO / "flows" / "*" / "*.jsonl.gz")))
    assert 1_000_000 < total < 6_000_000


@pytest.mark.parametrize("env", ENVS)
def test_flux_and_argo_substitute_the_topology_values(topology: Topology, env: str) -> None:
    spec = topology.environment(env)
    expected = {"ENV_CIDR": str(spec.vpc_cidr), "OTHER_ENV_CIDR_A": str(spec.other_environment_cidrs[0]),
                "OTHER_ENV_CIDR_B": str(spec.other_environment_cidrs[1]), "PARTNER_API_CIDR": str(spec.partner_api_cidr)}
    flux = _yaml(REPO / "clusters" / env / "calico-policies.yaml")
    assert flux["spec"]["postBuild"]["substitute"] == expected
    assert flux["spec"]["path"] == f"./overlays/{env}/policies"
    assert flux["spec"]["dependsOn"] == [{"name": "calico-tiers"}]
    argo = _yaml(REPO / "argocd" / f"netpol-{env}.yaml")
    assert {e["name"]: e["value"] for e in argo["spec"]["source"]["plugin"]["env"]} == expected
    assert argo["spec"]["source"]["path"] == f"overlays/{env}"


def test_tierguard_yaml_points_at_existing_example_data() -> None:
    config = _yaml(REPO / "tierguard.yaml")
    assert [e["name"] for e in config["environments"]] == list(ENVS)
    for env in config["environments"]:
        assert (REPO / env["overlay"] / "kustomization.yaml").is_file()
        assert (REPO / env["inventory"]).is_file()
        assert (REPO / env["flux"] / "calico-policies.yaml").is_file()
        assert len(glob.glob(str(REPO / env["flows"]))) == 7
        assert env["edition"] == "enterprise"


def test_the_example_change_author_is_on_the_sock_shop_team() -> None:
    author = (REPO / "examples" / "change" / "AUTHOR").read_text(encoding="utf-8").strip()
    assert author == "Dana Kim <dana.kim@example.com>"
    teams = _yaml(REPO / "tierguard.yaml")["identities"]["teams"]
    member_of = [t["groups"] for t in teams if "dana.kim@example.com" in t["members"]]
    assert member_of == [["team-sockshop"]]
    bindings = [d for d in yaml.safe_load_all((REPO / "tiers" / "rbac" / "application-teams.yaml").read_text())
                if d["kind"] == "RoleBinding" and d["subjects"][0]["name"] == "team-sockshop"]
    assert [b["metadata"]["namespace"] for b in bindings] == ["sock-shop"]


_CONNTEST_KEYS = {"name", "from", "to", "port", "protocol", "expect", "environments", "description"}


def test_connectivity_tests_follow_the_documented_schema() -> None:
    files = sorted((REPO / "tests" / "connectivity").glob("*.yaml"))
    assert [f.name for f in files] == ["guardrails.yaml", "ledger.yaml", "sock-shop.yaml"]
    for path in files:
        data = _yaml(path)
        assert set(data) == {"tests"}
        for test in data["tests"]:
            assert set(test) <= _CONNTEST_KEYS
            assert {"from", "to", "port", "expect"} <= set(test)
            assert isinstance(test["port"], int) and 0 < test["port"] < 65536
            assert test.get("protocol", "TCP") in ("TCP", "UDP", "SCTP")
            expect = test["expect"]
            values = expect.values() if isinstance(expect, dict) else [expect]
            assert set(values) <= {"allow", "deny"}
            if isinstance(expect, dict):
                assert set(expect) <= set(ENVS)
            assert set(test.get("environments", ENVS)) <= set(ENVS)


@pytest.mark.slow
def test_the_observed_flows_the_example_change_touches_are_recorded() -> None:
    """orders -> user (broken by the change) and shipping -> metadata (opened) are in every environment."""
    for env in ENVS:
        orders_user = imds = 0
        for path in sorted(glob.glob(str(REPO / "flows" / env / "*.jsonl.gz"))):
            with gzip.open(path, "rt", encoding="utf-8") as stream:
                for line in stream:
                    if '"dest_port":80,' not in line:
                        continue
                    if '"source_name_aggr":"orders-' in line and '"dest_name_aggr":"user-' in line:
                        orders_user += 1
                    if '"source_name_aggr":"shipping-' in line and '"dest_ip":"169.254.169.254"' in line:
                        assert '"action":"deny"' in line
                        imds += 1
        assert orders_user > 100 and imds > 10, env


def test_generator_model_of_sock_shop_matches_the_policy_files() -> None:
    """The traces in the recorded flows come from beliefs.SOCK_SHOP_INGRESS; keep it equal to the YAML."""
    from tierguard.examplegen.beliefs import SOCK_SHOP_INGRESS

    directory = REPO / "policies" / "application" / "sock-shop"
    from_files = {}
    for service, _ in SOCK_SHOP_INGRESS:
        policy = _yaml(directory / f"{service}.yaml")
        assert policy["metadata"]["name"] == f"application.{service}"
        assert policy["spec"]["selector"] == f"name == '{service}'"
        callers = tuple((rule["source"]["selector"].split("'")[1], rule["destination"]["ports"][0])
                        for rule in policy["spec"]["ingress"])
        assert all(rule["action"] == "Allow" and rule["protocol"] == "TCP" for rule in policy["spec"]["ingress"])
        from_files[service] = callers
    assert from_files == dict(SOCK_SHOP_INGRESS)
