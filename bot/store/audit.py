"""The audit trail's Redis stream: append an entry, read the newest."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from redis.asyncio import Redis

from bot.store.codec import as_text
from bot.store.keys import Keys

MAX_ENTRIES = 100_000
"""The stream is trimmed to about this many entries."""


class AuditTrail:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._stream = Keys(prefix).audit

    async def append(self, entry: Mapping[str, str]) -> None:
        await self._redis.xadd(
            self._stream, cast(Any, dict(entry)), maxlen=MAX_ENTRIES, approximate=True
        )

    async def read(self, count: int) -> list[dict[str, Any]]:
        """The newest `count` entries, oldest first."""
        entries = await self._redis.xrevrange(self._stream, count=count) or []
        return [
            {"id": as_text(entry_id), **{as_text(k): as_text(v) for k, v in (fields or {}).items()}}
            for entry_id, fields in reversed(entries)
        ]
