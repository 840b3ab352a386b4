"""Property and fuzz tests: random ASTs, random spellings, random label sets, random bytes."""

from __future__ import annotations

from collections.abc import Mapping

from hypothesis import given, settings
from hypothesis import strategies as st
from tierguard.selector import (
    AllNode,
    AndNode,
    GlobalNode,
    HasNode,
    LabelInterner,
    Node,
    NotNode,
    OrNode,
    Selector,
    SelectorError,
    SetNode,
    SetOp,
    ValueNode,
    ValueOp,
    parse,
    tokenizer,
)
from tierguard.selector.compiler import compile_closure

KEYWORD_LABELS = ["contains", "in", "not", "notin", "has", "all", "global", "starts", "with",
                  "ends", "startswith"]
LABELS = st.one_of(
    st.sampled_from(["a", "b", "app", "k8s-app", "calico/k8s_ns", "x.y_z-1", *KEYWORD_LABELS]),
    st.from_regex(r"[A-Za-z0-9_./-]{1,12}", fullmatch=True))
COMMON_VALUES = ["", "a", "b", "web", "x y", "'", '"', "all()", "a\tb", "ab", "ba"]
VALUES = st.one_of(
    st.sampled_from(COMMON_VALUES),
    st.text(max_size=8).filter(lambda v: not ("'" in v and '"' in v)))
WHITESPACE = st.sampled_from(["", " ", "\t", "  ", " \t "])
SOME_WHITESPACE = st.sampled_from([" ", "\t", "  ", " \t "])


def _leaves() -> st.SearchStrategy[Node]:
    return st.one_of(
        st.just(AllNode()), st.just(GlobalNode()), st.builds(HasNode, LABELS),
        st.builds(ValueNode, LABELS, st.sampled_from(ValueOp), VALUES),
        st.builds(lambda label, op, values: SetNode(label, op, tuple(values)),
                  LABELS, st.sampled_from(SetOp), st.lists(VALUES, max_size=4)))


def _negate(node: Node) -> Node:
    # The parser collapses `!!x` to `x`, so a parsed tree never holds Not(Not(x)).
    return node.operand if isinstance(node, NotNode) else NotNode(node)


def _extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    groups = st.lists(children, min_size=2, max_size=4).map(tuple)
    return st.one_of(children.map(_negate), groups.map(AndNode), groups.map(OrNode))


NODES = st.recursive(_leaves(), _extend, max_leaves=12)
LABEL_MAPS = st.dictionaries(
    st.sampled_from(["a", "b", "app", "contains", "in", "not", "all", "x.y_z-1"]),
    st.sampled_from(COMMON_VALUES), max_size=5)


def oracle(node: Node, labels: Mapping[str, str]) -> bool:
    """calico-semantics §4.2, written independently of the package."""
    if isinstance(node, (AllNode, GlobalNode)):
        return True
    if isinstance(node, HasNode):
        return node.label in labels
    if isinstance(node, NotNode):
        return not oracle(node.operand, labels)
    if isinstance(node, AndNode):
        return all(oracle(op, labels) for op in node.operands)
    if isinstance(node, OrNode):
        return any(oracle(op, labels) for op in node.operands)
    present = node.label in labels
    value = labels.get(node.label, "")
    if isinstance(node, SetNode):
        inside = present and value in node.values
        return inside if node.op is SetOp.IN else not inside
    return {
        ValueOp.EQ: present and value == node.value,
        ValueOp.NE: not present or value != node.value,
        ValueOp.CONTAINS: present and node.value in value,
        ValueOp.STARTS_WITH: present and value.startswith(node.value),
        ValueOp.ENDS_WITH: present and value.endswith(node.value),
    }[node.op]


def _quote(draw: st.DrawFn, value: str) -> str:
    if '"' in value:
        mark = "'"
    elif "'" in value:
        mark = '"'
    else:
        mark = draw(st.sampled_from(["'", '"']))
    return f"{mark}{value}{mark}"


_OPERATOR_SPELLINGS = {
    ValueOp.EQ: ["=="], ValueOp.NE: ["!="], ValueOp.CONTAINS: ["contains"],
    ValueOp.STARTS_WITH: ["starts with", "startswith", "starts \t with"],
    ValueOp.ENDS_WITH: ["ends with", "endswith", "ends  with"],
    SetOp.IN: ["in"], SetOp.NOT_IN: ["not in", "notin", "not\tin"],
}


