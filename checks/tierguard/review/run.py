"""The review pipeline: two trees, every environment, one `ReviewResult`.

    base ref --git worktree--> base tree --render+substitute--> validate, compile --\
                                                                                  +--> replay flows,
    head ref or working tree -> head tree --render+substitute--> validate, compile --/    diff reach,
                                                                                       tests, RBAC,
                                                                                       findings, gate
This module does the I/O (git, files, kustomize through the loader); the decisions live in the
pure modules it calls (touch, replay, reach, conntests, findings, acks, gate).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, replace
from pathlib import Path

from tierguard.config.load import CONFIG_NAME, ConfigError, load_config
from tierguard.config.model import Config, Environment
from tierguard.diagnostics import Diagnostic, Severity
from tierguard.inventory.model import EndpointKind
from tierguard.loader.files import load_file
from tierguard.loader.kustomize import kustomization_file
from tierguard.loader.nodes import LSeq
from tierguard.loader.sourcemap import kustomization_sources
from tierguard.review import acks as ack_rules
from tierguard.review import adapters, conntests, gate
from tierguard.review.findings import diff_findings
from tierguard.review.locate import Locator
from tierguard.review.model import (
    Acknowledgement,
    Coverage,
    EnvironmentReview,
    FlowChange,
    ReviewResult,
    Verdict,
)
from tierguard.review.reach import reachability_diff
from tierguard.review.replay import Tree, group_records, replay
from tierguard.review.touch import (
    Change,
    policy_change,
    policy_id,
    staged_policies,
    touched_endpoints,
)
from tierguard.review.workspace import (
    Author,
    changed_files,
    checkout,
    head_authors,
    repository_root,
    working_tree,
)
from tierguard.review.workspace import (
    Tree as GitTree,
)

ACK_FILE = ".tierguard/acknowledged.yaml"
CACHE_DIR = ".tierguard/cache"
CONNECTIVITY_TESTS = "tests/connectivity"


class ReviewError(Exception):
    """Bad input for the review as a whole (unknown environment, unreadable config): exit 2."""


@dataclass(frozen=True, slots=True)
class Options:
    repo: Path
    base: str = "HEAD"
    head: str | None = None  # None: the working tree
    environments: tuple[str, ...] = ()
    changed_only: bool = False  # only environments whose rendered inputs the change touches
    author: str | None = None  # override the git authors of the head commits
    time_budget: float | None = None
    today: dt.date | None = None
    config: Path | None = None  # tierguard.yaml relative to each tree (default: its root)
    cache_dir: Path | None = None  # aggregated flow stores (default: <repo>/.tierguard/cache)


def run_review(options: Options) -> ReviewResult:
    started = time.monotonic()
    repo = repository_root(options.repo)
    with ExitStack() as stack:
        base = stack.enter_context(checkout(repo, options.base))
        head = stack.enter_context(checkout(repo, options.head)) if options.head else working_tree(repo)
        return _review_trees(repo, base, head, options, started)
    raise AssertionError("unreachable")  # pragma: no cover - ExitStack re-raises


def _config_for(tree: GitTree, options: Options) -> Config:
    path = tree.root / (options.config or Path(CONFIG_NAME))
    if not path.is_file():
        return Config(root=tree.root)
    return load_config(explicit=path)


def _review_trees(repo: Path, base: GitTree, head: GitTree, options: Options,
                  started: float) -> ReviewResult:
    head_config = _config_for(head, options)
    try:
        base_config = _config_for(base, options)
    except (ConfigError, OSError) as error:  # a broken base config must not hide head's review
        base_config = Config(root=base.root)
        base_note = f"base tierguard.yaml could not be loaded ({error}); base treated as empty"
    else:
        base_note = ""
    environments = _select(head_config, options.environments)
    changed = changed_files(repo, base.commit, head)
    notes = [base_note] if base_note else []
    if options.changed_only:
        chosen = tuple(e for e in environments if _touches(head_config, base_config, e, changed))
        skipped = [e.name for e in environments if e not in chosen]
        if skipped:
            notes.append(f"skipped environments the change does not touch: {', '.join(skipped)}")
        environments = chosen
    today = options.today or dt.datetime.now(dt.UTC).date()
    ack_set = _acknowledgements(head_config, head.root, today)
    tests, test_problems = _connectivity_tests(head.root)
    base_tests, _ = _connectivity_tests(base.root)
    authors = (Author("", options.author),) if options.author else head_authors(repo, base.commit, head)
    context = _Context(base_config, head_config, authors, ack_set.active, tests, base_tests,
                       tuple(ack_set.diagnostics) + test_problems, options.cache_dir or repo / CACHE_DIR)
    reviews: list[EnvironmentReview] = []
    if options.time_budget is None and len(environments) > 1 and _workers() > 1:
        reviews = _review_in_parallel(environments, context)
    for environment in environments if not reviews else ():
        if options.time_budget is not None and time.monotonic() - started > options.time_budget:
            notes.append(f"time budget of {options.time_budget:g} s used up: environment "
                         f"{environment.name} not reviewed")
            continue
        reviews.append(review_environment(environment, context))
    environments_gate = gate.overall_gate(reviews)
    return ReviewResult(
        base=f"{options.base} ({base.commit[:12]})",
        head=head.label if not head.commit else f"{head.label} ({head.commit[:12]})",
        author=", ".join(str(a) for a in authors) or "unknown",
        environments=tuple(reviews),
        expired_acknowledgements=ack_set.expired,
        gate=environments_gate,
        elapsed_seconds=time.monotonic() - started,
        notes=tuple(notes),
    )


def _workers() -> int:
    return min(os.cpu_count() or 1, 4)


def _review_in_parallel(environments: Sequence[Environment], context: _Context) -> list[EnvironmentReview]:
    """Environments are independent and evaluation is CPU-bound: one process each (forked, so
    nothing is imported twice), results in configuration order."""
    try:
        pool = ProcessPoolExecutor(max_workers=min(_workers(), len(environments)),
                                   mp_context=multiprocessing.get_context("fork"))
    except (OSError, ValueError):
        return []
    with pool:
        jobs = [pool.submit(review_environment, environment, context) for environment in environments]
        return [job.result() for job in jobs]


def _select(config: Config, names: Sequence[str]) -> tuple[Environment, ...]:
    if not config.environments:
        raise ReviewError(f"no environments are configured in {CONFIG_NAME} of the head tree")
    if not names:
        return config.environments
    try:
        return tuple(config.environment(name) for name in names)
    except KeyError as error:
        raise ReviewError(str(error.args[0])) from error


def _touches(head: Config, base: Config, environment: Environment, changed: Sequence[str]) -> bool:
    """Does the change touch anything this environment's rendering or replay reads?"""
    if not changed:
        return False
    watched_dirs = [d for d in (environment.flux, environment.flows, environment.inventory,
                                CONNECTIVITY_TESTS, ".tierguard") if d]
    watched_files = {CONFIG_NAME, environment.vars}
    for config in (head, base):
        overlay = config.root / environment.overlay
        if not overlay.is_dir():
            continue
        for path in (*kustomization_sources(overlay, config.limits), *_kustomizations(overlay)):
            try:
                watched_files.add(path.resolve().relative_to(config.root.resolve()).as_posix())
            except ValueError:
                continue
    return any(name in watched_files or any(name == d or name.startswith(d.rstrip("/") + "/")
                                            for d in watched_dirs) for name in changed)


