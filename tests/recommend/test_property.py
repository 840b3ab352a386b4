"""Property: whatever the observed traffic, the recommendation keeps every flow it learnt from,
and the emitted YAML always compiles without diagnostics."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tierguard.engine.ir import Edition
from tierguard.recommend import Options, Status, World, run_recommend
from tierguard.recommend.pipeline import compile_with

from tests.recommend import helpers

_LOCAL = [("shop", "web-*", "app=web"), ("shop", "api-*", "app=api"), ("shop", "db-*", "app=db")]
_PEERS = [helpers.wep("other", "client-*", ["app=client"]), helpers.wep("shop", "db-*", ["app=db"]),
          helpers.wep("kube-system", "coredns-*", ["k8s-app=kube-dns"]), helpers.peer("net", "", "pvt"),
          helpers.peer("net", "", "pub"), helpers.peer("ns", "", "partner"),
          helpers.peer("net", "", "", ip="192.168.7.7"), helpers.peer("net", "", "", ip="8.8.8.8")]

flow = st.tuples(st.sampled_from(_LOCAL), st.sampled_from(_PEERS), st.sampled_from(["src", "dst"]),
                 st.sampled_from(["tcp", "udp", "icmp"]), st.one_of(st.none(), st.integers(1, 65535)))


def _records(specs: list[tuple[tuple[str, str, str], helpers.FlowPeer, str, str, int | None]]
             ) -> list[helpers.FlowRecord]:
    out = []
    for line, ((ns, aggr, label), peer, reporter, proto, port) in enumerate(specs, 1):
        local = helpers.wep(ns, aggr, [label])
        if reporter == "src":
            out.append(helpers.record(local, peer, port, proto, "src", line=line))
        elif peer.type.value == "wep":
            out.append(helpers.record(peer, local, port, proto, "dst", line=line))
        else:
            out.append(helpers.record(peer, local, port, proto, "dst", line=line))
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(flow, min_size=1, max_size=25), st.booleans(), st.integers(1, 30))
def test_recommendation_never_denies_what_it_learnt(specs: list[tuple[tuple[str, str, str], helpers.FlowPeer,
                                                                      str, str, int | None]],
                                                    enterprise: bool, max_rules: int) -> None:
    inventory = helpers.inventory(enterprise)
    world = World(inventory.endpoints, inventory.services, inventory.nodes)
    options = Options(edition=Edition.ENTERPRISE if enterprise else Edition.OSS, max_rules=max_rules)
    result = run_recommend(_records(specs), world, options, ["shop"], "out")
    _, _, problems = compile_with(world, result.outputs, options)
    assert problems == []
    truncated = any(d.code == "REC954" for d in result.diagnostics)
    for proof in result.proofs:
        assert proof.count(Status.UNVERIFIABLE) == 0
        if not truncated:
            assert proof.count(Status.BROKEN) == 0, [c.flow for c in proof.of(Status.BROKEN)]
