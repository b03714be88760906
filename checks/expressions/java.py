"""Java value semantics as SpEL applies them: text rendering, equality, ordering, arithmetic.

Python stands in for Java as: str = String, bool = Boolean, int = Integer (Long only for
profile values past the int range), float = Double, None = null, list = List, and
`Unordered` for a collection whose order Okta does not document.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from checks.expressions.errors import Refused
from checks.expressions.lexer import INT_MAX, INT_MIN


class Unordered(tuple[object, ...]):
    """A collection Okta returns in an undocumented order (group lookups): fine to count or
    search, refused wherever the order would show (output, index, CSV)."""


def is_number(value: object) -> bool:
    return number(value) is not None


def number(value: object) -> int | float | None:
    """The value as a Java number, or None for anything else (a bool is not a number)."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def numbers(left: object, right: object) -> tuple[int, int] | tuple[float, float] | None:
    """Both operands after Java's binary numeric promotion, or None unless both are numbers."""
    a, b = number(left), number(right)
    if a is None or b is None:
        return None
    if isinstance(a, float) or isinstance(b, float):
        return float(a), float(b)
    return a, b


def int32(value: int) -> int:
    # Java int arithmetic wraps silently, but a profile integer may be a Long in Okta, where
    # it would not; the two agree only inside the int range.
    if not INT_MIN <= value <= INT_MAX:
        raise Refused(f"{value} overflows a Java int")
    return value


def describe(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, Unordered | list):
        return "an array"
    return repr(value)


def to_text(value: object) -> str:
    """String.valueOf(value), as SpEL's `+` renders a non-string operand."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return double_text(value)
    raise Refused(f"cannot render {describe(value)} as Java text")


def double_text(value: float) -> str:
    """Java's Double.toString: plain from 10^-3 to 10^7, else d.dddE±n."""
    if not math.isfinite(value):
        raise Refused(f"{value} is not a finite number")
    if value == 0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    digits = Decimal(repr(abs(value))).normalize()
    sign = "-" if value < 0 else ""
    significant = digits.as_tuple().digits
    if len(significant) > 15:
        # Before Java 19, Double.toString printed some 16-17 digit values with an extra
        # digit (JDK-4511638); Okta's Java version is unknown.
        raise Refused(f"{value!r} needs more digits than Java prints the same on every version")
    if 1e-3 <= abs(value) < 1e7:
        plain = format(digits, "f")
        return sign + (plain if "." in plain else plain + ".0")
    exponent = digits.adjusted()
    mantissa = "".join(map(str, significant))
    return f"{sign}{mantissa[0]}.{mantissa[1:] or '0'}E{exponent}"


def equals(left: object, right: object) -> bool:
    """SpEL's == : numbers by value (as doubles when one is a double), else Java equals."""
    if (pair := numbers(left, right)) is not None:
        return pair[0] == pair[1]
    if left is None or right is None:
        return left is right
    if isinstance(left, list | Unordered | dict) or isinstance(right, list | Unordered | dict):
        raise Refused("equality on arrays is not supported")
    # Java never equates values of different classes (Python would treat True == 1).
    return type(left) is type(right) and left == right


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}  # fmt: skip


def compare(op: str, left: object, right: object) -> bool:
    """SpEL's < <= > >= on two numbers or two strings."""
    pair: tuple[object, object] | None = numbers(left, right)
    if pair is None and isinstance(left, str) and isinstance(right, str):
        # String.compareTo orders UTF-16 code units; big-endian UTF-16 bytes sort the same.
        pair = left.encode("utf-16-be"), right.encode("utf-16-be")
    if pair is None:
        raise Refused(f"cannot compare {describe(left)} {op} {describe(right)}")
    return _ORDER[op](*pair)


def plus(left: object, right: object) -> object:
    # SpEL's OpPlus: with a String on either side it concatenates, rendering null as "null".
    if isinstance(left, str) or isinstance(right, str):
        return to_text(left) + to_text(right)
    return arithmetic("+", left, right)


def arithmetic(op: str, left: object, right: object) -> object:
    pair = numbers(left, right)
    if pair is None:
        raise Refused(f"cannot compute {describe(left)} {op} {describe(right)}")
    a, b = pair
    if isinstance(a, float) or isinstance(b, float):
        return _double_arithmetic(op, float(a), float(b))
    return int32(_int_arithmetic(op, int32(a), int32(b)))


def _int_arithmetic(op: str, left: int, right: int) -> int:
    if op in "/%" and right == 0:
        raise Refused("division by zero: Okta fails to evaluate it")
    if op == "/":
        quotient = abs(left) // abs(right)  # Java truncates toward zero
        return quotient if (left < 0) == (right < 0) else -quotient
    if op == "%":
        return left - right * _int_arithmetic("/", left, right)  # sign of the dividend
    return {"+": left + right, "-": left - right, "*": left * right}[op]


def _double_arithmetic(op: str, left: float, right: float) -> float:
    if op == "%":
        if right == 0:
            raise Refused("remainder by zero is not a finite number")
        result = math.fmod(left, right)  # Java's % on doubles is C's fmod
    elif op == "/":
        if right == 0:
            raise Refused("division by zero is not a finite number")
        result = left / right
    else:
        result = {"+": left + right, "-": left - right, "*": left * right}[op]
    if not math.isfinite(result):
        raise Refused(f"{left!r} {op} {right!r} is not a finite number")
    return result


def negate(value: object) -> object:
    match number(value):
        case float() as double:
            return -double
        case int() as integer:
            return int32(-int32(integer))
    raise Refused(f"cannot negate {describe(value)}")
