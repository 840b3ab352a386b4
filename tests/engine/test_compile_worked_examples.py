"""E1-E5 (calico-semantics §3.7) end to end through the real front half: YAML policy -> typed models ->
compile, and a Kubernetes List -> inventory, then the evaluator. Checks that what the compiler and
the inventory produce is what the evaluator needs to reproduce the spec's trace strings."""

from __future__ import annotations

import textwrap

from compile_fixtures import compile_text
from engine_factory import packet, traces
from tierguard.engine.compile import profiles_for
from tierguard.engine.evaluate import Evaluator
from tierguard.engine.topology import Topology
from tierguard.inventory.build import build_inventory
from tierguard.inventory.load import inventory_from_text
from tierguard.inventory.model import Endpoint, Inventory

CLUSTER = """\
apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: app, labels: {env: prod}}}
- {apiVersion: v1, kind: Namespace, metadata: {name: other}}
- {apiVersion: v1, kind: ServiceAccount, metadata: {name: default, namespace: app}}
- {apiVersion: v1, kind: ServiceAccount, metadata: {name: default, namespace: other}}
- apiVersion: v1
  kind: Pod
  metadata: {name: client-1, namespace: app, labels: {app: client}}
  spec: {serviceAccountName: default, nodeName: n1}
  status: {phase: Running, podIP: 10.1.0.1}
- apiVersion: v1
  kind: Pod
  metadata: {name: web-1, namespace: app, labels: {app: web}}
  spec: {serviceAccountName: default, nodeName: n1}
  status: {phase: Running, podIP: 10.1.0.2}
- apiVersion: v1
  kind: Pod
  metadata: {name: db-1, namespace: app, labels: {app: db}}
  spec: {serviceAccountName: default, nodeName: n2}
  status: {phase: Running, podIP: 10.1.0.3}
- apiVersion: v1
  kind: Pod
  metadata: {name: stranger-1, namespace: other, labels: {app: client}}
  spec: {serviceAccountName: default, nodeName: n2}
  status: {phase: Running, podIP: 10.1.0.4}
"""

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


def cluster() -> Inventory:
    inventory, diagnostics = inventory_from_text(CLUSTER, "cluster.yaml")
    assert diagnostics == []
    return inventory


def evaluator(policy_yaml: str, inventory: Inventory) -> Evaluator:
    policy_set, diagnostics = compile_text(policy_yaml)
    assert diagnostics == []
    profiles = {p.name: p for e in inventory.endpoints for p in profiles_for(e)}
    return Evaluator(policy_set, Topology(inventory.endpoints, inventory.services, inventory.nodes),
                     profiles.values())


def pod(inventory: Inventory, name: str, namespace: str = "app") -> Endpoint:
    found = inventory.pod(namespace, name)
    assert found is not None
    return found


def test_e1() -> None:
    inventory = cluster()
    ev = evaluator(E1, inventory)
    client, db = pod(inventory, "client-1"), pod(inventory, "db-1")
    assert traces(ev, packet(ev, client, db, 5432)) == (
        ["0|__PROFILE__|pro:kns.app|allow|0"], ["0|default|knp:app/db-ingress|allow|0"], "allow")
    assert traces(ev, packet(ev, client, db, 80)) == (
        ["0|__PROFILE__|pro:kns.app|allow|0"], ["0|default|knp:app/db-ingress|deny|-1"], "deny")
    assert traces(ev, packet(ev, "203.0.113.7", db, 5432)) == (
        None, ["0|default|knp:app/db-ingress|deny|-1"], "deny")
    # A client-labelled pod in another namespace is outside the podSelector's implicit namespace.
    assert traces(ev, packet(ev, pod(inventory, "stranger-1", "other"), db, 5432))[1] == [
        "0|default|knp:app/db-ingress|deny|-1"]


def test_e2_tier_pass_and_deny() -> None:
    inventory = cluster()
    platform = """\
        apiVersion: projectcalico.org/v3
        kind: Tier
        metadata: {name: platform}
        spec: {order: 100, defaultAction: Deny}
        ---
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: platform-base}
        spec:
          tier: platform
          selector: has(projectcalico.org/namespace)
          types: [Ingress]
          ingress: [{action: Deny, source: {nets: [10.99.0.0/16]}}, {action: Pass}]
        """
    ev = evaluator(platform, inventory)
    web = pod(inventory, "web-1")
    assert traces(ev, packet(ev, "10.1.2.3", web, 80))[1] == [
        "0|platform|gnp:platform-base|pass|1", "1|__PROFILE__|pro:kns.app|allow|0"]
    assert traces(ev, packet(ev, "10.99.1.1", web, 80))[1] == ["0|platform|gnp:platform-base|deny|0"]


