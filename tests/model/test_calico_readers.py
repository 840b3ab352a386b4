"""Differential property test: the rule readers that read only the keys present build exactly
what the readers that looked up every field built (tests/model/calico_reference.py)."""

from __future__ import annotations

from typing import Any

import yaml
from calico_reference import reference_read_rule
from hypothesis import given, settings
from hypothesis import strategies as st
from tierguard.loader.nodes import LMap
from tierguard.loader.yaml_source import load_yaml_text
from tierguard.model.calico import read_rule
from tierguard.model.located import Text

_LEAF = st.one_of(st.none(), st.booleans(), st.integers(-5, 70000), st.sampled_from(
    ["TCP", "10.0.0.0/8", "app == 'a'", "80:90", "http", "", "Allow", "global()"]))
_VALUE = st.one_of(_LEAF, st.lists(_LEAF, max_size=3), st.dictionaries(
    st.sampled_from(["names", "selector", "name", "namespace", "type", "code", "methods", "paths",
                     "annotations", "other"]),
    st.one_of(_LEAF, st.lists(_LEAF, max_size=2), st.dictionaries(st.sampled_from(["a", "exact"]), _LEAF,
                                                                  max_size=2)), max_size=3))
_ENTITY_KEYS = ["nets", "notNets", "selector", "notSelector", "namespaceSelector", "serviceAccounts",
                "services", "ports", "notPorts", "domains", "unknown"]
_ENTITY = st.one_of(_LEAF, st.dictionaries(st.sampled_from(_ENTITY_KEYS), _VALUE, max_size=5))
_RULE_KEYS = ["action", "ipVersion", "protocol", "notProtocol", "icmp", "notICMP", "http", "metadata", "extra"]
_RULE = st.one_of(_LEAF, st.fixed_dictionaries({}, optional={
    **{key: _VALUE for key in _RULE_KEYS}, "source": _ENTITY, "destination": _ENTITY}))


@settings(max_examples=500, deadline=None)
@given(_RULE, st.booleans())
def test_read_rule_matches_the_every_field_reference(rule: Any, flow: bool) -> None:
    text = yaml.safe_dump({"rule": rule}, default_flow_style=flow, sort_keys=False)
    root = load_yaml_text(text, "r.yaml").documents[0].root
    assert isinstance(root, LMap)
    node = root.get("rule")
    assert node is not None
    built = read_rule(node, 2, "spec.egress[2]")
    assert built == reference_read_rule(node, 2, "spec.egress[2]")
    assert repr(built) == repr(reference_read_rule(node, 2, "spec.egress[2]"))


def test_a_full_rule_reads_every_field() -> None:
    text = ("rule:\n  action: Allow\n  protocol: TCP\n  ipVersion: 4\n  icmp: {type: 8, code: 0}\n"
            "  metadata: {annotations: {owner: team-a}}\n"
            "  source: {nets: [10.0.0.0/8], serviceAccounts: {names: [api], selector: a == 'b'}}\n"
            "  destination: {services: {name: db, namespace: data}, ports: [5432, 'x']}\n")
    root = load_yaml_text(text, "r.yaml").documents[0].root
    assert isinstance(root, LMap)
    node = root.get("rule")
    assert node is not None
    rule = read_rule(node, 0, "spec.ingress[0]")
    assert rule is not None and rule == reference_read_rule(node, 0, "spec.ingress[0]")
    assert rule.protocol is not None and rule.protocol.value == "TCP"
    assert rule.ip_version is not None and rule.ip_version.value == 4
    assert rule.icmp is not None and rule.icmp.type is not None and rule.icmp.type.value == 8
    assert rule.annotations == (("owner", "team-a"),)
    assert [t.value for t in rule.source.nets] == ["10.0.0.0/8"]
    assert rule.source.service_accounts is not None
    assert [t.value for t in rule.source.service_accounts.names] == ["api"]
    assert rule.source.keys == ("nets", "serviceAccounts")
    assert rule.destination.services is not None and rule.destination.services.name is not None
    assert rule.destination.services.name.value == "db"
    assert [p.value for p in rule.destination.ports] == [5432, "x"]
    assert isinstance(rule.action, Text) and type(rule.action) is Text and rule.action.value == "Allow"
    assert (rule.action.span.line, rule.action.span.col) == (2, 11)
