"""The explicit table of every diagnostic code family. Nothing registers itself on import."""

from __future__ import annotations

from collections.abc import Mapping

from tierguard.catalog_types import CodeDoc
from tierguard.config import codes as config_codes
from tierguard.engine import codes as engine_codes
from tierguard.engine import compile_codes
from tierguard.flows import codes as flows_codes
from tierguard.inventory import codes as inventory_codes
from tierguard.lint import codes as lint_codes
from tierguard.loader import codes as loader_codes
from tierguard.model import codes as model_codes
from tierguard.rbac import codes as rbac_codes
from tierguard.recommend import codes as recommend_codes
from tierguard.review import codes as review_codes
from tierguard.rules import codes as rules_codes
from tierguard.suppress import codes as suppress_codes
from tierguard.validation import codes as validation_codes


def _families() -> tuple[tuple[CodeDoc, ...], ...]:
    return (
        loader_codes.CODES,
        rbac_codes.CODES,
        engine_codes.CODES,
        model_codes.CODES,
        inventory_codes.CODES,
        compile_codes.CODES,
        config_codes.CODES,
        validation_codes.CODES,
        rules_codes.CODES,
        review_codes.CODES,
        flows_codes.CODES,
        lint_codes.CODES,
        recommend_codes.CODES,
        suppress_codes.CODES,
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
