"""The Okta rate budget in Redis: one hash per (org, bucket), changed only by the script here,
so every process draws from the same count (checks.rate_budget says why)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.store.keys import Keys

DEFAULT_LIMIT = 100
"""A bucket's ceiling until Okta's first answer names it (Okta's apps bucket, the smallest
one a scan uses, on most orgs)."""
RESERVE = 0.2
"""Of the share, what background work leaves to people: they never wait behind a scan."""
WINDOW = 60.0
"""Seconds of one Okta rate-limit window."""
SHORTEST_WAIT = 0.05
LONGEST_WAIT = 0.5
"""A waiting request looks again this often at the latest: another process's answer may have
told a larger ceiling meanwhile, or a new window begun."""
TELL_WITHIN = 0.05
"""Seconds an answer's headers wait for the next request to carry them to Redis."""

# One script per Okta request: what earlier answers said (their X-Rate-Limit-* headers, kept
# in the process until then) is applied first, then this request is counted. So a request
# waits on one Redis round trip, not two.
#
# Observing: answers arrive out of order: within a window the lowest remaining wins; a later
# reset is a new window, in which we cannot have used more than Okta counts as used. The first
# answer of a window we only guessed (told = 0) corrects the guess.
#
# Taking: Redis's own clock (TIME), so that processes on machines whose clocks differ agree. A
# window nobody has heard of yet lasts a minute (Okta's); Okta's X-Rate-Limit-Reset corrects
# it. Background work is paced across the window (its n-th request waits until n/its-share of
# the window has passed), so that a scan never takes a window's share at its start and leaves
# a person asking a moment later only the reserve. Until Okta's first answer of the window has
# been told, the share is only a guess: background work is held to it but not paced by it
# (the answers of the first round trip, in flight, tell the real ceiling a moment later).
#
# KEYS: the bucket to take from ('' to only observe), then each observed bucket.
# ARGV: share, background (0|1), default limit, reserve fraction, window, then limit,
# remaining, reset (epoch seconds) for each observed bucket.
# Returns 0 when the request may go (or nothing was taken), else the milliseconds to wait.
_TAKE = """
local function observe(key, limit, remaining, reset)
  local h = redis.call('HMGET', key, 'remaining', 'reset', 'used', 'told')
  local known_remaining, known_reset = tonumber(h[1]), tonumber(h[2])
  local used, told = tonumber(h[3]) or 0, h[4] == '1'
  if told and math.abs(reset - known_reset) < 1 then
    if known_remaining ~= nil then remaining = math.min(remaining, known_remaining) end
  elseif told and reset < known_reset then
    return
  else
    used = math.min(used, limit - remaining)
    local bg = tonumber(redis.call('HGET', key, 'bg') or '0')
    redis.call('HSET', key, 'bg', math.min(bg, used))
  end
  redis.call('HSET', key, 'limit', limit, 'remaining', remaining, 'reset', reset,
             'used', used, 'told', 1)
  redis.call('PEXPIREAT', key, math.ceil((reset + 60) * 1000))
end

for i = 2, #KEYS do
  local at = 6 + (i - 2) * 3
  observe(KEYS[i], tonumber(ARGV[at]), tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2]))
end
if KEYS[1] == '' then return 0 end

local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local window = tonumber(ARGV[5])
local h = redis.call('HMGET', KEYS[1], 'limit', 'remaining', 'reset', 'used', 'bg', 'told')
local limit = tonumber(h[1]) or tonumber(ARGV[3])
local remaining, reset = tonumber(h[2]), tonumber(h[3])
local used, bg, told = tonumber(h[4]) or 0, tonumber(h[5]) or 0, h[6] == '1'
if reset == nil or now >= reset then
  reset, used, bg, remaining, told = now + window, 0, 0, limit, false
  redis.call('HSET', KEYS[1], 'told', 0)
end
local cap = math.floor(limit * tonumber(ARGV[1]))
local until_reset = math.max(1, math.ceil((reset - now) * 1000))
local keep = 0
if ARGV[2] == '1' then
  keep = math.max(1, math.ceil(cap * tonumber(ARGV[4])))
  local share = cap - keep
  if share <= 0 then return until_reset end
  local slot = (reset - window) + window * bg / share
  if told and now < slot then return math.max(1, math.ceil((slot - now) * 1000)) end
end
if used >= cap - keep or remaining <= keep then return until_reset end
if ARGV[2] == '1' then bg = bg + 1 end
redis.call('HSET', KEYS[1], 'limit', limit, 'remaining', remaining - 1, 'reset', reset,
           'used', used + 1, 'bg', bg)
redis.call('PEXPIREAT', KEYS[1], math.ceil((reset + 60) * 1000))
return 0
"""

