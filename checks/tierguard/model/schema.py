"""A small declarative schema for the kinds we model, checked against located YAML nodes.

The field lists are written from the API definitions (calico-semantics §1, the Kubernetes and
network-policy-api types). Checking is separate from building: `check` reports every
problem with its field path, and the builders then read values leniently.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from tierguard.diagnostics import Diagnostic, ResourceRef, Severity, Span
from tierguard.loader.nodes import LMap, LScalar, LSeq, Node
from tierguard.model import codes


class ScalarType(enum.Enum):
    STRING = "a string"
    INTEGER = "an integer"
    NUMBER = "a number"
    BOOLEAN = "a boolean"
    INT_OR_STRING = "an integer or a string"
    ANY = "any value"


@dataclass(frozen=True, slots=True)
class Scalar:
    type: ScalarType
    enum: tuple[str | int, ...] = ()


@dataclass(frozen=True, slots=True)
class Obj:
    fields: Mapping[str, Spec]
    required: frozenset[str] = frozenset()
    open: bool = False  # unknown keys allowed (free-form objects such as status)


@dataclass(frozen=True, slots=True)
class Arr:
    item: Spec


@dataclass(frozen=True, slots=True)
class StrMap:
    """A map of string to string (labels, annotations, matchLabels)."""


Spec = Scalar | Obj | Arr | StrMap

STRING = Scalar(ScalarType.STRING)
INTEGER = Scalar(ScalarType.INTEGER)
NUMBER = Scalar(ScalarType.NUMBER)
BOOLEAN = Scalar(ScalarType.BOOLEAN)
INT_OR_STRING = Scalar(ScalarType.INT_OR_STRING)
ANY = Scalar(ScalarType.ANY)
STRINGS = Arr(STRING)
ANY_OBJECT = Obj({}, open=True)


def enum_of(*values: str | int) -> Scalar:
    kind = ScalarType.INTEGER if all(isinstance(v, int) for v in values) else ScalarType.STRING
    return Scalar(kind, tuple(values))


def obj(required: tuple[str, ...] = (), **fields: Spec) -> Obj:
    return Obj(fields, frozenset(required))


def _describe(node: Node) -> str:
    if isinstance(node, LMap):
        return "a mapping"
    if isinstance(node, LSeq):
        return "a list"
    value = node.value
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int):
        return f"the integer {value}"
    if isinstance(value, float):
        return f"the number {value}"
    return "a string"


_STRING = ScalarType.STRING


def _scalar_ok(value: object, kind: ScalarType) -> bool:
    if kind is ScalarType.STRING:  # the most common (a bool is not a str)
        return isinstance(value, str)
    if kind is ScalarType.ANY:
        return True
    if kind is ScalarType.BOOLEAN:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if kind is ScalarType.INTEGER:
        return isinstance(value, int)
    if kind is ScalarType.NUMBER:
        return isinstance(value, (int, float))
    return isinstance(value, (int, str))


@dataclass(slots=True)
class Checker:
    """Collects schema diagnostics for one resource."""

    resource: ResourceRef | None
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def emit(self, code: str, message: str, span: Span, path: str, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, Severity.ERROR, message, span, self.resource, path, hint))

    def check(self, node: Node, spec: Spec, path: str) -> None:
        if isinstance(node, LScalar) and node.value is None:
            return  # null means absent, as in the Kubernetes API
        if isinstance(spec, Scalar):
            self._scalar(node, spec, path)
        elif isinstance(spec, Obj):
            self._object(node, spec, path)
        elif isinstance(spec, Arr):
            self._array(node, spec, path)
        else:
            self._str_map(node, path)

    def _scalar(self, node: Node, spec: Scalar, path: str) -> None:
        if not isinstance(node, LScalar) or not _scalar_ok(node.value, spec.type):
            self.emit(codes.WRONG_TYPE, f"{path}: expected {spec.type.value}, got {_describe(node)}",
                      node.span, path)
            return
        if spec.enum and node.value not in spec.enum:
            allowed = ", ".join(str(v) for v in spec.enum)
            hint = _case_hint(node.value, spec.enum)
            self.emit(codes.BAD_ENUM, f"{path}: {node.value!r} is not one of: {allowed}", node.span, path, hint)

    def _object(self, node: Node, spec: Obj, path: str) -> None:
        if not isinstance(node, LMap):
            self.emit(codes.WRONG_TYPE, f"{path}: expected a mapping, got {_describe(node)}", node.span, path)
            return
        fields = spec.fields
        for key, value in node.entries:
            name = str(key.value)
            sub = fields.get(name)
            if type(sub) is Scalar and type(value) is LScalar and not sub.enum:
                # Fast path for the common case, a well-typed scalar (what `check` accepts); the
                # string test inlined, as most fields are strings.
                scalar = value.value
                if scalar is None or (type(scalar) is str if sub.type is _STRING else _scalar_ok(scalar, sub.type)):
                    continue
            child = f"{path}.{name}" if path else name
            if sub is None:
                if not spec.open:
                    self.emit(codes.UNKNOWN_FIELD, f"{child}: unknown field {name!r}", key.span, child,
                              _spelling_hint(name, fields))
                continue
            self.check(value, sub, child)
        for name in sorted(spec.required) if spec.required else ():
            found = node.get(name)
            if found is None or (isinstance(found, LScalar) and found.value is None):
                child = f"{path}.{name}" if path else name
                self.emit(codes.MISSING_FIELD, f"{child}: required field {name!r} is missing", node.span, child)

    def _array(self, node: Node, spec: Arr, path: str) -> None:
        if not isinstance(node, LSeq):
            self.emit(codes.WRONG_TYPE, f"{path}: expected a list, got {_describe(node)}", node.span, path)
            return
        item_spec = spec.item
        simple = item_spec.type if isinstance(item_spec, Scalar) and not item_spec.enum else None
        for index, item in enumerate(node.items):
            if simple is not None and type(item) is LScalar and (item.value is None or _scalar_ok(item.value, simple)):
                continue  # a well-typed scalar item: nothing to report (as `check` would find)
            self.check(item, item_spec, f"{path}[{index}]")

    def _str_map(self, node: Node, path: str) -> None:
        if not isinstance(node, LMap):
            self.emit(codes.WRONG_TYPE, f"{path}: expected a mapping, got {_describe(node)}", node.span, path)
            return
        for key, value in node.entries:
            child = f"{path}.{key.value}"
            if not isinstance(value, LScalar) or not isinstance(value.value, str):
                self.emit(codes.WRONG_TYPE, f"{child}: expected a string, got {_describe(value)}", value.span,
                          child, hint="Quote values such as 'true', '1' or '1.0' so YAML keeps them strings.")


def _case_hint(value: object, allowed: tuple[str | int, ...]) -> str | None:
    if isinstance(value, str):
        for candidate in allowed:
            if isinstance(candidate, str) and candidate.lower() == value.lower():
                return f"Values are case-sensitive: write {candidate!r}."
    return None


def _spelling_hint(name: str, known: Mapping[str, Spec]) -> str | None:
    lowered = name.lower().replace("_", "").replace("-", "")
    for candidate in known:
        if candidate.lower() == lowered:
            return f"Did you mean {candidate!r}? Field names are case-sensitive."
    return None
