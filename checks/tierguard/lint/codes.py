"""Diagnostic codes of the policy hygiene lints (LNT9xx), taken from each lint module's DOC."""

from __future__ import annotations

from tierguard.catalog_types import CodeDoc
from tierguard.lint import table

CODES: tuple[CodeDoc, ...] = tuple(module.DOC for module in table().values())
