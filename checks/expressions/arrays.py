"""Arrays.* of Okta's EL reference
(https://developer.okta.com/docs/reference/okta-expression-language/#array-functions).

The reference says every Arrays function also takes comma-separated text, "converted into
arrays", without saying how items are split, trimmed or typed; such text is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from checks.expressions.errors import Refused
from checks.expressions.java import Unordered, describe, equals, is_number, to_text
from checks.expressions.strings import integer

_CSV_SPECIAL = frozenset(',"\r\n')
_FLATTEN_NULL = (
    "Okta fails to evaluate Arrays.flatten when an element is null or empty (Okta support: "
    "'Merged Attributes Using Arrays.flatten Do Not Update After Okta Active Directory Import')"
)


def array(value: object, function: str) -> Sequence[object]:
    if isinstance(value, list | Unordered):
        return value
    if isinstance(value, str):
        raise Refused(f"{function} of text: Okta does not document how text becomes an array")
    raise Refused(f"{function} of {describe(value)}")


def _same_kind(items: Sequence[object], value: object, function: str) -> None:
    # The reference's examples compare numbers with numbers; whether Okta converts text and
    # numbers into each other first is not documented.
    for item in items:
        if (is_number(item) != is_number(value)) or (
            isinstance(item, str) != isinstance(value, str)
        ):
            raise Refused(f"{function} compares {describe(item)} with {describe(value)}")


def _like(items: Sequence[object], result: list[object]) -> list[object] | Unordered:
    return Unordered(result) if isinstance(items, Unordered) else result


def _count(items: Sequence[object], value: object, function: str) -> int:
    if value is None:
        raise Refused(f"{function} with a null value is undocumented")
    _same_kind(items, value, function)
    return sum(1 for item in items if equals(item, value))


def add(args: list[object]) -> object:
    items = array(args[0], "Arrays.add")
    if _count(items, args[1], "Arrays.add"):
        raise Refused("Arrays.add of a value already present: Okta does not say if it repeats")
    return _like(items, [*items, args[1]])


def remove(args: list[object]) -> object:
    items = array(args[0], "Arrays.remove")
    found = _count(items, args[1], "Arrays.remove")
    if found != 1:
        raise Refused(f"Arrays.remove of a value present {found} times is undocumented")
    return _like(items, [item for item in items if not equals(item, args[1])])


def clear(args: list[object]) -> list[object]:
    array(args[0], "Arrays.clear")
    return []


def get(args: list[object]) -> object:
    items = _ordered(array(args[0], "Arrays.get"), "Arrays.get")
    position = integer(args[1], "position")
    if not 0 <= position < len(items):
        raise Refused(f"Arrays.get({position}) of {len(items)} items is undocumented")
    return items[position]


def flatten(args: list[object]) -> object:
    result: list[object] = []
    for value in args:
        result.extend(_flattened(value))
    unordered = any(isinstance(value, Unordered) and len(value) > 1 for value in args)
    return Unordered(result) if unordered else result


def _flattened(value: object) -> Sequence[object]:
    if value is None or value == "":
        raise Refused(_FLATTEN_NULL)
    if isinstance(value, list | Unordered):
        if any(isinstance(item, list | Unordered) for item in value):
            raise Refused("Arrays.flatten of nested arrays: Okta does not document the depth")
        if any(item is None or item == "" for item in value):
            raise Refused(_FLATTEN_NULL)
        return value
    if isinstance(value, str) and (value.strip() != value or _CSV_SPECIAL & set(value)):
        raise Refused("Arrays.flatten of comma-separated text is undocumented")
    if isinstance(value, str | bool) or is_number(value):
        return [value]
    raise Refused(f"Arrays.flatten of {describe(value)}")


def contains(args: list[object]) -> bool:
    return _count(array(args[0], "Arrays.contains"), args[1], "Arrays.contains") > 0


def size(args: list[object]) -> int:
    # The reference: Arrays.size(NULL) is 0.
    return 0 if args[0] is None else len(array(args[0], "Arrays.size"))


def is_empty(args: list[object]) -> bool:
    # The reference: Arrays.isEmpty(NULL) is true.
    return args[0] is None or not array(args[0], "Arrays.isEmpty")


def to_csv_string(args: list[object]) -> str:
    items = _ordered(array(args[0], "Arrays.toCsvString"), "Arrays.toCsvString")
    parts = [_csv_item(item) for item in items]
    return ",".join(parts)


def _csv_item(item: object) -> str:
    if item is None or isinstance(item, list | Unordered | dict):
        raise Refused(f"Arrays.toCsvString of {describe(item)}")
    rendered = to_text(item)
    if _CSV_SPECIAL & set(rendered):
        raise Refused("Arrays.toCsvString of items with commas or quotes: quoting undocumented")
    return rendered


def _ordered(items: Sequence[object], function: str) -> Sequence[object]:
    if isinstance(items, Unordered) and len(items) > 1:
        raise Refused(f"{function} depends on an order Okta does not document")
    return items
