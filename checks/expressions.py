"""Local evaluator for the subset of the Okta Expression Language used in profile mappings."""

from __future__ import annotations

import math
import operator
import re
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, NamedTuple

__all__ = ["CannotEvaluate", "evaluate", "referenced_attributes"]


class CannotEvaluate(Exception):
    """The expression is outside the subset this module can evaluate faithfully."""

    def __init__(self, expression: str, reason: str | None = None) -> None:
        self.expression = expression
        self.reason = reason
        suffix = f" ({reason})" if reason else ""
        super().__init__(f"cannot evaluate locally: {expression}{suffix}")


class _Unsupported(Exception):
    """Internal failure; the public functions wrap it with the full expression."""


_TOKEN_RE = re.compile(
    r"""(?P<ws>\s+)
    | (?P<num>\d+(?:\.\d+)?(?![\w.]))
    | (?P<name>[A-Za-z_$][\w$]*)
    | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<op>\?:|==|!=|<=|>=|&&|\|\||[<>!?:.,()\[\]+])""",
    re.VERBOSE,
)
_ESCAPES = {'\\"': '"', "\\'": "'", "\\\\": "\\"}
# SpEL accepts word operators in any case; normalise them to one spelling.
_WORD_OPS = {"AND": "AND", "OR": "OR", "NOT": "!", "&&": "AND", "||": "OR"}
_CONSTANTS: dict[str, object] = {"TRUE": True, "FALSE": False, "NULL": None}
_PRECEDENCE = {
    op: level
    for level, ops in enumerate(["OR", "AND", "== !=", "< > <= >=", "+"], start=1)
    for op in ops.split()
}


class _Token(NamedTuple):
    kind: str  # num | name | str | op | end
    text: str


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN_RE.match(source, pos)
        if match is None and source[pos] in "'\"":
            raise _Unsupported(f"unterminated string literal at {pos}")
        if match is None:
            raise _Unsupported(f"unexpected character {source[pos]!r} at {pos}")
        kind, text = match.lastgroup or "", match.group()
        if text.upper() in _WORD_OPS:
            tokens.append(_Token("op", _WORD_OPS[text.upper()]))
        elif kind != "ws":
            tokens.append(_Token(kind, text))
        pos = match.end()
    tokens.append(_Token("end", ""))
    return tokens


def _unquote(literal: str) -> str:
    def escape(match: re.Match[str]) -> str:
        if match.group() not in _ESCAPES:
            raise _Unsupported(f"unsupported escape {match.group()}")
        return _ESCAPES[match.group()]

    return re.sub(r"\\.", escape, literal[1:-1])


@dataclass(frozen=True, slots=True)
class _Literal:
    value: object


@dataclass(frozen=True, slots=True)
class _Ref:
    path: tuple[str, ...]  # user.email -> ("user", "email")


@dataclass(frozen=True, slots=True)
class _Call:
    function: str  # dotted, e.g. "String.len"
    args: tuple[_Node, ...]


@dataclass(frozen=True, slots=True)
class _Op:
    op: str  # "!", a binary operator, "?" (ternary), "?:" (Elvis) or "[]" (index)
    operands: tuple[_Node, ...]


_Node = _Literal | _Ref | _Call | _Op


