"""The rule readers as they were before they read only the keys present (the reference of
tests/model/test_calico_readers.py): every field looked up, absent or not."""

from __future__ import annotations

from tierguard.loader.nodes import Node
from tierguard.model.calico import (
    EntityRule,
    Rule,
    ServiceAccountMatch,
    ServiceMatch,
    _http,
    _icmp,
    _ports,
)
from tierguard.model.located import int_or_text, integer, mapping, text, texts


def reference_read_entity_rule(node: Node | None, path: str) -> EntityRule:
    entity = mapping(node)
    if entity is None:
        return EntityRule(path)
    accounts = mapping(entity.get("serviceAccounts"))
    services = mapping(entity.get("services"))
    return EntityRule(
        path=path, span=entity.span,
        nets=texts(entity, "nets"), not_nets=texts(entity, "notNets"),
        selector=text(entity, "selector"), not_selector=text(entity, "notSelector"),
        namespace_selector=text(entity, "namespaceSelector"),
        service_accounts=ServiceAccountMatch(texts(accounts, "names"), text(accounts, "selector"), accounts.span)
        if accounts is not None else None,
        services=ServiceMatch(text(services, "name"), text(services, "namespace"), services.span)
        if services is not None else None,
        ports=_ports(entity, "ports"), not_ports=_ports(entity, "notPorts"),
        domains=texts(entity, "domains"), keys=tuple(entity.keys()),
    )


def reference_read_rule(node: Node, index: int, path: str) -> Rule | None:
    rule = mapping(node)
    if rule is None:
        return None
    metadata = mapping(rule.get("metadata"))
    annotations = mapping(metadata.get("annotations")) if metadata is not None else None
    return Rule(
        index=index, path=path, span=rule.span, action=text(rule, "action"),
        source=reference_read_entity_rule(rule.get("source"), f"{path}.source"),
        destination=reference_read_entity_rule(rule.get("destination"), f"{path}.destination"),
        ip_version=integer(rule, "ipVersion"),
        protocol=int_or_text(rule, "protocol"), not_protocol=int_or_text(rule, "notProtocol"),
        icmp=_icmp(rule.get("icmp")), not_icmp=_icmp(rule.get("notICMP")), http=_http(rule.get("http")),
        annotations=tuple((str(k.value), str(v.to_plain())) for k, v in annotations.entries)
        if annotations is not None else (),
    )
