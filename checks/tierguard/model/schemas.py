"""Field definitions of every kind this package models (written from the API types; see
calico-semantics §1 for Calico, networking.k8s.io/v1 for NetworkPolicy, and
policy.networking.k8s.io v1alpha1/v1alpha2 for the admin kinds)."""

from __future__ import annotations

from tierguard.model.schema import (
    ANY,
    ANY_OBJECT,
    BOOLEAN,
    INT_OR_STRING,
    INTEGER,
    NUMBER,
    STRING,
    STRINGS,
    Arr,
    Obj,
    Spec,
    StrMap,
    enum_of,
    obj,
)

METADATA = obj(
    name=STRING, generateName=STRING, namespace=STRING, selfLink=STRING, uid=STRING,
    resourceVersion=STRING, generation=INTEGER, creationTimestamp=ANY, deletionTimestamp=ANY,
    deletionGracePeriodSeconds=INTEGER, labels=StrMap(), annotations=StrMap(),
    ownerReferences=Arr(ANY_OBJECT), finalizers=STRINGS, managedFields=Arr(ANY_OBJECT),
)


def top_level(spec: Obj, *, spec_required: bool = False) -> Obj:
    required = ("apiVersion", "kind", "metadata") + (("spec",) if spec_required else ())
    return obj(required, apiVersion=STRING, kind=STRING, metadata=obj(("name",), **METADATA.fields),
               spec=spec, status=ANY_OBJECT)


# --- Calico projectcalico.org/v3 --------------------------------------------------------------

PORTS = Arr(INT_OR_STRING)
ENTITY_RULE = obj(
    nets=STRINGS, notNets=STRINGS, selector=STRING, notSelector=STRING, namespaceSelector=STRING,
    ports=PORTS, notPorts=PORTS,
    serviceAccounts=obj(names=STRINGS, selector=STRING),
    services=obj(name=STRING, namespace=STRING),
    domains=STRINGS,  # Calico Enterprise only; the edition rule decides whether it is allowed
)
ICMP = obj(type=INTEGER, code=INTEGER)
HTTP_PATH = obj(exact=STRING, prefix=STRING)
RULE = obj(
    ("action",),
    action=enum_of("Allow", "Deny", "Log", "Pass"),
    ipVersion=enum_of(4, 6),
    protocol=INT_OR_STRING, notProtocol=INT_OR_STRING,
    icmp=ICMP, notICMP=ICMP,
    source=ENTITY_RULE, destination=ENTITY_RULE,
    http=obj(methods=STRINGS, paths=Arr(HTTP_PATH)),
    metadata=obj(annotations=StrMap()),
)
_POLICY_FIELDS: dict[str, Spec] = {
    "tier": STRING, "order": NUMBER, "selector": STRING, "serviceAccountSelector": STRING,
    "types": Arr(enum_of("Ingress", "Egress")), "ingress": Arr(RULE), "egress": Arr(RULE),
    "performanceHints": Arr(enum_of("AssumeNeededOnEveryNode")),
}
_GLOBAL_FIELDS: dict[str, Spec] = {
    "namespaceSelector": STRING, "doNotTrack": BOOLEAN, "preDNAT": BOOLEAN, "applyOnForward": BOOLEAN,
}
STAGED_ACTION = enum_of("Set", "Delete", "Learn", "Ignore")

NETWORK_POLICY_SPEC = Obj(_POLICY_FIELDS)
GLOBAL_NETWORK_POLICY_SPEC = Obj({**_POLICY_FIELDS, **_GLOBAL_FIELDS})
STAGED_NETWORK_POLICY_SPEC = Obj({**_POLICY_FIELDS, "stagedAction": STAGED_ACTION})
STAGED_GLOBAL_NETWORK_POLICY_SPEC = Obj({**_POLICY_FIELDS, **_GLOBAL_FIELDS, "stagedAction": STAGED_ACTION})
TIER_SPEC = obj(order=NUMBER, defaultAction=enum_of("Deny", "Pass"))
NETWORK_SET_SPEC = obj(nets=STRINGS, allowedEgressDomains=STRINGS)
HOST_ENDPOINT_SPEC = obj(
    node=STRING, interfaceName=STRING, expectedIPs=STRINGS, profiles=STRINGS,
    ports=Arr(obj(("name", "port", "protocol"), name=STRING, port=INTEGER, protocol=INT_OR_STRING)),
)

# --- Kubernetes networking.k8s.io/v1 ----------------------------------------------------------

