"""Kubernetes built-in kinds against kubernetes-validate's bundled strict JSON schemas.

The package is used as a schema data source only (ecosystem.md section 1.1): schema files are read
through importlib.resources, one Draft 2020-12 validator is built per (version, kind) and cached
by the `K8sSchemas` instance, and `iter_errors` reports every error, each mapped back to the
node it concerns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from importlib import resources
from importlib.abc import Traversable
from typing import Any

import jsonschema
import referencing
import referencing.jsonschema

from tierguard.diagnostics import Diagnostic, Severity
from tierguard.loader import paths
from tierguard.loader.nodes import LMap, Node
from tierguard.loader.resources import ResourceDoc
from tierguard.validation import codes, typos
from tierguard.validation.k8s_fastcheck import Check, compile_schema

_PACKAGE = "kubernetes_validate"
_SCHEMA_DIR = "kubernetes-json-schema"
_MESSAGE_LIMIT = 160


def _schema_root() -> Traversable:
    return resources.files(_PACKAGE).joinpath(_SCHEMA_DIR)


def supported_versions() -> tuple[str, ...]:
    """The Kubernetes minor versions with bundled schemas, oldest first, e.g. ('1.25', ..., '1.37')."""
    found = set()
    for entry in _schema_root().iterdir():
        match = re.fullmatch(r"v(\d+)\.(\d+)\.0-local-strict", entry.name)
        if match:
            found.add((int(match.group(1)), int(match.group(2))))
    return tuple(f"{major}.{minor}" for major, minor in sorted(found))


def _file_name(api_version: str, kind: str) -> str:
    group, _, version = api_version.rpartition("/")
    label = group.split(".")[0]
    return f"{kind.lower()}-{label}-{version}.json" if group else f"{kind.lower()}-{version}.json"


def _matches_gvk(schema: dict[str, Any], api_version: str, kind: str) -> bool:
    group, _, version = api_version.rpartition("/")
    return any(g.get("group", "") == group and g.get("version") == version and g.get("kind") == kind
               for g in schema.get("x-kubernetes-group-version-kind", ()))


_DEFINITIONS_ID = "https://kubernetes.io/api/_definitions.json"


def _inline(node: Any, definitions: dict[str, Any], stack: tuple[str, ...] = ()) -> Any:
    """`node` with every `$ref` into _definitions.json replaced by the definition itself.

    Validation then needs no reference lookups, which halves its cost. A recursive reference
    (only in types a policy repository does not use) stays a `$ref`, made absolute so the
    registry still resolves it. Descriptions are dropped: they never affect validation.
    """
    if isinstance(node, list):
        return [_inline(item, definitions, stack) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    rest = {k: _inline(v, definitions, stack) for k, v in node.items() if k not in ("$ref", "description")}
    if not isinstance(ref, str) or "$defs/" not in ref:
        return rest if ref is None else {**rest, "$ref": ref}
    name = ref.rsplit("/", 1)[1]
    if name in stack or name not in definitions:
        return {**rest, "$ref": f"{_DEFINITIONS_ID}#/$defs/{name}"}
    target = _inline(definitions[name], definitions, stack + (name,))
    if set(rest) & set(target):
        return {"allOf": [target], **rest}
    return {**target, **rest}


class K8sSchemas:
    """Validators for one Kubernetes version, built on first use and kept for the instance's life."""

    def __init__(self, kubernetes_version: str) -> None:
        minor = ".".join(kubernetes_version.lstrip("v").split(".")[:2])
        if minor not in supported_versions():
            raise ValueError(f"no bundled Kubernetes schemas for version {kubernetes_version}")
        self.version = minor
        self._dir = _schema_root().joinpath(f"v{minor}.0-local-strict")
        self._validators: dict[tuple[str, str], jsonschema.protocols.Validator | None] = {}
        self._fast: dict[tuple[str, str], Check | None] = {}  # exact validity tests (k8s_fastcheck)
        self._registry: referencing.Registry[Any] | None = None
        self._definitions: dict[str, Any] | None = None

    def _load(self, name: str) -> dict[str, Any] | None:
        entry = self._dir.joinpath(name)
        if not entry.is_file():
            return None
        loaded: dict[str, Any] = json.loads(entry.read_text(encoding="utf-8"))
        return loaded

    def _all_definitions(self) -> dict[str, Any]:
        if self._definitions is None:
            self._definitions = self._load("_definitions.json") or {}
        return self._definitions

    def _base_registry(self) -> referencing.Registry[Any]:
        if self._registry is None:
            resource = referencing.Resource.from_contents(
                self._all_definitions(), default_specification=referencing.jsonschema.DRAFT202012)
            self._registry = resource @ referencing.Registry()
        return self._registry

    def validator(self, api_version: str, kind: str) -> jsonschema.protocols.Validator | None:
        """The validator for a built-in kind, or None when this version has no such kind."""
        key = (api_version, kind)
        if key not in self._validators:
            schema = self._load(_file_name(api_version, kind))
            if schema is None or not _matches_gvk(schema, api_version, kind):
                self._validators[key] = None
            else:
                flat = _inline(schema, self._all_definitions().get("$defs", {}))
                validator = jsonschema.Draft202012Validator(flat, registry=self._base_registry())
                self._validators[key] = validator
                # `format` is an annotation only without a format checker; the fast test ignores it.
                self._fast[key] = compile_schema(flat) if validator.format_checker is None else None
        return self._validators[key]

    def knows(self, api_version: str, kind: str) -> bool:
        """True when this Kubernetes version has a built-in kind of that apiVersion."""
        return self.validator(api_version, kind) is not None

    def check(self, resource: ResourceDoc) -> Iterator[Diagnostic]:
        """Every schema error of a built-in object, located at the offending node."""
        validator = self.validator(resource.api_version, resource.kind)
        if validator is None:
            return
        instance: Any = resource.root.to_plain()
        fast = self._fast.get((resource.api_version, resource.kind))
        if fast is not None and fast(instance):
            return  # valid: jsonschema would find no error (see k8s_fastcheck)
        errors = sorted(validator.iter_errors(instance), key=lambda e: [str(step) for step in e.absolute_path])
        for error in errors:
            yield from _diagnostics(error, resource, self.version)


