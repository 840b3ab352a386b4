"""Observations of one namespace -> one `Recommendation` (rule grouping of calico-semantics §8).

Rules per direction, in this order, each group sorted: DNS (tierguard), Namespace peers (per peer
namespace and protocol, ports aggregated), NetworkSet peers, Private (RFC 1918 nets), Public
(protocol and ports only). Ports always go in `destination.ports`. Above `max_rules` rules in a
direction, rules of the same kind and protocol are merged; what still does not fit is dropped
and reported (the proof step then lists the flows it would deny).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import replace

from tierguard.diagnostics import Diagnostic, Severity, Span
from tierguard.engine.ir import Direction, Edition
from tierguard.engine.packet import protocol_name
from tierguard.flows.model import FlowRecord
from tierguard.inventory.model import Endpoint, EndpointKind
from tierguard.recommend import codes
from tierguard.recommend.collect import peer_labels
from tierguard.recommend.model import (
    PRIVATE_NETS,
    Observation,
    Options,
    Peer,
    PortRange,
    Recommendation,
    RuleSpec,
    Scope,
)
from tierguard.recommend.names import equals, is_label_key, is_label_value, one_of, policy_name

NAME_LABEL = "projectcalico.org/name"
KIND_LABEL = "projectcalico.org/kind"
MAX_PORT_ENTRIES = 50  # Calico's limit per ports list (calico-semantics §1.1)
MAX_NETS = 256  # Calico's limit per nets list
_GREEDY_LIMIT = 1000
PORT_PROTOCOLS = frozenset({6, 17, 132})  # ports need TCP, UDP or SCTP
_DNS_PROTOCOLS = (6, 17)  # DNS falls back to TCP for large answers: allow both
_IDENTITY_KEYS = ("k8s-app",)
_NOT_IDENTITY = frozenset({"pod-template-hash", "controller-revision-hash", "pod-template-generation",
                           "statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index"})
_INJECTED_PREFIXES = ("projectcalico.org/", "pcns.", "pcsa.")

Problems = list[Diagnostic]


# --- ports ------------------------------------------------------------------------------------


def port_ranges(ports: Iterable[int], limit: int = MAX_PORT_ENTRIES) -> tuple[PortRange, ...]:
    """Sorted ports as single ports, merging runs and then the closest gaps until <= limit."""
    ranges = [PortRange(p, p) for p in sorted(set(ports))]
    merged: list[PortRange] = []
    for item in ranges:
        if merged and item.first == merged[-1].last + 1:
            merged[-1] = PortRange(merged[-1].first, item.last)
        else:
            merged.append(item)
    if len(merged) > _GREEDY_LIMIT:  # e.g. scans: coarsen by gap size first, O(n log n)
        merged = _merge_gaps_up_to(merged, _GREEDY_LIMIT)
    while len(merged) > limit:
        # Widen the least: the smallest gap, then the narrowest result (keeps ranges balanced).
        _, _, at = min((merged[i + 1].first - merged[i].last, merged[i + 1].last - merged[i].first, i)
                       for i in range(len(merged) - 1))
        merged[at:at + 2] = [PortRange(merged[at].first, merged[at + 1].last)]
    return tuple(merged)


def _merge_gaps_up_to(ranges: list[PortRange], limit: int) -> list[PortRange]:
    """Merge every gap up to the smallest size that leaves at most `limit` ranges."""
    gaps = sorted(ranges[i + 1].first - ranges[i].last for i in range(len(ranges) - 1))
    threshold = gaps[len(ranges) - limit - 1]
    out = [ranges[0]]
    for item in ranges[1:]:
        if item.first - out[-1].last <= threshold:
            out[-1] = PortRange(out[-1].first, item.last)
        else:
            out.append(item)
    return out


def _ports(observations: Sequence[Observation], protocol: int) -> tuple[tuple[PortRange, ...] | None, str]:
    """The rule's ports, or None for all ports, with the reason ports were widened ("" if not)."""
    if protocol not in PORT_PROTOCOLS:
        return None, ""
    numbers = [o.port for o in observations]
    if any(n is None for n in numbers):
        return None, "some records carry no destination port; the rule allows every port"
    distinct = sorted({n for n in numbers if n is not None})
    ranges = port_ranges(distinct)
    observed = set(distinct)
    widened = any(p not in observed for r in ranges for p in range(r.first, r.last + 1))
    return ranges, (f"{len(distinct)} ports merged into {len(ranges)} entries (at most "
                    f"{MAX_PORT_ENTRIES} per rule)" if widened else "")


def _union_ports(rules: Sequence[RuleSpec]) -> tuple[PortRange, ...] | None:
    if any(r.ports is None for r in rules):
        return None
    return port_ranges(p for r in rules for pr in r.ports or () for p in range(pr.first, pr.last + 1))


