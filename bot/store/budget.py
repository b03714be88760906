"""The Okta rate budget in Redis: one hash per (org, bucket), changed only by the two scripts
here, so every process draws from the same count (checks.rate_budget says why)."""

from __future__ import annotations

import asyncio
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

# Redis's own clock (TIME), so that processes on machines whose clocks differ agree. A window
# nobody has heard of yet lasts a minute (Okta's); Okta's X-Rate-Limit-Reset corrects it.
# Background work is paced across the window (its n-th request waits until n/its-share of the
# window has passed), so that a scan never takes a window's share at its start and leaves a
# person asking a moment later only the reserve.
# KEYS: the bucket. ARGV: share, background (0|1), default limit, reserve fraction, window.
# Returns 0 when the request may go, else the milliseconds to wait.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local window = tonumber(ARGV[5])
local h = redis.call('HMGET', KEYS[1], 'limit', 'remaining', 'reset', 'used', 'bg')
local limit = tonumber(h[1]) or tonumber(ARGV[3])
local remaining, reset = tonumber(h[2]), tonumber(h[3])
local used, bg = tonumber(h[4]) or 0, tonumber(h[5]) or 0
if reset == nil or now >= reset then
  reset, used, bg, remaining = now + window, 0, 0, limit
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
  if now < slot then return math.max(1, math.ceil((slot - now) * 1000)) end
end
if used >= cap - keep or remaining <= keep then return until_reset end
if ARGV[2] == '1' then bg = bg + 1 end
redis.call('HSET', KEYS[1], 'limit', limit, 'remaining', remaining - 1, 'reset', reset,
           'used', used + 1, 'bg', bg)
redis.call('PEXPIREAT', KEYS[1], math.ceil((reset + 60) * 1000))
return 0
"""

# KEYS: the bucket. ARGV: limit, remaining, reset (epoch seconds) from an Okta answer.
# Answers arrive out of order: within a window the lowest remaining wins; a later reset is a
# new window, in which we cannot have used more than Okta counts as used. The first answer of
# a window we only guessed (told = 0) corrects the guess.
_OBSERVE = """
local limit, remaining, reset = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local h = redis.call('HMGET', KEYS[1], 'remaining', 'reset', 'used', 'told')
local known_remaining, known_reset = tonumber(h[1]), tonumber(h[2])
local used, told = tonumber(h[3]) or 0, h[4] == '1'
if told and math.abs(reset - known_reset) < 1 then
  if known_remaining ~= nil then remaining = math.min(remaining, known_remaining) end
elseif told and reset < known_reset then
  return 0
else
  used = math.min(used, limit - remaining)
  local bg = tonumber(redis.call('HGET', KEYS[1], 'bg') or '0')
  redis.call('HSET', KEYS[1], 'bg', math.min(bg, used))
end
redis.call('HSET', KEYS[1], 'limit', limit, 'remaining', remaining, 'reset', reset,
           'used', used, 'told', 1)
redis.call('PEXPIREAT', KEYS[1], math.ceil((reset + 60) * 1000))
return 0
"""

log = logging.getLogger(__name__)


class RedisRateBudget:
    """checks.rate_budget.RateBudget for every process sharing this Redis. Should Redis be
    unreachable, requests go out unpaced (Okta's 429s still pace them): a person asking why
    must not be refused because the pacing is down."""

    def __init__(self, redis: Redis, keys: Keys, org_url: str, share: float) -> None:
        self._redis = redis
        self._keys = keys
        self._org = hashlib.sha256(org_url.rstrip("/").encode()).hexdigest()[:16]
        self._share = share
        self._take = redis.register_script(_TAKE)
        self._observe = redis.register_script(_OBSERVE)
        self._down = False

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
        key = self._keys.budget(self._org, bucket)
        args = (self._share, int(background), DEFAULT_LIMIT, RESERVE, WINDOW)
        try:
            wait_ms = int(await self._take(keys=[key], args=args))
        except RedisError:
            self._unreachable()
            return 0.0
        self._down = False
        return wait_ms / 1000

    async def observe(self, bucket: str, limit: int, remaining: int, reset: float) -> None:
        key = self._keys.budget(self._org, bucket)
        try:
            await self._observe(keys=[key], args=(limit, remaining, reset))
        except RedisError:
            self._unreachable()

    async def usage(self, bucket: str) -> tuple[int, int] | None:
        """(used, attrsync's share) of `bucket` in the current window, if Okta has told it."""
        key = self._keys.budget(self._org, bucket)
        try:
            limit, used = await self._redis.hmget(key, ["limit", "used"])
        except RedisError:
            return None
        if limit is None:
            return None
        return int(used or 0), int(float(limit) * self._share)

    def _unreachable(self) -> None:
        if not self._down:
            log.warning("redis unreachable: Okta requests go out unpaced until it is back")
        self._down = True
