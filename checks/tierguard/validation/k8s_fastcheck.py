"""A fast "is this instance valid?" test for the flattened Kubernetes schemas.

jsonschema walks a schema with a lot of generic machinery; for a valid object (the common case)
that costs about 0.25 ms per NetworkPolicy. `compile_schema` turns a schema that uses only the
keywords below into nested closures that give exactly the same yes/no answer, and `None` for any
schema with another keyword. `K8sSchemas.check` asks it first and runs jsonschema, for the
diagnostics, only when the answer is no; so findings are unchanged.

Supported: `type`, `properties`, `additionalProperties` (boolean or schema), `items` (schema),
`required`, `enum` (of strings), `oneOf`, and keywords that never affect validation here:
`format` (validators are built without a format checker), annotations (`x-kubernetes-*`,
`description`, `title`, `default`), `$schema` and `$id`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

Check = Callable[[Any], bool]

_IGNORED = frozenset({"format", "description", "title", "default", "$schema", "$id"})


class _Unsupported(Exception):
    pass


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# JSON Schema types as jsonschema's Draft 2020-12 type checker defines them.
_TYPES: Mapping[str, Check] = {
    "string": lambda value: isinstance(value, str),
    "object": lambda value: isinstance(value, dict),
    "array": lambda value: isinstance(value, list),
    "boolean": lambda value: isinstance(value, bool),
    "null": lambda value: value is None,
    "integer": _is_integer,
    "number": _is_number,
}


def compile_schema(schema: Any) -> Check | None:
    """An exact validity test for `schema`, or None when it uses an unsupported keyword."""
    try:
        return _compile(schema)
    except _Unsupported:
        return None


def _compile(schema: Any) -> Check:
    if schema is True:
        return lambda value: True
    if schema is False:
        return lambda value: False
    if not isinstance(schema, dict):
        raise _Unsupported(repr(schema))
    checks: list[Check] = []
    for keyword, argument in schema.items():
        if keyword in _IGNORED or keyword.startswith("x-kubernetes-"):
            continue
        if keyword == "type":
            checks.append(_type(argument))
        elif keyword == "enum":
            checks.append(_enum(argument))
        elif keyword == "oneOf":
            checks.append(_one_of(argument))
        elif keyword == "items":
            checks.append(_items(argument))
        elif keyword == "required":
            checks.append(_required(argument))
        elif keyword == "properties":
            continue  # with additionalProperties, below
        elif keyword == "additionalProperties":
            continue
        else:
            raise _Unsupported(keyword)
    if "properties" in schema or "additionalProperties" in schema:
        checks.append(_object(schema.get("properties", {}), schema.get("additionalProperties", True)))
    if len(checks) == 1:
        return checks[0]
    return _all_of(tuple(checks))


# The combinators below are plain loops rather than all()/any() over generator expressions:
# these closures run for every node of every object checked, and a generator costs more to
# create and resume than the few checks it feeds.


def _all_of(checks: tuple[Check, ...]) -> Check:
    def check(value: Any) -> bool:
        for test in checks:
            if not test(value):
                return False
        return True

    return check


def _type(argument: Any) -> Check:
    names = [argument] if isinstance(argument, str) else argument
    if not isinstance(names, list) or not all(isinstance(name, str) and name in _TYPES for name in names):
        raise _Unsupported(f"type {argument!r}")
    tests = tuple(_TYPES[name] for name in names)
    if len(tests) == 1:
        return tests[0]

    def check(value: Any) -> bool:
        for test in tests:
            if test(value):
                return True
        return False

    return check


def _enum(argument: Any) -> Check:
    if not isinstance(argument, list) or not all(isinstance(item, str) for item in argument):
        raise _Unsupported("enum")
    allowed = frozenset(argument)
    return lambda value: isinstance(value, str) and value in allowed


def _one_of(argument: Any) -> Check:
    if not isinstance(argument, list):
        raise _Unsupported("oneOf")
    options = [_compile(option) for option in argument]
    return lambda value: sum(1 for option in options if option(value)) == 1


def _items(argument: Any) -> Check:
    if not isinstance(argument, (dict, bool)):
        raise _Unsupported("items")
    item = _compile(argument)

    def check(value: Any) -> bool:
        if not isinstance(value, list):
            return True
        for element in value:
            if not item(element):
                return False
        return True

    return check


def _required(argument: Any) -> Check:
    if not isinstance(argument, list):
        raise _Unsupported("required")
    names = tuple(argument)

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        for name in names:
            if name not in value:
                return False
        return True

    return check


def _object(properties: Any, additional: Any) -> Check:
    if not isinstance(properties, dict):
        raise _Unsupported("properties")
    known = {name: _compile(sub) for name, sub in properties.items()}
    other = _compile(additional)

    def check(value: Any) -> bool:
        if not isinstance(value, dict):
            return True
        for name, element in value.items():
            sub = known.get(name)
            if not (sub(element) if sub is not None else other(element)):
                return False
        return True

    return check
