"""Deterministic identifiers: pod-name hashes, UIDs, IPs. Every value is a pure function of its key.

Kubernetes builds pod-template hashes and pod-name suffixes from a restricted alphabet (no vowels,
no confusable digits); we draw from the same alphabet so names look like the real thing.
"""

from __future__ import annotations

import hashlib
import ipaddress
import random
import uuid

_K8S_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def digest(*parts: object) -> bytes:
    return hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()


def rng(*parts: object) -> random.Random:
    """A random stream owned by `parts` (seed, environment, purpose...)."""
    return random.Random(int.from_bytes(digest(*parts)[:8], "big"))


def k8s_suffix(length: int, *parts: object) -> str:
    raw = digest(*parts)
    return "".join(_K8S_ALPHABET[b % len(_K8S_ALPHABET)] for b in raw[:length])


def pod_template_hash(*parts: object) -> str:
    return k8s_suffix(10, "template", *parts)


def uid(*parts: object) -> str:
    return str(uuid.UUID(bytes=digest("uid", *parts)[:16], version=4))


def host_in(network: ipaddress.IPv4Network, *parts: object, low: int = 16) -> ipaddress.IPv4Address:
    """A stable host address inside `network`, away from the reserved first/last addresses."""
    span = network.num_addresses - low - 2
    offset = int.from_bytes(digest("ip", *parts)[:4], "big") % span
    return network.network_address + low + offset


def node_name(ip: ipaddress.IPv4Address, region: str = "eu-west-1") -> str:
    return f"ip-{str(ip).replace('.', '-')}.{region}.compute.internal"
