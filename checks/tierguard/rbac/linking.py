"""Binding-to-role references that resolve to nothing (RBAC402)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from tierguard.diagnostics import Diagnostic, Severity
from tierguard.model.rbac import Binding, BindingKind, Role
from tierguard.rbac import codes


def missing_role_diagnostics(bindings: Iterable[Binding], cluster_roles: Mapping[str, Role],
                             roles: Mapping[tuple[str, str], Role]) -> tuple[Diagnostic, ...]:
    """One warning per binding whose roleRef names a role that is not loaded."""
    found: list[Diagnostic] = []
    for binding in bindings:
        ref = binding.role_ref
        if ref.kind == "ClusterRole":
            missing = ref.name not in cluster_roles
            where = f"ClusterRole {ref.name!r}"
        elif ref.kind == "Role" and binding.kind is BindingKind.ROLE_BINDING:
            missing = (binding.namespace, ref.name) not in roles
            where = f"Role {ref.name!r} in namespace {binding.namespace}"
        else:
            continue  # a wrong kind is reported by the model (RBAC407)
        if missing and ref.name:
            found.append(Diagnostic(
                codes.MISSING_ROLE, Severity.WARNING,
                f"{binding.ref} refers to {where}, which is not among the loaded RBAC objects; "
                "it grants nothing", ref.span or binding.span, binding.ref, "roleRef.name"))
    return tuple(found)