log = logging.getLogger(__name__)


Told = tuple[int, int, float]
"""What one answer said of a bucket: limit, remaining, reset."""


class RedisRateBudget:
    """checks.rate_budget.RateBudget for every process sharing this Redis. Should Redis be
    unreachable, requests go out unpaced (Okta's 429s still pace them): a person asking why
    must not be refused because the pacing is down.

    What Okta's answers say is kept here and sent with the next request's take (one Redis
    round trip per Okta request); a process that goes quiet sends it within TELL_WITHIN."""

    def __init__(self, redis: Redis, keys: Keys, org_url: str, share: float) -> None:
        self._redis = redis
        self._keys = keys
        self._org = hashlib.sha256(org_url.rstrip("/").encode()).hexdigest()[:16]
        self._share = share
        self._script = redis.register_script(_TAKE)
        self._down = False
        self._told: dict[str, Told] = {}
        self._teller: asyncio.Task[None] | None = None

    async def take(self, bucket: str, *, background: bool) -> None:
        while True:
            wait = await self.try_take(bucket, background=background)
            if wait <= 0:
                return
            # Polling, not an event: the bucket refills in Redis, for every process at once.
            await asyncio.sleep(min(LONGEST_WAIT, max(SHORTEST_WAIT, wait)))

    async def try_take(self, bucket: str, *, background: bool) -> float:
        """Count a request if it fits now and return 0; else the seconds until the bucket
        refills (nothing counted)."""
        return await self._run(self._keys.budget(self._org, bucket), background=background)

    async def observe(self, bucket: str, limit: int, remaining: int, reset: float) -> None:
        self._told[bucket] = _newer(self._told.get(bucket), (limit, remaining, reset))
        if self._teller is None or self._teller.done():
            self._teller = asyncio.create_task(self._tell_soon())

    async def usage(self, bucket: str) -> tuple[int, int] | None:
        """(used, attrsync's share) of `bucket` in the current window, if Okta has told it."""
        await self.flush()
        key = self._keys.budget(self._org, bucket)
        try:
            limit, used = await self._redis.hmget(key, ["limit", "used"])
        except RedisError:
            return None
        if limit is None:
            return None
        return int(used or 0), int(float(limit) * self._share)

    async def flush(self) -> None:
        """Send what Okta's answers said and no request has carried yet."""
        if self._told:
            await self._run("", background=False)

    async def aclose(self) -> None:
        if self._teller is not None:
            self._teller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._teller
        await self.flush()

    async def _tell_soon(self) -> None:
        await asyncio.sleep(TELL_WITHIN)
        await self.flush()

    async def _run(self, key: str, *, background: bool) -> float:
        told, self._told = self._told, {}
        keys = [key, *(self._keys.budget(self._org, bucket) for bucket in told)]
        args: list[float | int] = [self._share, int(background), DEFAULT_LIMIT, RESERVE, WINDOW]
        for said in told.values():
            args += said
        try:
            wait_ms = int(await self._script(keys=keys, args=args))
        except RedisError:
            self._unreachable()
            return 0.0
        self._down = False
        return wait_ms / 1000

    def _unreachable(self) -> None:
        if not self._down:
            log.warning("redis unreachable: Okta requests go out unpaced until it is back")
        self._down = True


def _newer(known: Told | None, said: Told) -> Told:
    """Of two answers about one bucket, the one the budget must hear (as the script judges)."""
    if known is None or said[2] >= known[2] + 1:
        return said
    if abs(said[2] - known[2]) < 1:
        return (said[0], min(said[1], known[1]), said[2])
    return known
