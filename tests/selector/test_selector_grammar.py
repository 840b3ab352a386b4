"""Table tests for the selector grammar, semantics and canonical form (calico-semantics §4)."""

from __future__ import annotations

import pytest
from tierguard.selector import (
    AllNode,
    AndNode,
    GlobalNode,
    HasNode,
    NotNode,
    OrNode,
    SelectorError,
    SetNode,
    SetOp,
    ValueNode,
    ValueOp,
    parse,
)

# (selector, label sets it matches, label sets it does not match)
MATCH_TABLE: list[tuple[str, list[dict[str, str]], list[dict[str, str]]]] = [
    ('a == "a"', [{"a": "a"}, {"a": "a", "b": "b"}], [{}, {"a": "b"}, {"b": "a"}]),
    ("a == 'a'", [{"a": "a"}], [{}, {"a": "A"}]),
    ('a == ""', [{"a": ""}], [{}, {"a": " "}]),
    ("a == \"'\"", [{"a": "'"}], [{"a": '"'}]),
    ("a == '\"'", [{"a": '"'}], [{"a": "'"}]),
    ('a != "a"', [{}, {"a": "b"}, {"b": "a"}], [{"a": "a"}]),
    ('a in {"a"}', [{"a": "a"}], [{}, {"a": "b"}]),
    ('a in {"a", "b"}', [{"a": "a"}, {"a": "b"}], [{"a": "c"}, {}]),
    ("a in {\"'\", '\"', \"c\"}", [{"a": "'"}, {"a": '"'}, {"a": "c"}], [{"a": "a"}, {}]),
    ("a in {}", [], [{}, {"a": ""}]),
    ('a not in {"d", "e"}', [{"a": "a"}, {}], [{"a": "d"}, {"a": "e"}]),
    ("a not in {}", [{}, {"a": "x"}], []),
    ('a notin {"d"}', [{}, {"a": "a"}], [{"a": "d"}]),
    ('!a in {"a"}', [{"a": "b"}, {}], [{"a": "a"}]),
    ('!a == "x"', [{}, {"a": "y"}], [{"a": "x"}]),
    ("has(a)", [{"a": ""}, {"a": "b"}], [{}, {"b": "a"}]),
    ("!has(a)", [{}, {"b": "a"}], [{"a": ""}]),
    ("!!has(b)", [{"b": "x"}], [{"a": "b"}]),
    ("!! ! has(a)", [{"b": "x"}], [{"a": "b"}]),
    ("!!!has(a)", [{}], [{"a": "x"}]),
    ('a contains "bc"', [{"a": "abcd"}, {"a": "bc"}], [{"a": "acb"}, {}, {"b": "abc"}]),
    ('a contains "a"', [{"a": "aaa"}], [{"b": "aaa"}]),
    ('a contains ""', [{"a": ""}, {"a": "x"}], [{}]),
    ('a starts with "ab"', [{"a": "ab"}, {"a": "abc"}], [{"a": "cab"}, {}]),
    ('a starts with "a"', [{"a": "abb"}], [{"a": "baa"}]),
    ('a ends with "cd"', [{"a": "abcd"}, {"a": "cd"}], [{"a": "cda"}, {}]),
    ('a startswith "x"', [{"a": "xy"}], [{"a": "yx"}]),
    ('a endswith "x"', [{"a": "yx"}], [{"a": "xy"}]),
    ("", [{}, {"a": "b"}], []),
    (" ", [{}, {"a": "b"}], []),
    ("all()", [{}, {"a": "b"}], []),
    ("global()", [{}, {"a": "b"}], []),
    ("!all()", [], [{}, {"a": "b"}]),
    ('a == "a" && b == "b"', [{"a": "a", "b": "b"}], [{"a": "a"}, {"b": "b"}]),
    ('a == "a" || b == "b"', [{"a": "a"}, {"b": "b"}], [{}, {"a": "b", "b": "a"}]),
    ('a != "a1" || b != "b1"', [{"a": "a1"}, {}], [{"a": "a1", "b": "b1"}]),
    ("! a == 'a1' || ! b == 'b1'", [{"a": "a1"}, {}], [{"a": "a1", "b": "b1"}]),
    # && binds tighter than ||
    ('a == "1" || b == "1" && c == "1"', [{"a": "1"}, {"b": "1", "c": "1"}], [{"b": "1"}]),
    ('(a == "1" || b == "1") && c == "1"', [{"a": "1", "c": "1"}], [{"a": "1"}, {"c": "1"}]),
    ('!(a == "1" || b == "1")', [{}, {"a": "2"}], [{"a": "1"}, {"b": "1"}]),
    ('!a == "1" && !b == "1"', [{}, {"a": "2"}], [{"a": "1"}, {"b": "1"}]),
    ("has(calico/k8s_ns)", [{"calico/k8s_ns": "x"}], [{}]),
    ('contains contains "contains"', [{"contains": "xcontainsx"}], [{"contains": "x"}]),
    ('in in {"in"}', [{"in": "in"}], [{"in": "x"}]),
    ('not not in {"x"}', [{"not": "y"}, {}], [{"not": "x"}]),
    ('has == "x"', [{"has": "x"}], [{}]),
    ('all == "x"', [{"all": "x"}], [{}]),
    ("a\t==\t'b'", [{"a": "b"}], [{"a": "c"}]),
    ('a == "x y\tz"', [{"a": "x y\tz"}], [{"a": "x y z"}]),
    ('a == "line\nbreak"', [{"a": "line\nbreak"}], [{"a": "line break"}]),
    ('a == "é☃"', [{"a": "é☃"}], [{"a": "e"}]),
]


