"""Compilation of Calico NetworkPolicy / GlobalNetworkPolicy / staged kinds (calico-semantics §3.2, §3.5)."""

from __future__ import annotations

import ipaddress

import pytest
from compile_fixtures import canonical, compile_text, only_policy
from tierguard.engine.ir import (
    Action,
    Direction,
    EntityMatch,
    IcmpMatch,
    PolicyKind,
    PortMatch,
    PortRange,
    ServiceRef,
    StagedAction,
)

INGRESS = frozenset({Direction.INGRESS})
EGRESS = frozenset({Direction.EGRESS})
BOTH = frozenset({Direction.INGRESS, Direction.EGRESS})


def test_namespaced_policy_selector_and_identity() -> None:
    policy = only_policy("""\
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: security.allow-web, namespace: app}
        spec:
          tier: security
          order: 100
          selector: app == 'web'
          ingress: [{action: Allow}]
        ---
        apiVersion: projectcalico.org/v3
        kind: Tier
        metadata: {name: security}
        spec: {order: 100}
        """)
    assert (policy.kind, policy.name, policy.namespace, policy.tier, policy.order) == (
        PolicyKind.NETWORK_POLICY, "security.allow-web", "app", "security", 100.0)
    assert policy.selector_text == "(app == 'web') && projectcalico.org/namespace == 'app'"
    assert str(policy.selector) == canonical("(app == 'web') && projectcalico.org/namespace == 'app'")
    assert policy.types == INGRESS
    assert policy.v1_name == "app/security.allow-web"
    assert policy.ingress[0].action is Action.ALLOW and policy.ingress[0].source == EntityMatch()
    assert policy.span is not None and policy.span.line == 1


def test_empty_selector_and_service_account_selector() -> None:
    policy = only_policy("""\
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: p, namespace: app}
        spec:
          serviceAccountSelector: role == 'api'
        """)
    assert policy.selector_text == "(projectcalico.org/namespace == 'app') && pcsa.role == \"api\""
    assert policy.order is None and policy.tier == "default" and policy.v1_name == "app/p"
    assert policy.selector.matches({"projectcalico.org/namespace": "app", "pcsa.role": "api"})
    assert not policy.selector.matches({"projectcalico.org/namespace": "app", "role": "api"})


def test_e5_global_namespace_selector() -> None:
    text = """\
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: web}
        spec:
          selector: app == 'web'
          namespaceSelector: NS
        """
    prod = only_policy(text.replace("NS", "env == 'prod'"))
    assert prod.selector_text == "(app == 'web') && pcns.env == \"prod\""
    assert str(prod.selector) == canonical("(app == 'web') && pcns.env == \"prod\"")
    every = only_policy(text.replace("NS", "all()"))
    assert every.selector_text == "(app == 'web') && has(projectcalico.org/namespace)"
    assert not every.selector.matches({"app": "web"})  # HEPs are excluded
    assert every.selector.matches({"app": "web", "projectcalico.org/namespace": "x"})
    assert (prod.kind, prod.namespace, prod.v1_name) == (PolicyKind.GLOBAL_NETWORK_POLICY, "", "web")


def test_global_all_rewrite_covers_user_selector_and_service_accounts() -> None:
    policy = only_policy("""\
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: p}
        spec:
          selector: all()
          namespaceSelector: team == 'a'
          serviceAccountSelector: all()
        """)
    assert policy.selector_text == (
        "((has(projectcalico.org/namespace)) && pcns.team == \"a\") && has(projectcalico.org/serviceaccount)")


def test_global_policy_without_namespace_selector_is_not_scoped() -> None:
    policy = only_policy("""\
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: p}
        spec: {selector: "has(role)"}
        """)
    assert policy.selector_text == "has(role)"


def test_e4_not_selector_scoping_namespaced_and_global() -> None:
    text = """\
        apiVersion: projectcalico.org/v3
        kind: {kind}
        metadata: {{name: p{ns}}}
        spec:
          ingress: [{{action: Allow, source: {{notSelector: "app == 'web'"}}}}]
        """
    namespaced = only_policy(text.format(kind="NetworkPolicy", ns=", namespace: app")).ingress[0].source
    assert namespaced.selector is not None
    assert str(namespaced.selector) == canonical("projectcalico.org/namespace == 'app'")
    assert namespaced.not_selector is not None and str(namespaced.not_selector) == canonical("app == 'web'")
    global_ = only_policy(text.format(kind="GlobalNetworkPolicy", ns="")).ingress[0].source
    assert global_.selector is None
    assert global_.not_selector is not None and str(global_.not_selector) == canonical("app == 'web'")


