"""The lint table, its codes in the catalog, and documented names."""

from __future__ import annotations

import re

import pytest
from tierguard import catalog, lint
from tierguard.lint import codes


def test_table_maps_each_code_to_its_module_and_get_fails_loudly() -> None:
    table = lint.table()
    assert list(table) == ["LNT901", "LNT902", "LNT903", "LNT904", "LNT905", "LNT906", "LNT907"]
    for code, module in table.items():
        assert module.ID == code and module.DOC.code == code and module.DOC.name == module.NAME
        assert module.DOC.default_severity is module.DEFAULT_SEVERITY
        assert re.fullmatch(r"[a-z]+(-[a-z]+)+", module.NAME)
        assert module.DOC.why and module.DOC.failing and module.DOC.passing and module.DOC.references
    assert lint.get("LNT905").NAME == "unreachable-rule"
    with pytest.raises(KeyError, match="unknown lint 'LNT999'"):
        lint.get("LNT999")


def test_codes_are_in_the_catalog() -> None:
    everything = catalog.all_codes()
    assert [doc.code for doc in codes.CODES] == list(lint.table())
    for doc in codes.CODES:
        assert everything[doc.code] is doc


def test_only_inventory_lints_need_an_inventory() -> None:
    assert [code for code, module in lint.table().items() if module.NEEDS_INVENTORY] == ["LNT901", "LNT902"]
