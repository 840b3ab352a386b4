"""What the generator believes the example policies do, to fill each record's `policies` field.

Real flow logs carry the dataplane's policy trace. To make the recorded data self-consistent the
generator evaluates a hand-written model of the policies in policies/ (same tiers, orders, rules
and selectors) with the tier algorithm of calico-semantics §3.4. This is NOT tierguard's engine and
is not used to judge anything: tierguard recomputes every verdict from the YAML. If a policy file
changes, the recorded traces stay what the cluster logged at recording time, as real logs would.

Strings use Format A (Calico Enterprise): `<idx>|<tier>|<name part>|<action>|<rule>`.
"""

from __future__ import annotations

import enum
import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from tierguard.examplegen.topology import Environment, PortSpec

IMDS = ipaddress.IPv4Network("169.254.169.254/32")


class Direction(enum.Enum):
    INGRESS = "ingress"
    EGRESS = "egress"


@dataclass(frozen=True, slots=True)
class Party:
    """One end of a flow as policy sees it."""

    kind: str  # wep | net | ns
    ip: ipaddress.IPv4Address
    namespace: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    service_account: str = ""
    ports: tuple[PortSpec, ...] = ()
    set_labels: Mapping[str, str] = field(default_factory=dict)  # GlobalNetworkSet labels, kind ns


# (local endpoint, peer, destination port, protocol) -> matches?
Match = Callable[[Party, Party, int, str], bool]


@dataclass(frozen=True, slots=True)
class Rule:
    action: str  # allow | deny | pass
    match: Match


@dataclass(frozen=True, slots=True)
class BeliefPolicy:
    tier: str
    order: float
    name_part: str
    applies: Callable[[Party], bool]
    ingress: tuple[Rule, ...] | None = None  # None: does not govern ingress
    egress: tuple[Rule, ...] | None = None
    staged: bool = False

    def rules(self, direction: Direction) -> tuple[Rule, ...] | None:
        return self.ingress if direction is Direction.INGRESS else self.egress


@dataclass(frozen=True, slots=True)
class Hit:
    tier: str
    name_part: str
    action: str
    rule: int

    def render(self, index: int) -> str:
        return f"{index}|{self.tier}|{self.name_part}|{self.action}|{self.rule}"


@dataclass(frozen=True, slots=True)
class Verdict:
    action: str  # allow | deny
    hits: tuple[Hit, ...]

    def strings(self) -> list[str]:
        return [hit.render(i) for i, hit in enumerate(self.hits)]


TIERS: tuple[tuple[str, str], ...] = (("security", "pass"), ("platform", "pass"), ("application", "deny"),
                                      ("default", "deny"))


# --- predicates ------------------------------------------------------------------------------------

