"""Kubernetes NetworkPolicy -> Calico form (calico-semantics §1.9), including worked example E1 (§3.7)."""

from __future__ import annotations

import ipaddress

from compile_fixtures import canonical, compile_text, only_policy
from tierguard.engine.ir import (
    Action,
    Direction,
    EntityMatch,
    PolicyKind,
    PortMatch,
    PortRange,
    StagedAction,
)

E1 = """\
    apiVersion: networking.k8s.io/v1
    kind: NetworkPolicy
    metadata: {name: db-ingress, namespace: app}
    spec:
      podSelector: {matchLabels: {app: db}}
      policyTypes: [Ingress]
      ingress:
      - from: [{podSelector: {matchLabels: {app: client}}}]
        ports: [{port: 5432}]
    """


def test_e1_calico_form_exactly() -> None:
    policy = only_policy(E1)
    assert (policy.kind, policy.name, policy.namespace, policy.tier, policy.order) == (
        PolicyKind.KUBERNETES_NETWORK_POLICY, "db-ingress", "app", "default", 1000.0)
    assert policy.selector_text == (
        "(projectcalico.org/orchestrator == 'k8s' && app == 'db') && projectcalico.org/namespace == 'app'")
    assert str(policy.selector) == canonical(policy.selector_text)
    assert policy.types == frozenset({Direction.INGRESS})
    assert policy.v1_name == "app/knp.default.db-ingress"
    assert len(policy.ingress) == 1 and policy.egress == ()
    rule = policy.ingress[0]
    assert (rule.action, rule.index, rule.protocol) == (Action.ALLOW, 0, 6)
    assert rule.source.selector is not None
    # source.selector "projectcalico.org/orchestrator == 'k8s' && app == 'client'", scoped to the namespace
    assert str(rule.source.selector) == canonical(
        "(projectcalico.org/namespace == 'app') && (projectcalico.org/orchestrator == 'k8s' && app == 'client')")
    assert rule.destination == EntityMatch(ports=PortMatch((PortRange(5432, 5432),)))
    labels = {"app": "client", "projectcalico.org/orchestrator": "k8s", "projectcalico.org/namespace": "app"}
    assert rule.source.selector.matches(labels)
    assert not rule.source.selector.matches({**labels, "projectcalico.org/namespace": "other"})


def test_policy_types_default_like_the_api_server_adds_egress_when_egress_rules_exist() -> None:
    policy = only_policy("""\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: p, namespace: app}
        spec:
          podSelector: {}
          egress: [{}]
        """)
    assert policy.types == frozenset({Direction.INGRESS, Direction.EGRESS})
    assert policy.selector_text == "(projectcalico.org/orchestrator == 'k8s') && projectcalico.org/namespace == 'app'"
    assert policy.egress[0].destination == EntityMatch() and policy.egress[0].protocol is None


def test_one_rule_per_protocol_and_peer_protocols_sorted() -> None:
    policy = only_policy("""\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: p, namespace: app}
        spec:
          podSelector: {matchLabels: {app: web}}
          policyTypes: [Ingress, Egress]
          ingress:
          - from:
            - podSelector: {matchLabels: {app: a}}
            - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16, 10.2.0.0/16]}
            ports:
            - {protocol: UDP, port: 53}
            - {port: 81}
            - {protocol: TCP, port: 80}
            - {protocol: SCTP, port: 9000, endPort: 9010}
            - {port: http}
          egress:
          - to: [{namespaceSelector: {}}]
            ports: [{protocol: UDP}]
        """)
    assert policy.types == frozenset({Direction.INGRESS, Direction.EGRESS})
    pod_peer = canonical("(projectcalico.org/namespace == 'app') && (projectcalico.org/orchestrator == 'k8s' && app == 'a')")
    summary = [(r.index, r.protocol, str(r.source.selector) if r.source.selector else None, r.source.nets,
                r.source.not_nets, r.destination.ports) for r in policy.ingress]
    nets = (ipaddress.ip_network("10.0.0.0/8"),)
    excepts = (ipaddress.ip_network("10.1.0.0/16"), ipaddress.ip_network("10.2.0.0/16"))
    sctp = PortMatch((PortRange(9000, 9010),))
    tcp = PortMatch((PortRange(80, 81),), ("http",))  # 80 and 81 coalesce (SimplifyPorts)
    udp = PortMatch((PortRange(53, 53),))
    assert summary == [
        (0, 132, pod_peer, None, None, sctp), (1, 132, None, nets, excepts, sctp),
        (2, 6, pod_peer, None, None, tcp), (3, 6, None, nets, excepts, tcp),
        (4, 17, pod_peer, None, None, udp), (5, 17, None, nets, excepts, udp),
    ]
    egress = policy.egress[0]
    assert egress.protocol == 17 and egress.destination.ports is None and egress.source == EntityMatch()
    assert egress.destination.selector is not None
    assert str(egress.destination.selector) == canonical(
        "(has(projectcalico.org/namespace)) && (projectcalico.org/orchestrator == 'k8s')")


