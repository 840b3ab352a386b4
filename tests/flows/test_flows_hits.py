"""Policy-hit strings, Format A and Format B (calico-semantics §6.1)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tierguard.flows.hits import HitError, format_hit_b, parse_hit
from tierguard.flows.model import HitAction, HitFormat, HitKind

FORMAT_A = [
    ("0|security|security.allow-dns|allow|0", HitKind.GLOBAL_NETWORK_POLICY, "", "allow-dns"),
    ("0|tier1|ns1/tier1.policy1|pass|3", HitKind.NETWORK_POLICY, "ns1", "policy1"),
    ("2|default|policy-demo/knp.default.access-nginx|allow|0", HitKind.K8S_NETWORK_POLICY,
     "policy-demo", "access-nginx"),
    ("1|tier|tier.staged:name|deny|2", HitKind.STAGED_GLOBAL_NETWORK_POLICY, "", "name"),
    ("0|iso|curl-ns/iso.staged:curl-ns-vfzgh|allow|3", HitKind.STAGED_NETWORK_POLICY,
     "curl-ns", "curl-ns-vfzgh"),
    ("1|default|ns/staged:knp.default.name|deny|3", HitKind.STAGED_K8S_NETWORK_POLICY, "ns",
     "name"),
    ("0|adminnetworkpolicy|kanp.adminnetworkpolicy.name|deny|1",
     HitKind.ADMIN_NETWORK_POLICY, "", "name"),
    ("0|adminnetworkpolicy|adminnetworkpolicy.kanp.adminnetworkpolicy.name|deny|1",
     HitKind.ADMIN_NETWORK_POLICY, "", "name"),
    ("0|baselineadminnetworkpolicy|kbanp.baselineadminnetworkpolicy.name|pass|4",
     HitKind.BASELINE_ADMIN_NETWORK_POLICY, "", "name"),
    ("1|__PROFILE__|__PROFILE__.kns.curl-ns|allow|0", HitKind.PROFILE, "", "kns.curl-ns"),
    ("0|__PROFILE__|__PROFILE__.ksa.ns.sa|allow|0", HitKind.PROFILE, "", "ksa.ns.sa"),
    ("0|kube-admin|kcnp.kube-admin.guard|deny|1", HitKind.CLUSTER_NETWORK_POLICY, "", "guard"),
    # the docs' variant: staged: before the tier
    ("1|tier2|ns2/staged:tier1.policy1|deny|1", HitKind.STAGED_NETWORK_POLICY, "ns2",
     "tier1.policy1"),
]

FORMAT_B = [
    ("0|tier|gnp:name|allow|0", HitKind.GLOBAL_NETWORK_POLICY, "", "name"),
    ("0|tier|np:namespace/name|allow|1", HitKind.NETWORK_POLICY, "namespace", "name"),
    ("0|default|knp:namespace/name|allow|2", HitKind.K8S_NETWORK_POLICY, "namespace", "name"),
    ("1|tier|snp:namespace/name|deny|0", HitKind.STAGED_NETWORK_POLICY, "namespace", "name"),
    ("1|tier|sgnp:name|deny|0", HitKind.STAGED_GLOBAL_NETWORK_POLICY, "", "name"),
    ("1|default|sknp:namespace/name|deny|3", HitKind.STAGED_K8S_NETWORK_POLICY, "namespace",
     "name"),
    ("3|kube-baseline|kcnp:name|pass|4", HitKind.CLUSTER_NETWORK_POLICY, "", "name"),
    ("1|__PROFILE__|pro:kns.default|allow|0", HitKind.PROFILE, "", "kns.default"),
    ("0|tier1|np:ns1/tier1.policy1|deny|-1", HitKind.NETWORK_POLICY, "ns1", "tier1.policy1"),
]


@pytest.mark.parametrize(("text", "kind", "namespace", "name"), FORMAT_A)
def test_format_a(text: str, kind: HitKind, namespace: str, name: str) -> None:
    hit = parse_hit(text)
    assert (hit.kind, hit.namespace, hit.name, hit.format) == (kind, namespace, name,
                                                               HitFormat.LEGACY)
    assert hit.raw == text


@pytest.mark.parametrize(("text", "kind", "namespace", "name"), FORMAT_B)
def test_format_b(text: str, kind: HitKind, namespace: str, name: str) -> None:
    hit = parse_hit(text)
    assert (hit.kind, hit.namespace, hit.name, hit.format) == (kind, namespace, name,
                                                               HitFormat.EXPLICIT_KIND)
    assert format_hit_b(hit) == text


def test_fields_and_end_of_tier() -> None:
    hit = parse_hit("1|app-hipstershop|hipstershop/app-hipstershop.checkoutservice|deny|-1")
    assert (hit.index, hit.tier, hit.action, hit.rule_index) == (1, "app-hipstershop",
                                                                 HitAction.DENY, -1)
    assert hit.end_of_tier and not hit.staged
    assert hit.qualified_name == "np:hipstershop/checkoutservice"


def test_rule_index_dash_and_four_fields_are_not_recorded() -> None:
    assert parse_hit("0|t|t.p|allow|-").rule_index is None
    assert parse_hit("0|t|t.p|allow").rule_index is None
    assert parse_hit("0|t|t.p|allow|-2").rule_index == -2


@pytest.mark.parametrize(("text", "message"), [
    ("0|t|t.p|maybe|0", "unknown action 'maybe' (allow, deny, pass)"),
    ("x|t|t.p|allow|0", "policy index 'x' is not a non-negative integer"),
    ("0|t|t.p|allow|-3", "rule index '-3' is not an integer >= -2 or '-'"),
    ("0|t||allow|0", "empty policy name"),
    ("0|t|np:shop|deny|0", "np: needs <namespace>/<name>, got 'shop'"),
    ("0|t|gnp:|deny|0", "gnp: has no name"),
    ("0|t", "expected 5 '|'-separated fields, found 2"),
])
def test_bad_strings(text: str, message: str) -> None:
    with pytest.raises(HitError) as caught:
        parse_hit(text)
    assert str(caught.value) == message


_word = st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True)


@given(index=st.integers(0, 50), tier=_word, namespace=_word, name=_word,
       kind=st.sampled_from(["gnp", "np", "knp", "sgnp", "snp", "sknp", "kcnp"]),
       action=st.sampled_from(["allow", "deny", "pass"]), rule=st.integers(-2, 40))
def test_format_b_round_trip(index: int, tier: str, namespace: str, name: str, kind: str,
                             action: str, rule: int) -> None:
    scope = f"{namespace}/" if kind in ("np", "knp", "snp", "sknp") else ""
    text = f"{index}|{tier}|{kind}:{scope}{name}|{action}|{rule}"
    hit = parse_hit(text)
    assert format_hit_b(hit) == text
    assert hit.staged == kind.startswith("s")


@given(st.text(max_size=60))
def test_parser_never_crashes(text: str) -> None:
    try:
        hit = parse_hit(text)
    except HitError:
        return
    assert hit.raw == text
