"""Shared fixtures: the repository's own topology and a full 7-day dev recording (generated once)."""

from __future__ import annotations

import json

import pytest
from tierguard.examplegen.generate import flow_records
from tierguard.examplegen.topology import Topology, load_topology

from examplegen_paths import TOPOLOGY_FILE


@pytest.fixture(scope="session")
def topology() -> Topology:
    return load_topology(TOPOLOGY_FILE)


@pytest.fixture(scope="session")
def dev_records(topology: Topology) -> list[dict[str, object]]:
    # Round-trip through JSON so tests see exactly what the files hold.
    return [json.loads(json.dumps(r)) for _, r in flow_records(topology, "dev", 7)]


@pytest.fixture(scope="session")
def staging_records(topology: Topology) -> list[dict[str, object]]:
    # The cross-environment attempt happens on day 3; four days are enough.
    return [json.loads(json.dumps(r)) for _, r in flow_records(topology, "staging", 7, days=4)]