def test_e5_global_rule_namespace_selector_in_namespaced_policy() -> None:
    source = only_policy("""\
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: p, namespace: app}
        spec:
          ingress:
          - action: Allow
            source: {namespaceSelector: "global()", selector: "role == 'bastion'"}
        """).ingress[0].source
    assert source.selector is not None
    assert str(source.selector) == canonical("(!has(projectcalico.org/namespace)) && (role == 'bastion')")


@pytest.mark.parametrize("entity,expected", [
    ("{selector: \"app == 'x'\"}", "(projectcalico.org/namespace == 'app') && (app == 'x')"),
    ("{serviceAccounts: {names: [api, web]}}",
     "(projectcalico.org/namespace == 'app') && (projectcalico.org/serviceaccount in { 'api', 'web' })"),
    ("{serviceAccounts: {selector: \"team == 'a'\", names: [api]}, selector: has(x)}",
     ("(projectcalico.org/namespace == 'app') && "
      "((pcsa.team == \"a\" && projectcalico.org/serviceaccount in { 'api' }) && (has(x)))")),
    ("{namespaceSelector: all()}", "has(projectcalico.org/namespace)"),
    ("{namespaceSelector: \"!has(team)\", selector: has(x)}", "(!has(pcns.team)) && (has(x))"),
    ("{namespaceSelector: \"projectcalico.org/name == 'db'\"}", "pcns.projectcalico.org/name == \"db\""),
])
def test_effective_entity_selector_in_namespaced_policy(entity: str, expected: str) -> None:
    source = only_policy(f"""\
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {{name: p, namespace: app}}
        spec:
          ingress: [{{action: Allow, source: {entity}}}]
        """).ingress[0].source
    assert source.selector is not None and str(source.selector) == canonical(expected)


def test_rule_without_selectors_is_unconstrained() -> None:
    source = only_policy("""\
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: p, namespace: app}
        spec:
          ingress: [{action: Allow, source: {nets: [10.0.0.1, 10.2.0.0/16]}}]
        """).ingress[0].source
    assert source.selector is None and source.not_selector is None
    assert source.nets == (ipaddress.ip_network("10.0.0.1/32"), ipaddress.ip_network("10.2.0.0/16"))


@pytest.mark.parametrize("rules,expected", [
    ("{}", INGRESS),
    ("{ingress: [{action: Allow}]}", INGRESS),
    ("{egress: [{action: Allow}]}", EGRESS),
    ("{ingress: [{action: Allow}], egress: [{action: Deny}]}", BOTH),
    ("{types: [], egress: [{action: Allow}]}", EGRESS),
    ("{types: [Egress]}", EGRESS),
    ("{types: [Ingress, Egress]}", BOTH),
    ("{types: [Ingress], egress: [{action: Allow}]}", INGRESS),
])
def test_types_defaulting(rules: str, expected: frozenset[Direction]) -> None:
    policy = only_policy(f"""\
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {{name: p}}
        spec: {rules}
        """)
    assert policy.types == expected


def test_rule_fields() -> None:
    policy = only_policy("""\
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: p, namespace: app}
        spec:
          egress:
          - action: Allow
            protocol: tcp
            source: {ports: ["1024:65535"]}
            destination: {ports: [80, "443", http, "8000:8080"], notPorts: [8001], nets: [10.0.0.0/8]}
          - action: Deny
            protocol: ICMPv6
            ipVersion: 6
            icmp: {type: 128, code: 0}
          - action: Log
            notProtocol: 17
            notICMP: {type: 3}
          - action: Pass
            protocol: "132"
            destination: {services: {name: db}}
          - action: Allow
            http: {methods: [GET]}
          - action: Allow
            http: {}
        """)
    allow, deny, log, pass_, http, empty_http = policy.egress
    assert (allow.action, allow.protocol, allow.index) == (Action.ALLOW, 6, 0)
    assert allow.source.ports == PortMatch((PortRange(1024, 65535),))
    assert allow.destination.ports == PortMatch(
        (PortRange(80, 80), PortRange(443, 443), PortRange(8000, 8080)), ("http",))
    assert allow.destination.not_ports == PortMatch((PortRange(8001, 8001),))
    assert (deny.protocol, deny.ip_version, deny.icmp) == (58, 6, IcmpMatch(128, 0))
    assert (log.action, log.not_protocol, log.not_icmp) == (Action.LOG, 17, IcmpMatch(3, None))
    assert (pass_.action, pass_.protocol) == (Action.PASS, 132)
    assert pass_.destination.service == ServiceRef("db", "app")  # namespace defaults to the policy's
    assert (http.has_http, empty_http.has_http, allow.has_http) == (True, False, False)
    assert allow.span is not None and allow.span.line == 6
    assert policy.types == EGRESS