@pytest.mark.parametrize(("text", "matching", "non_matching"), MATCH_TABLE)
def test_matches(text: str, matching: list[dict[str, str]],
                 non_matching: list[dict[str, str]]) -> None:
    selector = parse(text)
    assert [selector.matches(labels) for labels in matching] == [True] * len(matching)
    assert [selector.matches(labels) for labels in non_matching] == [False] * len(non_matching)
    # The compiled predicate agrees with the reference evaluator on every table row.
    for labels in matching + non_matching:
        assert selector.root.evaluate(labels) is selector.matches(labels)


CANONICAL_TABLE: list[tuple[str, str]] = [
    ("", "all()"),
    ("   ", "all()"),
    (" all() ", "all()"),
    ("all( )", "all()"),
    ("\tall(\t)\t", "all()"),
    (" (all() )", "all()"),
    ("global( )", "global()"),
    ("! (has( b)||! has(a ))", "!(has(b) || !has(a))"),
    ("! (has( b)&&! has(a ))", "!(has(b) && !has(a))"),
    ("has(\ta\t)", "has(a)"),
    ("!has(a)", "!has(a)"),
    ("!!has(a)", "has(a)"),
    ("!!!has(a)", "!has(a)"),
    ("! ! ! ! has(a)", "has(a)"),
    ("a == 'b'", 'a == "b"'),
    ('a=="b"', 'a == "b"'),
    ("a == '\"'", "a == '\"'"),
    ("a == \"'\"", "a == \"'\""),
    ("a!='b'", 'a != "b"'),
    ("a contains'b'", 'a contains "b"'),
    ("a startswith '\"'", "a starts with '\"'"),
    ("a starts  with 'b'", 'a starts with "b"'),
    ("a starts\twith 'b'", 'a starts with "b"'),
    ("a ends with 'b'", 'a ends with "b"'),
    ("a endswith 'b'", 'a ends with "b"'),
    ("a in {'1', '2'}", 'a in {"1", "2"}'),
    ("a in {'2', '1', '2', }", 'a in {"1", "2"}'),
    ("a in{}", "a in {}"),
    ("a in {'b',}", 'a in {"b"}'),
    ("a notin {'b'}", 'a not in {"b"}'),
    ("a not  in {'x', '\"', \"'\"}", "a not in {'\"', \"'\", \"x\"}"),
    ("a in {'B', 'a', 'b', 'A', '_'}", 'a in {"A", "B", "_", "a", "b"}'),
    ("a == 'b' && c == 'd'", '(a == "b" && c == "d")'),
    ("a == 'b' || c == 'd'", '(a == "b" || c == "d")'),
    ("a == 'b' && c == 'd' && e == 'f'", '(a == "b" && c == "d" && e == "f")'),
    ("a == 'b' || c == 'd' && e == 'f'", '(a == "b" || (c == "d" && e == "f"))'),
    ("a == 'b' && c == 'd' || e == 'f'", '((a == "b" && c == "d") || e == "f")'),
    ("(a == 'b' || c == 'd') && e == 'f'", '((a == "b" || c == "d") && e == "f")'),
    ("((a == 'b' && c == 'd')) && e == 'f'", '((a == "b" && c == "d") && e == "f")'),
    ("(a == 'b')", 'a == "b"'),
    ("!(a == 'b')", '!a == "b"'),
    ("!a == 'b' || !has(c)", '(!a == "b" || !has(c))'),
    ("!(a == 'b' && has(c))", '!(a == "b" && has(c))'),
    ("!!(a == 'b' && has(c))", '(a == "b" && has(c))'),
    ("all() && has(a)", "(all() && has(a))"),
    ("calico/k8s_ns == 'kube-system' && k8s-app == 'kube-dns'",
     '(calico/k8s_ns == "kube-system" && k8s-app == "kube-dns")'),
    ('a  not  in  {"bar"} && ! has( foo ) || b in {"c"}',
     '((a not in {"bar"} && !has(foo)) || b in {"c"})'),
    ('a notin{"bar"}&&!has(foo)||b in{"c"}', '((a not in {"bar"} && !has(foo)) || b in {"c"})'),
    ('contains contains "contains"', 'contains contains "contains"'),
    ("a == ''", 'a == ""'),
]


