"""Same topology + same seed = the same bytes; another seed = different data."""

from __future__ import annotations

import gzip
import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st
from tierguard.examplegen.generate import flow_files, inventory_yaml
from tierguard.examplegen.topology import Topology
from tierguard.examplegen.world import build_world


def test_flow_files_are_byte_identical_for_the_same_seed(topology: Topology) -> None:
    first = flow_files(topology, "dev", 7, days=1)
    second = flow_files(topology, "dev", 7, days=1)
    assert [f.name for f in first] == ["flows-2026-11-18.jsonl.gz"]
    assert [f.data for f in first] == [f.data for f in second]
    # gzip header: no file name, mtime 0 (bytes 4..8), so the bytes do not depend on when we ran.
    assert first[0].data[3] == 0
    assert first[0].data[4:8] == b"\x00\x00\x00\x00"


def test_another_seed_gives_different_flows(topology: Topology) -> None:
    seven = gzip.decompress(flow_files(topology, "dev", 7, days=1)[0].data)
    eight = gzip.decompress(flow_files(topology, "dev", 8, days=1)[0].data)
    assert seven != eight


def test_inventory_is_identical_for_the_same_seed_and_differs_for_another(topology: Topology) -> None:
    assert inventory_yaml(topology, "prod", 7) == inventory_yaml(topology, "prod", 7)
    assert inventory_yaml(topology, "prod", 7) != inventory_yaml(topology, "prod", 8)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**31), env=st.sampled_from(["dev", "staging", "prod"]))
def test_every_seed_gives_unique_pod_ips_inside_the_node_subnets(topology: Topology, seed: int, env: str) -> None:
    world = build_world(topology, env, seed)
    subnets = dict(world.env.subnets)
    pod_ips = [p.ip for p in world.pods]
    node_ips = [n.ip for n in world.nodes]
    assert len(set(pod_ips)) == len(pod_ips)
    assert not set(pod_ips) & set(node_ips)
    for pod in world.pods:
        assert pod.ip in subnets[pod.node.zone]
        assert pod.ip in world.env.vpc_cidr
    assert all(isinstance(ip, ipaddress.IPv4Address) for ip in node_ips)
    # Names are stable functions of the seed: building twice gives the same pods.
    assert [p.name for p in build_world(topology, env, seed).pods] == [p.name for p in world.pods]
