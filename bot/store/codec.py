"""What redis-py answers, as text."""

from __future__ import annotations

from collections.abc import Mapping


def as_text(raw: object) -> str:
    """redis-py answers bytes, mostly; None is the empty text."""
    return raw.decode() if isinstance(raw, bytes) else str(raw or "")


def pairs(fields: Mapping[str, str]) -> list[str]:
    """`{a: 1, b: 2}` as `[a, 1, b, 2]`: field/value arguments of HSET in a script."""
    return [item for pair in fields.items() for item in pair]