def _path_of(steps: Any) -> str:
    path = ""
    for step in steps:
        path = paths.join(path, step if isinstance(step, int) else str(step))
    return path


def _short(value: object) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _diagnostics(error: jsonschema.ValidationError, resource: ResourceDoc, version: str) -> Iterator[Diagnostic]:
    path = _path_of(error.absolute_path)
    node: Node | None = paths.node_at(resource.root, path) if path else resource.root
    node = node or resource.root
    where = path or "<object>"
    suffix = f" (Kubernetes {version} schema)"

    def make(message: str, at: Node | None, field: str, problem: str = "") -> Diagnostic:
        span = at.span if at is not None else resource.span
        data = ((typos.KIND, problem),) if problem else ()
        return Diagnostic(codes.K8S_SCHEMA, Severity.ERROR, message + suffix, span, resource.ref,
                          resource.field(field), data=data)

    if error.validator == "additionalProperties" and isinstance(error.instance, dict) and isinstance(node, LMap):
        schema = error.schema if isinstance(error.schema, dict) else {}
        allowed = set(schema.get("properties", {}))
        for key in [k for k in error.instance if k not in allowed]:
            child = paths.join(path, key)
            yield make(f"{child}: unknown field {key!r}", _key_node(node, key), child, typos.UNKNOWN)
        return
    if error.validator == "required" and isinstance(error.validator_value, list):
        present = error.instance if isinstance(error.instance, dict) else {}
        for name in [n for n in error.validator_value if n not in present]:
            child = paths.join(path, name)
            yield make(f"{child}: required field {name!r} is missing", node, child, typos.MISSING)
        return
    if error.validator == "type":
        expected = error.validator_value
        wanted = " or ".join(expected) if isinstance(expected, list) else str(expected)
        yield make(f"{where}: expected {wanted}, got {_short(error.instance)}", node, path)
        return
    if error.validator == "enum":
        choices = error.validator_value if isinstance(error.validator_value, list) else []
        allowed_values = ", ".join(str(v) for v in choices)
        yield make(f"{where}: {_short(error.instance)} is not one of: {allowed_values}", node, path)
        return
    message = error.message if len(error.message) <= _MESSAGE_LIMIT else error.message[:_MESSAGE_LIMIT] + "..."
    yield make(f"{where}: {message}", node, path)


def _key_node(mapping: LMap, key: str) -> Node | None:
    for k, _ in mapping.entries:
        if k.value == key:
            return k
    return None
