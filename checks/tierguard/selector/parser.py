"""Recursive-descent parser: tokens -> AST (calico-semantics §4.1).

Precedence, loosest first: `||`, `&&`, `!`, match operators. Like Calico's parser, a run of
`!` collapses to a single negation or none (`!!has(a)` is `has(a)`), and a parenthesised
group becomes its inner node (so `(all())` is `all()`).
Nesting is limited to MAX_NESTING parentheses so hostile input cannot exhaust the Python stack
(Calico has no such limit; real selectors nest a handful of levels).
"""

from __future__ import annotations

from tierguard.selector.ast import (
    AllNode,
    AndNode,
    GlobalNode,
    HasNode,
    Node,
    NotNode,
    OrNode,
    SetNode,
    SetOp,
    ValueNode,
    ValueOp,
)
from tierguard.selector.errors import SelectorError
from tierguard.selector.tokenizer import KIND, START, VALUE, Token, TokenKind, tokenize

MAX_NESTING = 100

_VALUE_OPS = {TokenKind.EQ: ValueOp.EQ, TokenKind.NE: ValueOp.NE,
              TokenKind.CONTAINS: ValueOp.CONTAINS, TokenKind.STARTS_WITH: ValueOp.STARTS_WITH,
              TokenKind.ENDS_WITH: ValueOp.ENDS_WITH}
_SET_OPS = {TokenKind.IN: SetOp.IN, TokenKind.NOT_IN: SetOp.NOT_IN}
# Enum attribute access is slow on CPython 3.11; the hot paths compare against these aliases.
_OR, _AND, _NOT = TokenKind.OR, TokenKind.AND, TokenKind.NOT
_EOF, _HAS, _ALL, _GLOBAL = TokenKind.EOF, TokenKind.HAS, TokenKind.ALL, TokenKind.GLOBAL
_LABEL, _STRING, _LPAREN, _RPAREN = (TokenKind.LABEL, TokenKind.STRING, TokenKind.LPAREN,
                                     TokenKind.RPAREN)
_LBRACE, _RBRACE, _COMMA = TokenKind.LBRACE, TokenKind.RBRACE, TokenKind.COMMA


def parse_node(text: str) -> Node:
    """Parse `text` into an AST; the empty (or blank) selector is `all()`."""
    return _Parser(text, tokenize(text)).parse()


def _describe(token: Token) -> str:
    if token[KIND] is TokenKind.LABEL:
        return f"label '{token[VALUE]}'"
    if token[KIND] is TokenKind.STRING:
        return "a string"
    if token[KIND] is TokenKind.EOF:
        return "end of selector"
    return f"'{token[KIND].value}'"


class _Parser:
    def __init__(self, text: str, tokens: list[Token]) -> None:
        self._text = text
        self._tokens = tokens
        self._index = 0

    def parse(self) -> Node:
        first = self._peek()
        if first[KIND] is _EOF:
            return AllNode(column=first[START])
        node = self._or(0)
        rest = self._peek()
        if rest[KIND] is not _EOF:
            raise self._error(f"unexpected {_describe(rest)} after a complete expression", rest)
        return node

    def _peek(self) -> Token:
        return self._tokens[self._index]

    def _take(self) -> Token:
        token = self._tokens[self._index]
        if token[KIND] is not _EOF:
            self._index += 1
        return token

    def _error(self, reason: str, token: Token) -> SelectorError:
        return SelectorError(reason, token[START], self._text)

    def _or(self, depth: int) -> Node:
        tokens = self._tokens
        start = tokens[self._index][START]
        first = self._and(depth)
        if tokens[self._index][KIND] is not _OR:
            return first
        operands = [first]
        while tokens[self._index][KIND] is _OR:
            self._index += 1
            operands.append(self._and(depth))
        return OrNode(tuple(operands), column=start)

    def _and(self, depth: int) -> Node:
        tokens = self._tokens
        start = tokens[self._index][START]
        first = self._operation(depth)
        if tokens[self._index][KIND] is not _AND:
            return first
        operands = [first]
        while tokens[self._index][KIND] is _AND:
            self._index += 1
            operands.append(self._operation(depth))
        return AndNode(tuple(operands), column=start)

    def _operation(self, depth: int) -> Node:
        tokens = self._tokens
        start = tokens[self._index][START]
        negated = False
        while tokens[self._index][KIND] is _NOT:
            self._index += 1
            negated = not negated
        node = self._positive(depth)
        return NotNode(node, column=start) if negated else node

    def _positive(self, depth: int) -> Node:
        token = self._take()
        if token[KIND] is _HAS:
            return HasNode(token[VALUE], column=token[START])
        if token[KIND] is _ALL:
            return AllNode(column=token[START])
        if token[KIND] is _GLOBAL:
            return GlobalNode(column=token[START])
        if token[KIND] is _LABEL:
            return self._match(token)
        if token[KIND] is _LPAREN:
            return self._group(token, depth)
        raise self._error(f"expected a selector expression, found {_describe(token)}", token)

    def _group(self, open_paren: Token, depth: int) -> Node:
        if depth >= MAX_NESTING:
            raise self._error(f"parentheses nested more than {MAX_NESTING} deep", open_paren)
        node = self._or(depth + 1)
        close = self._take()
        if close[KIND] is not _RPAREN:
            raise self._error(f"expected ')', found {_describe(close)}", close)
        return node

    def _match(self, label: Token) -> Node:
        operator = self._take()
        value_op = _VALUE_OPS.get(operator[KIND])
        if value_op is not None:
            value = self._take()
            if value[KIND] is not _STRING:
                raise self._error(f"expected a quoted string, found {_describe(value)}", value)
            return ValueNode(label[VALUE], value_op, value[VALUE], column=label[START])
        set_op = _SET_OPS.get(operator[KIND])
        if set_op is not None:
            return SetNode(label[VALUE], set_op, self._set_literal(), column=label[START])
        raise self._error(
            f"expected an operator after label '{label[VALUE]}', found {_describe(operator)}",
            operator)

    def _set_literal(self) -> tuple[str, ...]:
        brace = self._take()
        if brace[KIND] is not _LBRACE:
            raise self._error(f"expected a set literal '{{', found {_describe(brace)}", brace)
        values: list[str] = []
        while self._peek()[KIND] is _STRING:
            values.append(self._take()[VALUE])
            if self._peek()[KIND] is not _COMMA:
                break
            self._take()
        close = self._take()
        if close[KIND] is not _RBRACE:
            raise self._error(f"expected a string or '}}' in set, found {_describe(close)}",
                              close)
        return tuple(sorted(set(values)))
