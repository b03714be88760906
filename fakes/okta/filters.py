"""A small SCIM filter language, as Okta accepts in `filter=` and `search=` parameters.

    (target.id eq "00u…" and target.id eq "0oa…") or eventType sw "application.integration"

Attribute paths are dotted; when a step meets a list (e.g. `target` of a log event) the
comparison holds if it holds for ANY element, which is what Okta does for `target.id`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

Predicate = Callable[[Mapping[str, Any]], bool]

OPERATORS: Final = ("eq", "ne", "co", "sw", "ew", "pr", "gt", "ge", "lt", "le")
_EXPECTED: Final = "eq,co,sw,pr,gt,ge,lt,le"

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\() | (?P<rparen>\)) |
        (?P<string>"(?:[^"\\]|\\.)*") |
        (?P<number>-?\d+(?:\.\d+)?) |
        (?P<word>[A-Za-z_$][\w.$]*)
    )""",
    re.VERBOSE,
)
_ESCAPE = re.compile(r"\\(.)")


class FakeFilterError(ValueError):
    """The fake org rejects the filter text; the message is worded like Okta's E0000053 summary."""


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str
    text: str
    position: int


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            start = position + len(text[position:]) - len(text[position:].lstrip())
            raise FakeFilterError(f"Unexpected character {text[start]!r} at position {start}")
        tokens.append(
            _Token(match.lastgroup, match.group(match.lastgroup), match.start(match.lastgroup))
        )
        position = match.end()
    return tokens


def _values(document: Any, path: list[str]) -> Iterator[Any]:
    """Every value at `path`, fanning out over lists."""
    if isinstance(document, list):
        for item in document:
            yield from _values(item, path)
        return
    if not path:
        yield document
        return
    if isinstance(document, Mapping) and path[0] in document:
        yield from _values(document[path[0]], path[1:])


def _compare(op: str, actual: Any, expected: Any, ignore_case: bool) -> bool:
    if isinstance(actual, list):
        return any(_compare(op, item, expected, ignore_case) for item in actual)
    if ignore_case and isinstance(actual, str) and isinstance(expected, str):
        actual, expected = actual.casefold(), expected.casefold()
    if op == "eq":
        return bool(actual == expected)
    if op == "ne":
        return bool(actual != expected)
    both_strings = isinstance(actual, str) and isinstance(expected, str)
    if not both_strings and (op in ("co", "sw", "ew") or type(actual) is not type(expected)):
        return False
    if op == "co":
        return expected in actual
    if op == "sw":
        return bool(actual.startswith(expected))
    if op == "ew":
        return bool(actual.endswith(expected))
    if op == "gt":
        return bool(actual > expected)
    if op == "ge":
        return bool(actual >= expected)
    if op == "lt":
        return bool(actual < expected)
    return bool(actual <= expected)


class _Parser:
    def __init__(self, text: str, attributes: Container[str] | None, ignore_case: bool) -> None:
        self._tokens = _tokens(text)
        self._index = 0
        self._attributes = attributes
        self._ignore_case = ignore_case
        self._end = len(text)

    def parse(self) -> Predicate:
        if not self._tokens:
            raise FakeFilterError("Empty filter at position 0")
        predicate = self._or()
        if self._index < len(self._tokens):
            token = self._tokens[self._index]
            raise FakeFilterError(f"Unexpected {token.text!r} at position {token.position}")
        return predicate

    def _peek_word(self) -> str | None:
        if self._index < len(self._tokens) and self._tokens[self._index].kind == "word":
            return self._tokens[self._index].text.lower()
        return None

    def _next(self, what: str) -> _Token:
        if self._index >= len(self._tokens):
            raise FakeFilterError(f"Expected {what} at position {self._end}")
        token = self._tokens[self._index]
        self._index += 1
        return token

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._peek_word() == "or":
            self._index += 1
            parts.append(self._and())
        if len(parts) == 1:
            return parts[0]
        return lambda doc: any(part(doc) for part in parts)

    def _and(self) -> Predicate:
        parts = [self._factor()]
        while self._peek_word() == "and":
            self._index += 1
            parts.append(self._factor())
        if len(parts) == 1:
            return parts[0]
        return lambda doc: all(part(doc) for part in parts)

    def _factor(self) -> Predicate:
        token = self._next("an attribute or '('")
        if token.kind == "lparen":
            inner = self._or()
            closing = self._next("')'")
            if closing.kind != "rparen":
                raise FakeFilterError(f"Expected ')' at position {closing.position}")
            return inner
        if token.kind == "word" and token.text.lower() == "not":
            opening = self._next("'('")
            if opening.kind != "lparen":
                raise FakeFilterError(f"Expected '(' at position {opening.position}")
            self._index -= 1
            negated = self._factor()
            return lambda doc: not negated(doc)
        if token.kind != "word" or token.text.lower() in ("and", "or"):
            raise FakeFilterError(f"Expected an attribute at position {token.position}")
        return self._comparison(token)

    def _comparison(self, attribute: _Token) -> Predicate:
        if self._attributes is not None and attribute.text not in self._attributes:
            raise FakeFilterError(
                f"Unsupported attribute '{attribute.text}' at position {attribute.position}"
            )
        path = attribute.text.split(".")
        op_token = self._next("an operator")
        op = op_token.text.lower()
        if op_token.kind != "word" or op not in OPERATORS:
            raise FakeFilterError(
                f"Unrecognized attribute operator '{op_token.text}' at position "
                f"{op_token.position}. Expected: {_EXPECTED}"
            )
        if op == "pr":
            return lambda doc: any(value is not None for value in _values(doc, path))
        expected = self._literal(self._next("a value"))
        ignore_case = self._ignore_case

        def compare(doc: Mapping[str, Any]) -> bool:
            return any(_compare(op, value, expected, ignore_case) for value in _values(doc, path))

        return compare

    @staticmethod
    def _literal(token: _Token) -> Any:
        if token.kind == "string":
            return _ESCAPE.sub(r"\1", token.text[1:-1])
        if token.kind == "number":
            return float(token.text) if "." in token.text else int(token.text)
        if token.kind == "word" and token.text.lower() in ("true", "false", "null"):
            return {"true": True, "false": False, "null": None}[token.text.lower()]
        raise FakeFilterError(f"Expected a value at position {token.position}")


def parse_filter(
    text: str, *, attributes: Container[str] | None = None, ignore_case: bool = False
) -> Predicate:
    """Compile `text` into a predicate over a JSON object; raise FakeFilterError if invalid.

    `attributes` limits which attribute paths may be used (None allows any).
    """
    return _Parser(text, attributes, ignore_case).parse()
