"""Tokens of an Okta expression, by Spring SpEL's lexical rules (Okta EL is a subset of SpEL).

The rules follow SpEL's `Tokenizer` and its reference page "Literal Expressions"
(https://docs.spring.io/spring-framework/reference/core/expressions/language-ref/literal.html):
string literals have no backslash escapes, a quote is written by doubling it, whitespace is
space/tab/CR/LF only, identifiers are ASCII, and the short word operators (div, eq, ge, gt, le,
lt, mod, ne, not) are operators in any letter case wherever they appear.
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from checks.expressions.errors import Refused

INT_MIN, INT_MAX = -(2**31), 2**31 - 1

_WHITESPACE = re.compile(r"[ \t\r\n]+")
_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_NUMBER = re.compile(
    r"(?P<int>[0-9]+)(?P<fraction>\.[0-9]+)?(?P<exponent>[eE][+-]?[0-9]+)?(?P<suffix>[a-zA-Z]?)"
)
_WORD_OPERATORS = {
    "div": "/", "mod": "%", "eq": "==", "ne": "!=",
    "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "not": "!",
}  # fmt: skip
_PAIRS = ("?:", "==", "!=", "<=", ">=", "&&", "||", "![")
_SINGLES = "+-*/%()[]{},:.?!<>"
# SpEL tokens for features Okta does not document for mappings; naming them beats "syntax error".
_UNSUPPORTED = {
    "?.": "the safe-navigation operator ?.",
    "?[": "collection selection ?[...]",
    "^[": "collection selection ^[...]",
    "$[": "collection selection $[...]",
    "++": "the increment operator ++",
    "--": "the decrement operator --",
    "=": "assignment =",
    "^": "the power operator ^",
    "&": "bean references &",
    "@": "bean references @",
    "#": "variables and functions #",
}


class Token(NamedTuple):
    kind: str
    """int | real | str | name | op | end"""
    text: str
    """The operator or name; for literals the source text."""
    pos: int
    value: object = None
    """The literal's value (str, int or float)."""


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        if space := _WHITESPACE.match(source, pos):
            pos = space.end()
            continue
        token = _token_at(source, pos)
        tokens.append(token)
        pos += len(token.text)
    tokens.append(Token("end", "", len(source)))
    return tokens


def _token_at(source: str, pos: int) -> Token:
    char = source[pos]
    if char in "'\"":
        return _string(source, pos)
    if char.isdigit() and char.isascii():
        return _number(source, pos)
    if (char == "$" and source.startswith("$[", pos)) or source.startswith("^[", pos):
        raise Refused(f"{_UNSUPPORTED[source[pos : pos + 2]]} is not supported")
    if name := _IDENTIFIER.match(source, pos):
        word = name.group()
        if word.lower() in _WORD_OPERATORS:
            return Token("op", word, pos, _WORD_OPERATORS[word.lower()])
        return Token("name", word, pos)
    return _operator(source, pos)


def _operator(source: str, pos: int) -> Token:
    pair = source[pos : pos + 2]
    if pair in _UNSUPPORTED:
        raise Refused(f"{_UNSUPPORTED[pair]} is not supported")
    if pair in _PAIRS:
        return Token("op", pair, pos, pair)
    char = source[pos]
    if char in _UNSUPPORTED:
        raise Refused(f"{_UNSUPPORTED[char]} is not supported")
    if char in _SINGLES:
        return Token("op", char, pos, char)
    if char == "\\":
        raise Refused(f"syntax error: a backslash outside a string literal at {pos}")
    raise Refused(f"syntax error: unexpected character {char!r} at {pos}")


def _string(source: str, pos: int) -> Token:
    quote = source[pos]
    end = pos + 1
    while True:
        end = source.find(quote, end)
        if end < 0:
            raise Refused(f"syntax error: unterminated string literal at {pos}")
        if source.startswith(quote * 2, end):
            end += 2  # a doubled quote stands for one quote and does not end the literal
            continue
        break
    text = source[pos : end + 1]
    return Token("str", text, pos, _string_value(text[1:-1], quote))


def _string_value(inner: str, quote: str) -> str:
    other = "'" if quote == '"' else '"'
    # Older Spring versions' StringLiteral undoubled both quote kinds in every literal, newer
    # ones only the enclosing kind; Okta does not say which it runs, so where they differ the
    # literal is refused.
    if other * 2 in inner:
        raise Refused(f"the literal contains {other * 2}, which SpEL versions read differently")
    return inner.replace(quote * 2, quote)


def _number(source: str, pos: int) -> Token:
    if source[pos : pos + 2].lower() == "0x":
        raise Refused("hexadecimal literals are not supported")
    match = _NUMBER.match(source, pos)
    assert match is not None  # a digit always matches
    suffix = match.group("suffix")
    if suffix and suffix not in "dD":
        raise Refused(f"numeric literal with suffix {suffix!r} is not supported")
    text = match.group()
    if match.group("fraction") or match.group("exponent") or suffix:
        value = float(text.rstrip("dD"))
        if not math.isfinite(value):
            raise Refused(f"{text} is outside the range of a Java double")
        return Token("real", text, pos, value)
    number = int(text)
    if number > INT_MAX:
        raise Refused(f"syntax error: {text} is not a Java int")
    return Token("int", text, pos, number)
