"""The proof step: generated text compiles cleanly, replays its flows, and reports what it breaks."""

from __future__ import annotations

from tierguard.engine.ir import Direction, Edition, PolicyKind, StagedAction
from tierguard.loader.resources import extract_resources
from tierguard.loader.yaml_source import load_yaml_text
from tierguard.model.build import build_resource
from tierguard.recommend import Options, Status, World, run_recommend
from tierguard.recommend.pipeline import compile_with
from tierguard.recommend.verify import Reach

from tests.recommend import helpers

KNP_ALLOW_API = """\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: allow-api
  namespace: shop
spec:
  podSelector:
    matchLabels:
      app: api
  policyTypes: [Ingress]
  ingress:
    - from:
        - podSelector:
            matchLabels:
              app: web
      ports:
        - port: 9000
"""


def _world(enterprise: bool = False, policies: str = "") -> World:
    inventory = helpers.inventory(enterprise)
    models: list[object] = []
    if policies:
        loaded = load_yaml_text(policies, "policies.yaml")
        for resource in extract_resources(loaded.documents).resources:
            model, problems = build_resource(resource.root, resource.file)
            assert problems == [] and model is not None
            models.append(model)
    return World(inventory.endpoints, inventory.services, inventory.nodes, tuple(models))


def test_generated_text_compiles_without_diagnostics() -> None:
    world = _world()
    result = run_recommend(helpers.shop_flows(), world, Options(), ["shop"], "out")
    policy_set, mine, problems = compile_with(world, result.outputs, Options())
    assert problems == []
    assert [(p.kind, p.namespace, p.name, p.tier, p.staged_action, p.selector_text) for p in mine] == [
        (PolicyKind.STAGED_NETWORK_POLICY, "shop", "shop-recommendation", "namespace-isolation",
         StagedAction.LEARN, "(projectcalico.org/namespace == 'shop') && projectcalico.org/namespace == 'shop'")]
    assert [(t.name, t.order, t.defined) for t in policy_set.tiers if t.name == "namespace-isolation"] == [
        ("namespace-isolation", 10000.0, True)]
    assert len(mine[0].egress) == 6 and len(mine[0].ingress) == 2


def test_every_learnt_flow_is_still_allowed_and_reach_narrows() -> None:
    result = run_recommend(helpers.shop_flows(), _world(), Options(), ["shop"], "out")
    (proof,) = result.proofs
    assert (proof.records, proof.count(Status.ALLOWED), proof.count(Status.BROKEN), proof.witnessed) == (10, 10, 0, 3)
    # 18 pod->pod served-port triples touch shop; all allowed today (profiles), 11 with the
    # recommendation: web<-client:8080, api<-web/db:9000, db<-web/api:5432, 6 DNS (3 pods x UDP/TCP).
    assert proof.reach == Reach(18, 18, 11)
    assert [d.code for d in result.diagnostics] == ["REC950"]


def test_enterprise_network_set_rule_is_proven_with_injected_labels() -> None:
    options = Options(edition=Edition.ENTERPRISE)
    result = run_recommend(helpers.shop_flows(), _world(enterprise=True), options, ["shop"], "out")
    assert result.outputs[1].text.count("projectcalico.org/kind == 'NetworkSet'") == 1
    assert "name: namespace-isolation.shop-recommendation" in result.outputs[1].text
    assert result.proofs[0].count(Status.ALLOWED) == 10 and result.broken == 0
    # Alone (no Public rule on the same port to mask it), the network-set rule itself must match.
    api = helpers.wep("shop", "api-*")
    alone = [helpers.record(api, helpers.peer("ns", "", "partner"), None, "tcp", "src")]
    result = run_recommend(alone, _world(enterprise=True), options, ["shop"], "out")
    assert [c.status for c in result.proofs[0].checks] == [Status.ALLOWED]


