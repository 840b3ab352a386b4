"""AdminNetworkPolicy / BaselineAdminNetworkPolicy (3.29-3.31) and ClusterNetworkPolicy (3.32+) (§1.10)."""

from __future__ import annotations

import ipaddress

import pytest
from compile_fixtures import canonical, compile_text, only_policy
from tierguard.engine.ir import (
    Action,
    CompiledRule,
    Direction,
    Edition,
    EntityMatch,
    PolicyKind,
    PortMatch,
    PortRange,
)

ANP = """\
    apiVersion: policy.networking.k8s.io/v1alpha1
    kind: AdminNetworkPolicy
    metadata: {name: sensitive}
    spec:
      priority: 10
      subject: {namespaces: {matchLabels: {env: prod}}}
      ingress:
      - name: from-dev
        action: Deny
        from: [{namespaces: {matchLabels: {env: dev}}}, {pods: {namespaceSelector: {}, podSelector: {matchLabels: {app: scan}}}}]
        ports: [{portNumber: {protocol: TCP, port: 80}}, {portRange: {protocol: UDP, start: 1000, end: 2000}}]
      - name: defer
        action: Pass
        from: [{namespaces: {}}]
      egress:
      - name: out
        action: Allow
        to: [{networks: [192.0.2.0/24]}]
    """


def test_admin_network_policy_in_3_31() -> None:
    policy = only_policy(ANP, "3.31")
    assert (policy.kind, policy.name, policy.namespace, policy.tier, policy.order, policy.v1_name) == (
        PolicyKind.ADMIN_NETWORK_POLICY, "kanp.adminnetworkpolicy.sensitive", "", "adminnetworkpolicy", 10.0,
        "kanp.adminnetworkpolicy.sensitive")
    assert policy.selector_text == "(projectcalico.org/orchestrator == 'k8s') && pcns.env == \"prod\""
    assert policy.types == frozenset({Direction.INGRESS, Direction.EGRESS})
    dev = canonical("pcns.env == \"dev\"")
    scan = canonical("(has(projectcalico.org/namespace)) && (projectcalico.org/orchestrator == 'k8s' && app == 'scan')")
    assert [r.name for r in policy.ingress] == ["from-dev"] * 4 + ["defer"]
    assert [(r.index, r.action, r.protocol, str(r.source.selector), r.destination.ports) for r in policy.ingress] == [
        (0, Action.DENY, 6, dev, PortMatch((PortRange(80, 80),))),
        (1, Action.DENY, 6, scan, PortMatch((PortRange(80, 80),))),
        (2, Action.DENY, 17, dev, PortMatch((PortRange(1000, 2000),))),
        (3, Action.DENY, 17, scan, PortMatch((PortRange(1000, 2000),))),
        (4, Action.PASS, None, canonical("has(projectcalico.org/namespace)"), None),
    ]
    egress = policy.egress[0]
    assert (egress.action, egress.destination.nets) == (Action.ALLOW, (ipaddress.ip_network("192.0.2.0/24"),))
    assert egress.destination.selector is None


def test_baseline_admin_network_policy_in_3_30() -> None:
    policy = only_policy("""\
        apiVersion: policy.networking.k8s.io/v1alpha1
        kind: BaselineAdminNetworkPolicy
        metadata: {name: default}
        spec:
          subject: {pods: {namespaceSelector: {matchLabels: {team: a}}, podSelector: {matchLabels: {app: db}}}}
          ingress: [{action: Deny, from: [{namespaces: {}}]}]
        """, "3.30")
    assert (policy.kind, policy.name, policy.tier, policy.order) == (
        PolicyKind.BASELINE_ADMIN_NETWORK_POLICY, "kbanp.baselineadminnetworkpolicy.default",
        "baselineadminnetworkpolicy", 1000.0)
    assert policy.selector_text == "(projectcalico.org/orchestrator == 'k8s' && app == 'db') && pcns.team == \"a\""
    assert policy.types == frozenset({Direction.INGRESS})


def test_cluster_network_policy_in_3_32() -> None:
    policy = only_policy("""\
        apiVersion: policy.networking.k8s.io/v1alpha2
        kind: ClusterNetworkPolicy
        metadata: {name: allow-dns}
        spec:
          tier: Admin
          priority: 3
          subject: {namespaces: {}}
          egress:
          - action: Accept
            to: [{pods: {namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}, podSelector: {}}}]
            protocols:
            - udp: {destinationPort: {number: 53}}
            - tcp: {destinationPort: {range: {start: 53, end: 54}}}
            - destinationNamedPort: dns
        """)
    assert (policy.kind, policy.name, policy.tier, policy.order, policy.v1_name) == (
        PolicyKind.KUBERNETES_CLUSTER_NETWORK_POLICY, "allow-dns", "kube-admin", 3.0, "allow-dns")
    assert policy.selector_text == "(projectcalico.org/orchestrator == 'k8s') && has(projectcalico.org/namespace)"
    assert policy.types == frozenset({Direction.EGRESS})
    peer = canonical("(pcns.kubernetes.io/metadata.name == \"kube-system\") && "
                     "(projectcalico.org/orchestrator == 'k8s')")
    assert [(r.index, r.action, r.protocol, str(r.destination.selector), r.destination.ports)
            for r in policy.egress] == [
        (0, Action.ALLOW, None, peer, PortMatch(names=("dns",))),
        (1, Action.ALLOW, 6, peer, PortMatch((PortRange(53, 54),))),
        (2, Action.ALLOW, 17, peer, PortMatch((PortRange(53, 53),))),
    ]


