"""The model classes built by the thousand per run use `tierguard.fastinit.fast_init` (tested in
tests/test_fastinit.py); here: their constructors still take the fields, and build equal objects."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
from tierguard.diagnostics import Span
from tierguard.model import admin, calico, k8s, located, meta
from tierguard.model.calico import EntityRule
from tierguard.model.located import Text

_SPAN = Span("p.yaml", 3, 5, 3, 9)


def _model_classes() -> list[type]:
    return [cls for module in (located, calico, k8s, meta, admin) for cls in vars(module).values()
            if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == module.__name__]


def test_every_model_class_takes_its_fields_in_order() -> None:
    for cls in _model_classes():
        names = list(inspect.signature(cls).parameters)
        assert names == [f.name for f in dataclasses.fields(cls)], cls


def test_constructed_objects_have_every_field_and_defaults_and_stay_frozen() -> None:
    text = Text("app == 'a'", _SPAN)
    assert (text.value, text.span, text.style) == ("app == 'a'", _SPAN, "")
    entity = EntityRule("spec.ingress[0].source", selector=text, keys=("selector",))
    assert entity == EntityRule(path="spec.ingress[0].source", span=None, nets=(), not_nets=(), selector=text,
                                not_selector=None, namespace_selector=None, service_accounts=None, services=None,
                                ports=(), not_ports=(), domains=(), keys=("selector",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        text.value = "b"  # type: ignore[misc]


def test_text_of_builds_a_real_text() -> None:
    from tierguard.loader.nodes import LScalar
    built = located.text_of(LScalar("web", _SPAN, "'"))
    assert type(built) is Text and built == Text("web", _SPAN, "'") and hash(built) == hash(Text("web", _SPAN, "'"))
    assert located.text_of(LScalar(5, _SPAN)) is None and located.text_of(None) is None
