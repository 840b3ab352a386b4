"""Calico projectcalico.org/v3 kinds: policies (enforced and staged), Tier, network sets, host endpoints.

Fields a rule may cite keep their location; selectors stay text (parsed by compile/validation).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tierguard.diagnostics import Span
from tierguard.fastinit import fast_init
from tierguard.loader.nodes import LMap, LScalar, Node
from tierguard.model.located import (
    Integer,
    IntOrText,
    Number,
    Text,
    boolean,
    int_or_text,
    int_or_text_of,
    integer,
    mapping,
    number,
    sequence,
    text,
    text_of,
    texts,
)
from tierguard.model.meta import Meta, read_meta

CALICO_API_VERSION = "projectcalico.org/v3"
GLOBAL_POLICY_KINDS = frozenset({"GlobalNetworkPolicy", "StagedGlobalNetworkPolicy"})
STAGED_POLICY_KINDS = frozenset({"StagedNetworkPolicy", "StagedGlobalNetworkPolicy"})
CALICO_POLICY_KINDS = frozenset({"NetworkPolicy", "GlobalNetworkPolicy"}) | STAGED_POLICY_KINDS


@fast_init
@dataclass(frozen=True, slots=True)
class ServiceAccountMatch:
    names: tuple[Text, ...]
    selector: Text | None
    span: Span


@fast_init
@dataclass(frozen=True, slots=True)
class ServiceMatch:
    name: Text | None
    namespace: Text | None
    span: Span


@fast_init
@dataclass(frozen=True, slots=True)
class EntityRule:
    """`source` or `destination` of a rule; `path` is its field path, e.g. spec.ingress[0].source."""

    path: str
    span: Span | None = None
    nets: tuple[Text, ...] = ()
    not_nets: tuple[Text, ...] = ()
    selector: Text | None = None
    not_selector: Text | None = None
    namespace_selector: Text | None = None
    service_accounts: ServiceAccountMatch | None = None
    services: ServiceMatch | None = None
    ports: tuple[IntOrText, ...] = ()
    not_ports: tuple[IntOrText, ...] = ()
    domains: tuple[Text, ...] = ()
    keys: tuple[str, ...] = ()  # the fields present, in source order


@fast_init
@dataclass(frozen=True, slots=True)
class IcmpFields:
    type: Integer | None
    code: Integer | None
    span: Span


@fast_init
@dataclass(frozen=True, slots=True)
class HttpPath:
    exact: Text | None
    prefix: Text | None
    span: Span


@fast_init
@dataclass(frozen=True, slots=True)
class HttpMatch:
    methods: tuple[Text, ...]
    paths: tuple[HttpPath, ...]
    span: Span


@fast_init
@dataclass(frozen=True, slots=True)
class Rule:
    """One ingress/egress rule; `index` is its position, `path` e.g. spec.egress[2]."""

    index: int
    path: str
    span: Span
    action: Text | None
    source: EntityRule
    destination: EntityRule
    ip_version: Integer | None = None
    protocol: IntOrText | None = None
    not_protocol: IntOrText | None = None
    icmp: IcmpFields | None = None
    not_icmp: IcmpFields | None = None
    http: HttpMatch | None = None
    annotations: tuple[tuple[str, str], ...] = ()


@fast_init
@dataclass(frozen=True, slots=True)
class CalicoPolicy:
    """NetworkPolicy, GlobalNetworkPolicy, StagedNetworkPolicy or StagedGlobalNetworkPolicy."""

    meta: Meta
    tier: Text | None
    order: Number | None
    selector: Text | None
    service_account_selector: Text | None
    namespace_selector: Text | None  # global kinds only
    types: tuple[Text, ...] | None  # None when `types` is absent (then defaulted, §3.2)
    ingress: tuple[Rule, ...]
    egress: tuple[Rule, ...]
    staged_action: Text | None = None
    do_not_track: bool | None = None
    pre_dnat: bool | None = None
    apply_on_forward: bool | None = None
    spec_span: Span | None = None
    spec_keys: tuple[str, ...] = ()  # fields present in spec (staged Delete must have only tier)

    @property
    def kind(self) -> str:
        return self.meta.kind

    @property
    def is_global(self) -> bool:
        return self.meta.kind in GLOBAL_POLICY_KINDS

    @property
    def is_staged(self) -> bool:
        return self.meta.kind in STAGED_POLICY_KINDS

    @property
    def tier_name(self) -> str:
        return self.tier.value if self.tier is not None and self.tier.value else "default"


@fast_init
@dataclass(frozen=True, slots=True)
class Tier:
    meta: Meta
    order: Number | None
    default_action: Text | None

    @property
    def name(self) -> str:
        return self.meta.name


@fast_init
@dataclass(frozen=True, slots=True)
class NetworkSet:
    """NetworkSet (namespaced) or GlobalNetworkSet (meta.kind tells which)."""

    meta: Meta
    nets: tuple[Text, ...]
    allowed_egress_domains: tuple[Text, ...] = ()

    @property
    def is_global(self) -> bool:
        return self.meta.kind == "GlobalNetworkSet"


@fast_init
@dataclass(frozen=True, slots=True)
class EndpointPort:
    name: Text | None
    port: Integer | None
    protocol: IntOrText | None
    span: Span


@fast_init
@dataclass(frozen=True, slots=True)
class HostEndpoint:
    meta: Meta
    node: Text | None
    interface_name: Text | None
    expected_ips: tuple[Text, ...]
    profiles: tuple[Text, ...]
    ports: tuple[EndpointPort, ...]


# --- builders ---------------------------------------------------------------------------------


def _ports(parent: LMap, key: str) -> tuple[IntOrText, ...]:
    found = (int_or_text_of(item) for item in sequence(parent.get(key)))
    return tuple(port for port in found if port is not None)


def _service_accounts(entity: LMap, key: str) -> ServiceAccountMatch | None:
    accounts = mapping(entity.get(key))
    return ServiceAccountMatch(texts(accounts, "names"), text(accounts, "selector"), accounts.span) \
        if accounts is not None else None


def _services(entity: LMap, key: str) -> ServiceMatch | None:
    services = mapping(entity.get(key))
    return ServiceMatch(text(services, "name"), text(services, "namespace"), services.span) \
        if services is not None else None


# Entity-rule field -> (EntityRule attribute, reader). An entity rule sets two or three of its
# ten fields, so read_entity_rule reads only the keys present; each reader gives, for an absent
# key, exactly the EntityRule default (None or ()).
_ENTITY_FIELDS: dict[str, tuple[str, Callable[[LMap, str], object]]] = {
    "nets": ("nets", texts), "notNets": ("not_nets", texts),
    "selector": ("selector", text), "notSelector": ("not_selector", text),
    "namespaceSelector": ("namespace_selector", text),
    "serviceAccounts": ("service_accounts", _service_accounts), "services": ("services", _services),
    "ports": ("ports", _ports), "notPorts": ("not_ports", _ports),
    "domains": ("domains", texts),
}


def read_entity_rule(node: Node | None, path: str) -> EntityRule:
    entity = mapping(node)
    if entity is None:
        return EntityRule(path)
    keys = tuple(entity.keys())
    fields: dict[str, Any] = {}
    for key in keys:
        known = _ENTITY_FIELDS.get(key)
        if known is not None:
            attribute, reader = known
            fields[attribute] = reader(entity, key)
    return EntityRule(path=path, span=entity.span, keys=keys, **fields)


def _icmp(node: Node | None) -> IcmpFields | None:
    icmp = mapping(node)
    return IcmpFields(integer(icmp, "type"), integer(icmp, "code"), icmp.span) if icmp is not None else None


def _http(node: Node | None) -> HttpMatch | None:
    http = mapping(node)
    if http is None:
        return None
    paths = []
    for item in sequence(http.get("paths")):
        path = mapping(item)
        if path is not None:
            paths.append(HttpPath(text(path, "exact"), text(path, "prefix"), path.span))
    return HttpMatch(texts(http, "methods"), tuple(paths), http.span)


def _icmp_field(rule: LMap, key: str) -> IcmpFields | None:
    return _icmp(rule.get(key))


def _http_field(rule: LMap, key: str) -> HttpMatch | None:
    return _http(rule.get(key))


def _annotations(rule: LMap, key: str) -> tuple[tuple[str, str], ...]:
    metadata = mapping(rule.get(key))
    annotations = mapping(metadata.get("annotations")) if metadata is not None else None
    if annotations is None:
        return ()
    return tuple((str(k.value), str(v.to_plain())) for k, v in annotations.entries)


# Rule field -> (Rule attribute, reader) for the optional fields, read only when present (as
# _ENTITY_FIELDS); for an absent key each reader gives exactly the Rule default.
_RULE_FIELDS: dict[str, tuple[str, Callable[[LMap, str], object]]] = {
    "ipVersion": ("ip_version", integer),
    "protocol": ("protocol", int_or_text), "notProtocol": ("not_protocol", int_or_text),
    "icmp": ("icmp", _icmp_field), "notICMP": ("not_icmp", _icmp_field),
    "http": ("http", _http_field), "metadata": ("annotations", _annotations),
}


def read_rule(node: Node, index: int, path: str) -> Rule | None:
    rule = mapping(node)
    if rule is None:
        return None
    fields: dict[str, Any] = {}
    keys = rule.keys()
    for key in keys:
        known = _RULE_FIELDS.get(key)
        if known is not None:
            attribute, reader = known
            fields[attribute] = reader(rule, key)
    return Rule(
        index=index, path=path, span=rule.span, action=text(rule, "action"),
        source=read_entity_rule(rule.get("source"), f"{path}.source"),
        destination=read_entity_rule(rule.get("destination"), f"{path}.destination"),
        **fields,
    )


def read_rules(spec: LMap | None, key: str) -> tuple[Rule, ...]:
    if spec is None:
        return ()
    rules = (read_rule(item, index, f"spec.{key}[{index}]") for index, item in enumerate(sequence(spec.get(key))))
    return tuple(rule for rule in rules if rule is not None)


def read_calico_policy(root: LMap) -> CalicoPolicy:
    spec = mapping(root.get("spec"))
    types_node = spec.get("types") if spec is not None else None
    types = None
    if types_node is not None and not (isinstance(types_node, LScalar) and types_node.value is None):
        types = tuple(t for t in (text_of(item) for item in sequence(types_node)) if t is not None)
    meta = read_meta(root)
    root_kind = meta.kind
    return CalicoPolicy(
        meta=meta, tier=text(spec, "tier"), order=number(spec, "order"),
        selector=text(spec, "selector"), service_account_selector=text(spec, "serviceAccountSelector"),
        # NetworkPolicy has no spec.namespaceSelector (§1.2); the schema reports it as unknown.
        namespace_selector=text(spec, "namespaceSelector") if root_kind in GLOBAL_POLICY_KINDS else None,
        types=types,
        ingress=read_rules(spec, "ingress"), egress=read_rules(spec, "egress"),
        staged_action=text(spec, "stagedAction"),
        do_not_track=boolean(spec, "doNotTrack"), pre_dnat=boolean(spec, "preDNAT"),
        apply_on_forward=boolean(spec, "applyOnForward"),
        spec_span=spec.span if spec is not None else None,
        spec_keys=tuple(spec.keys()) if spec is not None else (),
    )


def read_tier(root: LMap) -> Tier:
    spec = mapping(root.get("spec"))
    return Tier(read_meta(root), number(spec, "order"), text(spec, "defaultAction"))


def read_network_set(root: LMap) -> NetworkSet:
    spec = mapping(root.get("spec"))
    return NetworkSet(read_meta(root), texts(spec, "nets"), texts(spec, "allowedEgressDomains"))


def read_host_endpoint(root: LMap) -> HostEndpoint:
    spec = mapping(root.get("spec"))
    ports = []
    for item in sequence(spec.get("ports")) if spec is not None else ():
        port = mapping(item)
        if port is not None:
            ports.append(EndpointPort(text(port, "name"), integer(port, "port"), int_or_text(port, "protocol"),
                                      port.span))
    return HostEndpoint(read_meta(root), text(spec, "node"), text(spec, "interfaceName"),
                        texts(spec, "expectedIPs"), texts(spec, "profiles"), tuple(ports))