def _kustomizations(overlay: Path) -> list[Path]:
    """Every kustomization file in the overlay's directory graph (patches change renders too)."""
    found = []
    for directory in [overlay, *(p for p in overlay.rglob("*") if p.is_dir())]:
        file = kustomization_file(directory)
        if file is not None:
            found.append(file)
            found.extend(p for p in directory.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))
    return found


def _acknowledgements(config: Config, root: Path, today: dt.date) -> ack_rules.AckSet:
    lists: list[LSeq] = []
    problems: list[Diagnostic] = []
    section = config.section("acknowledged")
    if isinstance(section, LSeq):
        lists.append(section)
    path = root / ACK_FILE
    if path.is_file():
        loaded = load_file(path, ACK_FILE, config.limits)
        problems.extend(loaded.diagnostics)
        for document in loaded.documents:
            found = ack_rules.acknowledgement_list(document.root)
            if found is None:
                problems.append(Diagnostic("REV709", Severity.ERROR,
                                           f"{ACK_FILE} must hold a list under `acknowledged:`",
                                           document.root.span))
            else:
                lists.append(found)
    parsed = ack_rules.parse_acknowledgements(lists, today)
    return ack_rules.AckSet(parsed.active, parsed.expired, tuple(problems) + parsed.diagnostics)


def _connectivity_tests(root: Path) -> tuple[tuple[conntests.ConnTest, ...], tuple[Diagnostic, ...]]:
    directory = root / CONNECTIVITY_TESTS
    if not directory.is_dir():
        return (), ()
    tests: list[conntests.ConnTest] = []
    problems: list[Diagnostic] = []
    for path in sorted(p for p in directory.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file()):
        loaded = load_file(path, path.relative_to(root).as_posix())
        problems.extend(loaded.diagnostics)
        found, invalid = conntests.parse_tests(loaded.documents)
        tests.extend(found)
        problems.extend(invalid)
    return tuple(tests), tuple(problems)


@dataclass(frozen=True, slots=True)
class _Context:
    base_config: Config
    head_config: Config
    authors: tuple[Author, ...]
    acknowledgements: tuple[Acknowledgement, ...]
    tests: tuple[conntests.ConnTest, ...]
    base_tests: tuple[conntests.ConnTest, ...]
    input_problems: tuple[Diagnostic, ...]  # malformed acks and tests: new findings of head
    cache_dir: Path | None = None