@pytest.mark.parametrize(("text", "canonical"), CANONICAL_TABLE)
def test_canonical_form(text: str, canonical: str) -> None:
    assert str(parse(text)) == canonical
    assert str(parse(canonical)) == canonical


# (selector, 0-based column, reason)
REJECTED: list[tuple[str, int, str]] = [
    ("b == b", 5, "expected a quoted string, found label 'b'"),
    ("b contains b", 11, "expected a quoted string, found label 'b'"),
    ("'b1' == b", 0, "expected a selector expression, found a string"),
    ("b", 1, "expected an operator after label 'b', found end of selector"),
    ("a ", 2, "expected an operator after label 'a', found end of selector"),
    ("a b", 2, "expected an operator after label 'a'"),
    ("!", 1, "expected a selector expression, found end of selector"),
    ('foo == "bar" &', 13, "expected '&&', found a single '&'"),
    ('foo == "bar" |', 13, "expected '||', found a single '|'"),
    ("foo != ||", 7, "expected a quoted string, found '||'"),
    ('foo in {"", ||', 12, "expected a string or '}' in set, found '||'"),
    ('foo in ""', 7, "expected a set literal '{', found a string"),
    ('foo in {"a" "b"}', 12, "expected a string or '}' in set, found a string"),
    ("foo in {,}", 8, "expected a string or '}' in set, found ','"),
    ('"FOO', 0, 'unterminated string (no closing ")'),
    ("\"FOO'", 0, 'unterminated string (no closing ")'),
    ("'FOO\"", 0, "unterminated string (no closing ')"),
    ("a == 'x", 5, "unterminated string (no closing ')"),
    ("(", 1, "expected a selector expression, found end of selector"),
    ('(a == "foo"', 11, "expected ')', found end of selector"),
    (")", 0, "expected a selector expression, found ')'"),
    ("()", 1, "expected a selector expression, found ')'"),
    ('a == "b")', 8, "unexpected ')' after a complete expression"),
    ('a == "b" c == "d"', 9, "unexpected label 'c' after a complete expression"),
    ("has(a) has(b)", 7, "unexpected 'has()' after a complete expression"),
    ("%", 0, "unexpected character '%'"),
    ("a == 'b' && $", 12, "unexpected character '$'"),
    ("a ~ 'b'", 2, "expected an operator after label 'a'"),
    ("has(foo) &&", 11, "expected a selector expression, found end of selector"),
    ("has(foo) ||", 11, "expected a selector expression, found end of selector"),
    ('label = "v"', 6, "expected '==', found a single '='"),
    ("has()", 4, "has() needs a label"),
    ("has( )", 5, "has() needs a label"),
    ("has(foo", 7, "expected ')' to close has("),
    ("has(foo bar)", 8, "expected ')' to close has("),
    ("has('foo')", 4, "has() needs a label"),
    ("all(", 4, "expected ')' after 'all('"),
    ("all(x)", 4, "expected ')' after 'all('"),
    ("global(", 7, "expected ')' after 'global('"),
    ("has (x)", 4, "expected an operator after label 'has', found '('"),
    ("all ()", 4, "expected an operator after label 'all', found '('"),
    ('label starts foo "v"', 6, "expected an operator after label 'label'"),
    ('label inf "v"', 6, "expected an operator after label 'label'"),
    ('label ends withs "v"', 6, "expected an operator after label 'label'"),
    ('label containsx "v"', 6, "expected an operator after label 'label'"),
    ('label not "v"', 6, "expected an operator after label 'label'"),
    ('a == "x"\n', 8, "line break in selector (only spaces and tabs may separate tokens)"),
    ('a == "x"\r\n&& b == "y"', 8,
     "line break in selector (only spaces and tabs may separate tokens)"),
    ("\nhas(a)", 0, "line break in selector (only spaces and tabs may separate tokens)"),
    ("a\v== 'b'", 1, "expected an operator after label 'a'"),
    ("\u00a0has(a)", 0, "unexpected character '\\xa0'"),
    ("lab€l == 'x'", 3, "expected an operator after label 'lab'"),
    ("a == 'b' && && c == 'd'", 12, "expected a selector expression, found '&&'"),
    ("!=", 0, "expected a selector expression, found '!='"),
    ("{}", 0, "expected a selector expression, found '{'"),
    ("a in {'x'", 9, "expected a string or '}' in set, found end of selector"),
    ("a == 'b' && (c == 'd'", 21, "expected ')', found end of selector"),
    ("a" * 512 + " == 'x' && " + "b" * 513 + " == 'y'", 523,
     "label longer than 512 characters"),
    ("has(" + "b" * 513 + ")", 4, "label longer than 512 characters"),
]


