"""Calico rule fields -> IR: actions, protocols, ports, nets, entity rules (calico-semantics §1.1, §1.11, §3.5)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence

from tierguard.diagnostics import Span
from tierguard.engine.compile_selectors import entity_selector_text
from tierguard.engine.ir import (
    Action,
    CompiledRule,
    EntityMatch,
    IcmpMatch,
    IPNetwork,
    PortMatch,
    PortRange,
    ServiceRef,
    StagedAction,
)
from tierguard.model.calico import EntityRule, IcmpFields, Rule
from tierguard.model.located import IntOrText, Text
from tierguard.model.protocol import protocol_number
from tierguard.selector import Selector, SelectorError, parse

_NAMED_PORT = re.compile(r"^[a-zA-Z0-9_.-]{1,128}$")


class CompileError(Exception):
    """A value Calico would reject; the policy holding it is not compiled."""

    def __init__(self, message: str, span: Span | None, field_path: str) -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.field_path = field_path


def selector_of(text: str, span: Span | None, path: str) -> Selector:
    try:
        return parse(text)
    except SelectorError as error:
        raise CompileError(f"{path}: invalid selector: {error}", span, path) from error


def user_selector(field: Text | None, path: str) -> str:
    """Validate a user-written selector field and return its text ("" when absent)."""
    if field is None or not field.value.strip():
        return ""
    try:
        parse(field.value)
    except SelectorError as error:
        raise CompileError(f"{path}: invalid selector: {error}", field.span_at(error.column), path) from error
    return field.value


def action_of(field: Text | None, span: Span | None, path: str) -> Action:
    if field is None:
        raise CompileError(f"{path}.action: a rule needs an action", span, f"{path}.action")
    try:
        return Action(field.value)
    except ValueError:
        raise CompileError(f"{path}.action: {field.value!r} is not Allow, Deny, Log or Pass", field.span,
                           f"{path}.action") from None


def staged_action_of(field: Text | None) -> StagedAction:
    """`stagedAction`, default Set (§5.1)."""
    if field is None:
        return StagedAction.SET
    try:
        return StagedAction(field.value)
    except ValueError:
        raise CompileError(f"spec.stagedAction: {field.value!r} is not Set, Delete, Learn or Ignore", field.span,
                           "spec.stagedAction") from None


def protocol_of(field: IntOrText | None, path: str) -> int | None:
    if field is None:
        return None
    number = protocol_number(field.value)
    if number is None:
        raise CompileError(f"{path}: {field.value!r} is not a protocol name or number 1-255", field.span, path)
    return number


def port_match(values: Sequence[IntOrText], path: str) -> PortMatch | None:
    """Port specs (80, '80', '6040:6050', 'http') -> PortMatch; None when the list is empty."""
    if not values:
        return None
    ranges: list[PortRange] = []
    names: list[str] = []
    for index, field in enumerate(values):
        where = f"{path}[{index}]"
        value = field.value
        if isinstance(value, int):
            ranges.append(_checked_range(value, value, field.span, where))
        elif value.isdigit():
            ranges.append(_checked_range(int(value), int(value), field.span, where))
        elif ":" in value:
            first, _, last = value.partition(":")
            if not (first.isdigit() and last.isdigit()):
                raise CompileError(f"{where}: {value!r} is not a port range 'min:max'", field.span, where)
            ranges.append(_checked_range(int(first), int(last), field.span, where))
        elif _NAMED_PORT.match(value):
            names.append(value)
        else:
            raise CompileError(f"{where}: {value!r} is not a port, range or port name", field.span, where)
    return PortMatch(tuple(ranges), tuple(names))


def _checked_range(first: int, last: int, span: Span, path: str) -> PortRange:
    if not (0 <= first <= last <= 65535):
        raise CompileError(f"{path}: port range {first}:{last} is outside 0-65535 or reversed", span, path)
    return PortRange(first, last)


def network_of(text: str, span: Span | None, path: str) -> IPNetwork:
    """A CIDR or bare IP (Calico accepts both and masks host bits)."""
    try:
        return ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        raise CompileError(f"{path}: {text!r} is not a CIDR or IP address", span, path) from None


def _nets(values: Sequence[Text], path: str) -> tuple[IPNetwork, ...] | None:
    if not values:
        return None
    return tuple(network_of(field.value, field.span, f"{path}[{i}]") for i, field in enumerate(values))


def entity_match(entity: EntityRule, policy_namespace: str) -> EntityMatch:
    """One rule side with its effective selector (getEndpointSelector, §3.5)."""
    path = entity.path
    selector = user_selector(entity.selector, f"{path}.selector")
    not_selector = user_selector(entity.not_selector, f"{path}.notSelector")
    namespace_selector = user_selector(entity.namespace_selector, f"{path}.namespaceSelector")
    accounts = entity.service_accounts
    account_selector = user_selector(accounts.selector, f"{path}.serviceAccounts.selector") if accounts else ""
    account_names = [name.value for name in accounts.names] if accounts else []
    effective = entity_selector_text(
        selector=selector, not_selector=not_selector, namespace_selector=namespace_selector,
        service_account_names=account_names, service_account_selector=account_selector,
        policy_namespace=policy_namespace)
    service = None
    if entity.services is not None:
        name = entity.services.name.value if entity.services.name else ""
        namespace = entity.services.namespace.value if entity.services.namespace else policy_namespace
        service = ServiceRef(name, namespace)
    return EntityMatch(
        nets=_nets(entity.nets, f"{path}.nets"), not_nets=_nets(entity.not_nets, f"{path}.notNets"),
        selector=selector_of(effective, entity.span, path) if effective else None,
        not_selector=selector_of(not_selector, entity.span, path) if not_selector else None,
        ports=port_match(entity.ports, f"{path}.ports"), not_ports=port_match(entity.not_ports, f"{path}.notPorts"),
        service=service, domains=tuple(domain.value for domain in entity.domains))


def _icmp(fields: IcmpFields | None) -> IcmpMatch | None:
    if fields is None or fields.type is None:
        return None  # a code without a type is rejected by validation (CAL rule), not matched here
    return IcmpMatch(fields.type.value, fields.code.value if fields.code else None)


def compile_rule(rule: Rule, policy_namespace: str) -> CompiledRule:
    """A Calico rule; `policy_namespace` is "" for global policies (no implicit scoping)."""
    return CompiledRule(
        action=action_of(rule.action, rule.span, rule.path), index=rule.index,
        source=entity_match(rule.source, policy_namespace),
        destination=entity_match(rule.destination, policy_namespace),
        protocol=protocol_of(rule.protocol, f"{rule.path}.protocol"),
        not_protocol=protocol_of(rule.not_protocol, f"{rule.path}.notProtocol"),
        ip_version=rule.ip_version.value if rule.ip_version else None,
        icmp=_icmp(rule.icmp), not_icmp=_icmp(rule.not_icmp),
        has_http=rule.http is not None and bool(rule.http.methods or rule.http.paths), span=rule.span,
        name=dict(rule.annotations).get("name", ""))
