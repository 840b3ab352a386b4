"""Property test: network-set IP lookup equals a brute-force scan, longest prefix first."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st
from tierguard.inventory.build import build_inventory

NETS = st.builds(lambda a, p: str(ipaddress.ip_network((a, p), strict=False)),
                 st.integers(0, 2**32 - 1), st.integers(0, 32))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(NETS, min_size=1, max_size=3), min_size=1, max_size=6), st.integers(0, 2**32 - 1))
def test_owners_of_matches_brute_force(net_lists: list[list[str]], address: int) -> None:
    objects: list[dict[str, object]] = [
        {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkSet", "metadata": {"name": f"s{i}"},
         "spec": {"nets": nets}} for i, nets in enumerate(net_lists)]
    inventory, diagnostics = build_inventory(objects)
    assert diagnostics == []
    ip = ipaddress.ip_address(address)
    owners = inventory.owners_of(ip)
    expected = {f"s{i}" for i, nets in enumerate(net_lists) if any(ip in ipaddress.ip_network(n) for n in nets)}
    assert {e.name for e in owners} == expected and len(owners) == len(expected)
    best = [max(n.prefixlen for n in e.nets if ip in n) for e in owners]
    assert best == sorted(best, reverse=True)