# --- peers ------------------------------------------------------------------------------------


def namespace_peer(namespace: str) -> str:
    return equals(NAME_LABEL, namespace)


def _dns_selector(namespace: str, observations: Sequence[Observation],
                  endpoints: Sequence[Endpoint]) -> tuple[str, str]:
    """(selector, problem): the DNS pods' identity labels, checked against the inventory."""
    labels = peer_labels(observations)
    chosen = {k: v for k, v in labels.items() if k in _IDENTITY_KEYS} or \
        {k: v for k, v in labels.items() if k not in _NOT_IDENTITY}
    if not chosen:
        return "", "the flow log reports no labels common to the DNS pods"
    if not all(is_label_key(k) and is_label_value(v) for k, v in chosen.items()):
        return "", "the DNS pods' labels are not valid Kubernetes labels"
    pods = [ep for ep in endpoints if ep.kind is EndpointKind.WORKLOAD and ep.namespace == namespace]
    if not any(all(ep.labels.get(k) == v for k, v in chosen.items()) for ep in pods):
        shown = ", ".join(f"{k}={v}" for k, v in sorted(chosen.items()))
        return "", f"no pod of namespace {namespace} in the inventory has the labels {shown}"
    return " && ".join(equals(k, v) for k, v in sorted(chosen.items())), ""


def _find_set(endpoints: Sequence[Endpoint], namespace: str, name: str) -> Endpoint | None:
    kind = EndpointKind.NETWORK_SET if namespace else EndpointKind.GLOBAL_NETWORK_SET
    return next((e for e in endpoints if e.kind is kind and e.namespace == namespace and e.name == name), None)


def set_kind(found: Endpoint | None) -> str:
    """The `projectcalico.org/kind` value Calico Enterprise injects, as the inventory models it.

    calico-semantics §1.6/§8 say `NetworkSet` for both kinds; `inventory.labels` writes
    `GlobalNetworkSet` for global sets. Taking the inventory's value keeps the output and the
    proof consistent; the discrepancy is reported to the inventory owner.
    """
    value = found.labels.get(KIND_LABEL, "") if found is not None else ""
    return value if value and is_label_value(value) else "NetworkSet"


def _set_peers(namespace: str, name: str, endpoints: Sequence[Endpoint],
               edition: Edition) -> tuple[list[Peer], str]:
    """Peer constraints for a network set: by name+kind (Enterprise), by its labels, or its nets."""
    scope = "global()" if not namespace else namespace_peer(namespace)
    found = _find_set(endpoints, namespace, name)
    if edition is Edition.ENTERPRISE and is_label_value(name[:63]):
        kind = set_kind(found)
        return [Peer(scope, f"{equals(NAME_LABEL, name[:63])} && {equals(KIND_LABEL, kind)}")], ""
    if found is None:
        return [], f"network set {namespace + '/' if namespace else ''}{name} is not in the inventory"
    own = {k: v for k, v in found.labels.items() if not k.startswith(_INJECTED_PREFIXES)}
    if own and all(is_label_key(k) and is_label_value(v) for k, v in own.items()):
        return [Peer(scope, " && ".join(equals(k, v) for k, v in sorted(own.items())))], ""
    if not found.nets:
        return [], f"network set {name} has neither usable labels nor nets"
    by_family: dict[int, list[str]] = {}
    for net in found.nets:  # a rule must not mix IPv4 and IPv6 CIDRs
        by_family.setdefault(net.version, []).append(str(net))
    return [Peer(nets=tuple(nets[i:i + MAX_NETS])) for _, nets in sorted(by_family.items())
            for i in range(0, len(nets), MAX_NETS)], ""


# --- grouping ---------------------------------------------------------------------------------


def _rule(scope: Scope, protocol: int, observations: Sequence[Observation], peer: Peer,
          problems: Problems, namespaces: tuple[str, ...] = (), names: tuple[str, ...] = ()) -> RuleSpec:
    ports, widened = _ports(observations, protocol)
    if widened:
        problems.append(Diagnostic(codes.PORTS_WIDENED, Severity.NOTE,
                                   f"{scope.value} rule {protocol_name(protocol)}: {widened}",
                                   _span_of(observations[0].record)))
    return RuleSpec(scope, protocol, ports, peer, len(observations),
                    max(o.end_ms for o in observations), namespaces, names)


def _span_of(record: FlowRecord | None) -> Span | None:
    return None if record is None else Span(record.file, record.line, 1)


def _groups(observations: Iterable[Observation], key: Callable[[Observation], tuple[object, ...]]
            ) -> dict[tuple[object, ...], list[Observation]]:
    out: dict[tuple[object, ...], list[Observation]] = {}
    for observation in observations:
        out.setdefault(key(observation), []).append(observation)
    return out


