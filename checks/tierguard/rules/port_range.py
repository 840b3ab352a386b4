"""CAL208: ports must be in range, ranges ordered, and names well formed."""

from __future__ import annotations

import re
from collections.abc import Iterator

from tierguard.catalog_types import CodeDoc
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.model.k8s import K8sNetworkPolicy
from tierguard.rules.context import RuleContext
from tierguard.rules.shapes import calico_policy, finding, is_placeholder, rules_of, sides

ID = "CAL208"
NAME = "port-range"
DEFAULT_SEVERITY = Severity.ERROR
DOC = CodeDoc(
    ID, NAME, DEFAULT_SEVERITY,
    "A port is out of range (0-65535 for Calico, 1-65535 for Kubernetes), a range 'a:b' has a > b or "
    "bad bounds, or a named port is malformed.",
    why="The API server rejects the object; a schema only checks that a port is an integer or a string.",
    failing="ports: [70000, '9000:8000']", passing="ports: [443, '8000:9000', http]",
    references="calico-semantics.md section 1.11",
)

_NAMED = re.compile(r"^[a-zA-Z0-9_.-]{1,128}$")
_RANGE = re.compile(r"^(\d+):(\d+)$")
_MAX = 65535


def calico_port_problem(value: int | str) -> str | None:
    """Why a Calico port value is invalid, or None (calico-semantics section 1.11)."""
    if isinstance(value, int):
        return None if 0 <= value <= _MAX else f"port {value} is outside 0-{_MAX}"
    if is_placeholder(value):
        return None
    text = value.strip()
    if text.isdigit():
        return calico_port_problem(int(text))
    bounds = _RANGE.match(text)
    if bounds:
        low, high = int(bounds.group(1)), int(bounds.group(2))
        if high > _MAX:
            return f"range end {high} is outside 0-{_MAX}"
        return None if low <= high else f"range {text} starts after it ends"
    if ":" in text or not _NAMED.match(text) or text.isdigit():
        return f"{text!r} is neither a port number, a range 'min:max' nor a named port"
    return None


def _calico(ctx: RuleContext) -> Iterator[Diagnostic]:
    policy = calico_policy(ctx)
    if policy is None:
        return
    for rule in rules_of(policy):
        for side in sides(rule):
            for key, ports in (("ports", side.ports), ("notPorts", side.not_ports)):
                for position, port in enumerate(ports):
                    problem = calico_port_problem(port.value)
                    if problem is not None:
                        path = f"{side.path}.{key}[{position}]"
                        yield finding(ctx, ID, DEFAULT_SEVERITY, f"{path}: {problem}", port.span, path)


def _kubernetes(model: K8sNetworkPolicy, ctx: RuleContext) -> Iterator[Diagnostic]:
    for rule in model.ingress + model.egress:
        for port in rule.ports:
            number = port.port.value if port.port is not None and isinstance(port.port.value, int) else None
            if port.port is not None and number is not None and not 1 <= number <= _MAX:
                yield finding(ctx, ID, DEFAULT_SEVERITY, f"{port.path}.port: port {number} is outside 1-{_MAX}",
                              port.port.span, f"{port.path}.port")
            elif port.end_port is not None:
                end = port.end_port.value
                if number is None:
                    yield finding(ctx, ID, DEFAULT_SEVERITY,
                                  f"{port.path}.endPort needs a numeric port", port.end_port.span, f"{port.path}.endPort")
                elif not number <= end <= _MAX:
                    yield finding(ctx, ID, DEFAULT_SEVERITY,
                                  f"{port.path}.endPort {end} must be between port {number} and {_MAX}",
                                  port.end_port.span, f"{port.path}.endPort")


def check(ctx: RuleContext) -> Iterator[Diagnostic]:
    yield from _calico(ctx)
    if isinstance(ctx.model, K8sNetworkPolicy):
        yield from _kubernetes(ctx.model, ctx)