def spell(draw: st.DrawFn, node: Node, operation: bool) -> str:
    """A random valid spelling of `node`; `operation` means it must be a single operation."""
    def ws() -> str:
        return draw(WHITESPACE)

    if isinstance(node, (AndNode, OrNode)):
        joiner = "&&" if isinstance(node, AndNode) else "||"
        # A nested group of the same kind must keep its parentheses (no flattening), and an
        # || group inside && needs them for precedence; an && group inside || does not.
        grouped: tuple[type, ...] = (AndNode, OrNode) if isinstance(node, AndNode) else (OrNode,)
        parts = []
        for child in node.operands:
            must_group = isinstance(child, grouped)
            parts.append(spell(draw, child, operation=must_group or draw(st.booleans())))
        text = f"{ws()}{joiner}{ws()}".join(parts)
        return f"({ws()}{text}{ws()})" if operation else text
    if isinstance(node, NotNode):
        text = f"!{ws()}{spell(draw, node.operand, operation=True)}"
    elif isinstance(node, AllNode):
        text = f"all({ws()})"
    elif isinstance(node, GlobalNode):
        text = f"global({ws()})"
    elif isinstance(node, HasNode):
        text = f"has({ws()}{node.label}{ws()})"
    elif isinstance(node, ValueNode):
        spelling = draw(st.sampled_from(_OPERATOR_SPELLINGS[node.op]))
        before = ws() if node.op in (ValueOp.EQ, ValueOp.NE) else draw(SOME_WHITESPACE)
        text = f"{node.label}{before}{spelling}{ws()}{_quote(draw, node.value)}"
    else:
        spelling = draw(st.sampled_from(_OPERATOR_SPELLINGS[node.op]))
        repeats: list[str] = (draw(st.lists(st.sampled_from(node.values), max_size=2))
                              if node.values else [])
        values = list(node.values) + repeats
        items = f"{ws()},{ws()}".join(_quote(draw, v) for v in draw(st.permutations(values)))
        comma: bool = draw(st.booleans())
        trailing = "," if values and comma else ""
        text = (f"{node.label}{draw(SOME_WHITESPACE)}{spelling}{ws()}"
                f"{{{ws()}{items}{trailing}{ws()}}}")
    decoration = draw(st.sampled_from(["", "parens", "double-not"]))
    if decoration == "parens":
        return f"({ws()}{text}{ws()})"
    if decoration == "double-not":
        return f"!{ws()}!{ws()}{text}"
    return text


@st.composite
def spelled(draw: st.DrawFn) -> tuple[Node, str]:
    node = draw(NODES)
    return node, f"{draw(WHITESPACE)}{spell(draw, node, operation=False)}{draw(WHITESPACE)}"


@settings(max_examples=150, deadline=None)
@given(spelled(), st.lists(LABEL_MAPS, min_size=1, max_size=6))
def test_random_spellings_parse_to_the_same_tree(case: tuple[Node, str],
                                                   label_maps: list[dict[str, str]]) -> None:
    node, text = case
    selector = parse(text)
    assert selector.root == node
    assert str(selector) == str(node)
    for labels in label_maps:
        assert selector.matches(labels) is oracle(node, labels)


@settings(max_examples=150, deadline=None)
@given(NODES, st.lists(LABEL_MAPS, min_size=1, max_size=6))
def test_canonical_round_trip(node: Node, label_maps: list[dict[str, str]]) -> None:
    selector = Selector.from_node(node)
    again = parse(str(selector))
    assert str(again) == str(selector)
    assert again.root == node
    interner = LabelInterner()
    for labels in label_maps:
        expected = oracle(node, labels)
        assert selector.matches(labels) is expected
        assert again.matches(labels) is expected
        assert again.matches(interner.intern(labels)) is expected
        assert again.matches(interner.intern(labels)) is expected  # memoised path
        assert node.evaluate(labels) is expected
        assert compile_closure(node)(labels) is expected


def _assert_total(text: str | bytes) -> None:
    try:
        selector = parse(text)
    except SelectorError as error:
        length = len(text) if isinstance(text, str) else len(text.decode("utf-8", "surrogateescape"))
        assert 0 <= error.column <= length
        assert error.reason
        return
    # Canonical text is stable after at most one round (a twice-negated group, `!(!x)`, prints
    # as `!!x` and re-parses to `x`, as in Calico); the meaning never changes.
    again = parse(str(selector))
    assert str(parse(str(again))) == str(again)
    for labels in ({}, {"a": "x"}, {"b": "y", "a": ""}):
        assert again.matches(labels) is selector.matches(labels)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_fuzz_bytes_only_raise_selector_error(data: bytes) -> None:
    _assert_total(data)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="ab !=&|(){},'\"\t\nhasinotlgcw_/.-é\x00", max_size=40))
def test_fuzz_text_only_raise_selector_error(text: str) -> None:
    _assert_total(text)


FRAGMENTS = ["a", "b", "==", "!=", "'x'", '"y"', "&&", "||", "!", "(", ")", "{", "}", ",",
             "in", "not", "has(a)", "all()", "global()", "contains", "starts", "with", "ends",
             " ", "\t", "\n", "has(", "all(", "=", "&", "|", "'", '"']


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=16), st.sampled_from(["", " "]))
def test_fuzz_token_soup_only_raises_selector_error(fragments: list[str], glue: str) -> None:
    _assert_total(glue.join(fragments))


WORDY_FRAGMENTS = [*FRAGMENTS, "in.x", "notin", "startswith", "ends with", "contains/", "-in",
                   "has( a )", "has(a.b/c-d)", "all( )", "x" * 512, "a" * 511, "with", "'a b'"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(WORDY_FRAGMENTS), max_size=12), st.sampled_from(["", " ", "\t"]))
def test_fast_tokenizer_agrees_with_precise_tokenizer(fragments: list[str], glue: str) -> None:
    text = glue.join(fragments)
    try:
        fast = tokenizer._tokenize_fast(text)
    except tokenizer._Irregular:
        fast = None
    try:
        precise = tokenizer.tokenize_precise(text)
    except SelectorError:
        assert fast is None, "the fast path accepted text the precise tokenizer rejects"
        return
    if fast is not None:
        assert fast == precise