def test_e3_staged_policy_pending_trace() -> None:
    inventory = cluster()
    lockdown = """\
        apiVersion: projectcalico.org/v3
        kind: StagedNetworkPolicy
        metadata: {name: lockdown, namespace: app}
        spec:
          order: 100
          selector: app == 'db'
          ingress: [{action: Allow, source: {selector: app == 'web'}}]
        """
    with_knp = evaluator(textwrap.dedent(lockdown) + "---\n" + textwrap.dedent(E1), inventory)
    client, db = pod(inventory, "client-1"), pod(inventory, "db-1")
    assert traces(with_knp, packet(with_knp, client, db, 5432), "pending")[1] == [
        "0|default|knp:app/db-ingress|allow|0"]
    alone = evaluator(lockdown, inventory)
    assert traces(alone, packet(alone, client, db, 5432), "pending")[1] == ["0|default|snp:app/lockdown|deny|-1"]
    assert traces(alone, packet(alone, client, db, 5432), "enforced")[1] == ["0|__PROFILE__|pro:kns.app|allow|0"]


def test_e4_not_selector_scoping() -> None:
    inventory = cluster()
    namespaced = """\
        apiVersion: projectcalico.org/v3
        kind: NetworkPolicy
        metadata: {name: not-web, namespace: app}
        spec:
          selector: app == 'db'
          ingress: [{action: Allow, source: {notSelector: "app == 'web'"}}]
        """
    ev = evaluator(namespaced, inventory)
    db = pod(inventory, "db-1")
    sources: dict[str, str | Endpoint] = {
        "client": pod(inventory, "client-1"), "web": pod(inventory, "web-1"),
        "other": pod(inventory, "stranger-1", "other"), "external": "203.0.113.7"}
    verdict = {name: traces(ev, packet(ev, src, db, 5432))[2] for name, src in sources.items()}
    assert verdict == {"client": "allow", "web": "deny", "other": "deny", "external": "deny"}
    global_ = evaluator(namespaced.replace("kind: NetworkPolicy", "kind: GlobalNetworkPolicy")
                        .replace(", namespace: app", ""), inventory)
    verdict = {name: traces(global_, packet(global_, src, db, 5432))[2] for name, src in sources.items()}
    assert verdict == {"client": "allow", "web": "deny", "other": "allow", "external": "allow"}


def test_e5_namespace_selector_all_excludes_host_endpoints() -> None:
    inventory, diagnostics = build_inventory([
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "app", "labels": {"env": "prod"}}},
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web-1", "namespace": "app",
                                                         "labels": {"app": "web"}},
         "spec": {"nodeName": "n1"}, "status": {"phase": "Running", "podIP": "10.1.0.2"}},
        {"apiVersion": "projectcalico.org/v3", "kind": "HostEndpoint",
         "metadata": {"name": "web-host", "labels": {"app": "web"}},
         "spec": {"node": "n9", "expectedIPs": ["10.9.0.1"]}},
    ])
    assert diagnostics == []
    ev = evaluator("""\
        apiVersion: projectcalico.org/v3
        kind: GlobalNetworkPolicy
        metadata: {name: web}
        spec:
          selector: app == 'web'
          namespaceSelector: all()
          ingress: [{action: Deny}]
        """, inventory)
    web_pod = inventory.pod("app", "web-1")
    web_host = inventory.host_endpoint("web-host")
    assert web_pod is not None and web_host is not None
    assert traces(ev, packet(ev, "203.0.113.7", web_pod, 80))[1] == ["0|default|gnp:web|deny|0"]
    # The HEP carries app=web but no namespace label: the policy does not select it, and a HEP
    # with no profiles denies.
    assert traces(ev, packet(ev, "203.0.113.7", web_host, 80))[1] == ["0|__PROFILE__|pro:__NO_MATCH__|deny|0"]
