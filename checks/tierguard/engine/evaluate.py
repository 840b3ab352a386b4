"""The pure evaluator: calico-semantics §3.4 per endpoint and direction, §3.1 per connection.

`Evaluator.evaluate(packet)` gives the enforced and pending verdicts with traces (and the
replace preview, our extension, on request). `Evaluator.side(..., explain=True)` runs the very
same walk and additionally records every tier, policy and rule it looked at, which is what
`tierguard explain` prints; `simulate` uses the cached walk without the recording.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from tierguard.engine.ir import (
    Action,
    CompiledPolicy,
    CompiledProfile,
    CompiledRule,
    CompiledTier,
    Direction,
    PolicyKind,
    PolicySet,
    StagedAction,
)
from tierguard.engine.match import RuleMatcher
from tierguard.engine.memo import (
    FactsIndex,
    KeyFacts,
    NetsIndex,
    SelectorIndex,
    SideKeys,
    packet_part,
)
from tierguard.engine.order import policy_sort_key, tier_sort_key
from tierguard.engine.packet import Packet, Peer, in_space
from tierguard.engine.topology import Topology
from tierguard.engine.trace import (
    NO_MATCH_PROFILE,
    PROFILE_TIER,
    FlowResult,
    Hit,
    Mode,
    ModeResult,
    PolicyStep,
    ProfileStep,
    RuleStep,
    SideResult,
    TierStep,
    TraceFormat,
    Uncertainty,
    Verdict,
)
from tierguard.inventory.model import Endpoint, EndpointKind

WORKLOAD_TO_HOST_NOTE = ("workload -> its own host: after egress policy Felix applies "
                         "defaultEndpointToHostAction (default Drop), which is not modelled "
                         "(calico-semantics §3.6b)")
HOST_TO_LOCAL_NOTE = ("host -> local workload traffic is always allowed; no pod ingress policy "
                      "applies (calico-semantics §3.6)")
_ALLOW_ALL = (CompiledRule(Action.ALLOW, 0),)
_ENFORCED_TWIN = {
    PolicyKind.STAGED_NETWORK_POLICY: PolicyKind.NETWORK_POLICY,
    PolicyKind.STAGED_GLOBAL_NETWORK_POLICY: PolicyKind.GLOBAL_NETWORK_POLICY,
    PolicyKind.STAGED_KUBERNETES_NETWORK_POLICY: PolicyKind.KUBERNETES_NETWORK_POLICY,
}


# Local peers remembered per mode and direction before a table is emptied (peers are shared
# per recorded peer, but a long run over ever-new addresses must not grow without bound).
_LOCALS_LIMIT = 200_000


def builtin_profile(name: str) -> CompiledProfile:
    """Kubernetes-derived profiles (§1.8): kns.<ns> allows everything, ksa.<ns>.<sa> has no rules."""
    if name.startswith("kns.") or name == "projectcalico-default-allow":
        return CompiledProfile(name, ingress=_ALLOW_ALL, egress=_ALLOW_ALL)
    return CompiledProfile(name)


@dataclass(frozen=True, slots=True)
class Chain:
    """What applies to one endpoint class in one direction and mode: tiers in order, profiles,
    and what its rules look at (for the memo key)."""

    tiers: tuple[tuple[CompiledTier, tuple[CompiledPolicy, ...]], ...]
    profiles: tuple[CompiledProfile, ...]
    facts: KeyFacts


# (local peer, its endpoint, chain, local part of the memo key): kept alive by the entry, so the
# ids that key it cannot be reused while it exists.
_LocalEntry = tuple[Peer, Endpoint, Chain, tuple[object, ...]]


def mode_policies(policies: Iterable[CompiledPolicy], mode: Mode) -> list[CompiledPolicy]:
    """The policies that count in a mode (calico-semantics §5; REPLACE is our extension)."""
    policies = list(policies)
    if mode is Mode.ENFORCED:
        return [p for p in policies if not p.kind.is_staged]
    if mode is Mode.PENDING:  # STAGED_AS_ENFORCED: Delete is never sent to felix (§5.1)
        return [p for p in policies if p.staged_action is not StagedAction.DELETE]
    staged = [p for p in policies if p.kind.is_staged]
    replaced = {(_ENFORCED_TWIN[p.kind], p.namespace, p.name) for p in staged}
    kept = [p for p in policies if not p.kind.is_staged
            and (p.kind, p.namespace, p.name) not in replaced]
    return kept + [p for p in staged if p.staged_action is not StagedAction.DELETE]


class Evaluator:
    """Evaluates packets against one PolicySet and one Topology, caching per label class."""

    def __init__(self, policy_set: PolicySet, topology: Topology,
                 profiles: Iterable[CompiledProfile] = ()) -> None:
        self.policy_set = policy_set
        self.topology = topology
        self.matcher = RuleMatcher(topology)
        self.trace_format = TraceFormat.for_calico(policy_set.version, policy_set.edition)
        self.tiers = self._all_tiers()
        self.missing_tiers = tuple(t.name for t in self.tiers if not t.defined)
        self._profiles = {p.name: p for p in profiles}
        key = policy_sort_key(policy_set.version, policy_set.edition)
        tier_rank = {t.name: i for i, t in enumerate(self.tiers)}
        # One global order (tier, then policy order and tie-break); modes only filter it.
        self.ordered = tuple(sorted(policy_set.policies, key=lambda p: (tier_rank[p.tier], key(p))))
        self._rank = {id(p): i for i, p in enumerate(self.ordered)}
        self._tier_of = {t.name: t for t in self.tiers}
        self._in_mode = {m: frozenset(id(p) for p in mode_policies(self.ordered, m)) for m in Mode}
        self._governing = {d: frozenset(id(p) for p in self.ordered if _governs(p, d))
                           for d in Direction}
        # Namespaced policies carry `projectcalico.org/namespace == '<ns>'` in their effective
        # selector (§3.2), so only endpoints of that namespace need to be tested against them.
        self._global = [p for p in self.ordered if not p.kind.is_namespaced]
        self._by_namespace: dict[str, list[CompiledPolicy]] = {}
        for policy in self.ordered:
            if policy.kind.is_namespaced:
                self._by_namespace.setdefault(policy.namespace, []).append(policy)
        self._applicable: dict[int, tuple[CompiledPolicy, ...]] = {}
        self._chains: dict[tuple[int, int, int], Chain] = {}
        # id()-keyed for speed; the endpoint is stored with its chain (a strong reference) so
        # its id cannot be recycled for another endpoint while the entry exists.
        self._endpoint_chains: dict[tuple[int, int, int], tuple[Endpoint, Chain]] = {}
        self._mode_results: dict[tuple[int, int, int], ModeResult] = {}
        self._memo: dict[tuple[object, ...], SideResult] = {}
        # Per mode: (egress, ingress) tables of local peer -> chain and key part (see _cached_side).
        self._locals: dict[int, tuple[dict[int, _LocalEntry], dict[int, _LocalEntry]]] = {
            id(mode): ({}, {}) for mode in Mode}
        all_rules = [r for p in policy_set.policies for r in p.ingress + p.egress]
        all_rules += [r for p in self._profiles.values() for r in p.ingress + p.egress]
        self._keys = SideKeys(NetsIndex(all_rules), SelectorIndex(all_rules))
        self._facts = FactsIndex(self._keys.index, self._keys.selectors)

    def _all_tiers(self) -> tuple[CompiledTier, ...]:
        tiers = {t.name: t for t in self.policy_set.tiers}
        for policy in self.policy_set.policies:
            if policy.tier not in tiers:  # felix keeps such tiers, sorted after valid ones
                tiers[policy.tier] = CompiledTier(policy.tier, None, Action.DENY, defined=False)
        return tuple(sorted(tiers.values(), key=tier_sort_key))

    @property
    def side_keys(self) -> SideKeys:
        """The memo-key builder (shared with the verdict matrix)."""
        return self._keys

    def profile(self, name: str) -> CompiledProfile:
        return self._profiles.get(name) or builtin_profile(name)

    def chain(self, endpoint: Endpoint, direction: Direction, mode: Mode) -> Chain:
        """Tiers with policies that select `endpoint` and govern `direction` (§3.2, §3.3)."""
        # Keyed by endpoint object (the topology keeps it alive, so its id is stable), then
        # shared per label class; ids because hashing enums is slow in the hot path.
        fast = (id(endpoint), id(direction), id(mode))
        cached = self._endpoint_chains.get(fast)
        if cached is not None and cached[0] is endpoint:
            return cached[1]
        key = (self.topology.class_of(endpoint), id(direction), id(mode))
        found = self._chains.get(key)
        if found is None:
            found = self._chains[key] = self._build_chain(endpoint, direction, mode)
        self._endpoint_chains[fast] = (endpoint, found)
        return found

    def applicable(self, endpoint: Endpoint) -> tuple[CompiledPolicy, ...]:
        """Every policy (any mode, any direction) whose selector selects `endpoint`, in order."""
        class_id = self.topology.class_of(endpoint)
        found = self._applicable.get(class_id)
        if found is None:
            candidates = self._global + self._by_namespace.get(endpoint.namespace, [])
            candidates.sort(key=lambda p: self._rank[id(p)])
            labels = endpoint.labels
            found = self._applicable[class_id] = tuple(
                p for p in candidates if p.selector.matches(labels))
        return found

    def _build_chain(self, endpoint: Endpoint, direction: Direction, mode: Mode) -> Chain:
        in_mode, governing = self._in_mode[mode], self._governing[direction]
        grouped: dict[str, list[CompiledPolicy]] = {}
        for policy in self.applicable(endpoint):
            if id(policy) in in_mode and id(policy) in governing:
                grouped.setdefault(policy.tier, []).append(policy)
        # A tier with no applicable policy is skipped entirely (§3.3); dicts keep tier order.
        tiers = tuple((self._tier_of[name], tuple(ps)) for name, ps in grouped.items())
        profiles = tuple(self.profile(n) for n in endpoint.profiles)
        rules = [r for _, ps in tiers for p in ps for r in p.rules(direction)]
        rules += [r for prof in profiles for r in _profile_rules(prof, direction)]
        return Chain(tiers, profiles, self._facts.facts(rules, direction))

    def side(self, endpoint: Endpoint, direction: Direction, pkt: Packet, mode: Mode,
             explain: bool = False) -> SideResult:
        """The verdict of `endpoint` for `direction` (egress at the source, ingress at the dest)."""
        if explain:
            chain = self.chain(endpoint, direction, mode)
            return _Walk(self, chain, direction, pkt, mode, record=True).run()
        ingress = direction is Direction.INGRESS
        peer, local = (pkt.src, pkt.dst) if ingress else (pkt.dst, pkt.src)
        return self._cached_side(self._locals[id(mode)][ingress], endpoint, direction, mode,
                                 local, peer, pkt, packet_part(pkt))

    def _cached_side(self, locals_: dict[int, _LocalEntry], endpoint: Endpoint,
                     direction: Direction, mode: Mode, local: Peer, peer: Peer, pkt: Packet,
                     pkt_part: tuple[object, ...]) -> SideResult:
        """`side` through the memo. The chain and the local part of the key depend only on the
        local peer (immutable, and shared by every record that reports it), so they are looked
        up once per peer object in `locals_`, this mode and direction's table."""
        entry = locals_.get(id(local))
        if entry is None or entry[0] is not local or entry[1] is not endpoint:
            chain = self.chain(endpoint, direction, mode)
            if len(locals_) >= _LOCALS_LIMIT:
                locals_.clear()
            entry = locals_[id(local)] = (local, endpoint, chain,
                                          self._keys.local_part(id(chain), chain.facts, local))
        chain = entry[2]
        key = (entry[3], self._keys.peer_part(chain.facts, peer), peer.space, pkt_part)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = _Walk(self, chain, direction, pkt, mode, record=False).run()
        return found

    def evaluate(self, pkt: Packet, with_replace: bool = False,
                 explain: bool = False) -> FlowResult:
        """Both reporters, enforced and pending (and the replace preview if asked)."""
        src, dst = pkt.src, pkt.dst
        if not src.is_enforcing and not dst.is_enforcing:
            return FlowResult(pkt, None, None, error=(
                "neither end is a Calico endpoint in the inventory, so no Calico policy applies "
                f"({pkt.describe()})"))
        if src.ip is not None and dst.ip is not None and src.ip.version != dst.ip.version:
            return FlowResult(pkt, None, None, error=mixed_families(pkt))
        if self._host_to_local(src, dst):
            allow = {m: ModeResult(m, Verdict.ALLOW, None, None) for m in Mode}
            return FlowResult(pkt, allow[Mode.ENFORCED], allow[Mode.PENDING],
                              allow[Mode.REPLACE] if with_replace else None,
                              notes=(HOST_TO_LOCAL_NOTE,))
        pkt_part = packet_part(pkt)
        replace = self._mode(pkt, Mode.REPLACE, explain, pkt_part) if with_replace else None
        notes = (WORKLOAD_TO_HOST_NOTE,) if self._to_own_host(src, dst) else ()
        enforced = self._mode(pkt, Mode.ENFORCED, explain, pkt_part)
        pending = self._mode(pkt, Mode.PENDING, explain, pkt_part)
        denied = (enforced.verdict is Verdict.DENY or pending.verdict is Verdict.DENY
                  or (replace is not None and replace.verdict is Verdict.DENY))
        doubt = self._maybe_host_to_local(src, dst) if denied else ""
        return FlowResult(pkt, enforced, pending, replace, notes=notes,
                          doubts=(doubt,) if doubt else ())

    def _mode(self, pkt: Packet, mode: Mode, explain: bool,
              pkt_part: tuple[object, ...]) -> ModeResult:
        src = dst = None
        egress, ingress = self._locals[id(mode)]
        if pkt.src.is_enforcing:
            assert pkt.src.endpoint is not None
            src = (self.side(pkt.src.endpoint, Direction.EGRESS, pkt, mode, True) if explain
                   else self._cached_side(egress, pkt.src.endpoint, Direction.EGRESS, mode,
                                          pkt.src, pkt.dst, pkt, pkt_part))
        if src is not None and src.verdict is Verdict.DENY:
            # The packet never leaves the source: no dst record exists (§3.1, §9.2).
            return ModeResult(mode, Verdict.DENY, src, None) if explain else \
                self._mode_result(mode, Verdict.DENY, src, None)
        if pkt.dst.is_enforcing:
            assert pkt.dst.endpoint is not None
            dst = (self.side(pkt.dst.endpoint, Direction.INGRESS, pkt, mode, True) if explain
                   else self._cached_side(ingress, pkt.dst.endpoint, Direction.INGRESS, mode,
                                          pkt.dst, pkt.src, pkt, pkt_part))
        verdict = Verdict.DENY if dst is not None and dst.verdict is Verdict.DENY else Verdict.ALLOW
        if explain:
            return ModeResult(mode, verdict, src, dst)
        return self._mode_result(mode, verdict, src, dst)

    def _mode_result(self, mode: Mode, verdict: Verdict, src: SideResult | None,
                     dst: SideResult | None) -> ModeResult:
        # Memoized sides live as long as the evaluator, so their ids identify them.
        key = (id(mode), id(src), id(dst))
        found = self._mode_results.get(key)
        if found is None:
            found = self._mode_results[key] = ModeResult(mode, verdict, src, dst)
        return found

    def _to_own_host(self, src: Peer, dst: Peer) -> bool:
        if src.endpoint is None or src.endpoint.kind is not EndpointKind.WORKLOAD:
            return False
        return dst.node != "" and dst.node == src.endpoint.node

    def _maybe_host_to_local(self, src: Peer, dst: Peer) -> str:
        """Why a denial may be wrong when the source address was aggregated away and may be the
        destination pod's own node (a kubelet probe): Calico never polices host -> local pod
        traffic (§3.6, §3.6b). "" when that cannot be the case."""
        if src.ip is not None or src.endpoint is not None or src.space is None:
            return ""
        if dst.endpoint is None or dst.endpoint.kind is not EndpointKind.WORKLOAD:
            return ""
        node = dst.endpoint.node
        addresses = self.topology.node_addresses(node) if node else ()
        if addresses and not any(in_space(ip, src.space) for ip in addresses):
            return ""  # e.g. `pub` while every address of the pod's node is private
        where = f"node {node}" if node else "its node (the pod's node is not in the inventory)"
        shown = f" ({', '.join(str(a) for a in addresses)})" if addresses else ""
        return (f"source is {src.space.describe()}: if it is an address of {where}{shown}, where "
                f"{dst.describe()} runs (e.g. a kubelet probe), Calico does not police host -> "
                "local workload traffic and the connection is allowed (calico-semantics §3.6); "
                "evaluated as a non-host peer")

    def _host_to_local(self, src: Peer, dst: Peer) -> bool:
        if dst.endpoint is None or dst.endpoint.kind is not EndpointKind.WORKLOAD:
            return False
        node = src.node
        if not node and src.endpoint is not None and src.endpoint.kind is EndpointKind.HOST:
            node = src.endpoint.node
        return node != "" and node == dst.endpoint.node


