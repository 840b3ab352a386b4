"""RBAC for a review: change authorization of the head commits' authors, and the Flux tenant check.

Calls `rbac.changes.authorize_changes` and `rbac.flux.check_flux_tenants`. What this module adds is
only the plumbing a review needs around them:
- the rights that count are the BASE tree's (RBAC objects under `tiers/` and in the rendered
  environment, identities from base tierguard.yaml): a change cannot grant its author the rights
  to make itself;
- the objects compared are what Flux applies for the environment: every Flux Kustomization under
  the environment's `flux` directory, each path rendered in base and head (the environment's
  overlay is already rendered and substituted by the review);
- tenant-check findings that base already has are reported as notes, not as new denials.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tierguard.config.model import Config, Environment
from tierguard.diagnostics import Severity
from tierguard.loader.files import display_name, load_file
from tierguard.loader.kustomize import render_overlay
from tierguard.loader.nodes import Document, LMap
from tierguard.loader.resources import ResourceDoc
from tierguard.loader.sourcemap import SourceIndex, kustomization_sources
from tierguard.model.rbac import rbac_set_from_documents
from tierguard.rbac.authorizer import RbacIndex, build_index
from tierguard.rbac.changes import SourcedResource, authorize_changes
from tierguard.rbac.flux import KustomizationId, check_flux_tenants, read_kustomization
from tierguard.rbac.identities import GitAuthor, IdentityMapping, mapping_from_plain
from tierguard.rbac.tiers import CalicoSettings
from tierguard.review.model import RbacDecision
from tierguard.review.workspace import Author
from tierguard.validation.sources import load_paths, load_stream

RBAC_KINDS = frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"})
RBAC_DIRECTORY = "tiers"


@dataclass(frozen=True, slots=True)
class TreeObjects:
    """What Flux applies for one environment from one tree, per Kustomization."""

    kustomizations: tuple[SourcedResource, ...]
    rendered: dict[KustomizationId, tuple[SourcedResource, ...]]

    def applied(self) -> tuple[SourcedResource, ...]:
        seen: dict[tuple[object, ...], SourcedResource] = {}
        for resources in self.rendered.values():
            for resource in resources:
                body = resource.body
                meta = body.get("metadata")
                meta = meta if isinstance(meta, dict) else {}
                key = (body.get("apiVersion"), body.get("kind"), meta.get("namespace"), meta.get("name"))
                seen.setdefault(key, resource)
        return tuple(seen.values())


def decisions(base_config: Config, head_config: Config, environment: Environment,
              base_resources: Sequence[ResourceDoc], head_resources: Sequence[ResourceDoc],
              base_sources: SourceIndex | None, head_sources: SourceIndex | None,
              authors: Sequence[Author]) -> tuple[RbacDecision, ...]:
    settings = CalicoSettings(environment.calico_version, environment.edition)
    with ThreadPoolExecutor(max_workers=2) as pool:  # each tree renders its Flux paths (kubectl)
        base_job = pool.submit(_tree_objects, base_config, environment, base_resources, base_sources)
        head = _tree_objects(head_config, environment, head_resources, head_sources)
        base = base_job.result()
    index = _rbac_index(base_config, base_resources)
    mapping = _identities(base_config) or _identities(head_config) or IdentityMapping()
    out: list[RbacDecision] = []
    for author in authors or (Author("", ""),):
        git_author = GitAuthor(email=author.email, name=author.name)
        report = authorize_changes(base.applied(), head.applied(), git_author, mapping, index, settings)
        problems = iter(report.diagnostics)  # one per denied decision, in decision order
        for decision in report.decisions:
            ref = decision.change.key.ref
            if decision.allowed:
                out.append(RbacDecision("change", str(author), True,
                                        f"may {decision.change.kind.value} {ref}"
                                        + (f" as {decision.identity}" if decision.identity else ""),
                                        decision.change.located.span))
            else:
                problem = next(problems, None)
                out.append(RbacDecision("change", str(author), False,
                                        problem.message if problem else
                                        f"may not {decision.change.kind.value} {ref}",
                                        problem.span if problem else decision.change.located.span))
    out.extend(_tenant_decisions(base, head, index, settings))
    return tuple(out)


def _tenant_decisions(base: TreeObjects, head: TreeObjects, index: RbacIndex,
                      settings: CalicoSettings) -> list[RbacDecision]:
    if not head.kustomizations:
        return []
    before = {(d.code, d.message) for d in check_flux_tenants(base.kustomizations, base.rendered,
                                                              index, settings)}
    found = check_flux_tenants(head.kustomizations, head.rendered, index, settings)
    out = []
    for diagnostic in found:
        if diagnostic.severity is not Severity.ERROR:
            continue
        existing = (diagnostic.code, diagnostic.message) in before
        subject = str(diagnostic.resource) if diagnostic.resource else "Flux"
        out.append(RbacDecision("tenant" if not existing else "tenant (already in base)", subject,
                                existing, f"{diagnostic.code}: {diagnostic.message}", diagnostic.span))
    if not any(not d.allowed for d in out):
        names = ", ".join(sorted(str(k.id) for r in head.kustomizations
                                 if (k := read_kustomization(r)) is not None))
        out.append(RbacDecision("tenant", "Flux", True,
                                f"every Kustomization may apply what it renders ({names})"))
    return out


def _identities(config: Config) -> IdentityMapping | None:
    section = config.section("identities")
    if not isinstance(section, LMap):
        return None
    plain = section.to_plain()
    return mapping_from_plain(plain)


def _rbac_index(config: Config, rendered: Sequence[ResourceDoc]) -> RbacIndex:
    documents: list[Document] = []
    directory = config.root / RBAC_DIRECTORY
    if directory.is_dir():
        for path in sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml")):
            documents.extend(load_file(path, display_name(path, config.root), config.limits).documents)
    documents.extend(Document(r.root, r.file, r.document_index) for r in rendered if r.kind in RBAC_KINDS)
    rbac_set, _problems = rbac_set_from_documents(documents)
    return build_index(rbac_set)


def _sourced(resources: Iterable[ResourceDoc], sources: SourceIndex | None) -> tuple[SourcedResource, ...]:
    out = []
    for resource in resources:
        source = sources.source_of(resource.ref) if sources is not None else None
        span = source.span if source is not None else resource.span
        plain = resource.root.to_plain()
        out.append(SourcedResource(plain, span))
    return tuple(out)


def _normal(path: str) -> str:
    return Path(path.strip().removeprefix("./") or ".").as_posix().rstrip("/")


def _tree_objects(config: Config, environment: Environment, overlay: Sequence[ResourceDoc],
                  sources: SourceIndex | None) -> TreeObjects:
    flux_dir = config.root / environment.flux if environment.flux else None
    kustomizations: tuple[SourcedResource, ...] = ()
    if flux_dir is not None and flux_dir.is_dir():
        loaded = load_paths([str(flux_dir)], config.root, config.root, config.limits)
        kustomizations = tuple(SourcedResource(r.root.to_plain(), r.span) for r in loaded.resources
                               if r.kind == "Kustomization")
    rendered: dict[KustomizationId, tuple[SourcedResource, ...]] = {}
    overlay_objects = _sourced(overlay, sources)
    for resource in kustomizations:
        kustomization = read_kustomization(resource)
        if kustomization is None:
            continue
        path = _normal(kustomization.path)
        if path == _normal(environment.overlay):
            rendered[kustomization.id] = overlay_objects
        else:
            rendered[kustomization.id] = _render(config, path)
    if not rendered:  # no Flux objects: what the overlay renders is what gets applied
        rendered[KustomizationId("", environment.overlay)] = overlay_objects
    return TreeObjects(kustomizations, rendered)


def _render(config: Config, path: str) -> tuple[SourcedResource, ...]:
    directory = config.root / path
    if not directory.is_dir():
        return ()
    result = render_overlay(directory, path)
    if result.text is None:
        return ()
    loaded = load_stream(result.text, result.stream_name, config.limits)
    index = SourceIndex.build(kustomization_sources(directory, config.limits), config.root, config.limits)
    return _sourced(loaded.resources, index)