def test_cluster_network_policy_baseline_without_rules_governs_both_directions() -> None:
    policy = only_policy("""\
        apiVersion: policy.networking.k8s.io/v1alpha2
        kind: ClusterNetworkPolicy
        metadata: {name: base}
        spec: {tier: Baseline, priority: 0, subject: {namespaces: {}}}
        """)
    assert (policy.tier, policy.order, policy.ingress, policy.egress) == ("kube-baseline", 0.0, (), ())
    assert policy.types == frozenset({Direction.INGRESS, Direction.EGRESS})


def test_fail_closed_conversion() -> None:
    policy_set, diagnostics = compile_text("""\
        apiVersion: policy.networking.k8s.io/v1alpha1
        kind: AdminNetworkPolicy
        metadata: {name: x}
        spec:
          priority: 1
          subject: {namespaces: {}}
          egress:
          - {action: Deny, to: [{nodes: {matchLabels: {role: master}}}]}
          - {action: Allow, to: [{networks: [10.0.0.0/99]}]}
          - {action: Pass, to: [{domainNames: [example.com]}]}
          - {action: Allow, to: [{networks: [10.0.0.0/8]}]}
        """, "3.29")
    policy = policy_set.policies[0]
    assert [(r.index, r.action, r.destination) for r in policy.egress] == [
        (0, Action.DENY, EntityMatch()),
        (1, Action.DENY, EntityMatch()),
        (2, Action.ALLOW, EntityMatch(nets=(ipaddress.ip_network("10.0.0.0/8"),))),
    ]
    assert policy.egress[0] == CompiledRule(Action.DENY, 0, span=policy.egress[0].span)
    assert [(d.code, d.field_path, d.span.line if d.span else 0) for d in diagnostics] == [
        ("ENG653", "spec.egress[0].to[0].nodes", 8),
        ("ENG653", "spec.egress[1].to[0].networks[0]", 9),
        ("ENG653", "spec.egress[2].to[0].domainNames", 10),
    ]
    assert diagnostics[0].message == (
        "spec.egress[0].to[0].nodes: `nodes` peers are not supported by Calico's conversion; "
        "Calico converts this rule to nothing: it is replaced by a bare Deny (fail-closed)")
    assert diagnostics[1].message.endswith("it is dropped")


def test_anp_named_port_means_all_ports() -> None:
    policy_set, diagnostics = compile_text("""\
        apiVersion: policy.networking.k8s.io/v1alpha1
        kind: AdminNetworkPolicy
        metadata: {name: x}
        spec:
          priority: 1
          subject: {namespaces: {}}
          ingress:
          - action: Allow
            from: [{namespaces: {}}]
            ports: [{portNumber: {protocol: TCP, port: 80}}, {namedPort: http}]
        """, "3.31")
    rule = policy_set.policies[0].ingress[0]
    assert (rule.protocol, rule.destination.ports) == (None, None)
    assert [(d.code, d.field_path) for d in diagnostics] == [("ENG653", "spec.ingress[0].ports[1].namedPort")]


@pytest.mark.parametrize("api,kind,extra,version,message", [
    ("v1alpha1", "AdminNetworkPolicy", "priority: 1", "3.32",
     "AdminNetworkPolicy is converted only by Calico 3.29-3.31, not 3.32; it is ignored"),
    ("v1alpha1", "AdminNetworkPolicy", "priority: 1", "3.28",
     "AdminNetworkPolicy is converted only by Calico 3.29-3.31, not 3.28; it is ignored"),
    ("v1alpha1", "BaselineAdminNetworkPolicy", "", "3.29",
     "BaselineAdminNetworkPolicy is converted only by Calico 3.30-3.31, not 3.29; it is ignored"),
    ("v1alpha2", "ClusterNetworkPolicy", "{tier: Admin, priority: 1}", "3.31",
     "ClusterNetworkPolicy is converted only by Calico 3.32 and later, not 3.31; it is ignored"),
])
def test_kinds_outside_their_versions_are_ignored(api: str, kind: str, extra: str, version: str,
                                                  message: str) -> None:
    fields = extra.strip("{}").replace(", ", "\n  ") if extra else ""
    policy_set, diagnostics = compile_text(
        f"apiVersion: policy.networking.k8s.io/{api}\nkind: {kind}\nmetadata: {{name: x}}\nspec:\n"
        f"  subject: {{namespaces: {{}}}}\n" + (f"  {fields}\n" if fields else ""), version)
    assert policy_set.policies == ()
    assert [(d.code, d.message, d.span.line if d.span else 0) for d in diagnostics] == [("ENG652", message, 3)]


def test_enterprise_converts_admin_kinds_whatever_the_version_number() -> None:

    policy = only_policy(ANP, "3.21", Edition.ENTERPRISE)
    assert (policy.tier, policy.name) == ("adminnetworkpolicy", "kanp.adminnetworkpolicy.sensitive")
    policy_set, diagnostics = compile_text("""\
        apiVersion: policy.networking.k8s.io/v1alpha2
        kind: ClusterNetworkPolicy
        metadata: {name: x}
        spec: {tier: Admin, priority: 1, subject: {namespaces: {}}}
        """, "3.21", Edition.ENTERPRISE)
    assert policy_set.policies == () and [d.code for d in diagnostics] == ["ENG652"]