LABEL_SELECTOR = obj(
    matchLabels=StrMap(),
    matchExpressions=Arr(obj(("key", "operator"), key=STRING,
                             operator=enum_of("In", "NotIn", "Exists", "DoesNotExist"), values=STRINGS)),
)
K8S_PORT = obj(protocol=enum_of("TCP", "UDP", "SCTP"), port=INT_OR_STRING, endPort=INTEGER)
K8S_PEER = obj(podSelector=LABEL_SELECTOR, namespaceSelector=LABEL_SELECTOR,
               ipBlock=Obj({"cidr": STRING, "except": STRINGS}, frozenset({"cidr"})))
K8S_NETWORK_POLICY_SPEC = obj(
    podSelector=LABEL_SELECTOR,
    policyTypes=Arr(enum_of("Ingress", "Egress")),
    ingress=Arr(Obj({"ports": Arr(K8S_PORT), "from": Arr(K8S_PEER)})),
    egress=Arr(obj(ports=Arr(K8S_PORT), to=Arr(K8S_PEER))),
)
STAGED_K8S_NETWORK_POLICY_SPEC = Obj({**K8S_NETWORK_POLICY_SPEC.fields, "stagedAction": STAGED_ACTION})

# --- policy.networking.k8s.io: AdminNetworkPolicy, BaselineAdminNetworkPolicy (v1alpha1) ------

PODS_PEER = obj(("namespaceSelector", "podSelector"), namespaceSelector=LABEL_SELECTOR,
                podSelector=LABEL_SELECTOR)
SUBJECT = obj(namespaces=LABEL_SELECTOR, pods=PODS_PEER)
ANP_PORT = obj(
    portNumber=obj(("protocol", "port"), protocol=enum_of("TCP", "UDP", "SCTP"), port=INTEGER),
    namedPort=STRING,
    portRange=obj(("protocol", "start", "end"), protocol=enum_of("TCP", "UDP", "SCTP"), start=INTEGER,
                  end=INTEGER),
)
_ANP_INGRESS_PEER = obj(namespaces=LABEL_SELECTOR, pods=PODS_PEER)
_ANP_EGRESS_PEER = obj(namespaces=LABEL_SELECTOR, pods=PODS_PEER, nodes=LABEL_SELECTOR, networks=STRINGS,
                       domainNames=STRINGS)


def _admin_rules(actions: tuple[str, ...]) -> tuple[Arr, Arr]:
    ingress = Obj({"name": STRING, "action": enum_of(*actions), "ports": Arr(ANP_PORT),
                   "from": Arr(_ANP_INGRESS_PEER)}, frozenset({"action", "from"}))
    egress = obj(("action", "to"), name=STRING, action=enum_of(*actions), ports=Arr(ANP_PORT),
                 to=Arr(_ANP_EGRESS_PEER))
    return Arr(ingress), Arr(egress)


_ANP_INGRESS, _ANP_EGRESS = _admin_rules(("Allow", "Deny", "Pass"))
_BANP_INGRESS, _BANP_EGRESS = _admin_rules(("Allow", "Deny"))
ADMIN_NETWORK_POLICY_SPEC = obj(("priority", "subject"), priority=INTEGER, subject=SUBJECT,
                                ingress=_ANP_INGRESS, egress=_ANP_EGRESS)
BASELINE_ADMIN_NETWORK_POLICY_SPEC = obj(("subject",), subject=SUBJECT, ingress=_BANP_INGRESS,
                                         egress=_BANP_EGRESS)

# --- policy.networking.k8s.io/v1alpha2 ClusterNetworkPolicy -----------------------------------

_PORT_RANGE = obj(("start", "end"), start=INTEGER, end=INTEGER)
_DESTINATION_PORT = obj(destinationPort=obj(number=INTEGER, range=_PORT_RANGE))
CNP_PROTOCOL = obj(tcp=_DESTINATION_PORT, udp=_DESTINATION_PORT, sctp=_DESTINATION_PORT,
                   destinationNamedPort=STRING)
_CNP_ACTIONS = enum_of("Accept", "Deny", "Pass")
CLUSTER_NETWORK_POLICY_SPEC = obj(
    ("tier", "priority", "subject"),
    tier=enum_of("Admin", "Baseline"), priority=INTEGER, subject=SUBJECT,
    ingress=Arr(Obj({"name": STRING, "action": _CNP_ACTIONS, "protocols": Arr(CNP_PROTOCOL),
                     "from": Arr(_ANP_INGRESS_PEER)}, frozenset({"action"}))),
    egress=Arr(obj(("action",), name=STRING, action=_CNP_ACTIONS, protocols=Arr(CNP_PROTOCOL),
                   to=Arr(_ANP_EGRESS_PEER))),
)