@pytest.mark.parametrize(("text", "column", "reason"), REJECTED)
def test_rejected(text: str, column: int, reason: str) -> None:
    with pytest.raises(SelectorError) as caught:
        parse(text)
    assert (caught.value.column, caught.value.reason) == (column, reason)
    assert str(caught.value) == f"{reason} (column {column + 1})"


def test_label_of_512_characters_is_accepted() -> None:
    label = "a" * 512
    assert str(parse(f"{label} == 'x'")) == f'{label} == "x"'
    assert str(parse(f"has({label})")) == f"has({label})"


def test_label_character_set() -> None:
    label = "AZaz09_./-"
    assert parse(f"{label} == 'x'").matches({label: "x"})


def test_over_long_label_followed_by_operator_word_mirrors_calico_split() -> None:
    # Calico's label pattern takes at most 512 characters, so the rest of a longer run is
    # read as the next token: here the operator `in`.
    selector = parse("a" * 512 + "in {'x'}")
    assert selector.root == SetNode("a" * 512, SetOp.IN, ("x",))


def test_nesting_limit() -> None:
    deep_ok = "(" * 100 + "has(a)" + ")" * 100
    assert str(parse(deep_ok)) == "has(a)"
    with pytest.raises(SelectorError) as caught:
        parse("(" * 101 + "has(a)" + ")" * 101)
    assert (caught.value.column, caught.value.reason) == (100, "parentheses nested more than 100 deep")


def test_ast_shapes_and_columns() -> None:
    root = parse("a == 'x' || !has(b) && c in {'2', '1'}").root
    assert root == OrNode((
        ValueNode("a", ValueOp.EQ, "x"),
        AndNode((NotNode(HasNode("b")), SetNode("c", SetOp.IN, ("1", "2")))),
    ))
    assert isinstance(root, OrNode)
    second = root.operands[1]
    assert isinstance(second, AndNode)
    assert [root.column, root.operands[0].column, second.column,
            second.operands[0].column, second.operands[1].column] == [0, 0, 12, 12, 23]
    assert parse("").root == AllNode()
    assert parse("  global()").root == GlobalNode()
    assert parse("  global()").root.column == 2


def test_selector_equality_and_hash_follow_canonical_form() -> None:
    assert parse("a == 'b'") == parse('a=="b"')
    assert hash(parse("a == 'b'")) == hash(parse('a=="b"'))
    assert parse("a == 'b'") != parse("a == 'c'")
    assert parse("") == parse("all()")
    assert parse("a == 'b'") != "a == \"b\""


def test_bytes_input_is_decoded() -> None:
    assert str(parse(b"a == 'b'")) == 'a == "b"'
    selector = parse(b"a == '\xff'")
    assert selector.matches({"a": "\udcff"})
    with pytest.raises(SelectorError):
        parse(b"\xff")


def test_non_string_input_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        parse(None)  # type: ignore[arg-type]


def test_double_negated_group_prints_like_calico_and_settles_after_one_round() -> None:
    # Calico's NotNode prints "!" + operand, and its parser collapses "!!"; so a group negated
    # twice prints as "!!x", which re-parses to x (same meaning).
    once = parse("!(!has(a))")
    assert once.root == NotNode(NotNode(HasNode("a")))
    assert str(once) == "!!has(a)"
    twice = parse(str(once))
    assert str(twice) == "has(a)" and str(parse(str(twice))) == "has(a)"
    for labels in ({}, {"a": ""}):
        assert once.matches(labels) is twice.matches(labels)
    assert str(parse("!(!(a == 'x' && has(b)))")) == '!!(a == "x" && has(b))'
