"""Calico admission rules: exact (code, line, column) per case, failing and passing, per version."""

from __future__ import annotations

import pytest

from tierguard import catalog, rules
from tierguard.engine.ir import CalicoVersion, Edition
from tierguard.loader.resources import extract_resources
from tierguard.loader.yaml_source import load_yaml_text
from tierguard.rules.context import RuleContext, builtin_tiers
from tierguard.rules.port_range import calico_port_problem
from tierguard.rules.tier_prefix_naming import prefix_required
from tierguard.validation.dispatch import check_resource
from tierguard.validation.k8s_schema import K8sSchemas

SCHEMAS = K8sSchemas("1.32")
NP = "apiVersion: projectcalico.org/v3\nkind: NetworkPolicy\nmetadata:\n  name: p\n  namespace: shop\nspec:\n"
GNP = "apiVersion: projectcalico.org/v3\nkind: GlobalNetworkPolicy\nmetadata:\n  name: {name}\nspec:\n"


def findings(text: str, version: str = "3.31", edition: Edition = Edition.OSS,
             tiers: frozenset[str] = frozenset({"security"})) -> list[tuple[str, int, int]]:
    [resource] = extract_resources(load_yaml_text(text, "p.yaml").documents).resources
    checked, problems = check_resource(resource, SCHEMAS)
    assert problems == []  # rule cases are schema-valid
    calico = CalicoVersion.parse(version)
    ctx = RuleContext(resource, checked.model, calico, edition, builtin_tiers(calico, edition) | tiers)
    return [(d.code, d.span.line, d.span.col) for d in rules.run_all(ctx)]