def _labels_match(labels: Mapping[str, str], wanted: Mapping[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in wanted.items())


def pod(namespace: str | None, **wanted: str) -> Callable[[Party], bool]:
    """A workload endpoint in `namespace` (None: any namespace) with these labels."""
    want = {k.replace("__", "/").replace("_", "."): v for k, v in wanted.items()}
    return lambda p: p.kind == "wep" and (namespace is None or p.namespace == namespace) and _labels_match(p.labels, want)


def labelled(namespace: str | None, labels: Mapping[str, str]) -> Callable[[Party], bool]:
    return lambda p: p.kind == "wep" and (namespace is None or p.namespace == namespace) and _labels_match(p.labels, labels)


def in_set(labels: Mapping[str, str]) -> Callable[[Party], bool]:
    return lambda p: p.kind == "ns" and _labels_match(p.set_labels, labels)


def in_net(net: ipaddress.IPv4Network) -> Callable[[Party], bool]:
    return lambda p: p.ip in net


def _named(local: Party, port: int, protocol: str, port_names: tuple[str, ...]) -> bool:
    return any(p.name in port_names and p.port == port and p.protocol == protocol for p in local.ports)


def rule(action: str, peer: Callable[[Party], bool] | None = None, *, protocol: str | None = None,
         ports: tuple[int, ...] = (), port_names: tuple[str, ...] = (),
         local: Callable[[Party], bool] | None = None) -> Rule:
    def match(me: Party, other: Party, port: int, proto: str) -> bool:
        if protocol is not None and proto != protocol:
            return False
        if ports and port not in ports:
            return False
        if port_names and not _named(me, port, proto, port_names):
            return False
        if local is not None and not local(me):
            return False
        return peer is None or peer(other)
    return Rule(action, match)


def everyone(p: Party) -> bool:
    return p.kind == "wep"


# --- the example's policies ------------------------------------------------------------------------

# Sock Shop ingress allow-lists, exactly as in policies/application/sock-shop/*.yaml:
# service -> [(caller `name` label, port)]. carts is written with the typo'd selector below.
SOCK_SHOP_INGRESS: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = (
    ("catalogue", (("front-end", 80),)),
    ("catalogue-db", (("catalogue", 3306),)),
    ("carts-db", (("carts", 27017),)),
    ("orders", (("front-end", 80),)),
    ("orders-db", (("orders", 27017),)),
    ("payment", (("orders", 80),)),
    ("shipping", (("orders", 80),)),
    ("user", (("front-end", 80), ("orders", 80))),
    ("user-db", (("user", 27017),)),
    ("rabbitmq", (("shipping", 5672), ("queue-master", 5672))),
    ("session-db", (("front-end", 6379),)),
    ("queue-master", ()),
)

_CONTROLLER = pod("ingress-nginx", app_kubernetes_io__name="ingress-nginx")
_KUBE_DNS = pod("kube-system", **{"k8s-app": "kube-dns"})


def _security(env: Environment) -> list[BeliefPolicy]:
    others = {"security.example.com/zone": "other-environments"}
    return [
        BeliefPolicy("security", 10, "security.quarantine",
                     lambda p: p.labels.get("security.example.com/quarantine") == "true",
                     ingress=(rule("deny"),), egress=(rule("deny"),)),
        BeliefPolicy("security", 100, "security.block-instance-metadata", everyone, egress=(
            rule("pass", in_net(IMDS), protocol="TCP", ports=(80,),
                 local=lambda p: p.namespace == "kube-system" and p.service_account == "ebs-csi-controller-sa"),
            rule("deny", in_net(IMDS)))),
        BeliefPolicy("security", 200, "security.deny-cross-environment", everyone,
                     ingress=(rule("deny", in_set(others)),), egress=(rule("deny", in_set(others)),)),
    ]


def _platform(env: Environment) -> list[BeliefPolicy]:
    any_pod = everyone
    prometheus = pod("monitoring", app_kubernetes_io__name="prometheus")
    return [
        BeliefPolicy("platform", 100, "platform.allow-dns-egress", everyone, egress=(
            rule("allow", _KUBE_DNS, protocol="UDP", ports=(53,)),
            rule("allow", _KUBE_DNS, protocol="TCP", ports=(53,)))),
        BeliefPolicy("platform", 100, "kube-system/platform.kube-dns-ingress", _KUBE_DNS, ingress=(
            rule("allow", any_pod, protocol="UDP", ports=(53,)),
            rule("allow", any_pod, protocol="TCP", ports=(53,)))),
        BeliefPolicy("platform", 200, "platform.allow-prometheus-scrape", everyone, ingress=(
            rule("allow", prometheus, protocol="TCP", port_names=("metrics", "exporter", "http")),)),
        BeliefPolicy("platform", 500, "ingress-nginx/platform.ingress-nginx-controller",
                     pod("ingress-nginx", app_kubernetes_io__name="ingress-nginx", app_kubernetes_io__component="controller"),
                     ingress=(rule("allow", protocol="TCP", ports=(80, 443)),
                              rule("allow", in_net(env.vpc_cidr), protocol="TCP", ports=(10254,)),
                              rule("deny"))),
    ]


def _sock_shop() -> list[BeliefPolicy]:
    policies = [BeliefPolicy("application", 100, "sock-shop/application.front-end", pod("sock-shop", name="front-end"),
                             ingress=(rule("allow", _CONTROLLER, protocol="TCP", ports=(8079,)),))]
    for service, callers in SOCK_SHOP_INGRESS:
        policies.append(BeliefPolicy(
            "application", 100, f"sock-shop/application.{service}", pod("sock-shop", name=service),
            ingress=tuple(rule("allow", pod("sock-shop", name=caller), protocol="TCP", ports=(port,))
                          for caller, port in callers)))
    # The deliberate bug: `name == 'cart'` selects no pod (the pods are labelled name=carts).
    policies.append(BeliefPolicy("application", 100, "sock-shop/application.carts", pod("sock-shop", name="cart"),
                                 ingress=(rule("allow", pod("sock-shop", name="front-end"), protocol="TCP", ports=(80,)),
                                          rule("allow", pod("sock-shop", name="orders"), protocol="TCP", ports=(80,)))))
    policies.append(BeliefPolicy("application", 1000, "sock-shop/application.staged:default-deny", pod("sock-shop"),
                                 ingress=(), staged=True))
    return policies


def _ledger(env: Environment) -> list[BeliefPolicy]:
    db = pod("ledger", app_kubernetes_io__name="ledger-db")
    worker_staged = "ledger/application.ledger-worker-egress" in env.staged_policies
    worker_name = "ledger/application.staged:ledger-worker-egress" if worker_staged else "ledger/application.ledger-worker-egress"
    return [
        BeliefPolicy("application", 100, "ledger/application.ledger-api", pod("ledger", app_kubernetes_io__name="ledger-api"),
                     ingress=(rule("allow", _CONTROLLER, protocol="TCP", port_names=("http",)),),
                     egress=(rule("allow", db, protocol="TCP", ports=(5432,)),)),
        BeliefPolicy("application", 200, worker_name, pod("ledger", app_kubernetes_io__name="ledger-worker"),
                     egress=(rule("allow", db, protocol="TCP", ports=(5432,)),
                             rule("allow", in_set({"external.example.com/service": "partner-bank-api"}), protocol="TCP",
                                  ports=(443,))),
                     staged=worker_staged),
        BeliefPolicy("default", 1000, "ledger/knp.default.default-deny-ingress", pod("ledger"), ingress=()),
        BeliefPolicy("default", 1000, "ledger/knp.default.ledger-db", db, ingress=(
            rule("allow", labelled("ledger", {"ledger.example.com/db-client": "true"}), protocol="TCP", ports=(5432,)),)),
    ]


def example_policies(env: Environment) -> tuple[BeliefPolicy, ...]:
    return tuple(_security(env) + _platform(env) + _sock_shop() + _ledger(env))


# --- evaluation (calico-semantics §3.4, Enterprise ordering) ---------------------------------------

def _sort_key(policy: BeliefPolicy) -> tuple[float, str]:
    # Enterprise compares v1 names with `staged:` stripped (the staged copy sorts just before).
    return policy.order, policy.name_part.replace("staged:", "")


def evaluate(policies: tuple[BeliefPolicy, ...], local: Party, peer: Party, port: int, protocol: str,
             direction: Direction, *, pending: bool) -> Verdict:
    """The enforced trace (pending=False) or the pending trace (staged policies count)."""
    hits: list[Hit] = []
    for tier, default_action in TIERS:
        applicable = sorted((p for p in policies if p.tier == tier and (pending or not p.staged)
                             and p.rules(direction) is not None and p.applies(local)), key=_sort_key)
        if not applicable:
            continue
        verdict = _evaluate_tier(applicable, local, peer, port, protocol, direction)
        if verdict is None:
            # End of tier: enforced traces name the last applicable policy, pending ones the first.
            attributed = applicable[0] if pending else applicable[-1]
            verdict = Hit(tier, attributed.name_part, default_action, -1)
        hits.append(verdict)
        if verdict.action != "pass":
            return Verdict(verdict.action, tuple(hits))
    namespace = local.namespace
    hits.append(Hit("__PROFILE__", f"__PROFILE__.kns.{namespace}", "allow", 0))
    return Verdict("allow", tuple(hits))


def _evaluate_tier(applicable: list[BeliefPolicy], local: Party, peer: Party, port: int, protocol: str,
                   direction: Direction) -> Hit | None:
    for policy in applicable:
        for index, candidate in enumerate(policy.rules(direction) or ()):
            if candidate.match(local, peer, port, protocol):
                return Hit(policy.tier, policy.name_part, candidate.action, index)
    return None
