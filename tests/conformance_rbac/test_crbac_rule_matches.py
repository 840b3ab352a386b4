"""Port of upstream `rbac_test.go` TestRuleMatches and the helpers of
`pkg/apis/rbac/v1/evaluation_helpers.go` (VerbMatches, APIGroupMatches, ResourceMatches,
ResourceNameMatches, NonResourceURLMatches), each rule bound cluster-wide to one user and asked
through `tierguard rbac can-i`. Ends with a property test against a transcription of `RuleAllows`.
"""

from __future__ import annotations

import itertools

import pytest
from crbac_cli import CanI
from crbac_objects import Obj, cluster_role, crb, rule
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def _bound(r: Obj) -> list[Obj]:
    return [cluster_role("r", r), crb("r", "r", "User:u")]


def _resource_arg(group: str, resource: str, subresource: str = "") -> str:
    text = f"{resource}.{group}" if group else resource
    return f"{text}/{subresource}" if subresource else text


def _grid(expected_true: set[tuple[str, str, str]]) -> list[tuple[str, str, str, bool]]:
    combos = itertools.product(["verb1", "verb2"], ["group1", "group2"], ["resource1", "resource2"])
    return [(v, g, r, (v, g, r) in expected_true) for v, g, r in combos]


RULE_MATCH_CASES = [
    ("star verb, exact match other",
     rule(["*"], ["group1"], ["resource1"]),
     {("verb1", "group1", "resource1"), ("verb2", "group1", "resource1")}),
    ("star group, exact match other",
     rule(["verb1"], ["*"], ["resource1"]),
     {("verb1", "group1", "resource1"), ("verb1", "group2", "resource1")}),
    ("star resource, exact match other",
     rule(["verb1"], ["group1"], ["*"]),
     {("verb1", "group1", "resource1"), ("verb1", "group1", "resource2")}),
    ("tuple expansion",
     rule(["verb1", "verb2"], ["group1", "group2"], ["resource1", "resource2"]),
     set(itertools.product(["verb1", "verb2"], ["group1", "group2"], ["resource1", "resource2"]))),
]


@pytest.mark.parametrize(("name", "the_rule", "expected_true"), RULE_MATCH_CASES, ids=[c[0] for c in RULE_MATCH_CASES])
def test_rule_matches_grid(can_i: CanI, name: str, the_rule: Obj, expected_true: set[tuple[str, str, str]]) -> None:
    objects = _bound(the_rule)
    for verb, group, resource, expected in _grid(expected_true):
        answer = can_i(objects, verb, _resource_arg(group, resource), "--as", "u").text
        assert answer == ("yes" if expected else "no"), (name, verb, group, resource)


@pytest.mark.parametrize(("verb", "group", "resource", "subresource", "answer"), [
    # "subresource expansion": rule *, *, resource1/subresource1
    ("verb1", "group1", "resource1", "subresource1", "yes"),
    ("verb1", "group2", "resource1", "subresource2", "no"),
    ("verb1", "group1", "resource2", "subresource1", "no"),
    ("verb1", "group2", "resource2", "subresource1", "no"),
    ("verb2", "group1", "resource1", "subresource1", "yes"),
    ("verb2", "group2", "resource1", "subresource2", "no"),
    ("verb2", "group1", "resource2", "subresource1", "no"),
    ("verb2", "group2", "resource2", "subresource1", "no"),
    ("verb1", "group1", "resource1", "", "no"),
])
def test_rule_matches_subresource_expansion(can_i: CanI, verb: str, group: str, resource: str,
                                            subresource: str, answer: str) -> None:
    objects = _bound(rule(["*"], ["*"], ["resource1/subresource1"]))
    assert can_i(objects, verb, _resource_arg(group, resource, subresource), "--as", "u").text == answer


URL_PATHS = ["/foo", "/foo/bar", "/foo/baz", "/foo/bar/one", "/foo/baz/one",
             "/notfoo", "/notfoo/bar", "/notfoo/baz", "/notfoo/bar/one", "/notfoo/baz/one"]


