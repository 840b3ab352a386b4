"""`shapes.network_version` (the fast path CAL203/CAL207 use) reads CIDRs exactly as ipaddress does."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tierguard.rules.shapes import network_version

_PARTS = st.sampled_from(["0", "00", "01", "7", "10", "99", "100", "199", "200", "249", "250", "255", "256", "300",
                          "1000", "", "-1", "1e1", "٣", " 1"])
_SUFFIXES = st.sampled_from(["", "/0", "/8", "/24", "/32", "/33", "/08", "/", "/-1", "/255.255.0.0", "/3 ", "/٣"])


def _reference(value: str) -> int | str:
    try:
        return ipaddress.ip_network(value, strict=False).version
    except ValueError as error:
        return str(error)


def _fast(value: str) -> int | str:
    try:
        return network_version(value)
    except ValueError as error:
        return str(error)


@settings(max_examples=800, deadline=None)
@given(st.lists(_PARTS, min_size=3, max_size=5), _SUFFIXES)
def test_dotted_forms_agree_with_ipaddress(parts: list[str], suffix: str) -> None:
    value = ".".join(parts) + suffix
    assert _fast(value) == _reference(value)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789abcdef.:/", max_size=24))
def test_arbitrary_text_agrees_with_ipaddress(value: str) -> None:
    assert _fast(value) == _reference(value)


@pytest.mark.parametrize(("value", "expected"), [
    ("10.0.0.0/24", 4), ("0.0.0.0/0", 4), ("192.168.1.7", 4), ("fd00::/8", 6), ("::1", 6),
    ("10.0.0.0/33", "'10.0.0.0/33' does not appear to be an IPv4 or IPv6 network"),
    ("010.0.0.0/8", "'010.0.0.0/8' does not appear to be an IPv4 or IPv6 network"),
])
def test_known_values(value: str, expected: int | str) -> None:
    assert _fast(value) == expected == _reference(value)
