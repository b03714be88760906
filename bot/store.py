"""Redis-backed state: for now the short-lived cache of app-level Okta facts."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from redis.asyncio import Redis

FACTS_PREFIX = "attrsync:facts:"


class RedisFactCache:
    """App-level Okta JSON kept for a short TTL, shared by every bot process."""

    def __init__(self, redis: Redis, ttl: float) -> None:
        self._redis = redis
        self._ttl_ms = max(1, int(ttl * 1000))

    @staticmethod
    def _key(key: str) -> str:
        # Keys hold org URLs and queries a person typed: hash them to a fixed, safe shape.
        return FACTS_PREFIX + hashlib.sha256(key.encode()).hexdigest()

    async def get(self, key: str) -> Any | None:
        raw = await self._redis.get(self._key(key))
        return None if raw is None else json.loads(raw)

    async def set(self, key: str, value: Any) -> None:
        await self._redis.set(self._key(key), json.dumps(value), px=self._ttl_ms)
