"""Typed models: every kind parses from located YAML; schema errors carry code, field path and position."""

from __future__ import annotations

import textwrap

import pytest
from tierguard.diagnostics import Diagnostic
from tierguard.loader.nodes import LMap
from tierguard.loader.yaml_source import load_yaml_text
from tierguard.model.admin import AdminPolicy
from tierguard.model.build import MODELLED_KINDS, Resource, build_resource, is_modelled
from tierguard.model.calico import CalicoPolicy, HostEndpoint, NetworkSet, Tier
from tierguard.model.k8s import K8sNetworkPolicy


def build(text: str) -> tuple[Resource | None, list[Diagnostic]]:
    result = load_yaml_text(textwrap.dedent(text), "p.yaml")
    assert result.diagnostics == ()
    root = result.documents[0].root
    assert isinstance(root, LMap)
    return build_resource(root, "p.yaml")


def problems(diagnostics: list[Diagnostic]) -> list[tuple[str, str, int, int]]:
    return [(d.code, d.field_path, d.span.line, d.span.col) for d in diagnostics if d.span]


CALICO_NP = """\
    apiVersion: projectcalico.org/v3
    kind: NetworkPolicy
    metadata:
      name: security.allow-web
      namespace: app
      labels: {team: web}
    spec:
      tier: security
      order: 100
      selector: app == 'web'
      serviceAccountSelector: role == 'api'
      types: [Ingress, Egress]
      ingress:
      - action: Allow
        protocol: TCP
        source:
          selector: "app == 'client'"
          namespaceSelector: all()
          nets: [10.0.0.0/8]
          notNets: [10.1.0.0/16]
          serviceAccounts: {names: [api], selector: tier == 'x'}
        destination:
          ports: [80, "8080:8090", http]
        http:
          methods: [GET]
          paths: [{prefix: /api}]
      egress:
      - action: Deny
        ipVersion: 4
        protocol: ICMP
        icmp: {type: 8, code: 0}
        notICMP: {type: 3}
        destination:
          services: {name: kube-dns, namespace: kube-system}
        metadata:
          annotations: {why: test}
    """


def test_calico_network_policy_fields_and_spans() -> None:
    model, diagnostics = build(CALICO_NP)
    assert diagnostics == []
    assert isinstance(model, CalicoPolicy)
    assert (model.kind, model.meta.name, model.meta.namespace, model.tier_name) == (
        "NetworkPolicy", "security.allow-web", "app", "security")
    assert model.order is not None and model.order.value == 100.0
    assert model.selector is not None and model.selector.value == "app == 'web'"
    assert (model.selector.span.line, model.selector.span.col) == (10, 13)
    assert [t.value for t in model.types or ()] == ["Ingress", "Egress"]
    assert model.namespace_selector is None and not model.is_global and not model.is_staged
    rule = model.ingress[0]
    assert (rule.index, rule.path, rule.span.line) == (0, "spec.ingress[0]", 14)
    assert rule.action is not None and rule.action.value == "Allow"
    assert rule.protocol is not None and rule.protocol.value == "TCP"
    source = rule.source
    assert source.path == "spec.ingress[0].source"
    assert source.selector is not None and source.selector.style == '"'
    # A position inside the double-quoted selector: "app" starts one column after the quote.
    assert source.selector.span_at(0, 3) == source.selector.span.shifted(1, 3)
    assert (source.selector.span_at(7).line, source.selector.span_at(7).col) == (17, 25)
    assert [n.value for n in source.nets] == ["10.0.0.0/8"] and [n.value for n in source.not_nets] == ["10.1.0.0/16"]
    assert source.namespace_selector is not None and source.namespace_selector.value == "all()"
    assert source.service_accounts is not None
    assert [n.value for n in source.service_accounts.names] == ["api"]
    assert [p.value for p in rule.destination.ports] == [80, "8080:8090", "http"]
    assert (rule.destination.ports[2].span.line, rule.destination.ports[2].span.col) == (23, 32)
    assert rule.http is not None and [m.value for m in rule.http.methods] == ["GET"]
    egress = model.egress[0]
    assert egress.ip_version is not None and egress.ip_version.value == 4
    assert egress.icmp is not None and egress.icmp.type is not None and egress.icmp.type.value == 8
    assert egress.icmp.code is not None and egress.icmp.code.value == 0
    assert egress.not_icmp is not None and egress.not_icmp.code is None
    assert egress.destination.services is not None
    assert egress.destination.services.name is not None and egress.destination.services.name.value == "kube-dns"
    assert egress.annotations == (("why", "test"),)


