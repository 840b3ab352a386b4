"""Property test: AdminNetworkPolicy + NetworkPolicy + BaselineAdminNetworkPolicy semantics survive
compilation (Calico 3.31 tiers adminnetworkpolicy / default / baselineadminnetworkpolicy), and so
do the same policies written as ClusterNetworkPolicy (3.32 tiers kube-admin / kube-baseline).

The reference below is the network-policy-api precedence model written out independently:
ANPs by priority (first matching rule: Allow/Deny decide, Pass skips to NetworkPolicy), then
NetworkPolicies (if any selects the pod, only their allows admit), then the BaselineANP
(first matching rule decides), then allow.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine_factory import packet
from hypothesis import given, settings
from hypothesis import strategies as st
from tierguard.engine.compile import compile_policy_set, profiles_for
from tierguard.engine.evaluate import Evaluator
from tierguard.engine.ir import CalicoVersion, Edition
from tierguard.engine.topology import Topology
from tierguard.inventory.build import build_inventory
from tierguard.loader.nodes import LMap
from tierguard.loader.yaml_source import load_yaml_text
from tierguard.model.build import build_resource

NAMESPACES = {"ns-a": "a", "ns-b": "b"}
PODS = [("ns-a", "a-x", "x", "10.0.0.1"), ("ns-a", "a-y", "y", "10.0.0.2"),
        ("ns-b", "b-x", "x", "10.0.1.1"), ("ns-b", "b-y", "y", "10.0.1.2")]


@dataclass(frozen=True)
class Subject:
    team: str | None  # namespaces matchLabels team (None = {})
    app: str | None  # pods podSelector app (None = subject by namespaces only)


@dataclass(frozen=True)
class AdminRule:
    action: str
    team: str | None  # peer namespaces selector (None = {})
    app: str | None  # peer pod selector; None = a `namespaces` peer
    port: int | None  # None = all ports


@dataclass(frozen=True)
class Admin:
    priority: int
    subject: Subject
    rules: tuple[AdminRule, ...]


@dataclass(frozen=True)
class Knp:
    namespace: str
    app: str | None
    allow_app: str | None  # a same-namespace podSelector peer (None = {})


def _labels(key: str, value: str | None) -> str:
    return "{}" if value is None else f"{{matchLabels: {{{key}: {value}}}}}"


def _subject_yaml(subject: Subject) -> str:
    if subject.app is None:
        return f"{{namespaces: {_labels('team', subject.team)}}}"
    return f"{{pods: {{namespaceSelector: {_labels('team', subject.team)}, podSelector: {_labels('app', subject.app)}}}}}"


def _rule_yaml(rule: AdminRule) -> str:
    if rule.app is None:
        peer = f"{{namespaces: {_labels('team', rule.team)}}}"
    else:
        peer = f"{{pods: {{namespaceSelector: {_labels('team', rule.team)}, podSelector: {_labels('app', rule.app)}}}}}"
    ports = "" if rule.port is None else f", ports: [{{portNumber: {{protocol: TCP, port: {rule.port}}}}}]"
    return f"{{action: {rule.action}, from: [{peer}]{ports}}}"


def admin_yaml(index: int, admin: Admin, baseline: bool) -> str:
    kind = "BaselineAdminNetworkPolicy" if baseline else "AdminNetworkPolicy"
    name = "default" if baseline else f"anp{index}"
    priority = "" if baseline else f"  priority: {admin.priority}\n"
    return (f"apiVersion: policy.networking.k8s.io/v1alpha1\nkind: {kind}\nmetadata: {{name: {name}}}\nspec:\n"
            f"{priority}  subject: {_subject_yaml(admin.subject)}\n"
            f"  ingress: [{', '.join(_rule_yaml(r) for r in admin.rules)}]\n")


def cnp_yaml(index: int, admin: Admin, baseline: bool) -> str:
    """The same policy as a ClusterNetworkPolicy (3.32+): Allow is spelled Accept, ports are protocols."""
    rules = []
    for rule in admin.rules:
        text = _rule_yaml(rule).replace("action: Allow", "action: Accept")
        if rule.port is not None:
            text = text.replace(f"ports: [{{portNumber: {{protocol: TCP, port: {rule.port}}}}}]",
                                f"protocols: [{{tcp: {{destinationPort: {{number: {rule.port}}}}}}}]")
        rules.append(text)
    return (f"apiVersion: policy.networking.k8s.io/v1alpha2\nkind: ClusterNetworkPolicy\n"
            f"metadata: {{name: cnp{index}{'-base' if baseline else ''}}}\nspec:\n"
            f"  tier: {'Baseline' if baseline else 'Admin'}\n  priority: {admin.priority}\n"
            f"  subject: {_subject_yaml(admin.subject)}\n  ingress: [{', '.join(rules)}]\n")


def knp_yaml(index: int, knp: Knp) -> str:
    return (f"apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n"
            f"metadata: {{name: knp{index}, namespace: {knp.namespace}}}\nspec:\n"
            f"  podSelector: {_labels('app', knp.app)}\n"
            f"  ingress: [{{from: [{{podSelector: {_labels('app', knp.allow_app)}}}]}}]\n")


def _selects(subject: Subject, ns: str, app: str) -> bool:
    return (subject.team is None or NAMESPACES[ns] == subject.team) and (subject.app is None or subject.app == app)


def _rule_matches(rule: AdminRule, src: tuple[str, str, str, str], port: int) -> bool:
    ns, _, app, _ = src
    peer = (rule.team is None or NAMESPACES[ns] == rule.team) and (rule.app is None or rule.app == app)
    return peer and (rule.port is None or rule.port == port)


def reference(admins: list[Admin], knps: list[Knp], baseline: Admin | None,
              src: tuple[str, str, str, str], dst: tuple[str, str, str, str], port: int) -> bool:
    for admin in sorted(admins, key=lambda a: a.priority):
        if not _selects(admin.subject, dst[0], dst[2]):
            continue
        hit = next((r for r in admin.rules if _rule_matches(r, src, port)), None)
        if hit is None:
            continue
        if hit.action == "Pass":
            break
        return hit.action == "Allow"
    selecting = [k for k in knps if k.namespace == dst[0] and (k.app is None or k.app == dst[2])]
    if selecting:
        return any(src[0] == k.namespace and (k.allow_app is None or k.allow_app == src[2]) for k in selecting)
    if baseline is not None and _selects(baseline.subject, dst[0], dst[2]):
        hit = next((r for r in baseline.rules if _rule_matches(r, src, port)), None)
        if hit is not None:
            return hit.action == "Allow"
    return True


TEAMS = st.sampled_from([None, "a", "b"])
APPS = st.sampled_from([None, "x", "y"])
SUBJECTS = st.builds(Subject, TEAMS, APPS)
PORT = st.sampled_from([None, 80, 443])


def admins(actions: list[str]) -> st.SearchStrategy[Admin]:
    rules = st.builds(AdminRule, st.sampled_from(actions), TEAMS, APPS, PORT)
    return st.builds(Admin, st.integers(0, 1000), SUBJECTS, st.lists(rules, min_size=1, max_size=3).map(tuple))


KNPS = st.builds(Knp, st.sampled_from(list(NAMESPACES)), APPS, APPS)


@settings(max_examples=50, deadline=None)
@given(st.lists(admins(["Allow", "Deny", "Pass"]), max_size=2, unique_by=lambda a: a.priority),
       st.lists(KNPS, max_size=1), st.one_of(st.none(), admins(["Allow", "Deny"])), st.sampled_from([80, 443]),
       st.sampled_from(["3.31", "3.32"]))
def test_admin_precedence_agrees_with_network_policy_api(admin_list: list[Admin], knps: list[Knp],
                                                          baseline: Admin | None, port: int, version: str) -> None:
    render = admin_yaml if version == "3.31" else cnp_yaml
    documents = [render(i, a, False) for i, a in enumerate(admin_list)]
    documents += [knp_yaml(i, k) for i, k in enumerate(knps)]
    if baseline is not None:
        documents.append(render(0, baseline, True))
    models = []
    for text in documents:
        root = load_yaml_text(text, "p.yaml").documents[0].root
        assert isinstance(root, LMap)
        model, problems = build_resource(root)
        assert problems == [], text
        models.append(model)
    policy_set, diagnostics = compile_policy_set(models, CalicoVersion.parse(version), Edition.OSS)
    assert diagnostics == []
    objects: list[dict[str, object]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": {"team": t}}}
        for n, t in NAMESPACES.items()]
    objects += [{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": ns, "labels": {"app": app}},
                 "spec": {"nodeName": "n1"}, "status": {"phase": "Running", "podIP": ip}}
                for ns, name, app, ip in PODS]
    inventory, problems = build_inventory(objects)
    assert problems == []
    profiles = {p.name: p for e in inventory.endpoints for p in profiles_for(e)}
    ev = Evaluator(policy_set, Topology(inventory.endpoints), profiles.values())
    for dst in PODS:
        for src in PODS:
            if src == dst:
                continue
            source, target = inventory.pod(src[0], src[1]), inventory.pod(dst[0], dst[1])
            assert source is not None and target is not None
            result = ev.evaluate(packet(ev, source, target, port))
            assert result.enforced is not None and result.enforced.dst is not None
            expected = reference(admin_list, knps, baseline, src, dst, port)
            assert (result.enforced.dst.verdict.value == "allow") is expected, (src[1], dst[1], port)