class _Parser:
    def __init__(self, source: str) -> None:
        self.tokens = _tokenize(source)
        self.pos = 0

    def parse(self) -> _Node:
        node = self.expression()
        self.expect("")
        return node

    def advance(self) -> _Token:
        self.pos += 1
        return self.tokens[self.pos - 1]

    def accept(self, op: str) -> bool:
        if self.tokens[self.pos] == ("op", op):
            self.pos += 1
            return True
        return False

    def expect(self, op: str) -> None:
        if not self.accept(op) and self.tokens[self.pos] != ("end", op):
            found = self.tokens[self.pos].text or "end"
            raise _Unsupported(f"expected {op or 'end'!r}, found {found!r}")

    def expression(self) -> _Node:
        # Ternary and Elvis bind loosest and associate to the right, as in SpEL.
        node = self.binary(1)
        if self.accept("?:"):
            return _Op("?:", (node, self.expression()))
        if self.accept("?"):
            then = self.expression()
            self.expect(":")
            return _Op("?", (node, then, self.expression()))
        return node

    def binary(self, min_precedence: int) -> _Node:
        left = self.unary()
        while True:
            token = self.tokens[self.pos]
            precedence = _PRECEDENCE.get(token.text, 0) if token.kind == "op" else 0
            if precedence < min_precedence:
                return left
            self.advance()
            left = _Op(token.text, (left, self.binary(precedence + 1)))

    def unary(self) -> _Node:
        if self.accept("!"):
            return _Op("!", (self.unary(),))
        return self.postfix(self.primary())

    def primary(self) -> _Node:
        token = self.advance()
        if token.kind == "str":
            return _Literal(_unquote(token.text))
        if token.kind == "num":
            return _Literal(float(token.text) if "." in token.text else _int32(int(token.text)))
        if token.kind == "name":
            if token.text.upper() in _CONSTANTS:
                return _Literal(_CONSTANTS[token.text.upper()])
            return _Ref((token.text,))
        if token == ("op", "("):
            node = self.expression()
            self.expect(")")
            return node
        raise _Unsupported(f"unexpected {token.text or 'end'!r}")

    def postfix(self, node: _Node) -> _Node:
        while True:
            if self.accept("["):
                index = self.expression()
                self.expect("]")
                node = _Op("[]", (node, index))
            elif self.accept("("):
                if not isinstance(node, _Ref):
                    raise _Unsupported("call on a computed value")
                node = _Call(".".join(node.path), self.arguments())
            elif self.accept("."):
                name = self.advance()
                if name.kind != "name":
                    raise _Unsupported(f"expected a name after '.', found {name.text or 'end'!r}")
                if not isinstance(node, _Ref):
                    raise _Unsupported(f"member access .{name.text} on a computed value")
                node = _Ref((*node.path, name.text))
            else:
                return node

    def arguments(self) -> tuple[_Node, ...]:
        args: list[_Node] = []
        if not self.accept(")"):
            args.append(self.expression())
            while self.accept(","):
                args.append(self.expression())
            self.expect(")")
        return tuple(args)