def test_global_and_staged_kinds() -> None:
    model, diagnostics = build("""\
        apiVersion: projectcalico.org/v3
        kind: StagedGlobalNetworkPolicy
        metadata: {name: lockdown}
        spec:
          stagedAction: Learn
          namespaceSelector: env == 'prod'
          doNotTrack: false
          applyOnForward: true
          ingress: [{action: Pass}]
        """)
    assert diagnostics == []
    assert isinstance(model, CalicoPolicy)
    assert model.is_global and model.is_staged and model.tier_name == "default"
    assert model.staged_action is not None and model.staged_action.value == "Learn"
    assert model.namespace_selector is not None and model.namespace_selector.value == "env == 'prod'"
    assert (model.do_not_track, model.apply_on_forward, model.pre_dnat) == (False, True, None)
    assert model.types is None
    assert model.spec_keys == ("stagedAction", "namespaceSelector", "doNotTrack", "applyOnForward", "ingress")


def test_tier_network_sets_and_host_endpoint() -> None:
    tier, diagnostics = build("""\
        apiVersion: projectcalico.org/v3
        kind: Tier
        metadata: {name: security}
        spec: {order: 100, defaultAction: Pass}
        """)
    assert diagnostics == [] and isinstance(tier, Tier)
    assert tier.name == "security" and tier.order is not None and tier.order.value == 100.0
    assert tier.default_action is not None and tier.default_action.value == "Pass"
    netset, diagnostics = build("""\
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkSet
        metadata: {name: corp, labels: {zone: corp}}
        spec: {nets: [192.0.2.0/24]}
        """)
    assert diagnostics == [] and isinstance(netset, NetworkSet) and netset.is_global
    assert [n.value for n in netset.nets] == ["192.0.2.0/24"] and netset.meta.labels == {"zone": "corp"}
    namespaced, diagnostics = build("""\
        apiVersion: projectcalico.org/v3
        kind: NetworkSet
        metadata: {name: partners, namespace: app}
        spec: {nets: [198.51.100.0/24]}
        """)
    assert diagnostics == [] and isinstance(namespaced, NetworkSet) and not namespaced.is_global
    hep, diagnostics = build("""\
        apiVersion: projectcalico.org/v3
        kind: HostEndpoint
        metadata: {name: node1-eth0, labels: {role: bastion}}
        spec:
          node: node1
          interfaceName: eth0
          expectedIPs: [10.0.0.1]
          profiles: [projectcalico-default-allow]
          ports: [{name: ssh, port: 22, protocol: TCP}]
        """)
    assert diagnostics == [] and isinstance(hep, HostEndpoint)
    assert hep.node is not None and hep.node.value == "node1"
    assert [p.value for p in hep.expected_ips] == ["10.0.0.1"]
    assert hep.ports[0].name is not None and hep.ports[0].name.value == "ssh"
    assert hep.ports[0].port is not None and hep.ports[0].port.value == 22


def test_kubernetes_network_policy() -> None:
    model, diagnostics = build("""\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: db-ingress, namespace: app}
        spec:
          podSelector:
            matchLabels: {app: db}
            matchExpressions: [{key: tier, operator: In, values: [a, b]}]
          policyTypes: [Ingress, Egress]
          ingress:
          - from:
            - podSelector: {matchLabels: {app: client}}
              namespaceSelector: {}
            - ipBlock: {cidr: 10.0.0.0/8, except: [10.1.0.0/16]}
            ports: [{port: 5432}, {protocol: UDP, port: 53, endPort: 60}, {port: http}]
          egress:
          - {}
        """)
    assert diagnostics == [] and isinstance(model, K8sNetworkPolicy) and not model.is_staged
    assert model.pod_selector is not None
    assert [(k.value, v.value) for k, v in model.pod_selector.match_labels] == [("app", "db")]
    expression = model.pod_selector.match_expressions[0]
    assert expression.operator is not None and expression.operator.value == "In"
    assert [v.value for v in expression.values] == ["a", "b"]
    rule = model.ingress[0]
    assert rule.path == "spec.ingress[0]" and len(rule.peers) == 2
    assert rule.peers[0].namespace_selector is not None and rule.peers[0].namespace_selector.is_empty
    assert rule.peers[1].ip_block is not None and [e.value for e in rule.peers[1].ip_block.except_] == ["10.1.0.0/16"]
    assert [(p.protocol.value if p.protocol else None, p.port.value if p.port else None,
             p.end_port.value if p.end_port else None) for p in rule.ports] == [
        (None, 5432, None), ("UDP", 53, 60), (None, "http", None)]
    assert model.egress[0].peers == () and model.egress[0].ports == ()


