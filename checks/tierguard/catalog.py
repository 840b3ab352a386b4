"""The explicit table of every diagnostic code family. Nothing registers itself on import."""

from __future__ import annotations

from collections.abc import Mapping

from tierguard.catalog_types import CodeDoc
from tierguard.loader import codes as loader_codes


def _families() -> tuple[tuple[CodeDoc, ...], ...]:
    return (
        loader_codes.CODES,
    )


def all_codes() -> Mapping[str, CodeDoc]:
    table: dict[str, CodeDoc] = {}
    for family in _families():
        for doc in family:
            if doc.code in table:
                raise ValueError(f"diagnostic code {doc.code} is defined twice")
            table[doc.code] = doc
    return table


def get(code: str) -> CodeDoc:
    """Look a code up; fails loudly on an unknown code."""
    table = all_codes()
    if code not in table:
        raise KeyError(f"unknown diagnostic code {code!r}")
    return table[code]