def mixed_families(pkt: Packet) -> str:
    """The error for a packet whose two known addresses are of different IP families."""
    src, dst = pkt.src.ip, pkt.dst.ip
    if src is None or dst is None or src.version == dst.version:
        return ""
    return (f"source {src} is IPv{src.version} but destination {dst} is IPv{dst.version}: one "
            "connection cannot mix address families, so no policy can be evaluated")


def _governs(policy: CompiledPolicy, direction: Direction) -> bool:
    # felix reads an empty types list as both directions (back-compat, calico-semantics §3.2);
    # the API server always defaults types, so only rule-less admin/cluster policies have none.
    return policy.governs(direction) or not policy.types


def _profile_rules(profile: CompiledProfile, direction: Direction) -> tuple[CompiledRule, ...]:
    return profile.ingress if direction is Direction.INGRESS else profile.egress


class _Walk:
    """One run of the §3.4 reference algorithm; records explain steps when asked."""

    def __init__(self, evaluator: Evaluator, chain: Chain, direction: Direction, pkt: Packet,
                 mode: Mode, record: bool) -> None:
        self.ev = evaluator
        self.chain = chain
        self.direction = direction
        self.pkt = pkt
        self.mode = mode
        self.record = record
        self.hits: list[Hit] = []
        self.uncertain: list[Uncertainty] = []
        self.tier_steps: list[TierStep] = []
        self.profile_steps: list[ProfileStep] = []

    def run(self) -> SideResult:
        verdict = self._tiers()
        if verdict is None:
            verdict = self._profiles()
        return SideResult(self.direction, verdict, tuple(self.hits), tuple(self.uncertain),
                          tuple(self.tier_steps), tuple(self.profile_steps))

    def _tiers(self) -> Verdict | None:
        for tier, policies in self.chain.tiers:
            steps: list[PolicyStep] = []
            hit = self._tier(tier, policies, steps)
            if self.record:
                self.tier_steps.append(TierStep(tier, tuple(steps), hit))
            self.hits.append(hit)
            if hit.action is Action.ALLOW:
                return Verdict.ALLOW
            if hit.action is Action.DENY:
                return Verdict.DENY
        return None  # fell through every tier (none applied, or the last one passed)

    def _tier(self, tier: CompiledTier, policies: tuple[CompiledPolicy, ...],
              steps: list[PolicyStep]) -> Hit:
        for policy in policies:
            rule, tried = self._first_match(policy.rules(self.direction), policy, "")
            if self.record:
                steps.append(PolicyStep(policy, tried))
            if rule is not None:
                return Hit(tier.name, rule.action, rule.index, policy=policy, rule=rule)
        # End of tier: the dataplane names the last applicable policy, the checker the first.
        blamed = policies[0] if self.mode is Mode.PENDING else policies[-1]
        return Hit(tier.name, tier.default_action, -1, policy=blamed)

    def _first_match(self, rules: tuple[CompiledRule, ...], policy: CompiledPolicy | None,
                     profile: str) -> tuple[CompiledRule | None, tuple[RuleStep, ...]]:
        """The first matching non-Log rule, plus the rules tried when recording."""
        namespace = policy.namespace if policy is not None else ""
        tried: list[RuleStep] = []
        for rule in rules:
            why = self.ev.matcher.check(rule, self.pkt, namespace)
            if self.record:
                tried.append(RuleStep(rule.index, rule.action, why))
            if why is not None:
                if why.uncertain:
                    self.uncertain.append(Uncertainty(policy, profile, rule.index, why))
                continue
            if rule.action is not Action.LOG:  # Log: log and keep scanning
                return rule, tuple(tried)
        return None, tuple(tried)

    def _profiles(self) -> Verdict:
        for profile in self.chain.profiles:
            rule, tried = self._first_match(_profile_rules(profile, self.direction), None,
                                            profile.name)
            if self.record:
                self.profile_steps.append(ProfileStep(profile.name, tried))
            if rule is None:
                continue
            if rule.action is Action.ALLOW:
                self.hits.append(Hit(PROFILE_TIER, Action.ALLOW, rule.index, profile=profile.name,
                                     rule=rule))
                return Verdict.ALLOW
            if rule.action is Action.DENY or self.mode is Mode.PENDING:
                # Pass in a profile: the checker treats it as deny; the dataplane moves on.
                self.hits.append(Hit(PROFILE_TIER, Action.DENY, rule.index, profile=profile.name,
                                     rule=rule))
                return Verdict.DENY
        # No profile allowed (e.g. a host endpoint without profiles): deny.
        self.hits.append(Hit(PROFILE_TIER, Action.DENY, 0, profile=NO_MATCH_PROFILE))
        return Verdict.DENY
