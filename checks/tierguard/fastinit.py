"""Cheaper constructors for frozen, slotted dataclasses built by the hundred thousand.

A frozen dataclass's generated `__init__` sets every field through `object.__setattr__`, which
costs about half a microsecond a field; validation builds located nodes and model objects, and
a simulation several objects per flow record, a million records per run.

The cheap way to fill such an object is a *slot twin*: a plain class with the same slots and no
frozen `__setattr__`. The object is given the twin's class, filled with ordinary attribute
stores, and given its real class back. CPython allows `__class__` assignment only between
classes with identical layouts and raises TypeError otherwise, so a twin that no longer matches
fails loudly instead of building wrong objects. The objects are the same as the generated
constructor makes; equality, hashing and repr are untouched, and the class stays frozen for
everyone else.

`fast_init` swaps in an `__init__` with the same signature that does this. Only plain classes
qualify: every field in `__init__`, no default factories, no `__post_init__` (their checks would
be skipped), no base class. It refuses anything else rather than change behaviour.
`slot_twin` gives the twin itself, for the few places (the YAML builder) that inline the stores.
"""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

_T = TypeVar("_T")


def slot_twin(cls: type) -> type:
    """A plain class with `cls`'s slot layout (see the module docstring)."""
    if cls.__bases__ != (object,) or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__}: a slot twin needs a slotted class without bases")
    return type(f"_{cls.__name__}Slots", (), {"__slots__": cls.__dict__["__slots__"],
                                                "__module__": cls.__module__})


def _parameter(field: dataclasses.Field[Any], defaults: dict[str, object]) -> str:
    if field.default is dataclasses.MISSING:
        return field.name
    defaults[f"_fi_default_{field.name}"] = field.default
    return f"{field.name}=_fi_default_{field.name}"


def fast_init(cls: type[_T]) -> type[_T]:
    """Class decorator (outermost, above `@dataclass(frozen=True, slots=True)`)."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__}: fast_init needs a frozen dataclass with slots")
    if cls.__bases__ != (object,):
        raise TypeError(f"{cls.__name__}: fast_init needs a class without bases")
    if hasattr(cls, "__post_init__"):
        raise TypeError(f"{cls.__name__}: fast_init would skip __post_init__")
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if any(not f.init or f.default_factory is not dataclasses.MISSING for f in fields):
        raise TypeError(f"{cls.__name__}: fast_init needs plain fields (init, no factory)")
    namespace: dict[str, object] = {"_fi_setattr": object.__setattr__, "_fi_type": type,
                                     "_fi_twin": slot_twin(cls)}
    positional = [_parameter(f, namespace) for f in fields if not f.kw_only]
    keyword = [_parameter(f, namespace) for f in fields if f.kw_only]
    signature = ", ".join(["self", *positional, *(["*", *keyword] if keyword else [])])
    # (A subclass instance has another layout: the first assignment raises TypeError.)
    # Helper names start with "_fi_": a field may be called `type` or `kind`.
    body = ["    _fi_class = _fi_type(self)", "    _fi_setattr(self, '__class__', _fi_twin)"]
    body += [f"    self.{field.name} = {field.name}" for field in fields]
    body.append("    self.__class__ = _fi_class")
    source = f"def __init__({signature}):\n" + "\n".join(body) + "\n"
    # As dataclasses itself builds __init__: the source text is made here from field names alone.
    exec(source, namespace)  # noqa: S102
    init: Any = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    init.__doc__ = cls.__init__.__doc__
    init.__annotations__ = dict(cls.__init__.__annotations__)  # what inspect.signature shows
    cls.__init__ = init  # type: ignore[method-assign]
    return cls