def _dns_rules(observations: Sequence[Observation], endpoints: Sequence[Endpoint],
               problems: Problems) -> list[RuleSpec]:
    rules: list[RuleSpec] = []
    for (namespace,), group in sorted(_groups(observations, lambda o: (o.peer_namespace,)).items()):
        selector, problem = _dns_selector(str(namespace), group, endpoints)
        if problem:
            problems.append(Diagnostic(codes.DNS_SELECTOR_DROPPED, Severity.NOTE,
                                       f"DNS rule to namespace {namespace}: {problem}; allowing port "
                                       "53 to the whole namespace"))
        peer = Peer(namespace_peer(str(namespace)), selector)
        observed = {o.protocol for o in group}
        for protocol in sorted(observed | set(_DNS_PROTOCOLS), key=protocol_name):
            mine = [o for o in group if o.protocol == protocol]
            if mine:
                rules.append(_rule(Scope.DNS, protocol, mine, peer, problems, (str(namespace),)))
            else:  # not observed: the other DNS transport, on the observed ports, from no flow
                like = _rule(Scope.DNS, protocol, [replace(o, protocol=protocol) for o in group], peer, [],
                             (str(namespace),))
                rules.append(replace(like, flows=0, note=f"DNS over {protocol_name(protocol)} is not in "
                                                         "the flows; added as the DNS fallback transport"))
    return rules


def _namespace_rules(observations: Sequence[Observation], problems: Problems) -> list[RuleSpec]:
    groups = _groups(observations, lambda o: (o.peer_namespace, protocol_name(o.protocol)))
    return [_rule(Scope.NAMESPACE, group[0].protocol, group, Peer(namespace_peer(str(ns))), problems, (str(ns),))
            for (ns, _), group in sorted(groups.items())]


def _set_rules(observations: Sequence[Observation], endpoints: Sequence[Endpoint], edition: Edition,
               problems: Problems) -> list[RuleSpec]:
    rules: list[RuleSpec] = []
    groups = _groups(observations, lambda o: (o.peer_namespace, o.peer_name, protocol_name(o.protocol)))
    for (ns, name, _), group in sorted(groups.items()):
        peers, problem = _set_peers(str(ns), str(name), endpoints, edition)
        if problem:
            problems.append(Diagnostic(codes.PEER_UNSUPPORTED, Severity.WARNING,
                                       f"{problem}; no rule for its {len(group)} flow records",
                                       _span_of(group[0].record)))
        kind = set_kind(_find_set(endpoints, str(ns), str(name))) if edition is Edition.ENTERPRISE else ""
        for peer in peers:
            rule = _rule(Scope.NETWORK_SET, group[0].protocol, group, peer, problems,
                         (str(ns),) if ns else (), (str(name),))
            rules.append(replace(rule, set_kind=kind) if not peer.nets else rule)
    return rules


def _net_rules(scope: Scope, observations: Sequence[Observation], problems: Problems) -> list[RuleSpec]:
    peer = Peer(nets=PRIVATE_NETS) if scope is Scope.PRIVATE else Peer()
    groups = _groups(observations, lambda o: (protocol_name(o.protocol),))
    return [_rule(scope, group[0].protocol, group, peer, problems) for _, group in sorted(groups.items())]


def direction_rules(observations: Sequence[Observation], endpoints: Sequence[Endpoint], edition: Edition,
                    problems: Problems) -> list[RuleSpec]:
    """Every rule for one direction, in §8 group order, each group sorted."""
    by_scope: dict[Scope, list[Observation]] = {s: [] for s in Scope}
    for observation in observations:
        by_scope[observation.scope].append(observation)
    return (_dns_rules(by_scope[Scope.DNS], endpoints, problems)
            + _namespace_rules(by_scope[Scope.NAMESPACE], problems)
            + _set_rules(by_scope[Scope.NETWORK_SET], endpoints, edition, problems)
            + _net_rules(Scope.PRIVATE, by_scope[Scope.PRIVATE], problems)
            + _net_rules(Scope.PUBLIC, by_scope[Scope.PUBLIC], problems))


# --- maxRules ---------------------------------------------------------------------------------


def _merge_namespaces(rules: Sequence[RuleSpec]) -> RuleSpec:
    namespaces = tuple(sorted({ns for r in rules for ns in r.peer_namespaces}))
    first = rules[0]
    return replace(first, ports=_union_ports(rules), peer=Peer(one_of(NAME_LABEL, list(namespaces))),
                   flows=sum(r.flows for r in rules), last_ms=max(r.last_ms for r in rules),
                   peer_namespaces=namespaces)


