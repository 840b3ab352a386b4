"""The memo indexes answer exactly what the plain membership and selector tests answer."""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st
from tierguard.engine.ir import Action, CompiledRule, EntityMatch, IPNetwork
from tierguard.engine.memo import NetsIndex, SelectorIndex
from tierguard.engine.packet import Peer
from tierguard.inventory.model import Endpoint, EndpointKind
from tierguard.selector import parse
from tierguard.selector.labelset import LabelSet

_V4 = st.builds(lambda a, p: ipaddress.ip_network((a, p), strict=False),
                st.integers(0, 2**32 - 1), st.integers(0, 32))
_V6 = st.builds(lambda a, p: ipaddress.ip_network((a, p), strict=False),
                st.integers(0, 2**128 - 1), st.integers(0, 128))
_NETS = st.lists(st.one_of(_V4, _V6), min_size=1, max_size=3).map(tuple)
_ADDRESS = st.one_of(st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address),
                     st.integers(0, 2**128 - 1).map(ipaddress.IPv6Address))


def _rules(lists: list[tuple[IPNetwork, ...]]) -> list[CompiledRule]:
    return [CompiledRule(Action.ALLOW, i, source=EntityMatch(nets=nets))
            for i, nets in enumerate(lists)]


@settings(max_examples=200)
@given(st.lists(_NETS, min_size=1, max_size=6), st.lists(_ADDRESS, min_size=1, max_size=8))
def test_cidr_bits_are_plain_membership(lists: list[tuple[IPNetwork, ...]],
                                        addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address]
                                        ) -> None:
    index = NetsIndex(_rules(lists))
    for n, address in enumerate(addresses, start=1):
        # Each address also near a listed network, so that both outcomes occur.
        for ip in (address, lists[n % len(lists)][0].network_address):
            peer = Peer.create(ip, None, (), 0, addr=hash((ip.version, int(ip))))
            bits = index.bits(peer)
            for nets, bit in index.ids.items():
                expected = any(net.version == ip.version and ip in net for net in nets)
                assert bool(bits & (1 << bit)) == expected, (ip, nets)


_SELECTORS = ["app == 'web'", "app in {'web', 'db'}", "has(tier)", "!has(tier)",
              "app != 'web' && tier == 'front'", "all()", "env == 'prod' || app == 'db'"]
_LABELS = st.dictionaries(st.sampled_from(["app", "tier", "env"]),
                          st.sampled_from(["web", "db", "front", "prod"]), max_size=3)


@given(st.lists(_LABELS, max_size=3))
def test_selector_bits_are_selector_matches_over_the_owners(owners_labels: list[dict[str, str]]
                                                            ) -> None:
    rules = [CompiledRule(Action.ALLOW, i, source=EntityMatch(selector=parse(text)))
             for i, text in enumerate(_SELECTORS)]
    index = SelectorIndex(rules)
    owners = tuple(Endpoint(EndpointKind.WORKLOAD, f"pod-{i}", "ns", LabelSet(labels))
                   for i, labels in enumerate(owners_labels))
    peer = Peer.create(None, None, owners, ident=1)
    bits = index.bits(peer)
    for selector, bit in index.ids.items():
        expected = any(selector.matches(owner.labels) for owner in owners)
        assert bool(bits & (1 << bit)) == expected, (str(selector), owners_labels)