def _number(value: object) -> int | float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _to_text(value: object) -> str:
    """Render a value the way Java's String.valueOf would inside a concatenation."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    # Java switches to exponent notation outside this range; repr does so at different bounds.
    if isinstance(value, float) and (value == 0 or 1e-3 <= abs(value) < 1e7):
        return repr(value)
    raise _Unsupported(f"cannot render {value!r} as Java text")


def _int32(value: int) -> int:
    if not -(2**31) <= value < 2**31:
        raise _Unsupported(f"{value} overflows a Java int")
    return value


def _equals(left: object, right: object) -> bool:
    if _number(left) is not None and _number(right) is not None:
        return left == right
    if isinstance(left, list | dict) or isinstance(right, list | dict):
        raise _Unsupported("equality on collections")
    # Python would treat True == 1; Java never equates values of different classes.
    return type(left) is type(right) and left == right


_RELATIONAL: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge,
}  # fmt: skip


def _compare(op: str, left: object, right: object) -> bool:
    numbers = _number(left) is not None and _number(right) is not None
    if not numbers and not (isinstance(left, str) and isinstance(right, str)):
        raise _Unsupported(f"cannot compare {left!r} {op} {right!r}")
    return _RELATIONAL[op](left, right)


def _index(target: object, position: int) -> object:
    if not isinstance(target, list) or position < 0:
        raise _Unsupported(f"cannot index {target!r} with {position}")
    return target[position] if position < len(target) else None


def _plus(left: object, right: object) -> object:
    if isinstance(left, str) or isinstance(right, str):
        return _to_text(left) + _to_text(right)
    a, b = _number(left), _number(right)
    if a is None or b is None:
        raise _Unsupported(f"cannot add {left!r} + {right!r}")
    if isinstance(a, int) and isinstance(b, int):
        return _int32(a + b)
    return a + b


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise _Unsupported(f"expected a string, got {value!r}")
    return value


def _integer(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _Unsupported(f"expected an integer, got {value!r}")
    return value


def _join(args: list[object]) -> str:
    return _text(args[0]).join(_text(part) for part in args[1:] if part is not None)


def _remove_spaces(args: list[object]) -> str:
    result = _text(args[0]).replace(" ", "")
    # Unclear whether Okta also strips tabs/newlines, so refuse to guess.
    if any(char.isspace() for char in result):
        raise _Unsupported("input contains whitespace other than spaces")
    return result


def _regex_replace(args: list[object], count: int) -> str:
    text, pattern, replacement = _text(args[0]), _text(args[1]), _text(args[2])
    if "$" in replacement or "\\" in replacement:
        raise _Unsupported("Java group references in the replacement")
    try:
        with warnings.catch_warnings():
            # Python warns where its regex syntax is about to diverge (e.g. nested sets).
            warnings.simplefilter("error")
            compiled = re.compile(pattern)
    except (re.error, Warning) as exc:
        raise _Unsupported(f"regex {pattern!r}: {exc}") from exc
    return compiled.sub(lambda _: replacement, text, count=count)


def _string_switch(args: list[object]) -> object:
    if len(args) % 2:
        raise _Unsupported("stringSwitch needs key/value pairs")
    text, default = _text(args[0]), args[1]
    for key, value in zip(args[2::2], args[3::2], strict=True):
        if _text(key) in text:
            return value
    return default


def _substring(args: list[object]) -> str:
    text, start, end = _text(args[0]), _integer(args[1]), _integer(args[2])
    if any(ord(char) > 0xFFFF for char in text):
        raise _Unsupported("Java indexes UTF-16 code units")
    end = min(end, len(text))
    if not 0 <= start <= end:
        raise _Unsupported(f"substring indexes {start}..{end} out of range")
    return text[start:end]


def _substring_after(args: list[object]) -> str:
    # Apache Commons StringUtils.substringAfter semantics.
    text, separator = _text(args[0]), _text(args[1])
    pos = text.find(separator)
    return "" if pos < 0 else text[pos + len(separator) :]


def _substring_before(args: list[object]) -> str:
    # Apache Commons StringUtils.substringBefore semantics.
    text, separator = _text(args[0]), _text(args[1])
    if not separator:
        return ""
    pos = text.find(separator)
    return text if pos < 0 else text[:pos]


def _to_int(args: list[object]) -> int:
    value = args[0]
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value):
        return _int32(int(value))
    number = _number(value)
    if number is None or not math.isfinite(number):
        raise _Unsupported(f"cannot convert {value!r} to an integer")
    # Java's Math.round: half rounds up, also for negatives (-2.5 -> -2).
    floor = math.floor(number)
    return _int32(floor + 1 if number - floor >= 0.5 else floor)


def _to_num(args: list[object]) -> float:
    value = args[0]
    if isinstance(value, str) and re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", value):
        value = float(value)
    number = _number(value)
    if number is None or not math.isfinite(number):
        raise _Unsupported(f"cannot convert {value!r} to a number")
    return float(number)


_Function = Callable[[list[object]], object]
# name -> (min args, max args or None for variadic, implementation)
_FUNCTIONS: dict[str, tuple[int, int | None, _Function]] = {
    "String.append": (2, 2, lambda a: _text(a[0]) + _text(a[1])),
    "String.join": (2, None, _join),
    "String.len": (1, 1, lambda a: len(_text(a[0]).encode("utf-16-le")) // 2),
    "String.removeSpaces": (1, 1, _remove_spaces),
    "String.replace": (3, 3, lambda a: _regex_replace(a, count=0)),
    "String.replaceFirst": (3, 3, lambda a: _regex_replace(a, count=1)),
    "String.startsWith": (2, 2, lambda a: _text(a[0]).startswith(_text(a[1]))),
    "String.stringContains": (2, 2, lambda a: _text(a[1]) in _text(a[0])),
    "String.stringSwitch": (2, None, _string_switch),
    "String.substring": (3, 3, _substring),
    "String.substringAfter": (2, 2, _substring_after),
    "String.substringBefore": (2, 2, _substring_before),
    "String.toUpperCase": (1, 1, lambda a: _text(a[0]).upper()),
    "String.toLowerCase": (1, 1, lambda a: _text(a[0]).lower()),
    "Convert.toInt": (1, 1, _to_int),
    "Convert.toNum": (1, 1, _to_num),
}
for _bare in ("substringBefore", "substringAfter", "substring", "toUpperCase", "toLowerCase"):
    _FUNCTIONS[_bare] = _FUNCTIONS[f"String.{_bare}"]
# String.join skips null parts; every other function maps a null first argument to null.
_NULL_PROPAGATING = frozenset(_FUNCTIONS) - {"String.join"}


class _Evaluator:
    def __init__(self, user: Mapping[str, object], appuser: Mapping[str, object] | None) -> None:
        self.user = user
        self.appuser = appuser

    def eval(self, node: _Node) -> object:
        match node:
            case _Literal(value):
                return value
            case _Ref(("user", name)):
                return self.user.get(name)
            case _Ref(("appuser", name)):
                if self.appuser is None:
                    raise _Unsupported("no app user profile available")
                return self.appuser.get(name)
            case _Ref(path):
                raise _Unsupported(f"unsupported reference {'.'.join(path)}")
            case _Call(function, args):
                return self.call(function, args)
            case _Op("?:", (value, fallback)):
                # Spring's Elvis treats both null and "" as absent.
                result = self.eval(value)
                return self.eval(fallback) if result is None or result == "" else result
            case _Op("?", (condition, then, otherwise)):
                return self.eval(then if self.boolean(condition) else otherwise)
            case _Op("AND", (left, right)):
                return self.boolean(left) and self.boolean(right)
            case _Op("OR", (left, right)):
                return self.boolean(left) or self.boolean(right)
            case _Op("!", (operand,)):
                return not self.boolean(operand)
            case _Op("+", (left, right)):
                return _plus(self.eval(left), self.eval(right))
            case _Op("==" | "!=" as op, (left, right)):
                return _equals(self.eval(left), self.eval(right)) == (op == "==")
            case _Op("[]", (target, index)):
                return _index(self.eval(target), _integer(self.eval(index)))
            case _Op(op, (left, right)):
                return _compare(op, self.eval(left), self.eval(right))
        raise AssertionError(f"unhandled node {node!r}")

    def boolean(self, node: _Node) -> bool:
        # SpEL refuses to coerce null or non-booleans in logical positions.
        value = self.eval(node)
        if not isinstance(value, bool):
            raise _Unsupported(f"expected a boolean, got {value!r}")
        return value

    def call(self, function: str, arg_nodes: tuple[_Node, ...]) -> object:
        if function not in _FUNCTIONS:
            raise _Unsupported(f"unsupported function {function}")
        low, high, implementation = _FUNCTIONS[function]
        if len(arg_nodes) < low or (high is not None and len(arg_nodes) > high):
            expected = low if high is not None else f"at least {low}"
            raise _Unsupported(f"{function} takes {expected} arguments, got {len(arg_nodes)}")
        args = [self.eval(arg) for arg in arg_nodes]
        if function in _NULL_PROPAGATING and args[0] is None:
            return None
        return implementation(args)


@lru_cache(maxsize=512)
def _parse(expression: str) -> _Node:
    return _Parser(expression).parse()


@contextmanager
def _reported_as(expression: str) -> Iterator[None]:
    try:
        yield
    except _Unsupported as exc:
        raise CannotEvaluate(expression, str(exc)) from exc
    except RecursionError as exc:
        raise CannotEvaluate(expression, "too deeply nested") from exc


def _walk(node: _Node) -> Iterator[_Node]:
    yield node
    children = node.args if isinstance(node, _Call) else getattr(node, "operands", ())
    for child in children:
        yield from _walk(child)


def evaluate(
    expression: str, user: Mapping[str, object], appuser: Mapping[str, object] | None = None
) -> object:
    """Evaluate a mapping expression for one user; returns str/int/float/bool/None/list."""
    with _reported_as(expression):
        return _Evaluator(user, appuser).eval(_parse(expression))


def referenced_attributes(expression: str) -> frozenset[str]:
    """Names of Okta user attributes the expression reads via `user.x`."""
    with _reported_as(expression):
        tree = _parse(expression)
    return frozenset(
        node.path[1]
        for node in _walk(tree)
        if isinstance(node, _Ref) and len(node.path) > 1 and node.path[0] == "user"
    )
