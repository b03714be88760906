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
STALE_CLAIM = 600.0
"""Seconds after which a claim whose entry never reported is taken over."""

# KEYS: the burst zset. ARGV: user ('' to only count), now, window. Returns how many users
# it holds now: only users reported (posted, or counted in the app's message) are added.
_BURST = """
if ARGV[1] ~= '' then redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1]) end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[3]))
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3])))
return redis.call('ZCARD', KEYS[1])
"""

# The report of one (user, app, cause) is a field of the user's and app's hash whose value
# says how far it got: `claim|<entry>|<since>` while the stream entry <entry> reports it,
# `burst|<entry>` once it is counted in its app's message, else the posted message (JSON).
# KEYS: the hash. ARGV: cause, entry, now, stale. Returns the status:
#   new     the claim is this entry's now: report it;
#   again   this entry claimed it before (its worker died, or Redis restarted, in between): the
#           report may be out already, and is read back before it is posted again;
#   counted this entry counted it in its app's message before: count it again;
#   busy    another entry is reporting it, lately;
#   done    reported already, and not resolved since.
# A claim older than `stale` seconds is taken over as `again` (its entry was lost).
_CLAIM = """
local value = redis.call('HGET', KEYS[1], ARGV[1])
local mine = 'claim|' .. ARGV[2] .. '|'
redis.call('EXPIRE', KEYS[1], 604800)
if not value then
  redis.call('HSET', KEYS[1], ARGV[1], mine .. ARGV[3])
  return 'new'
end
if string.sub(value, 1, #mine) == mine then
  return 'again'
end
if value == 'burst|' .. ARGV[2] then return 'counted' end
if string.sub(value, 1, 6) == 'claim|' then
  local since = tonumber(string.match(value, '|([^|]*)$')) or 0
  if tonumber(ARGV[3]) - since < tonumber(ARGV[4]) then return 'busy' end
  redis.call('HSET', KEYS[1], ARGV[1], mine .. ARGV[3])
  return 'again'
end
return 'done'
"""

# KEYS: the hash. ARGV: cause, entry, new value ('' to release). Only this entry's claim moves.
_SETTLE = """
local value = redis.call('HGET', KEYS[1], ARGV[1])
local mine = 'claim|' .. ARGV[2] .. '|'
if not value or string.sub(value, 1, #mine) ~= mine then return 0 end
if ARGV[3] == '' then redis.call('HDEL', KEYS[1], ARGV[1])
else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
return 1
"""

# KEYS: watch-due. ARGV: now, limit, coming (seconds), hold (seconds). Takes the due users off
# the set, at once; none while more changes fall due within `coming`, unless the first due has
# waited `hold` already.
_DUE = """
local now = tonumber(ARGV[1])
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, ARGV[2])
if #due == 0 then return {} end
local more = redis.call('ZCOUNT', KEYS[1], '(' .. now, now + tonumber(ARGV[3]))
if more > 0 and tonumber(due[2]) > now - tonumber(ARGV[4]) then return {} end
local users = {}
for i = 1, #due, 2 do
  redis.call('ZREM', KEYS[1], due[i])
  users[#users + 1] = due[i]
end
return users
"""


@dataclass(frozen=True, slots=True)
class Delivered:
    entry: str
    event: dict[str, Any] | None
    """None for an entry that is not an event (it is acknowledged and skipped)."""
    attempts: int = 1
    """How many times Redis has handed this entry to a consumer."""


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
        self._claim = redis.register_script(_CLAIM)
        self._settle = redis.register_script(_SETTLE)
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
        # Taken from a consumer that did not acknowledge them: how often they were handed out.
        first, last = as_text(entries[0][0]), as_text(entries[-1][0])
        pending: Any = await self._redis.xpending_range(
            stream, GROUP, min=first, max=last, count=len(entries)
        )
        times = {as_text(p["message_id"]): int(p["times_delivered"]) for p in pending}
        return [
            Delivered(as_text(entry), _event(fields), times.get(as_text(entry), 1))
            for entry, fields in entries
        ]

    async def ack(self, entries: list[str]) -> None:
        if entries:
            await self._redis.xack(self._keys.events, GROUP, *entries)

    async def claim_post(
        self, user_id: str, app_id: str, cause: str, entry: str, now: float
    ) -> str:
        """Whether the stream entry `entry` is to report (user, app, cause): new, again,
        counted, busy or done (see _CLAIM)."""
        key = self._keys.triage_posts(user_id, app_id)
        return as_text(await self._claim(keys=[key], args=[cause, entry, now, STALE_CLAIM]))

    async def release(self, user_id: str, app_id: str, cause: str, entry: str) -> None:
        """The report could not go out: the next try (this entry's, or a later event's) makes it."""
        await self._settle(keys=[self._keys.triage_posts(user_id, app_id)], args=[cause, entry, ""])

    async def posted(self, user_id: str, app_id: str, cause: str, entry: str, post: Post) -> None:
        key = self._keys.triage_posts(user_id, app_id)
        await self._settle(keys=[key], args=[cause, entry, post.stored()])

    async def counted(self, user_id: str, app_id: str, cause: str, entry: str) -> None:
        key = self._keys.triage_posts(user_id, app_id)
        await self._settle(keys=[key], args=[cause, entry, f"burst|{entry}"])

    async def resolve(self, user_id: str, app_id: str) -> list[Post]:
        """The open triage messages about (user, app), forgotten at once."""
        key = self._keys.triage_posts(user_id, app_id)
        pipe = self._redis.pipeline(transaction=True)
        pipe.hvals(key)
        pipe.delete(key)
        values, _ = await pipe.execute()
        return [post for v in values if (post := Post.of(v)) is not None]

    async def burst(
        self, app_id: str, cause: str, now: float, window: float, user_id: str = ""
    ) -> int:
        """How many users were reported for (app, cause) within `window` (with `user_id`
        among them, when given)."""
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

    async def due(
        self, now: float, limit: int = 50, *, coming: float = 0.0, hold: float = 0.0
    ) -> list[str]:
        """The users whose changes are due, taken off the set; none yet while more changes
        fall due within `coming` seconds, for at most `hold` seconds past the first one."""
        args = [now, limit, coming, hold]
        return [as_text(u) for u in await self._due(keys=[self._keys.watch_due], args=args)]


def _event(fields: Any) -> dict[str, Any] | None:
    raw = (fields or {}).get(b"event") or (fields or {}).get("event")
    if not raw:
        return None
    try:
        event = json.loads(raw)
    except ValueError:
        return None
    return event if isinstance(event, dict) else None
