"""Tokenizer for the Calico selector language (calico-semantics §4.1).

It mirrors Calico's tokenizer decisions, which are context-sensitive:
operator words (`contains`, `starts with`, `ends with`, `not in`, `in`) are recognised only
right after a label, so labels may look like keywords (`contains contains "contains"`); and
`has(`, `all(`, `global(` are recognised only with the parenthesis glued to the keyword.
Whitespace is space and tab only. Labels are at most 512 characters: like Calico's
`[A-Za-z0-9_./-]{1,512}` a longer run is split after 512 characters, and the rest must then be
an operator (it nearly never is, so that is an error).

There are two implementations: `tokenize_precise` follows Calico step by step and produces
every error with its column; `tokenize` first tries a fast path and hands anything irregular
(errors, over-long runs, operator words glued to other characters) to `tokenize_precise`.
A property test checks that the two agree wherever the fast path answers.
"""

from __future__ import annotations

import enum
import re
from typing import Final

from tierguard.selector.errors import SelectorError

MAX_LABEL_LENGTH = 512
LABEL_PATTERN = r"[A-Za-z0-9_./-]"


class TokenKind(enum.Enum):
    LABEL = "label"
    STRING = "string"
    LBRACE = "{"
    RBRACE = "}"
    COMMA = ","
    LPAREN = "("
    RPAREN = ")"
    EQ = "=="
    NE = "!="
    IN = "in"
    NOT_IN = "not in"
    CONTAINS = "contains"
    STARTS_WITH = "starts with"
    ENDS_WITH = "ends with"
    NOT = "!"
    AND = "&&"
    OR = "||"
    HAS = "has()"
    ALL = "all()"
    GLOBAL = "global()"
    EOF = "end of selector"


# A token is a plain tuple (kind, value, start, end) because building one per token is the
# tokenizer's main cost: `value` is the label (LABEL, HAS) or the unquoted string (STRING),
# "" otherwise; `start`/`end` are 0-based offsets of the first character and after the last.
Token = tuple[TokenKind, str, int, int]
KIND: Final = 0
VALUE: Final = 1
START: Final = 2
END: Final = 3


_WHITESPACE = re.compile(r"[ \t]*")
_LABEL = re.compile(f"{LABEL_PATTERN}{{1,{MAX_LABEL_LENGTH}}}")
_LABEL_CHAR = re.compile(LABEL_PATTERN)
_OPERATOR = re.compile(
    r"(?:(contains)|(starts)[ \t]*with|(ends)[ \t]*with|(not)[ \t]*in|(in))(?![A-Za-z0-9_])")
_OPERATOR_KINDS = (TokenKind.CONTAINS, TokenKind.STARTS_WITH, TokenKind.ENDS_WITH,
                   TokenKind.NOT_IN, TokenKind.IN)
_HAS = re.compile(r"has\([ \t]*(" + LABEL_PATTERN + f"{{1,{MAX_LABEL_LENGTH}}})" + r"[ \t]*\)")
_ALL = re.compile(r"all\([ \t]*\)")
_GLOBAL = re.compile(r"global\([ \t]*\)")
_SIMPLE = {"(": TokenKind.LPAREN, ")": TokenKind.RPAREN, "{": TokenKind.LBRACE,
           "}": TokenKind.RBRACE, ",": TokenKind.COMMA}
_DOUBLED = {"=": TokenKind.EQ, "&": TokenKind.AND, "|": TokenKind.OR}


# Fast path: one C-level `findall` cuts the text into whitespace runs, quoted strings, label-
# character runs, two-character operators and single characters; a Python loop then gives the
# pieces their meaning.
_PIECES = re.compile(r"[ \t]+|\"[^\"]*\"|'[^']*'|" + LABEL_PATTERN + r"+|&&|\|\||==|!=|[\s\S]")
_PUNCTUATION = {"(": TokenKind.LPAREN, ")": TokenKind.RPAREN, "{": TokenKind.LBRACE,
                "}": TokenKind.RBRACE, ",": TokenKind.COMMA, "&&": TokenKind.AND,
                "||": TokenKind.OR, "==": TokenKind.EQ, "!=": TokenKind.NE, "!": TokenKind.NOT}
