"""`recommend` as one pure call: flow records + inventory + existing policy -> YAML + proofs.

The generated text is what gets proven: each output is parsed back with the project loader,
built into models and compiled with the engine together with the existing policies, and those
compiled objects are what the flows are replayed against.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tierguard.diagnostics import Diagnostic, Severity, Span
from tierguard.engine.compile import builtin_tiers, compile_policy_set, profiles_for
from tierguard.engine.ir import CompiledPolicy, PolicySet
from tierguard.engine.topology import Topology
from tierguard.flows.model import FlowRecord
from tierguard.inventory.model import Endpoint, Node, Service
from tierguard.loader.resources import extract_resources
from tierguard.loader.yaml_source import load_yaml_text
from tierguard.model.build import build_resource
from tierguard.model.calico import Tier
from tierguard.recommend import codes
from tierguard.recommend.build import recommend
from tierguard.recommend.collect import collect, default_namespaces
from tierguard.recommend.model import Options, Recommendation
from tierguard.recommend.render import render_policy, render_tier
from tierguard.recommend.verify import Proof, Status, prove_all


@dataclass(frozen=True, slots=True)
class Output:
    """One file to write: `name` is the display path used in diagnostics."""

    name: str
    text: str
    namespace: str = ""  # "" for the Tier file


@dataclass(frozen=True, slots=True)
class Result:
    namespaces: tuple[str, ...]
    recommendations: tuple[Recommendation, ...]
    outputs: tuple[Output, ...]
    proofs: tuple[Proof, ...]
    diagnostics: tuple[Diagnostic, ...]
    records: int
    used: int

    @property
    def broken(self) -> int:
        return sum(p.count(Status.BROKEN) for p in self.proofs)


@dataclass(frozen=True, slots=True)
class World:
    """The recorded cluster and its existing policy models (any modelled kind; others ignored)."""

    endpoints: tuple[Endpoint, ...]
    services: tuple[Service, ...] = ()
    nodes: tuple[Node, ...] = ()
    models: tuple[object, ...] = ()


def known_tiers(models: Iterable[object], options: Options) -> frozenset[str]:
    builtin = {t.name for t in builtin_tiers(options.version, options.edition)}
    return frozenset(builtin | {m.name for m in models if isinstance(m, Tier)})


def outputs_for(recommendations: Sequence[Recommendation], options: Options, tiers: frozenset[str],
                directory: str) -> tuple[list[Output], list[Diagnostic]]:
    """Files to write: the Tier when it is defined nowhere, then one file per namespace."""
    out: list[Output] = []
    problems: list[Diagnostic] = []
    if recommendations and options.tier not in tiers:
        name = f"{directory}/tier.yaml"
        out.append(Output(name, render_tier(options.tier)))
        problems.append(Diagnostic(codes.TIER_CREATED, Severity.NOTE,
                                   f"tier {options.tier!r} is defined nowhere; writing it (order 10000, "
                                   "defaultAction Deny, as Calico Enterprise creates it)", Span(name, 1, 1)))
    out.extend(Output(f"{directory}/{r.namespace}.yaml", render_policy(r), r.namespace) for r in recommendations)
    return out, problems


def models_of(outputs: Sequence[Output]) -> tuple[list[object], list[Diagnostic]]:
    """Parse the generated text back with the project loader and build its models."""
    models: list[object] = []
    problems: list[Diagnostic] = []
    for output in outputs:
        loaded = load_yaml_text(output.text, output.name)
        problems.extend(loaded.diagnostics)
        extracted = extract_resources(loaded.documents)
        problems.extend(extracted.diagnostics)
        for resource in extracted.resources:
            model, found = build_resource(resource.root, resource.file)
            problems.extend(found)
            if model is not None:
                models.append(model)
    return models, problems


def compile_with(world: World, outputs: Sequence[Output], options: Options
                 ) -> tuple[PolicySet, list[CompiledPolicy], list[Diagnostic]]:
    """Existing policies plus the generated ones -> PolicySet, the generated compiled policies,
    and any diagnostic about the generated files (there should be none)."""
    generated, problems = models_of(outputs)
    policy_set, found = compile_policy_set([*world.models, *generated], options.version, options.edition)
    names = {o.name for o in outputs}
    problems.extend(d for d in found if d.span is not None and d.span.file in names)
    mine = [p for p in policy_set.policies if p.span is not None and p.span.file in names]
    return policy_set, mine, problems


def _proof_diagnostics(proofs: Sequence[Proof]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for proof in proofs:
        for check in proof.checks:
            if check.status not in (Status.BROKEN, Status.UNVERIFIABLE):
                continue
            record = check.first.record
            span = Span(record.file, record.line, 1) if record is not None else None
            times = f" ({check.records} records)" if check.records > 1 else ""
            if check.status is Status.BROKEN:
                out.append(Diagnostic(codes.BREAKS_OBSERVED_FLOW, Severity.ERROR,
                                      f"{proof.namespace}: the recommendation would deny observed "
                                      f"{check.direction.value.lower()} {check.flow}{times}: {check.detail}", span))
            else:
                out.append(Diagnostic(codes.FLOW_UNVERIFIABLE, Severity.WARNING,
                                      f"{proof.namespace}: cannot replay {check.direction.value.lower()} "
                                      f"{check.flow}{times}: {check.detail}", span))
    return out


def run_recommend(records: Iterable[FlowRecord], world: World, options: Options,
                  namespaces: Sequence[str] = (), directory: str = "<stdout>") -> Result:
    """Recommend for `namespaces` (default: every pod namespace but kube-*/calico-*/tigera-*),
    render, compile the rendered text with the existing policies, and prove it."""
    chosen = tuple(sorted(set(namespaces))) or default_namespaces(world.endpoints)
    collected = collect(records, chosen, options)
    learnt = collected.learnt(options)
    recommendations, problems = recommend(learnt, chosen, world.endpoints, options)
    outputs, found = outputs_for(recommendations, options, known_tiers(world.models, options), directory)
    problems = collected.diagnostics + problems + found
    policy_set, mine, found = compile_with(world, outputs, options)
    problems.extend(found)
    topology = Topology(world.endpoints, world.services, world.nodes)
    profiles = {p.name: p for e in world.endpoints for p in profiles_for(e)}
    proofs = prove_all(policy_set, mine, topology, profiles.values(), collected.by_namespace, world.services)
    problems.extend(_proof_diagnostics(proofs))
    return Result(chosen, tuple(recommendations), tuple(outputs), tuple(proofs), tuple(problems),
                  collected.records, sum(len(found) for found in learnt.values()))