@pytest.mark.parametrize(("urls", "verbs", "allowed_paths"), [
    # "star nonresource, exact match other": verb1, URLs *
    (["*"], ["verb1"], set(URL_PATHS)),
    # "star nonresource subpath": verb1, URLs /foo/*
    (["/foo/*"], ["verb1"], {"/foo/bar", "/foo/baz", "/foo/bar/one", "/foo/baz/one"}),
    # "star verb, exact nonresource": *, URLs /foo, /foo/bar/one
    (["/foo", "/foo/bar/one"], ["*"], {"/foo", "/foo/bar/one"}),
])
def test_rule_matches_non_resource(can_i: CanI, urls: list[str], verbs: list[str], allowed_paths: set[str]) -> None:
    objects = _bound(rule(verbs, urls=urls))
    for verb in ("verb1", "verb2"):
        for path in URL_PATHS:
            expected = path in allowed_paths and ("*" in verbs or verb in verbs)
            assert can_i(objects, verb, path, "--as", "u").text == ("yes" if expected else "no"), (verb, path)


@pytest.mark.parametrize(("rule_verbs", "verb", "answer"), [
    (["*"], "get", "yes"),
    (["*"], "GET", "yes"),
    (["*"], "anything-at-all", "yes"),
    (["get"], "get", "yes"),
    (["get"], "GET", "no"),  # VerbMatches is exact and case-sensitive
    (["GET"], "get", "no"),
    (["get", "*"], "delete", "yes"),
    (["get", "list"], "watch", "no"),
    (["ge*"], "get", "no"),  # only a whole `*` is a wildcard
])
def test_verb_matches(can_i: CanI, rule_verbs: list[str], verb: str, answer: str) -> None:
    assert can_i(_bound(rule(rule_verbs, [""], ["pods"])), verb, "pods", "--as", "u").text == answer


@pytest.mark.parametrize(("rule_groups", "resource", "answer"), [
    (["*"], "pods", "yes"),  # `*` includes the core group
    (["*"], "deployments.apps", "yes"),
    ([""], "pods", "yes"),
    ([""], "deployments.apps", "no"),
    (["apps"], "deployments.apps", "yes"),
    (["apps"], "deployments", "no"),  # no discovery: bare `deployments` is the core group
    (["apps"], "deployments.apps.example.com", "no"),
    (["apps.example.com"], "deployments.apps.example.com", "yes"),
    (["Apps"], "deployments.apps", "no"),
    (["app*"], "deployments.apps", "no"),
])
def test_api_group_matches(can_i: CanI, rule_groups: list[str], resource: str, answer: str) -> None:
    assert can_i(_bound(rule(["get"], rule_groups, ["*"])), "get", resource, "--as", "u").text == answer


@pytest.mark.parametrize(("rule_resources", "resource", "answer"), [
    # ResourceMatches (helpers_test.go cases and their edges)
    (["*"], "foo", "yes"),  # all matches
    (["doesn't match", "*"], "foo", "yes"),  # checks all rules
    (["foo/bar"], "foo/bar", "yes"),  # matches exact rule
    (["foo/bar"], "foo", "no"),
    (["*/bar"], "foo/bar", "yes"),  # matches subresource
    (["*/bar"], "foo", "no"),  # */sub never matches a request without subresource
    (["*/bar"], "foo/baz", "no"),
    (["*/bar"], "foo/xbar", "no"),  # length check: not a suffix match
    (["*"], "foo/bar", "yes"),  # `*` covers subresources
    (["foo"], "foo/bar", "no"),
    (["foo/*"], "foo/bar", "no"),  # `resource/*` is not a wildcard
    (["foo/*"], "foo/*", "yes"),
    (["*/*"], "foo/bar", "no"),
    (["fo*"], "foo", "no"),
    (["Foo"], "foo", "no"),  # case-sensitive, no discovery
])
def test_resource_matches(can_i: CanI, rule_resources: list[str], resource: str, answer: str) -> None:
    assert can_i(_bound(rule(["get"], [""], rule_resources)), "get", resource, "--as", "u").text == answer


@pytest.mark.parametrize(("names", "verb", "name", "answer"), [
    ([], "get", "foo", "yes"),  # no resourceNames: every name
    ([], "get", "", "yes"),
    (["foo"], "get", "foo", "yes"),
    (["foo", "bar"], "get", "bar", "yes"),
    (["foo"], "get", "baz", "no"),
    (["foo"], "get", "", "no"),  # no name in the request -> not in the list
    (["foo"], "list", "", "no"),
    (["foo"], "create", "", "no"),  # a create carries no name
    (["*"], "get", "foo", "no"),  # `*` is a literal name here
    (["*"], "get", "*", "yes"),
    (["Foo"], "get", "foo", "no"),
])
def test_resource_name_matches(can_i: CanI, names: list[str], verb: str, name: str, answer: str) -> None:
    objects = _bound(rule(["get", "list", "create"], [""], ["pods"], names=names))
    argv = [verb, "pods", *([name] if name else []), "--as", "u"]
    assert can_i(objects, *argv).text == answer