CASES = [
    # CAL201 ports need TCP/UDP/SCTP unless all named
    (NP + "  ingress:\n  - action: Allow\n    destination:\n      ports: [80]\n", [("CAL201", 10, 15)]),
    (NP + "  ingress:\n  - action: Allow\n    protocol: ICMP\n    source:\n      notPorts: ['1:2']\n",
     [("CAL201", 11, 18)]),
    (NP + "  ingress:\n  - action: Allow\n    destination:\n      ports: [http, metrics]\n", []),
    (NP + "  ingress:\n  - action: Allow\n    protocol: sctp\n    destination:\n      ports: [80]\n", []),
    # CAL202 icmp code without type
    (NP + "  ingress:\n  - action: Allow\n    protocol: ICMP\n    notICMP: {code: 3}\n", [("CAL202", 10, 21)]),
    (NP + "  ingress:\n  - action: Allow\n    protocol: ICMP\n    icmp: {type: 3, code: 3}\n", []),
    # CAL203 mixed IP versions, across sides and against ipVersion
    (NP + "  egress:\n  - action: Allow\n    source: {nets: [10.0.0.0/8]}\n    destination: {notNets: ['::1/128']}\n",
     [("CAL203", 10, 29)]),
    (NP + "  egress:\n  - action: Allow\n    ipVersion: 6\n    destination: {nets: [10.0.0.0/8]}\n",
     [("CAL203", 10, 26)]),
    (NP + "  egress:\n  - action: Allow\n    destination: {nets: ['fd00::/8', '2001:db8::/32']}\n", []),
    # CAL204 services alone; no ports with destination.services
    (NP + "  egress:\n  - action: Allow\n    destination:\n      services: {name: api}\n      ports: [80]\n",
     [("CAL201", 11, 15), ("CAL204", 11, 7)]),
    (NP + "  ingress:\n  - action: Allow\n    source:\n      services: {name: api}\n      nets: [10.0.0.0/8]\n",
     [("CAL204", 11, 7)]),
    (NP + "  ingress:\n  - action: Allow\n    source:\n      services: {name: api, namespace: b}\n", []),
    # CAL205 global() placement
    (GNP.format(name="default.g") + "  egress:\n  - action: Allow\n    destination:\n      namespaceSelector: global()\n",
     []),
    (GNP.format(name="default.g") + "  egress:\n  - action: Allow\n    destination:\n"
     "      namespaceSelector: global() && a == 'b'\n", [("CAL205", 9, 26)]),
    (GNP.format(name="default.g") + "  serviceAccountSelector: global()\n", [("CAL205", 6, 27)]),
    # CAL206 staged Delete
    ("apiVersion: projectcalico.org/v3\nkind: StagedGlobalNetworkPolicy\nmetadata:\n  name: security.x\nspec:\n"
     "  stagedAction: Delete\n  tier: security\n", []),
    ("apiVersion: projectcalico.org/v3\nkind: StagedKubernetesNetworkPolicy\nmetadata:\n  name: x\n  namespace: a\n"
     "spec:\n  stagedAction: Delete\n  podSelector: {}\n", [("CAL206", 8, 3)]),
    # CAL207 CIDRs (bare IPs are fine in Calico; K8s ipBlock needs a prefix)
    (NP + "  ingress:\n  - action: Allow\n    source: {nets: [10.0.0.1, 10.0.0.0/8], notNets: [300.1.1.1/32]}\n",
     [("CAL207", 9, 54)]),
    ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: k, namespace: a}\nspec:\n"
     "  podSelector: {}\n  egress:\n  - to:\n    - ipBlock: {cidr: 10.0.0.1, except: [10.0.0.0/40]}\n",
     [("CAL207", 8, 23), ("CAL207", 8, 42)]),
    # CAL208 ports
    (NP + "  ingress:\n  - action: Allow\n    protocol: TCP\n    destination:\n      ports: ['80:70000', 'a:b', -1]\n",
     [("CAL208", 11, 15), ("CAL208", 11, 27), ("CAL208", 11, 34)]),
    ("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: k, namespace: a}\nspec:\n"
     "  podSelector: {}\n  ingress:\n  - ports:\n    - {port: 0}\n    - {port: 90, endPort: 80}\n",
     [("CAL208", 8, 14), ("CAL208", 9, 27)]),
    # CAL209 tier prefix (3.31 here) and CAL210 undefined tier
    (GNP.format(name="x") + "  tier: security\n", [("CAL209", 4, 9)]),
    (GNP.format(name="default.x") + "  tier: default\n", []),
    (GNP.format(name="securty.x") + "  tier: securty\n", [("CAL210", 6, 9)]),
    (GNP.format(name="x") + "  tier: ${TIER}\n", [("CAL209", 4, 9)]),
    # CAL211 cluster-scoped kinds
    ("apiVersion: projectcalico.org/v3\nkind: GlobalNetworkSet\nmetadata: {name: g, namespace: prod}\n",
     [("CAL211", 3, 32)]),
    ("apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: r, namespace: prod}\n",
     [("CAL211", 3, 32)]),
    # CAL212 selector syntax, column inside the selector (quoted scalars too)
    (NP + "  selector: \"app in {'a'\"\n", [("CAL212", 7, 25)]),
    (NP + "  ingress:\n  - action: Allow\n    source:\n      notSelector: a ==\n", [("CAL212", 10, 24)]),
    (NP + "  selector: ${SELECTOR}\n", []),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_rule_cases(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert findings(text) == expected


def test_tier_prefix_follows_version_and_edition() -> None:
    policy = GNP.format(name="allow-dns") + "  tier: security\n"
    assert findings(policy, "3.32") == []
    assert findings(policy, "3.32", Edition.ENTERPRISE) == [("CAL209", 4, 9)]
    assert findings(policy, "3.29") == [("CAL209", 4, 9)]
    assert prefix_required(CalicoVersion(3, 28), Edition.OSS) is False


def test_builtin_tiers_per_version() -> None:
    assert builtin_tiers(CalicoVersion(3, 32), Edition.OSS) == {"default", "kube-admin", "kube-baseline",
                                                                "calico-system"}
    assert builtin_tiers(CalicoVersion(3, 30), Edition.OSS) == {"default", "allow-tigera", "adminnetworkpolicy",
                                                                "baselineadminnetworkpolicy"}
    assert findings(GNP.format(name="x") + "  tier: kube-admin\n", "3.32", tiers=frozenset()) == []
    assert findings(GNP.format(name="kube-admin.x") + "  tier: kube-admin\n", "3.31", tiers=frozenset()) == \
        [("CAL210", 6, 9)]


@pytest.mark.parametrize(("value", "problem"), [
    (80, None), ("80", None), ("0:65535", None), ("http-alt", None), (65536, "port 65536 is outside 0-65535"),
    ("10:9", "range 10:9 starts after it ends"), ("1:2:3", "'1:2:3' is neither a port number, a range "
                                                              "'min:max' nor a named port"),
    ("${PORT}", None),
])
def test_calico_port_values(value: int | str, problem: str | None) -> None:
    assert calico_port_problem(value) == problem


def test_rule_table_is_explicit_and_documented() -> None:
    table = rules.table()
    assert list(table) == [f"CAL2{n:02d}" for n in range(1, 13)]
    for code, module in table.items():
        assert module.ID == code and module.DOC.code == code and module.DOC.name == module.NAME
        assert catalog.get(code) is module.DOC
    with pytest.raises(KeyError):
        rules.get("CAL999")
