"""Paths of the bundled example, importable by name (a `conftest` import is ambiguous across test dirs)."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TOPOLOGY_FILE = REPO / "inventory" / "topology.yaml"
