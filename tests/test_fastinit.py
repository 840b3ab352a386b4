"""`fast_init` swaps a frozen dataclass's constructor for a cheaper one with the same meaning."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
from tierguard.engine.packet import Packet
from tierguard.engine.simulate import Query
from tierguard.engine.trace import FlowResult
from tierguard.fastinit import fast_init
from tierguard.flows.model import Counts, FlowRecord


@dataclasses.dataclass(frozen=True, slots=True)
class _Reference:
    a: int
    b: str = "x"
    c: tuple[int, ...] = ()
    d: int = dataclasses.field(default=7, kw_only=True)


@fast_init
@dataclasses.dataclass(frozen=True, slots=True)
class _Fast:
    a: int
    b: str = "x"
    c: tuple[int, ...] = ()
    d: int = dataclasses.field(default=7, kw_only=True)


@pytest.mark.parametrize(("args", "kwargs"), [((1,), {}), ((1, "y"), {}), ((1, "y", (2,)), {}),
                                              ((1,), {"d": 9}), ((), {"a": 3, "c": (4, 5)})])
def test_instances_equal_those_of_the_generated_constructor(
        args: tuple[object, ...], kwargs: dict[str, object]) -> None:
    fast, reference = _Fast(*args, **kwargs), _Reference(*args, **kwargs)  # type: ignore[arg-type]
    assert dataclasses.astuple(fast) == dataclasses.astuple(reference)
    assert repr(fast) == repr(reference).replace("_Reference", "_Fast")
    assert fast == _Fast(*args, **kwargs) and hash(fast) == hash(_Fast(*args, **kwargs))  # type: ignore[arg-type]


def test_signature_and_errors_are_unchanged() -> None:
    assert str(inspect.signature(_Fast)) == str(inspect.signature(_Reference))
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'a'"):
        _Fast()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="takes from 2 to 4 positional arguments but 5 were given"):
        _Fast(1, "y", (), 9)  # type: ignore[misc]


@fast_init
@dataclasses.dataclass(frozen=True, slots=True)
class _Shadowing:
    type: str
    kind: int = 0
    self_: str = ""


def test_fields_may_shadow_builtins_and_the_helpers_names() -> None:
    assert dataclasses.astuple(_Shadowing("t", 2, "s")) == ("t", 2, "s")


def test_the_class_stays_frozen() -> None:
    item = _Fast(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        item.a = 2  # type: ignore[misc]


def test_refuses_classes_whose_checks_it_would_skip() -> None:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Checked:
        a: int

        def __post_init__(self) -> None:
            raise ValueError

    @dataclasses.dataclass(frozen=True, slots=True)
    class Factory:
        a: list[int] = dataclasses.field(default_factory=list)

    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    for cls, reason in ((Checked, "__post_init__"), (Factory, "plain fields"), (NoSlots, "slots")):
        with pytest.raises(TypeError, match=reason):
            fast_init(cls)


@pytest.mark.parametrize("cls", [Packet, Query, FlowResult, Counts, FlowRecord])
def test_the_per_record_classes_use_it(cls: type) -> None:
    assert cls.__init__.__module__ == cls.__module__
    assert "_fi_twin" in cls.__init__.__code__.co_names