def test_namespace_selector_with_labels_and_match_expressions() -> None:
    policy = only_policy("""\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: p, namespace: app}
        spec:
          podSelector:
            matchExpressions:
            - {key: tier, operator: In, values: [b, a]}
            - {key: env, operator: NotIn, values: [dev]}
            - {key: owner, operator: Exists}
            - {key: legacy, operator: DoesNotExist}
          ingress:
          - from:
            - namespaceSelector: {matchLabels: {team: a}}
              podSelector: {matchLabels: {app: x}}
        """)
    assert policy.selector_text == (
        "(projectcalico.org/orchestrator == 'k8s' && tier in { 'b', 'a' } && env not in { 'dev' } && "
        "has(owner) && ! has(legacy)) && projectcalico.org/namespace == 'app'")
    source = policy.ingress[0].source
    assert source.selector is not None and str(source.selector) == canonical(
        "(pcns.team == \"a\") && (projectcalico.org/orchestrator == 'k8s' && app == 'x')")


def test_empty_peer_list_means_unconstrained() -> None:
    policy = only_policy("""\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: p, namespace: app}
        spec:
          podSelector: {}
          ingress: [{from: [], ports: [{port: 443}]}, {}]
        """)
    first, second = policy.ingress
    assert first.source == EntityMatch() and first.protocol == 6
    assert second == type(second)(Action.ALLOW, 1, span=second.span)


def test_unconvertible_rule_is_dropped_and_indices_stay_dense() -> None:
    policy_set, diagnostics = compile_text("""\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: p, namespace: app}
        spec:
          podSelector: {}
          ingress:
          - ports: [{port: http, endPort: 90}]
          - from: [{ipBlock: {cidr: 10.0.0.0/40}}]
          - ports: [{port: 22}]
        """)
    policy = policy_set.policies[0]
    assert [(r.index, r.destination.ports) for r in policy.ingress] == [(0, PortMatch((PortRange(22, 22),)))]
    assert [(d.code, d.field_path, d.span.line if d.span else 0) for d in diagnostics] == [
        ("ENG653", "spec.ingress[0].ports[0]", 7),
        ("ENG653", "spec.ingress[1].from[0].ipBlock.cidr", 8),
    ]
    assert diagnostics[0].message == (
        "spec.ingress[0].ports[0]: endPort cannot be used with a named port; Calico drops this rule")


def test_staged_kubernetes_network_policy() -> None:
    policy_set, diagnostics = compile_text("""\
        apiVersion: projectcalico.org/v3
        kind: StagedKubernetesNetworkPolicy
        metadata: {name: db-ingress, namespace: app}
        spec:
          podSelector: {matchLabels: {app: db}}
          ingress: [{from: [{podSelector: {}}]}]
        ---
        apiVersion: projectcalico.org/v3
        kind: StagedKubernetesNetworkPolicy
        metadata: {name: old, namespace: app}
        spec: {stagedAction: Delete}
        """, "3.31")
    assert diagnostics == []
    staged, deleted = policy_set.policies
    assert (staged.kind, staged.staged_action, staged.tier, staged.order, staged.v1_name) == (
        PolicyKind.STAGED_KUBERNETES_NETWORK_POLICY, StagedAction.SET, "default", 1000.0,
        "app/staged:knp.default.db-ingress")
    assert staged.selector_text == (
        "(projectcalico.org/orchestrator == 'k8s' && app == 'db') && projectcalico.org/namespace == 'app'")
    assert (deleted.staged_action, deleted.ingress, deleted.types) == (
        StagedAction.DELETE, (), frozenset({Direction.INGRESS}))


def test_label_selector_the_api_server_rejects() -> None:
    policy_set, diagnostics = compile_text("""\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: p, namespace: app}
        spec:
          podSelector:
            matchExpressions: [{key: tier, operator: In}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: q, namespace: app}
        spec:
          podSelector: {}
          ingress:
          - from: [{namespaceSelector: {matchExpressions: [{key: team, operator: Exists, values: [a]}]}}]
          - from: [{podSelector: {matchLabels: {app: web}}}]
        """)
    assert [p.name for p in policy_set.policies] == ["q"]
    assert [(r.index, str(r.source.selector)) for r in policy_set.policies[0].ingress] == [
        (0, canonical("(projectcalico.org/namespace == 'app') && "
                      "(projectcalico.org/orchestrator == 'k8s' && app == 'web')"))]
    assert [(d.code, d.field_path, d.message) for d in diagnostics] == [
        ("ENG650", "spec.podSelector.matchExpressions[0]",
         ("spec.podSelector.matchExpressions[0]: operator In needs at least one value; Calico would reject "
          "this policy, so it is left out of the simulation")),
        ("ENG653", "spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values",
         ("spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].values: operator Exists takes no "
          "values; Calico drops this rule")),
    ]


def test_policy_types_default_to_ingress_only_without_egress_rules() -> None:
    policy = only_policy("""\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: p, namespace: app}
        spec:
          podSelector: {}
          egress: []
        """)
    assert policy.types == frozenset({Direction.INGRESS})
