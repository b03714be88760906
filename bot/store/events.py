"""Okta's events on their way to triage: one stream (`okta-events`) fed by the Event Hook and
by System Log polling, each event queued once by its `uuid` whatever Okta redelivers."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from redis.asyncio import Redis

from bot.store.codec import as_text
from bot.store.keys import Keys

SEEN_FOR = 7 * 86400
"""Seconds an event's uuid is remembered: longer than Okta retries a delivery, and than the
System Log's window that polling may read again after a restart."""
MAXLEN = 100_000

# KEYS: the stream, then one "seen" key per event. ARGV: seen seconds, maxlen, then the events'
# JSON in the same order. Returns how many were new (and queued).
_ENQUEUE = """
local queued = 0
for i = 2, #KEYS do
  if redis.call('SET', KEYS[i], '1', 'NX', 'EX', ARGV[1]) then
    redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[2], '*', 'event', ARGV[i + 1])
    queued = queued + 1
  end
end
return queued
"""


class OktaEvents:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._keys = Keys(prefix)
        self._enqueue = redis.register_script(_ENQUEUE)

    async def cursor(self, org: str) -> str | None:
        raw = await self._redis.get(self._keys.watch_cursor(org))
        return as_text(raw) or None

    async def save_cursor(self, org: str, url: str) -> None:
        await self._redis.set(self._keys.watch_cursor(org), url)

    async def enqueue(self, events: Sequence[Mapping[str, Any]]) -> int:
        """Queue the events not seen before, at once; how many were new."""
        if not events:
            return 0
        seen = [self._keys.event_seen(str(e["uuid"])) for e in events]
        bodies = [json.dumps(e, separators=(",", ":")) for e in events]
        return int(
            await self._enqueue(keys=[self._keys.events, *seen], args=[SEEN_FOR, MAXLEN, *bodies])
        )
