"""What redis-py answers, as text."""

from __future__ import annotations


def as_text(raw: object) -> str:
    """redis-py answers bytes, mostly; None is the empty text."""
    return raw.decode() if isinstance(raw, bytes) else str(raw or "")