@pytest.mark.parametrize("kind,name,tier,v1", [
    ("StagedNetworkPolicy", "security.lockdown", "security", "app/staged:security.lockdown"),
    ("StagedNetworkPolicy", "lockdown", "default", "app/staged:lockdown"),
    ("StagedGlobalNetworkPolicy", "lockdown", "security", "staged:security.lockdown"),
    ("GlobalNetworkPolicy", "allow-dns", "security", "security.allow-dns"),
    ("GlobalNetworkPolicy", "security.allow-dns", "security", "security.allow-dns"),
    ("NetworkPolicy", "default.p", "default", "app/default.p"),
])
def test_v1_names(kind: str, name: str, tier: str, v1: str) -> None:
    policy_set, _ = compile_text(f"""\
        apiVersion: projectcalico.org/v3
        kind: {kind}
        metadata: {{name: {name}, namespace: app}}
        spec: {{tier: {tier}}}
        """, "3.31")
    assert policy_set.policies[0].v1_name == v1


def test_staged_kinds_and_actions() -> None:
    policy_set, diagnostics = compile_text("""\
        apiVersion: projectcalico.org/v3
        kind: StagedNetworkPolicy
        metadata: {name: lockdown, namespace: app}
        spec:
          order: 100
          selector: app == 'db'
          ingress: [{action: Allow, source: {selector: app == 'web'}}]
        ---
        apiVersion: projectcalico.org/v3
        kind: StagedGlobalNetworkPolicy
        metadata: {name: gone}
        spec: {stagedAction: Delete}
        """)
    assert diagnostics == []
    staged, deleted = policy_set.policies
    assert (staged.kind, staged.staged_action) == (PolicyKind.STAGED_NETWORK_POLICY, StagedAction.SET)
    assert (deleted.kind, deleted.staged_action) == (PolicyKind.STAGED_GLOBAL_NETWORK_POLICY, StagedAction.DELETE)


def test_staged_kinds_before_3_30_are_ignored() -> None:
    policy_set, diagnostics = compile_text("""\
        apiVersion: projectcalico.org/v3
        kind: StagedNetworkPolicy
        metadata: {name: lockdown, namespace: app}
        spec: {}
        """, "3.29")
    assert policy_set.policies == ()
    assert [(d.code, d.message) for d in diagnostics] == [
        ("ENG652", "staged policies exist in Calico Open Source only from 3.30, not 3.29; it is ignored")]


def test_invalid_values_leave_the_policy_out_with_a_located_diagnostic() -> None:
    policy_set, diagnostics = compile_text("""\
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: bad-selector, namespace: app}
        spec:
          ingress: [{action: Allow, source: {selector: "app == 'web' &&"}}]
        ---
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: bad-port, namespace: app}
        spec:
          ingress: [{action: Allow, protocol: TCP, destination: {ports: ["90:80"]}}]
        ---
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: bad-protocol, namespace: app}
        spec:
          ingress: [{action: Allow, protocol: QUIC}]
        ---
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: bad-net, namespace: app}
        spec:
          egress: [{action: Allow, destination: {nets: [10.0.0.0/33]}}]
        ---
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: good, namespace: app}
        spec: {}
        """)
    assert [p.name for p in policy_set.policies] == ["good"]
    assert [(d.code, d.field_path, d.span.line if d.span else 0, d.span.col if d.span else 0)
            for d in diagnostics] == [
        ("ENG650", "spec.ingress[0].source.selector", 5, 64),  # the end of the selector, inside the quotes
        ("ENG650", "spec.ingress[0].destination.ports[0]", 11, 66),
        ("ENG650", "spec.ingress[0].protocol", 17, 39),
        ("ENG650", "spec.egress[0].destination.nets[0]", 23, 49),
    ]
    assert diagnostics[0].resource is not None and str(diagnostics[0].resource) == "NetworkPolicy app/bad-selector"


def test_host_endpoint_options_and_rule_names() -> None:
    policy = only_policy("""\
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: edge}
        spec:
          selector: has(role)
          preDNAT: true
          applyOnForward: true
          ingress:
          - action: Deny
            metadata: {annotations: {name: block-bad}}
        """)
    assert (policy.pre_dnat, policy.apply_on_forward, policy.do_not_track) == (True, True, False)
    assert policy.ingress[0].name == "block-bad"
    namespaced = only_policy("""\
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: p, namespace: app}
        spec: {ingress: [{action: Allow}]}
        """)
    assert (namespaced.pre_dnat, namespaced.apply_on_forward, namespaced.ingress[0].name) == (False, False, "")
