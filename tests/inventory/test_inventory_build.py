"""Inventory: effective labels exactly per calico-semantics §1.8, interning, and IP/name lookups."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from tierguard.inventory.build import build_inventory
from tierguard.inventory.labels import network_set_labels, pod_effective_labels
from tierguard.inventory.model import EndpointKind

Obj = dict[str, object]


def namespace(name: str, labels: Mapping[str, str] | None = None) -> Obj:
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": dict(labels or {})}}


def account(ns: str, name: str, labels: Mapping[str, str] | None = None) -> Obj:
    return {"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": name, "namespace": ns, "labels": dict(labels or {})}}


def pod(ns: str, name: str, labels: Mapping[str, str], ip: str | None, sa: str = "default",
        phase: str = "Running", host_network: bool = False, generate_name: str = "",
        ports: list[Obj] | None = None) -> Obj:
    metadata: Obj = {"name": name, "namespace": ns, "labels": dict(labels)}
    if generate_name:
        metadata["generateName"] = generate_name
    spec: Obj = {"serviceAccountName": sa, "nodeName": "node-1",
                 "containers": [{"name": "main", "ports": ports or []}]}
    if host_network:
        spec["hostNetwork"] = True
    status: Obj = {"phase": phase}
    if ip:
        status["podIP"] = ip
        status["podIPs"] = [{"ip": ip}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": metadata, "spec": spec, "status": status}


def test_pod_effective_labels_exact() -> None:
    inventory, diagnostics = build_inventory([
        namespace("app", {"env": "prod", "kubernetes.io/metadata.name": "app"}),
        account("app", "api", {"tier": "backend"}),
        pod("app", "web-1", {"app": "web"}, "10.0.0.5", sa="api"),
    ])
    assert diagnostics == []
    web = inventory.pod("app", "web-1")
    assert web is not None
    assert dict(web.labels) == {
        "app": "web",
        "projectcalico.org/namespace": "app",
        "projectcalico.org/orchestrator": "k8s",
        "projectcalico.org/serviceaccount": "api",
        "pcns.env": "prod",
        "pcns.kubernetes.io/metadata.name": "app",
        "pcns.projectcalico.org/name": "app",
        "pcsa.tier": "backend",
        "pcsa.projectcalico.org/name": "api",
    }
    assert web.profiles == ("kns.app", "ksa.app.api")
    assert (web.kind, web.service_account, web.node) == (EndpointKind.WORKLOAD, "api", "node-1")


def test_own_labels_win_on_collision_and_calico_labels_overwrite_pod_labels() -> None:
    labels = pod_effective_labels(
        {"pcns.env": "own", "projectcalico.org/namespace": "spoofed", "app": "x"}, "app", {"env": "prod"},
        "default", {})
    assert labels["pcns.env"] == "own"  # own label beats the inherited namespace label
    assert labels["projectcalico.org/namespace"] == "app"  # Calico sets its own labels last
    assert labels["pcns.projectcalico.org/name"] == "app"


def test_service_account_label_only_below_63_characters() -> None:
    long_name = "s" * 63
    labels = pod_effective_labels({}, "app", {}, long_name, {})
    assert "projectcalico.org/serviceaccount" not in labels
    assert labels["pcsa.projectcalico.org/name"] == long_name  # the profile label is still applied
    shorter = pod_effective_labels({}, "app", {}, "s" * 62, {})
    assert shorter["projectcalico.org/serviceaccount"] == "s" * 62


def test_pod_without_service_account_has_no_ksa_profile() -> None:
    inventory, _ = build_inventory([namespace("app"), pod("app", "a", {}, "10.0.0.9", sa="")])
    endpoint = inventory.pod("app", "a")
    assert endpoint is not None and endpoint.profiles == ("kns.app",)
    assert not any(key.startswith("pcsa.") for key in endpoint.labels)
    assert "projectcalico.org/serviceaccount" not in endpoint.labels


def test_host_network_and_finished_pods() -> None:
    inventory, diagnostics = build_inventory([
        namespace("kube-system"), account("kube-system", "default"),
        pod("kube-system", "proxy", {"k8s-app": "proxy"}, "192.168.1.10", host_network=True),
        pod("kube-system", "job-1", {"job": "x"}, "10.0.0.7", phase="Succeeded"),
        pod("kube-system", "job-2", {"job": "x"}, "10.0.0.7", phase="Running"),
    ])
    assert diagnostics == []
    assert inventory.pod("kube-system", "proxy") is None  # not a WorkloadEndpoint
    host = inventory.host_network_pod("kube-system", "proxy")
    assert host is not None and host.ips == (ipaddress.ip_address("192.168.1.10"),)
    finished = inventory.pod("kube-system", "job-1")
    assert finished is not None and finished.ips == ()
    owner = inventory.endpoint_by_ip(ipaddress.ip_address("10.0.0.7"))
    assert owner is not None and owner.name == "job-2"  # the reused IP belongs to the live pod


def test_interning_by_labels_namespace_and_ports() -> None:
    http = [{"name": "http", "containerPort": 8080}]
    inventory, _ = build_inventory([
        namespace("app"), account("app", "default"),
        pod("app", "web-1", {"app": "web"}, "10.0.0.1", ports=http, generate_name="web-5d9f-"),
        pod("app", "web-2", {"app": "web"}, "10.0.0.2", ports=http, generate_name="web-5d9f-"),
        pod("app", "web-3", {"app": "web"}, "10.0.0.3", ports=[{"name": "http", "containerPort": 9090}]),
        pod("app", "db-1", {"app": "db"}, "10.0.0.4", ports=http),
    ])
    ids = {e.name: e.class_id for e in inventory.endpoints}
    assert ids["web-1"] == ids["web-2"]
    assert len({ids["web-1"], ids["web-3"], ids["db-1"]}) == 3
    web1, web2 = inventory.pod("app", "web-1"), inventory.pod("app", "web-2")
    assert web1 is not None and web2 is not None and web1.labels is web2.labels  # one shared LabelSet
    assert [e.name for e in inventory.class_representatives()] == ["web-1", "web-3", "db-1"]
    assert [e.name for e in inventory.pods_by_aggregate("app", "web-5d9f-*")] == ["web-1", "web-2"]
    assert [e.name for e in inventory.pods_by_aggregate("app", "db-1")] == ["db-1"]  # a bare pod: its name
    assert web1.ports[0].name == "http" and web1.ports[0].port == 8080 and web1.ports[0].protocol == 6


def test_network_sets_and_longest_prefix_lookup() -> None:
    inventory, diagnostics = build_inventory([
        namespace("app", {"env": "prod"}), account("app", "default"),
        pod("app", "web-1", {"app": "web"}, "10.0.0.5"),
        {"apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkSet",
         "metadata": {"name": "rfc1918", "labels": {"scope": "private"}}, "spec": {"nets": ["10.0.0.0/8"]}},
        {"apiVersion": "projectcalico.org/v3", "kind": "NetworkSet",
         "metadata": {"name": "partners", "namespace": "app", "labels": {"role": "partner"}},
         "spec": {"nets": ["10.0.0.0/24", "2001:db8::/32"]}},
    ])
    assert diagnostics == []
    partners = inventory.network_set("app", "partners")
    assert partners is not None and partners.kind is EndpointKind.NETWORK_SET
    assert dict(partners.labels) == {"role": "partner", "projectcalico.org/namespace": "app",
                                     "pcns.env": "prod", "pcns.projectcalico.org/name": "app"}
    assert partners.profiles == ("kns.app",)
    rfc = inventory.network_set("", "rfc1918")
    assert rfc is not None and dict(rfc.labels) == {"scope": "private"}
    owners = inventory.owners_of(ipaddress.ip_address("10.0.0.5"))
    assert [e.name for e in owners] == ["web-1", "partners", "rfc1918"]
    outside_pod = inventory.endpoint_by_ip(ipaddress.ip_address("10.0.0.77"))
    assert outside_pod is not None and outside_pod.name == "partners"  # longest prefix
    wide = inventory.endpoint_by_ip(ipaddress.ip_address("10.9.0.1"))
    assert wide is not None and wide.name == "rfc1918"
    v6 = inventory.endpoint_by_ip(ipaddress.ip_address("2001:db8::1"))
    assert v6 is not None and v6.name == "partners"
    assert inventory.endpoint_by_ip(ipaddress.ip_address("192.0.2.1")) is None


def test_enterprise_network_set_labels() -> None:
    labels = network_set_labels({"a": "b"}, "n" * 70, "app", {}, global_set=False, enterprise_labels=True)
    assert labels["projectcalico.org/kind"] == "NetworkSet"
    assert labels["projectcalico.org/name"] == "n" * 63
    global_labels = network_set_labels({}, "corp", "", {}, global_set=True, enterprise_labels=True)
    assert global_labels == {"projectcalico.org/kind": "NetworkSet", "projectcalico.org/name": "corp"}
    assert network_set_labels({}, "corp", "", {}, global_set=True, enterprise_labels=False) == {}


def test_services_endpointslices_nodes_and_host_endpoints() -> None:
    inventory, diagnostics = build_inventory([{
        "apiVersion": "v1", "kind": "List", "items": [
            {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "db", "namespace": "app"},
             "spec": {"clusterIP": "172.20.0.10", "clusterIPs": ["172.20.0.10"],
                      "ports": [{"name": "pg", "port": 5432, "targetPort": "pg", "protocol": "TCP"}]}},
            {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
             "metadata": {"name": "db-abc", "namespace": "app", "labels": {"kubernetes.io/service-name": "db"}},
             "endpoints": [{"addresses": ["10.0.0.4"]}, {"addresses": ["10.0.0.8"]}],
             "ports": [{"name": "pg", "port": 5432, "protocol": "TCP"}]},
            {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1", "labels": {"zone": "a"}},
             "status": {"addresses": [{"type": "InternalIP", "address": "192.168.1.10"},
                                      {"type": "Hostname", "address": "node-1"}]}},
            {"apiVersion": "projectcalico.org/v3", "kind": "HostEndpoint",
             "metadata": {"name": "node-1-eth0", "labels": {"role": "bastion"}},
             "spec": {"node": "node-1", "expectedIPs": ["192.168.1.10"], "profiles": ["projectcalico-default-allow"],
                      "ports": [{"name": "ssh", "port": 22, "protocol": "TCP"}]}},
        ]}])
    assert diagnostics == []
    service = inventory.service("app", "db")
    assert service is not None
    assert service.ports[0].target_port == 0 and service.ports[0].target_port_name == "pg"
    assert [(str(ip), name, port, proto) for ip, name, port, proto in service.backends] == [
        ("10.0.0.4", "pg", 5432, 6), ("10.0.0.8", "pg", 5432, 6)]
    assert inventory.service_by_cluster_ip(ipaddress.ip_address("172.20.0.10")) is service
    node = inventory.node_by_ip(ipaddress.ip_address("192.168.1.10"))
    assert node is not None and node.name == "node-1" and node.labels == {"zone": "a"}
    hep = inventory.host_endpoint("node-1-eth0")
    assert hep is not None and dict(hep.labels) == {"role": "bastion"}
    assert hep.profiles == ("projectcalico-default-allow",) and hep.ports[0].name == "ssh"
    assert inventory.endpoint_by_ip(ipaddress.ip_address("192.168.1.10")) is hep


def test_bad_input_becomes_diagnostics() -> None:
    inventory, diagnostics = build_inventory([
        namespace("app"),
        {"kind": "Pod", "metadata": {"namespace": "app"}},
        pod("app", "a", {}, "10.0.0.300", sa="ghost",
            ports=[{"name": "x", "containerPort": 70000}, {"name": "y", "containerPort": 80, "protocol": "ICMP"}]),
        pod("other", "b", {}, "10.0.0.1"),
        pod("app", "c", {}, "10.0.0.1", sa=""),
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cm"}},
        "not a mapping",  # type: ignore[list-item]
    ])
    assert [(d.code, d.field_path, d.message) for d in diagnostics] == [
        ("SCH170", "metadata.name", "Pod has no metadata.name"),
        ("SCH170", "", "inventory item is not a mapping"),
        ("SCH173", "spec.serviceAccountName",
         "pod's ServiceAccount app/ghost is not in the inventory; pcsa.* labels assume no ServiceAccount labels"),
        ("SCH171", "status.podIPs[0].ip", "status.podIPs[0].ip is not an IP address: '10.0.0.300'"),
        ("SCH176", "spec.containers[0].ports[0].containerPort",
         "spec.containers[0].ports[0].containerPort is not a port number 1-65535: 70000"),
        ("SCH176", "spec.containers[0].ports[1].protocol",
         "spec.containers[0].ports[1].protocol has protocol 'ICMP'; expected TCP, UDP or SCTP"),
        ("SCH172", "metadata.namespace",
         "pod's namespace 'other' is not in the inventory; pcns.* labels assume no namespace labels"),
        ("SCH173", "spec.serviceAccountName",
         "pod's ServiceAccount other/default is not in the inventory; pcsa.* labels assume no ServiceAccount labels"),
        ("SCH175", "", "IP 10.0.0.1 belongs to both other/b and app/c"),
        ("SCH174", "", "ignored 1 ConfigMap object(s): they do not affect policy evaluation"),
    ]
    endpoint = inventory.pod("app", "a")
    assert endpoint is not None and endpoint.ips == () and endpoint.ports == ()
