"""Names and label text that may go into selectors, and recommendation policy names (§2, §8).

Everything written into a selector string comes from flow logs or the inventory, which are
untrusted: only values that are valid Kubernetes names (which cannot contain quotes, spaces or
operators) are accepted, so no value can change a selector's meaning.
"""

from __future__ import annotations

import re

from tierguard.engine.ir import CalicoVersion, Edition

# RFC 1123 label (namespace names) and subdomain (network-set names), as Kubernetes validates them.
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
# Label key: optional DNS-subdomain prefix and '/', then a name; value: empty or a name (<=63).
_LABEL_NAME = re.compile(r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
_LABEL_VALUE = re.compile(r"([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")
_NAME_LIMIT = 63
_PREFIX_OPTIONAL_SINCE = CalicoVersion(3, 32)
_SUFFIX = "-recommendation"


def is_namespace_name(text: str) -> bool:
    return bool(_DNS_LABEL.fullmatch(text))


def is_object_name(text: str) -> bool:
    return len(text) <= 253 and bool(_DNS_SUBDOMAIN.fullmatch(text))


def is_label_key(text: str) -> bool:
    prefix, slash, name = text.rpartition("/")
    if slash and not (len(prefix) <= 253 and _DNS_SUBDOMAIN.fullmatch(prefix)):
        return False
    return bool(_LABEL_NAME.fullmatch(name))


def is_label_value(text: str) -> bool:
    return bool(_LABEL_VALUE.fullmatch(text))


def equals(key: str, value: str) -> str:
    """`key == 'value'` for a validated key and value (raises ValueError otherwise)."""
    if not (is_label_key(key) and is_label_value(value)):
        raise ValueError(f"not a valid label: {key!r}={value!r}")
    return f"{key} == '{value}'"


def one_of(key: str, values: list[str]) -> str:
    """`key == 'v'` for one value, `key in {'a', 'b'}` for several (sorted, validated)."""
    if len(values) == 1:
        return equals(key, values[0])
    for value in values:
        equals(key, value)
    return f"{key} in {{{', '.join(repr_quoted(v) for v in sorted(values))}}}"


def repr_quoted(value: str) -> str:
    return f"'{value}'"


def tier_prefixed(version: CalicoVersion, edition: Edition) -> bool:
    """Whether policy names in a non-default tier must start with `<tier>.` (§2)."""
    return edition is Edition.ENTERPRISE or version < _PREFIX_OPTIONAL_SINCE


def policy_name(tier: str, namespace: str, version: CalicoVersion, edition: Edition) -> str:
    """`[<tier>.]<namespace>-recommendation`, at most 63 characters (Calico truncates to 63, §8).

    Deterministic (Calico appends 5 random characters; a stable name keeps Git diffs small).
    """
    prefix = f"{tier}." if tier != "default" and tier_prefixed(version, edition) else ""
    room = _NAME_LIMIT - len(prefix) - len(_SUFFIX)
    base = namespace[:max(room, 1)].rstrip("-.")
    return f"{prefix}{base}{_SUFFIX}"[:_NAME_LIMIT].rstrip("-.")
