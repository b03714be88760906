"""SCIM attribute paths (RFC 7644 §3.10) read from a resource's JSON: `name.familyName`,
`emails[type eq "work"].value`, and an extension's `urn:…:User:department`. Attribute names
are case-insensitive (RFC 7643 §2.1); a value filter compares with `eq` only."""

from __future__ import annotations

import re
from typing import Any

from checks.errors import UsageError
from checks.readers.model import Value

_STEP = re.compile(
    r"(?P<name>[A-Za-z][\w$-]*)"
    r"(?:\[(?P<attr>[A-Za-z][\w$-]*)\s+eq\s+(?P<literal>\"(?:[^\"\\]|\\.)*\"|true|false|null|-?\d+(?:\.\d+)?)\])?"
)


class BadPath(UsageError):
    """Not a SCIM attribute path this reader understands (a typo in the question)."""

    def __init__(self, path: str, why: str) -> None:
        super().__init__(
            f'{path!r} {why}; write one as name.familyName or emails[type eq "work"].value.'
        )


def read_path(resource: Any, path: str) -> Value:
    """The value at `path` in `resource`; None where it holds none."""
    node: Any = resource
    rest = path
    if path.lower().startswith("urn:"):
        urn, _, rest = path.rpartition(":")
        node = _child(resource, urn)
        if not urn or not rest:
            raise BadPath(path, "names an extension but no attribute of it")
    for step in rest.split("."):
        match = _STEP.fullmatch(step)
        if match is None:
            raise BadPath(path, "is not a SCIM attribute path")
        node = _step(node, match)
    return _value(node)


def _step(node: Any, match: re.Match[str]) -> Any:
    if isinstance(node, list):  # a sub-attribute of a multi-valued one: of each value
        return [v for item in node if (v := _step(item, match)) is not None] or None
    child = _child(node, match["name"])
    if match["attr"] is None or child is None:
        return child
    wanted = _literal(match["literal"])
    items = child if isinstance(child, list) else [child]
    return [i for i in items if _equal(_child(i, match["attr"]), wanted)] or None


def _child(node: Any, name: str) -> Any:
    if not isinstance(node, dict):
        return None
    key = name.lower()
    return next((v for k, v in node.items() if isinstance(k, str) and k.lower() == key), None)


def _literal(text: str) -> Any:
    if text.startswith('"'):
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return {"true": True, "false": False, "null": None}.get(text, text)


def _equal(value: Any, wanted: Any) -> bool:
    if isinstance(value, str) and isinstance(wanted, str):
        return value.lower() == wanted.lower()  # caseExact is false for type and value
    if isinstance(wanted, str) and not isinstance(value, str) and value is not None:
        return str(value) == wanted  # a number's literal
    return bool(value == wanted)


def _value(node: Any) -> Value:
    if isinstance(node, list):
        values = tuple(_value(item) for item in node)
        return values[0] if len(values) == 1 else values
    if isinstance(node, dict):
        return None  # a complex attribute is no single value: ask for one of its parts
    if isinstance(node, str | int | float | bool) or node is None:
        return node
    return str(node)