def test_staged_kubernetes_network_policy() -> None:
    model, diagnostics = build("""\
        apiVersion: projectcalico.org/v3
        kind: StagedKubernetesNetworkPolicy
        metadata: {name: db, namespace: app}
        spec:
          stagedAction: Delete
        """)
    assert diagnostics == [] and isinstance(model, K8sNetworkPolicy) and model.is_staged
    assert model.staged_action is not None and model.staged_action.value == "Delete"
    assert model.spec_keys == ("stagedAction",)


def test_admin_and_baseline_admin_network_policy() -> None:
    model, diagnostics = build("""\
        apiVersion: policy.networking.k8s.io/v1alpha1
        kind: AdminNetworkPolicy
        metadata: {name: deny-sensitive}
        spec:
          priority: 10
          subject: {namespaces: {matchLabels: {env: prod}}}
          ingress:
          - name: deny-all-from-dev
            action: Deny
            from: [{namespaces: {matchLabels: {env: dev}}}]
            ports:
            - portNumber: {protocol: TCP, port: 80}
            - portRange: {protocol: UDP, start: 1000, end: 2000}
            - namedPort: http
          egress:
          - action: Pass
            to: [{networks: [10.0.0.0/8]}, {pods: {namespaceSelector: {}, podSelector: {matchLabels: {a: b}}}}]
        """)
    assert diagnostics == [] and isinstance(model, AdminPolicy)
    assert model.priority is not None and model.priority.value == 10
    assert model.subject is not None and model.subject.namespaces is not None
    rule = model.ingress[0]
    assert rule.name is not None and rule.name.value == "deny-all-from-dev"
    assert rule.ports is not None
    assert [(p.protocol, p.port.value if p.port else None, p.range_start.value if p.range_start else None,
             p.named_port.value if p.named_port else None) for p in rule.ports] == [
        ("TCP", 80, None, None), ("UDP", None, 1000, None), (None, None, None, "http")]
    egress = model.egress[0]
    assert [n.value for n in egress.peers[0].networks] == ["10.0.0.0/8"] and egress.ports is None
    assert egress.peers[1].pods is not None and egress.peers[1].pods.pod_selector is not None
    banp, diagnostics = build("""\
        apiVersion: policy.networking.k8s.io/v1alpha1
        kind: BaselineAdminNetworkPolicy
        metadata: {name: default}
        spec:
          subject: {pods: {namespaceSelector: {}, podSelector: {}}}
          ingress: [{action: Deny, from: [{namespaces: {}}]}]
        """)
    assert diagnostics == [] and isinstance(banp, AdminPolicy) and banp.priority is None


def test_cluster_network_policy_protocols() -> None:
    model, diagnostics = build("""\
        apiVersion: policy.networking.k8s.io/v1alpha2
        kind: ClusterNetworkPolicy
        metadata: {name: base}
        spec:
          tier: Baseline
          priority: 5
          subject: {namespaces: {}}
          egress:
          - action: Accept
            to: [{namespaces: {}}]
            protocols:
            - tcp: {destinationPort: {number: 443}}
            - udp: {destinationPort: {range: {start: 53, end: 54}}}
            - sctp: {}
            - destinationNamedPort: dns
        """)
    assert diagnostics == [] and isinstance(model, AdminPolicy)
    assert model.tier is not None and model.tier.value == "Baseline"
    ports = model.egress[0].ports
    assert ports is not None
    assert [(p.path, p.protocol, p.port.value if p.port else None,
             (p.range_start.value, p.range_end.value) if p.range_start and p.range_end else None,
             p.named_port.value if p.named_port else None) for p in ports] == [
        ("spec.egress[0].protocols[0].tcp.destinationPort", "TCP", 443, None, None),
        ("spec.egress[0].protocols[1].udp.destinationPort.range", "UDP", None, (53, 54), None),
        ("spec.egress[0].protocols[2].sctp", "SCTP", None, None, None),
        ("spec.egress[0].protocols[3].destinationNamedPort", None, None, None, "dns")]