def _merge_sets(rules: Sequence[RuleSpec], edition: Edition) -> RuleSpec:
    first = rules[0]
    names = tuple(sorted({n for r in rules for n in r.peer_names}))
    if edition is Edition.ENTERPRISE:
        peer = Peer(first.peer.namespace_selector,
                    f"{one_of(NAME_LABEL, [n[:63] for n in names])} && {equals(KIND_LABEL, first.set_kind)}")
    else:
        peer = Peer(first.peer.namespace_selector,
                    " || ".join(f"({s})" for s in sorted({r.peer.selector for r in rules})))
    return replace(first, ports=_union_ports(rules), peer=peer, flows=sum(r.flows for r in rules),
                   last_ms=max(r.last_ms for r in rules), peer_names=names)


def _merge_key(rule: RuleSpec) -> tuple[object, ...] | None:
    if rule.scope is Scope.NAMESPACE:
        return (rule.scope.rank, protocol_name(rule.protocol))
    if rule.scope is Scope.NETWORK_SET and not rule.peer.nets:  # nets rules stay apart (<= 256 each)
        return (rule.scope.rank, protocol_name(rule.protocol), rule.peer.namespace_selector, rule.set_kind)
    return None


def fit_max_rules(rules: list[RuleSpec], max_rules: int, edition: Edition, direction: Direction,
                  namespace: str, problems: Problems) -> list[RuleSpec]:
    if len(rules) <= max_rules:
        return rules
    merged: list[RuleSpec] = []
    pending: dict[tuple[object, ...], list[RuleSpec]] = {}
    for rule in rules:
        key = _merge_key(rule)
        if key is None:
            merged.append(rule)
        elif key not in pending:
            pending[key] = [rule]
            merged.append(rule)  # placeholder at the group's first position
        else:
            pending[key].append(rule)
    out = []
    for rule in merged:
        key = _merge_key(rule)
        group = pending.get(key) if key is not None else None
        if group is None or len(group) == 1:
            out.append(rule)
        elif rule.scope is Scope.NAMESPACE:
            out.append(_merge_namespaces(group))
        else:
            out.append(_merge_sets(group, edition))
    where = f"{namespace} {direction.value.lower()}"
    if len(out) < len(rules):
        problems.append(Diagnostic(codes.RULES_AGGREGATED, Severity.WARNING,
                                   f"{where}: {len(rules)} rules exceed --max-rules {max_rules}; merged "
                                   f"same-protocol namespace and network-set rules into {len(out)}"))
    if len(out) > max_rules:
        dropped = out[max_rules:]
        shown = "; ".join(f"{r.scope.value} {protocol_name(r.protocol)}" for r in dropped)
        problems.append(Diagnostic(codes.RULES_TRUNCATED, Severity.ERROR,
                                   f"{where}: still {len(out)} rules after merging; left out the last "
                                   f"{len(dropped)} ({shown}); their flows would be denied"))
        out = out[:max_rules]
    return out


# --- one namespace ----------------------------------------------------------------------------


def recommend_namespace(namespace: str, observations: Sequence[Observation], endpoints: Sequence[Endpoint],
                        options: Options) -> tuple[Recommendation, list[Diagnostic]]:
    """The recommendation for one namespace from its (non-empty) observations."""
    problems: Problems = []
    rules: dict[Direction, list[RuleSpec]] = {}
    for direction in (Direction.INGRESS, Direction.EGRESS):
        mine = [o for o in observations if o.direction is direction]
        built = direction_rules(mine, endpoints, options.edition, problems)
        rules[direction] = fit_max_rules(built, options.max_rules, options.edition, direction, namespace,
                                         problems)
    records = [o.record for o in observations if o.record is not None]
    recommendation = Recommendation(
        namespace=namespace, name=policy_name(options.tier, namespace, options.version, options.edition),
        tier=options.tier, staged_action=options.staged_action,
        ingress=tuple(rules[Direction.INGRESS]), egress=tuple(rules[Direction.EGRESS]),
        flows=len(observations), first_ms=min((r.start_ms for r in records), default=0),
        last_ms=max((r.end_ms for r in records), default=0))
    return recommendation, problems


def recommend(by_namespace: Mapping[str, Sequence[Observation]], namespaces: Sequence[str],
              endpoints: Sequence[Endpoint], options: Options) -> tuple[list[Recommendation], list[Diagnostic]]:
    """One recommendation per namespace with observations, in namespace order."""
    out: list[Recommendation] = []
    problems: list[Diagnostic] = []
    for namespace in sorted(namespaces):
        observations = by_namespace.get(namespace, ())
        if not observations:
            problems.append(Diagnostic(codes.NO_FLOWS, Severity.WARNING,
                                       f"namespace {namespace}: no allowed flows reported by its own "
                                       "endpoints in the window; no recommendation"))
            continue
        recommendation, found = recommend_namespace(namespace, observations, endpoints, options)
        out.append(recommendation)
        problems.extend(found)
    return out, problems
