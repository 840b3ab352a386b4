"""Loading the topology: the repository's file loads; mistakes are rejected with the key path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from examplegen_paths import TOPOLOGY_FILE
from tierguard.examplegen.topology import Topology, TopologyError, load_topology, parse_topology


def _data() -> dict[str, Any]:
    data = yaml.safe_load(TOPOLOGY_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_repository_topology_describes_the_example(topology: Topology) -> None:
    assert [e.name for e in topology.environments] == ["dev", "staging", "prod"]
    sock_shop = sorted(w.name for w in topology.workloads if w.namespace == "sock-shop")
    assert sock_shop == ["carts", "carts-db", "catalogue", "catalogue-db", "front-end", "orders", "orders-db",
                         "payment", "queue-master", "rabbitmq", "session-db", "shipping", "user", "user-db"]
    edges = {(t.source, t.dest, t.port) for t in topology.traffic if t.source.startswith("sock-shop/")}
    assert ("sock-shop/orders", "sock-shop/user", 80) in edges
    assert ("sock-shop/queue-master", "sock-shop/rabbitmq", 5672) in edges
    assert topology.workload("monitoring/prometheus").name == "prometheus-main"  # type: ignore[union-attr]
    assert topology.days == 7 and topology.window_seconds == 3600


def test_unknown_key_is_rejected_with_its_path() -> None:
    data = _data()
    data["workloads"][3]["replica"] = 2
    with pytest.raises(TopologyError, match=r"^workloads\[3\]\.replica: unknown key"):
        parse_topology(data)


def test_traffic_to_an_unknown_workload_is_rejected() -> None:
    data = _data()
    data["edges"][0]["to"] = "sock-shop/cart"
    with pytest.raises(TopologyError, match="traffic ingress-nginx/ingress-nginx-controller -> sock-shop/cart: "
                                            "no workload 'sock-shop/cart'"):
        parse_topology(data)


def test_wrong_types_are_rejected() -> None:
    data = _data()
    data["namespaces"][8]["labels"]["example.com/cost-center"] = 4711
    with pytest.raises(TopologyError, match=r"namespaces\[8\]\.labels\.example.com/cost-center: label keys and "
                                            r"values must be strings"):
        parse_topology(data)
    data = _data()
    data["external"][0]["protocol"] = "ICMP"
    with pytest.raises(TopologyError, match=r"^external\[0\]\.protocol: protocol must be TCP or UDP$"):
        parse_topology(data)


def test_unreadable_yaml_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "topology.yaml"
    bad.write_text("recording: [unclosed\n", encoding="utf-8")
    with pytest.raises(TopologyError, match=r"topology\.yaml: not valid YAML"):
        load_topology(bad)