def review_environment(environment: Environment, context: _Context) -> EnvironmentReview:
    name = environment.name
    snapshot = adapters.load_inventory_objects(context.head_config, environment)
    base_env = _base_environment(context.base_config, name)
    flows, flow_notes = adapters.environment_flows(context.head_config, environment, context.cache_dir)
    # Rendering (kubectl) and flow aggregation (DuckDB) wait on other processes or release the
    # GIL, so base, head and the flows are prepared side by side.
    with ThreadPoolExecutor(max_workers=3) as pool:
        head_job = pool.submit(adapters.prepare, context.head_config, environment, snapshot)
        base_job = pool.submit(adapters.prepare, context.base_config, base_env, snapshot) \
            if base_env else None
        records_job = pool.submit(lambda: list(flows.records()))
        head = head_job.result()
        base = base_job.result() if base_job else adapters.empty_like(head)
        records = records_job.result()
    notes = list(head.notes)
    if head.policy_set is None or head.inventory is None or base.policy_set is None \
            or base.inventory is None:
        reasons = list(head.blocking) or ["the head tree could not be compiled"]
        if base.blocking:
            notes.append(f"base: {'; '.join(base.blocking)}")
        review = EnvironmentReview(name, findings=diff_findings(base.diagnostics, head.diagnostics),
                                   notes=tuple(notes))
        return replace(review, gate=gate.environment_gate(review, reasons))
    inventory = head.inventory
    change = policy_change(base.policy_set, head.policy_set)
    changed_ids = frozenset(policy_id(p) for p in change.policies)
    base_tree = Tree(adapters.evaluator(base), Locator(base.sources), changed_ids)
    head_tree = Tree(adapters.evaluator(head), Locator(head.sources), changed_ids)
    endpoints = inventory.endpoints
    touched = touched_endpoints(change, endpoints, base.network_sets != head.network_sets)
    # A host endpoint defined in the repository whose labels, IPs or nets changed may now be
    # selected by other (unchanged) policies: its own flows are touched in both directions.
    moved = {(kind, namespace, name_) for kind, namespace, name_, *_ in
             base.network_sets ^ head.network_sets if kind is EndpointKind.HOST}
    if moved:
        own = frozenset(id(e) for e in endpoints if (e.kind, e.namespace, e.name) in moved)
        touched = replace(touched, egress=touched.egress | own, ingress=touched.ingress | own)
    staged = touched_endpoints(Change(staged_policies(head.policy_set), ()), endpoints)
    grouped = group_records(records, head_tree.topology)
    replayed = replay(grouped.groups, base_tree, head_tree, touched, staged)
    reach, _evaluated = reachability_diff(endpoints, inventory.services, base_tree, head_tree, touched,
                                         replayed.observed_keys)
    evaluated_tests = conntests.evaluate_tests(context.tests, name, head_tree, base_tree,
                                               context.base_tests)
    denied = _acknowledge(replayed.newly_denied, evaluated_tests, context.acknowledgements, name)
    rbac = adapters.authorize(context.base_config, context.head_config, environment, base, head,
                              context.authors)
    findings = diff_findings(base.diagnostics, head.diagnostics + context.input_problems)
    notes += [*flow_notes, *flows.notes]
    if grouped.unresolved:
        notes.append(f"{grouped.unresolved} of {grouped.records} flow records name a peer that is not "
                     "in the inventory; their verdict is unknown")
    review = EnvironmentReview(
        name=name, newly_denied=denied, newly_allowed=replayed.newly_allowed,
        staged_impact=replayed.staged_impact, connectivity_diff=reach,
        tests=tuple(e.result for e in evaluated_tests), rbac=rbac, findings=findings,
        coverage=Coverage(len(grouped.groups), replayed.reevaluated, replayed.staged, grouped.records,
                          len(endpoints), len(touched.endpoint_ids), change.labels),
        notes=tuple(notes))
    return replace(review, gate=gate.environment_gate(review, head.blocking))


def _base_environment(config: Config, name: str) -> Environment | None:
    try:
        return config.environment(name)
    except KeyError:
        return None


def _acknowledge(changes: Sequence[FlowChange], tests: Sequence[conntests.Evaluated],
                 acknowledgements: Sequence[Acknowledgement], environment: str) -> tuple[FlowChange, ...]:
    intended = {e.covers: e.result for e in tests
                if e.covers is not None and e.result.expect is Verdict.DENY and e.result.passed}
    out = []
    for change in changes:
        test = intended.get(change.key)
        if test is not None:
            where = f" ({test.span.file}:{test.span.line})" if test.span else ""
            out.append(replace(change, acknowledged_by=f"connectivity test '{test.name}'{where}"))
            continue
        ack = next((a for a in acknowledgements if ack_rules.matches(a, change.key, environment)), None)
        out.append(replace(change, acknowledged_by=ack.label()) if ack else change)
    return tuple(out)

