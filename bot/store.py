"""Redis-backed state shared by every bot process: fact cache, duplicate guard, fix offers."""

from __future__ import annotations

import contextlib
import hashlib
import json
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from checks.model import Fix

PREFIX = "attrsync:"
DUPLICATE_WINDOW = 60
"""Seconds during which the same question in the same channel links to the first answer."""


def _digest(*parts: str) -> str:
    # Keys hold org URLs and words people typed: hash them to a fixed, safe shape.
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _text(raw: bytes | str | None) -> str:
    return raw.decode() if isinstance(raw, bytes) else raw or ""


class RedisFactCache:
    """App-level Okta JSON kept for a short TTL."""

    def __init__(self, redis: Redis, ttl: float) -> None:
        self._redis = redis
        self._ttl_ms = max(1, int(ttl * 1000))

    async def get(self, key: str) -> Any | None:
        try:
            raw = await self._redis.get(f"{PREFIX}facts:{_digest(key)}")
        except RedisError:  # a cache that is down is a cache that misses
            return None
        return None if raw is None else json.loads(raw)

    async def set(self, key: str, value: Any) -> None:
        with contextlib.suppress(RedisError):
            await self._redis.set(
                f"{PREFIX}facts:{_digest(key)}", json.dumps(value), px=self._ttl_ms
            )


@dataclass(frozen=True, slots=True)
class Earlier:
    """The same question was asked moments ago; `permalink` is None while it is still running."""

    permalink: str | None


@dataclass(frozen=True, slots=True)
class FixOffer:
    """What a fix button stands for; the button carries only the id of this record."""

    check: str
    fix: Fix
    detail: str
    user_id: str | None
    app_id: str | None
    app_label: str | None
    channel: str
    requester: str | None
    asked: str

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str | bytes) -> FixOffer:
        data = json.loads(raw)
        return cls(**{**data, "fix": Fix(**data["fix"])})


class Store:
    def __init__(self, redis: Redis, *, fact_ttl: float, offer_ttl: float) -> None:
        self.redis = redis
        self.facts = RedisFactCache(redis, fact_ttl)
        self._offer_ttl = max(1, int(offer_ttl))

    async def claim(self, *question: str) -> str | Earlier:
        """A key to answer this question under, or the earlier answer to link to instead."""
        key = f"{PREFIX}asked:{_digest(*question)}"
        if await self.redis.set(key, "", nx=True, ex=DUPLICATE_WINDOW):
            return key
        earlier = await self.redis.get(key)
        return Earlier(_text(earlier) or None)

    async def answered(self, key: str, permalink: str) -> None:
        await self.redis.set(key, permalink, keepttl=True, xx=True)

    async def release(self, key: str) -> None:
        """Forget a claim whose answer failed, so that asking again runs again."""
        await self.redis.delete(key)

    async def save_offer(self, offer: FixOffer) -> str:
        offer_id = secrets.token_urlsafe(12)
        await self.redis.set(f"{PREFIX}offer:{offer_id}", offer.to_json(), ex=self._offer_ttl)
        return offer_id

    async def load_offer(self, offer_id: str) -> FixOffer | None:
        raw = await self.redis.get(f"{PREFIX}offer:{offer_id}")
        return None if raw is None else FixOffer.from_json(raw)
