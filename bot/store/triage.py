"""Triage's state in Redis: the consumer group `triage` on `okta-events`, the message posted
for each (user, app, cause), the recent users of each (app, cause) that turn a flood into one
message, and the profile changes waiting for their grace period (`watch-due`)."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.store.codec import as_text
from bot.store.keys import Keys

GROUP = "triage"
KEEP_FOR = 7 * 86400

# KEYS: the burst zset. ARGV: user, now, window. Returns how many users it holds now.
_BURST = """
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[3]))
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3])))
return redis.call('ZCARD', KEYS[1])
"""

# KEYS: watch-due. ARGV: now, limit. Takes the due users off the set, at once.
_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, user in ipairs(due) do redis.call('ZREM', KEYS[1], user) end
return due
"""


@dataclass(frozen=True, slots=True)
class Delivered:
    entry: str
    event: dict[str, Any] | None
    """None for an entry that is not an event (it is acknowledged and skipped)."""


@dataclass(frozen=True, slots=True)
class Post:
    channel: str
    ts: str
    summary: str = ""
    """The report's verdict, said again when it is resolved."""

    def stored(self) -> str:
        return json.dumps([self.channel, self.ts, self.summary])

    @classmethod
    def of(cls, raw: object) -> Post | None:
        try:
            channel, ts, summary = json.loads(as_text(raw))
        except ValueError:
            return None
        return cls(str(channel), str(ts), str(summary))


class TriageStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._keys = Keys(prefix)
        self._burst = redis.register_script(_BURST)
        self._due = redis.register_script(_DUE)

    async def ensure_group(self) -> None:
        with contextlib.suppress(ResponseError):  # BUSYGROUP: it exists already
            await self._redis.xgroup_create(self._keys.events, GROUP, id="0", mkstream=True)

    async def read(
        self, consumer: str, count: int, idle_ms: int, block_ms: int | None = None
    ) -> list[Delivered]:
        """Events a dead consumer left (idle for `idle_ms`), else new ones (waiting up to
        `block_ms` for the first)."""
        stream = self._keys.events
        claimed: Any = await self._redis.xautoclaim(
            stream, GROUP, consumer, idle_ms, "0-0", count=count
        )
        entries = claimed[1]
        if not entries:
            fresh: Any = await self._redis.xreadgroup(
                GROUP, consumer, {stream: ">"}, count=count, block=block_ms
            )
            entries = [entry for _, listed in fresh or [] for entry in listed]
        return [Delivered(as_text(entry), _event(fields)) for entry, fields in entries]

    async def ack(self, entries: list[str]) -> None:
        if entries:
            await self._redis.xack(self._keys.events, GROUP, *entries)

    async def claim_post(self, user_id: str, app_id: str, cause: str) -> bool:
        """True for the first triage of (user, app, cause) since it was last resolved."""
        key = self._keys.triage_posts(user_id, app_id)
        claimed = bool(await self._redis.hsetnx(key, cause, ""))
        await self._redis.expire(key, KEEP_FOR)
        return claimed

    async def posted(self, user_id: str, app_id: str, cause: str, post: Post) -> None:
        key = self._keys.triage_posts(user_id, app_id)
        await self._redis.hset(key, cause, post.stored())

    async def resolve(self, user_id: str, app_id: str) -> list[Post]:
        """The open triage messages about (user, app), forgotten at once."""
        key = self._keys.triage_posts(user_id, app_id)
        pipe = self._redis.pipeline(transaction=True)
        pipe.hvals(key)
        pipe.delete(key)
        values, _ = await pipe.execute()
        return [post for v in values if (post := Post.of(v)) is not None]

    async def burst(self, app_id: str, cause: str, user_id: str, now: float, window: float) -> int:
        key = self._keys.triage_burst(app_id, cause)
        return int(await self._burst(keys=[key], args=[user_id, now, window]))

    async def summary(self, app_id: str, cause: str) -> Post | None:
        raw = await self._redis.get(self._keys.triage_summary(app_id, cause))
        return Post.of(raw) if raw else None

    async def remember_summary(self, app_id: str, cause: str, post: Post, window: float) -> None:
        key = self._keys.triage_summary(app_id, cause)
        await self._redis.set(key, post.stored(), ex=int(window))

    async def follow_up(self, user_id: str, due: float, attributes: frozenset[str]) -> None:
        """Check `user_id`'s apps at `due` for the changed `attributes` (a later change moves
        it later: the grace restarts, and the attributes add up)."""
        pipe = self._redis.pipeline(transaction=True)
        pipe.zadd(self._keys.watch_due, {user_id: due})
        if attributes:
            key = self._keys.watch_changed(user_id)
            pipe.sadd(key, *sorted(attributes))
            pipe.expire(key, KEEP_FOR)
        await pipe.execute()

    async def changed(self, user_id: str) -> frozenset[str]:
        """The attributes named by the user's changes now due, forgotten at once."""
        key = self._keys.watch_changed(user_id)
        pipe = self._redis.pipeline(transaction=True)
        pipe.smembers(key)
        pipe.delete(key)
        names, _ = await pipe.execute()
        return frozenset(as_text(n) for n in names)

    async def forget_changed(self, users: set[str]) -> None:
        """Drop what these users' changes named (they are looked at in every app)."""
        if users:
            await self._redis.delete(*(self._keys.watch_changed(u) for u in users))

    async def due(self, now: float, limit: int = 50) -> list[str]:
        return [as_text(u) for u in await self._due(keys=[self._keys.watch_due], args=[now, limit])]


def _event(fields: Any) -> dict[str, Any] | None:
    raw = (fields or {}).get(b"event") or (fields or {}).get("event")
    if not raw:
        return None
    try:
        event = json.loads(raw)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None