_ONE_WORD_OPERATORS = {"contains": TokenKind.CONTAINS, "in": TokenKind.IN,
                       "notin": TokenKind.NOT_IN, "startswith": TokenKind.STARTS_WITH,
                       "endswith": TokenKind.ENDS_WITH}
_TWO_WORD_OPERATORS = {("starts", "with"): TokenKind.STARTS_WITH,
                       ("ends", "with"): TokenKind.ENDS_WITH, ("not", "in"): TokenKind.NOT_IN}
_FUNCTIONS = {"has": TokenKind.HAS, "all": TokenKind.ALL, "global": TokenKind.GLOBAL}
_LABEL_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_./-")
# Enum attribute access is slow on CPython 3.11; the hot loop uses these aliases.
_LABEL_KIND = TokenKind.LABEL
_STRING_KIND = TokenKind.STRING


class _Irregular(Exception):
    """The fast path met something it does not handle; the precise tokenizer takes over."""


def tokenize(text: str) -> list[Token]:
    """Split `text` into tokens ending with an EOF token; raise SelectorError on bad input."""
    try:
        return _tokenize_fast(text)
    except _Irregular:
        return tokenize_precise(text)


def tokenize_precise(text: str) -> list[Token]:
    """The reference tokenizer: one precisely-checked token at a time (used for errors)."""
    tokens: list[Token] = []
    pos = 0
    while True:
        pos = _WHITESPACE.match(text, pos).end()  # type: ignore[union-attr]
        if pos >= len(text):
            tokens.append((TokenKind.EOF, "", len(text), len(text)))
            return tokens
        after_label = bool(tokens) and tokens[-1][KIND] is TokenKind.LABEL
        token = _next_token(text, pos, after_label, tokens)
        tokens.append(token)
        pos = token[END]


def _tokenize_fast(text: str) -> list[Token]:
    pieces = _PIECES.findall(text)
    tokens: list[Token] = []
    append = tokens.append
    after_label = False
    pos = index = 0
    count = len(pieces)
    while index < count:
        piece = pieces[index]
        first = piece[0]
        end = pos + len(piece)
        kind = _PUNCTUATION.get(piece)
        if kind is not None:
            append((kind, "", pos, end))
        elif first == " " or first == "\t":
            pos, index = end, index + 1
            continue
        elif (first == '"' or first == "'") and end - pos > 1:
            append((_STRING_KIND, piece[1:-1], pos, end))
        elif first not in _LABEL_CHARS:
            raise _Irregular
        elif after_label:
            index, end = _operator_pieces(pieces, index, pos, tokens)
        elif len(piece) > MAX_LABEL_LENGTH:
            raise _Irregular  # Calico's {1,512} pattern splits such a run; see tokenize_precise
        elif piece in _FUNCTIONS and index + 1 < count and pieces[index + 1] == "(":
            index, end = _function_pieces(pieces, index, pos, tokens)
        else:
            append((_LABEL_KIND, piece, pos, end))
            pos, index, after_label = end, index + 1, True
            continue
        after_label = False
        pos, index = end, index + 1
    append((TokenKind.EOF, "", pos, pos))
    return tokens


def _operator_pieces(pieces: list[str], index: int, pos: int,
                     tokens: list[Token]) -> tuple[int, int]:
    """Read an operator word (or two) right after a label; return the last piece index, end."""
    piece = pieces[index]
    kind = _ONE_WORD_OPERATORS.get(piece)
    end = pos + len(piece)
    if kind is None:
        after = index + 1
        if after < len(pieces) and pieces[after][0] in " \t":
            end += len(pieces[after])
            after += 1
        second = pieces[after] if after < len(pieces) else ""
        kind = _TWO_WORD_OPERATORS.get((piece, second))
        if kind is None:
            raise _Irregular
        index, end = after, end + len(second)
    tokens.append((kind, "", pos, end))
    return index, end


