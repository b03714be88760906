"""Apps whose app-level facts triage keeps warm in the fact cache: those Okta's events named
lately (`warm-apps`), and the claim of the worker that refreshes one next (`warm:<app>`)."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.store.codec import as_text
from bot.store.keys import Keys

# KEYS: the zset, the app's claim. ARGV: app, now, keep (seconds), most, claim (ms, 0: none).
# The app's score is its latest event; apps quiet for longer than `keep`, and all but the
# `most` latest, are forgotten. With `claim`, the caller reads the facts itself now: the next
# refresh is due a period later. Returns 1 when the app was not kept warm before.
_NOTED = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[2]) - tonumber(ARGV[3]))
local known = redis.call('ZSCORE', KEYS[1], ARGV[1])
redis.call('ZADD', KEYS[1], 'GT', ARGV[2], ARGV[1])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -tonumber(ARGV[4]) - 1)
redis.call('EXPIRE', KEYS[1], math.ceil(tonumber(ARGV[3])))
if tonumber(ARGV[5]) > 0 then redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[5]) end
return known and 0 or 1
"""

# KEYS: the zset. ARGV: now, keep (seconds), every (ms), claim key prefix. Returns the apps
# whose refresh is this caller's: each is claimed for `every`, so that one worker of many
# refreshes it once per period.
_DUE = """
local apps = redis.call('ZRANGEBYSCORE', KEYS[1], tonumber(ARGV[1]) - tonumber(ARGV[2]), '+inf')
local mine = {}
for _, app in ipairs(apps) do
  if redis.call('SET', ARGV[4] .. app, '1', 'NX', 'PX', ARGV[3]) then
    table.insert(mine, app)
  end
end
return mine
"""


class WarmStore:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._keys = Keys(prefix)
        self._noted = redis.register_script(_NOTED)
        self._due = redis.register_script(_DUE)

    async def noted(
        self, app_id: str, now: float, *, keep: float, most: int, reading_for: float = 0.0
    ) -> bool:
        """An event named the app at `now`: keep its facts warm for `keep` seconds more;
        `reading_for`: the caller reads them afresh now, so they are due that much later.
        Whether the app is new to the warm apps."""
        keys = [self._keys.warm_apps, self._keys.warm_claim(app_id)]
        args: list[str | float] = [app_id, now, keep, most, int(reading_for * 1000)]
        return bool(await self._noted(keys=keys, args=args))

    async def due(self, now: float, *, keep: float, every: float) -> list[str]:
        """The apps to refresh now, claimed by this caller until `every` seconds from now."""
        args: list[str | float] = [now, keep, max(1, int(every * 1000)), self._keys.warm_claim("")]
        return [as_text(a) for a in await self._due(keys=[self._keys.warm_apps], args=args)]