def test_schema_errors_name_field_path_and_position() -> None:
    model, diagnostics = build("""\
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata:
          name: p
          namespace: app
          labels: {version: 1}
        spec:
          namespaceSelector: team == 'a'
          order: high
          types: [ingress]
          ingress:
          - action: allow
            source:
              selector: [app]
              nets: 10.0.0.0/8
            destination:
              portz: [80]
          - source: {}
        """)
    assert isinstance(model, CalicoPolicy)
    assert problems(diagnostics) == [
        ("SCH101", "metadata.labels.version", 6, 21),
        ("SCH103", "spec.namespaceSelector", 8, 3),
        ("SCH101", "spec.order", 9, 10),
        ("SCH104", "spec.types[0]", 10, 11),
        ("SCH104", "spec.ingress[0].action", 12, 13),
        ("SCH101", "spec.ingress[0].source.selector", 14, 17),
        ("SCH101", "spec.ingress[0].source.nets", 15, 13),
        ("SCH103", "spec.ingress[0].destination.portz", 17, 7),
        ("SCH102", "spec.ingress[1].action", 18, 5),
    ]
    by_path = {d.field_path: d for d in diagnostics}
    assert by_path["spec.ingress[0].action"].hint == "Values are case-sensitive: write 'Allow'."
    assert by_path["spec.ingress[0].source.selector"].message == (
        "spec.ingress[0].source.selector: expected a string, got a list")
    assert by_path["spec.order"].message == "spec.order: expected a number, got a string"
    assert by_path["spec.ingress[1].action"].message == "spec.ingress[1].action: required field 'action' is missing"
    assert all(d.resource is not None and str(d.resource) == "NetworkPolicy app/p" for d in diagnostics)
    # Wrongly-typed values are simply absent from the model; the rest is kept.
    assert model.namespace_selector is None and model.order is None
    assert model.ingress[0].source.selector is None and model.ingress[0].source.nets == ()


def test_missing_name_and_spelling_hint() -> None:
    _, diagnostics = build("""\
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {namespace: app}
        spec:
          podselector: {}
        """)
    assert problems(diagnostics) == [("SCH102", "metadata.name", 3, 11), ("SCH103", "spec.podselector", 5, 3)]
    assert diagnostics[1].hint == "Did you mean 'podSelector'? Field names are case-sensitive."


def test_admin_policy_required_fields() -> None:
    _, diagnostics = build("""\
        apiVersion: policy.networking.k8s.io/v1alpha1
        kind: AdminNetworkPolicy
        metadata: {name: x}
        spec:
          ingress: [{action: Accept, from: []}]
        """)
    assert problems(diagnostics) == [
        ("SCH104", "spec.ingress[0].action", 5, 22),
        ("SCH102", "spec.priority", 5, 3),
        ("SCH102", "spec.subject", 5, 3),
    ]


def test_null_values_mean_absent() -> None:
    model, diagnostics = build("""\
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: p}
        spec:
          selector:
          ingress:
          types:
        """)
    assert diagnostics == [] and isinstance(model, CalicoPolicy)
    assert model.selector is None and model.ingress == () and model.types is None


@pytest.mark.parametrize("api_version,kind", [
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("v1", "Namespace"),
    ("kustomize.toolkit.fluxcd.io/v1", "Kustomization"),
    ("crd.projectcalico.org/v1", "NetworkPolicy"),
    ("policy.networking.k8s.io/v1alpha1", "ClusterNetworkPolicy"),
])
def test_other_kinds_are_not_modelled_here(api_version: str, kind: str) -> None:
    model, diagnostics = build(f"apiVersion: {api_version}\nkind: {kind}\nmetadata: {{name: x}}\n")
    assert (model, diagnostics) == (None, [])
    assert not is_modelled(api_version, kind)


def test_modelled_kinds_table() -> None:
    assert {kind for _, kind in MODELLED_KINDS} == {
        "NetworkPolicy", "GlobalNetworkPolicy", "StagedNetworkPolicy", "StagedGlobalNetworkPolicy",
        "StagedKubernetesNetworkPolicy", "Tier", "NetworkSet", "GlobalNetworkSet", "HostEndpoint",
        "AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy"}
    assert len(MODELLED_KINDS) == 13


def test_span_inside_selector_scalars() -> None:
    model, diagnostics = build("""\
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: p}
        spec:
          selector: 'app == "web"'
          serviceAccountSelector: >
            role == 'api'
        """)
    assert diagnostics == [] and isinstance(model, CalicoPolicy)
    assert model.selector is not None and model.selector.style == "'"
    inside = model.selector.span_at(7, 5)  # the quoted "web" starts 7 characters into the value
    assert (inside.line, inside.col, inside.end_col) == (5, 21, 26)
    folded = model.service_account_selector
    assert folded is not None and folded.style == ">"
    assert (folded.span_at(8).line, folded.span_at(8).col) == (folded.span.line, folded.span.col)