@pytest.mark.parametrize(("urls", "path", "answer"), [
    (["*"], "/", "yes"),
    (["*"], "/anything/at/all", "yes"),
    (["/healthz"], "/healthz", "yes"),
    (["/healthz"], "/healthz/", "no"),
    (["/healthz"], "/healthz/etcd", "no"),
    (["/healthz*"], "/healthz", "yes"),  # prefix `/healthz` after TrimRight
    (["/healthz*"], "/healthzfoo", "yes"),
    (["/healthz/*"], "/healthz", "no"),
    (["/healthz/*"], "/healthz/", "yes"),
    (["/healthz**"], "/healthz/x", "yes"),  # all trailing stars are trimmed
    (["/*"], "/metrics", "yes"),
    (["/a/*/c"], "/a/b/c", "no"),  # only a trailing `*` is special
    (["/a/*/c"], "/a/*/c", "yes"),
    (["/Healthz"], "/healthz", "no"),
])
def test_non_resource_url_matches(can_i: CanI, urls: list[str], path: str, answer: str) -> None:
    assert can_i(_bound(rule(["get"], urls=urls)), "get", path, "--as", "u").text == answer


# --- Property: the CLI agrees with a direct transcription of upstream RuleAllows.

def _rule_allows(r: dict[str, list[str]], verb: str, group: str, resource: str, sub: str, name: str) -> bool:
    combined = f"{resource}/{sub}" if sub else resource
    verbs_ok = any(v in ("*", verb) for v in r["verbs"])
    groups_ok = any(g in ("*", group) for g in r["apiGroups"])
    resources_ok = any(x == "*" or x == combined or (bool(sub) and x == "*/" + sub) for x in r["resources"])
    names_ok = not r["resourceNames"] or name in r["resourceNames"]
    return verbs_ok and groups_ok and resources_ok and names_ok


_rules = st.fixed_dictionaries({
    "verbs": st.lists(st.sampled_from(["get", "list", "*", "GET"]), min_size=1, max_size=3),
    "apiGroups": st.lists(st.sampled_from(["", "apps", "*", "apps.example.com"]), min_size=1, max_size=2),
    "resources": st.lists(st.sampled_from(["pods", "pods/log", "*/log", "*", "deployments", "*/status"]),
                          min_size=1, max_size=3),
    "resourceNames": st.lists(st.sampled_from(["a", "b.c", "*"]), max_size=2),
})
_requests = st.tuples(st.sampled_from(["get", "list", "GET", "watch"]),
                      st.sampled_from(["", "apps", "apps.example.com"]),
                      st.sampled_from(["pods", "deployments"]),
                      st.sampled_from(["", "log", "status"]),
                      st.sampled_from(["", "a", "b.c", "*"]))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(_rules, _requests)
def test_cli_agrees_with_rule_allows(can_i: CanI, r: dict[str, list[str]],
                                     req: tuple[str, str, str, str, str]) -> None:
    verb, group, resource, sub, name = req
    objects = _bound(rule(r["verbs"], r["apiGroups"], r["resources"], names=r["resourceNames"]))
    argv = [verb, _resource_arg(group, resource, sub), *([name] if name else []), "--as", "u"]
    expected = _rule_allows(r, verb, group, resource, sub, name)
    assert can_i(objects, *argv).text == ("yes" if expected else "no")


def _url_matches(urls: list[str], path: str) -> bool:
    return any(u == "*" or u == path or (u.endswith("*") and path.startswith(u.rstrip("*"))) for u in urls)


_url_parts = st.sampled_from(["", "/", "/api", "/api/", "/apis", "/apis/v1", "/healthz", "/healthz/etcd"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(_url_parts, st.sampled_from(["", "*", "**"])).map(lambda p: p[0] + p[1]).filter(bool),
                min_size=1, max_size=3),
       _url_parts.filter(bool), st.sampled_from(["get", "post", "GET"]))
def test_cli_agrees_with_non_resource_url_matches(can_i: CanI, urls: list[str], path: str, verb: str) -> None:
    expected = verb == "get" and _url_matches(urls, path)
    assert can_i(_bound(rule(["get"], urls=urls)), verb, path, "--as", "u").text == ("yes" if expected else "no")