def test_flow_left_out_by_max_rules_is_reported_with_its_trace() -> None:
    web = helpers.wep("shop", "web-*")
    flows = [helpers.record(web, helpers.peer("net", "", "pvt"), 443, "tcp", "src", line=1),
             helpers.record(web, helpers.peer("net", "", "pub"), 443, "tcp", "src", line=2)]
    result = run_recommend(flows, _world(), Options(max_rules=1), ["shop"], "out")
    broken = result.proofs[0].of(Status.BROKEN)
    assert [(c.direction, c.flow, c.detail, c.records) for c in broken] == [
        (Direction.EGRESS, "shop/web-* -> pub (203.0.113.254) TCP/443",
         "0|namespace-isolation|snp:shop/shop-recommendation|deny|-1", 1)]
    rec955 = [d for d in result.diagnostics if d.code == "REC955"]
    assert [(d.span.file, d.span.line, d.message) for d in rec955 if d.span] == [
        ("flows.jsonl", 2, ("shop: the recommendation would deny observed egress shop/web-* -> pub "
                            "(203.0.113.254) TCP/443: 0|namespace-isolation|snp:shop/shop-recommendation|deny|-1"))]


def test_only_undecided_breaks_flows_a_later_tier_allowed_and_the_proof_catches_it() -> None:
    web, api = helpers.wep("shop", "web-*"), helpers.wep("shop", "api-*")
    knp = ["0|default|shop/knp.default.allow-api|allow|0"]
    client = helpers.wep("other", "client-*")
    flows = [helpers.record(web, api, 9000, "tcp", "src", line=1),  # egress: profile decided
             helpers.record(web, api, 9000, "tcp", "dst", line=2, hits=knp),  # ingress: the KNP decided
             helpers.record(client, web, 8080, "tcp", "dst", line=3)]  # ingress: profile decided
    world = _world(policies=KNP_ALLOW_API)
    calico_like = run_recommend(flows, world, Options(only_undecided=True), ["shop"], "out")
    # The recommendation isolates shop's ingress in tier namespace-isolation (order 10000), which
    # comes before the default tier where the Kubernetes NetworkPolicy allowed web -> api.
    assert [(c.status, c.direction, c.flow, c.detail) for c in calico_like.proofs[0].checks] == [
        (Status.ALLOWED, Direction.EGRESS, "shop/web-* -> shop/api-* TCP/9000", ""),
        (Status.ALLOWED, Direction.INGRESS, "other/client-* -> shop/web-* TCP/8080", ""),
        (Status.BROKEN, Direction.INGRESS, "shop/web-* -> shop/api-* TCP/9000",
         "0|namespace-isolation|snp:shop/shop-recommendation|deny|-1")]
    default = run_recommend(flows, world, Options(), ["shop"], "out")
    assert default.broken == 0 and default.proofs[0].count(Status.ALLOWED) == 3


def test_flow_of_a_pod_missing_from_the_inventory_is_unverifiable_not_proven() -> None:
    ghost, web = helpers.wep("shop", "ghost-*"), helpers.wep("shop", "web-*")
    result = run_recommend([helpers.record(ghost, web, 8080, "tcp", "src", line=4)], _world(), Options(),
                           ["shop"], "out")
    assert [(c.status, c.detail) for c in result.proofs[0].checks] == [
        (Status.UNVERIFIABLE, "no endpoint in the inventory matches pod shop/ghost-*")]
    assert [d.code for d in result.diagnostics] == ["REC950", "REC956"]


def test_namespace_without_flows_gets_no_recommendation() -> None:
    result = run_recommend(helpers.shop_flows(), _world(), Options(), ["shop", "other"], "out")
    assert [r.namespace for r in result.recommendations] == ["other", "shop"]
    quiet = run_recommend([], _world(), Options(), ["shop"], "out")
    assert quiet.outputs == () and [(d.code, d.message) for d in quiet.diagnostics] == [
        ("REC952", ("namespace shop: no allowed flows reported by its own endpoints in the window; "
                    "no recommendation"))]
