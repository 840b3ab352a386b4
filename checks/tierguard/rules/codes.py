"""Diagnostic codes of the Calico admission rules (CAL2xx), taken from each rule module's DOC."""

from __future__ import annotations

from tierguard.catalog_types import CodeDoc
from tierguard.rules import table

CODES: tuple[CodeDoc, ...] = tuple(module.DOC for module in table().values())