def _function_pieces(pieces: list[str], index: int, pos: int,
                     tokens: list[Token]) -> tuple[int, int]:
    """Read `has( label )`, `all( )` or `global( )`; return the last piece index and end."""
    kind = _FUNCTIONS[pieces[index]]
    end = pos + len(pieces[index]) + 1
    cursor = index + 2  # after the "("
    label = ""
    if kind is TokenKind.HAS:
        cursor, end = _skip_blank(pieces, cursor, end)
        label = pieces[cursor] if cursor < len(pieces) else ""
        if not label or label[0] not in _LABEL_CHARS or len(label) > MAX_LABEL_LENGTH:
            raise _Irregular
        cursor, end = cursor + 1, end + len(label)
    cursor, end = _skip_blank(pieces, cursor, end)
    if cursor >= len(pieces) or pieces[cursor] != ")":
        raise _Irregular
    tokens.append((kind, label, pos, end + 1))
    return cursor, end + 1


def _skip_blank(pieces: list[str], cursor: int, end: int) -> tuple[int, int]:
    if cursor < len(pieces) and pieces[cursor][0] in " \t":
        return cursor + 1, end + len(pieces[cursor])
    return cursor, end


def _next_token(text: str, pos: int, after_label: bool, tokens: list[Token]) -> Token:
    char = text[pos]
    simple = _SIMPLE.get(char)
    if simple is not None:
        return (simple, "", pos, pos + 1)
    if char == '"' or char == "'":
        return _string(text, pos)
    if char == "!":
        if text.startswith("!=", pos):
            return (TokenKind.NE, "", pos, pos + 2)
        return (TokenKind.NOT, "", pos, pos + 1)
    doubled = _DOUBLED.get(char)
    if doubled is not None:
        if text.startswith(char * 2, pos):
            return (doubled, "", pos, pos + 2)
        raise SelectorError(f"expected '{char * 2}', found a single '{char}'", pos, text)
    if after_label:
        return _operator(text, pos, tokens[-1])
    return _word(text, pos)


def _string(text: str, pos: int) -> Token:
    quote = text[pos]
    close = text.find(quote, pos + 1)
    if close < 0:
        raise SelectorError(f"unterminated string (no closing {quote})", pos, text)
    return (TokenKind.STRING, text[pos + 1:close], pos, close + 1)


def _operator(text: str, pos: int, label: Token) -> Token:
    match = _OPERATOR.match(text, pos)
    if match is not None:
        kind = _OPERATOR_KINDS[match.lastindex - 1]  # type: ignore[operator]
        return (kind, "", pos, match.end())
    if label[END] == pos and label[END] - label[START] == MAX_LABEL_LENGTH:
        raise SelectorError(f"label longer than {MAX_LABEL_LENGTH} characters",
                            label[START], text)
    raise SelectorError(f"expected an operator after label '{label[VALUE]}'", pos, text)


def _word(text: str, pos: int) -> Token:
    for pattern, kind in ((_HAS, TokenKind.HAS), (_ALL, TokenKind.ALL),
                          (_GLOBAL, TokenKind.GLOBAL)):
        match = pattern.match(text, pos)
        if match is not None:
            value = match.group(1) if kind is TokenKind.HAS else ""
            return (kind, value, pos, match.end())
    for keyword in ("has(", "all(", "global("):
        if text.startswith(keyword, pos):
            raise _bad_function(text, pos, keyword)
    match = _LABEL.match(text, pos)
    if match is not None:
        return (TokenKind.LABEL, match.group(), pos, match.end())
    raise _unexpected_character(text, pos)


def _bad_function(text: str, pos: int, keyword: str) -> SelectorError:
    inner = _WHITESPACE.match(text, pos + len(keyword)).end()  # type: ignore[union-attr]
    if keyword != "has(":
        return SelectorError(f"expected ')' after '{keyword}'", inner, text)
    label = _LABEL.match(text, inner)
    if label is None:
        return SelectorError("has() needs a label", inner, text)
    if label.end() - inner == MAX_LABEL_LENGTH and _LABEL_CHAR.match(text, label.end()):
        return SelectorError(f"label longer than {MAX_LABEL_LENGTH} characters", inner, text)
    close = _WHITESPACE.match(text, label.end()).end()  # type: ignore[union-attr]
    return SelectorError("expected ')' to close has(", close, text)


def _unexpected_character(text: str, pos: int) -> SelectorError:
    char = text[pos]
    if char in "\r\n":
        return SelectorError("line break in selector (only spaces and tabs may separate tokens)",
                             pos, text)
    return SelectorError(f"unexpected character {char!r}", pos, text)
