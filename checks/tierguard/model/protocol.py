"""IP protocol names and numbers as Calico accepts them (calico-semantics §1.1)."""

from __future__ import annotations

# Names are case-insensitive on input (numorstring.ProtocolFromString uses EqualFold).
PROTOCOL_NUMBERS: dict[str, int] = {
    "icmp": 1,
    "tcp": 6,
    "udp": 17,
    "icmpv6": 58,
    "sctp": 132,
    "udplite": 136,
}

TCP = 6
UDP = 17
SCTP = 132
ICMP = 1
ICMPV6 = 58

PORT_PROTOCOLS = frozenset({TCP, UDP, SCTP})


def protocol_number(value: object) -> int | None:
    """'TCP', 'tcp', 6 or '6' -> 6; None for anything Calico would reject."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 1 <= value <= 255 else None
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit():
            number = int(text)
            return number if 1 <= number <= 255 else None
        return PROTOCOL_NUMBERS.get(text.lower())
    return None


def protocol_name(number: int) -> str:
    """6 -> 'TCP' (Calico's spelling); unknown numbers stay numeric."""
    for name, known in PROTOCOL_NUMBERS.items():
        if known == number:
            return {"icmpv6": "ICMPv6", "udplite": "UDPLite"}.get(name, name.upper())
    return str(number)
