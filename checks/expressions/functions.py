"""The functions evaluated from their arguments alone, with their arities."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from checks.expressions import arrays, strings
from checks.expressions.errors import Refused


@dataclass(frozen=True, slots=True)
class Function:
    low: int
    high: int | None
    """None: variadic."""
    run: Callable[[list[object]], object]
    takes_null: bool = False
    """Only where the reference shows a null argument's result (Arrays.size(NULL) is 0)."""

    def check(self, name: str, args: list[object]) -> None:
        check_arity(name, len(args), self.low, self.high)
        if not self.takes_null and None in args:
            raise Refused(f"{name} with a null argument: Okta does not document the result")


def check_arity(name: str, count: int, low: int, high: int | None) -> None:
    if count < low or (high is not None and count > high):
        expected = f"{low}" if high == low else f"{low} or more"
        plural = "" if expected == "1" else "s"
        raise Refused(f"{name} takes {expected} argument{plural}, got {count}")


FUNCTIONS: dict[str, Function] = {
    "String.append": Function(2, 2, strings.append),
    "String.join": Function(1, None, strings.join),
    "String.len": Function(1, 1, strings.length),
    "String.removeSpaces": Function(1, 1, strings.remove_spaces),
    "String.replace": Function(3, 3, strings.replace_all),
    "String.replaceFirst": Function(3, 3, strings.replace_first),
    "String.startsWith": Function(2, 2, strings.starts_with),
    "String.stringContains": Function(2, 2, strings.contains),
    "String.stringSwitch": Function(2, None, strings.string_switch),
    "String.substring": Function(3, 3, strings.substring),
    "String.substringAfter": Function(2, 2, strings.substring_after),
    "String.substringBefore": Function(2, 2, strings.substring_before),
    "String.toUpperCase": Function(1, 1, strings.upper),
    "String.toLowerCase": Function(1, 1, strings.lower),
    "Convert.toInt": Function(1, 1, strings.to_int),
    "Convert.toNum": Function(1, 1, strings.to_num),
    "Arrays.add": Function(2, 2, arrays.add),
    "Arrays.remove": Function(2, 2, arrays.remove),
    "Arrays.clear": Function(1, 1, arrays.clear),
    "Arrays.get": Function(2, 2, arrays.get),
    "Arrays.flatten": Function(1, None, arrays.flatten, takes_null=True),
    "Arrays.contains": Function(2, 2, arrays.contains),
    "Arrays.size": Function(1, 1, arrays.size, takes_null=True),
    "Arrays.isEmpty": Function(1, 1, arrays.is_empty, takes_null=True),
    "Arrays.toCsvString": Function(1, 1, arrays.to_csv_string),
}
# The reference lists these deprecated bare forms of the String functions.
for _bare in ("toUpperCase", "toLowerCase", "substringBefore", "substringAfter", "substring"):
    FUNCTIONS[_bare] = FUNCTIONS[f"String.{_bare}"]
