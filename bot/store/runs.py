"""A run's lease (who may run a fix now, with a fencing token) and its write-ahead journal.

A lease is a set of Redis keys, one per scope the run holds (`lock:<app>:<user>`, and
`lock:<app>` for a change every user of the app shares), all with the same value
`<approval>|<worker>|<token>`: the token is a fresh number from one counter, so a worker that
lost its lease (it froze, or Redis was away longer than the lease) can never write as if it
still held it. The holder renews it while a step is in flight; a dead worker's lease expires
and only then can another worker take the run over.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.store.codec import as_text
from bot.store.keys import Keys
from checks.remediation.execute import Entry, LeaseLost

JOURNAL_KEEP = 30 * 86400

log = logging.getLogger(__name__)

# KEYS: the scopes' lock keys, then the fence counter. ARGV: approval id, worker, ttl ms.
_ACQUIRE = """
local n = #KEYS - 1
for i = 1, n do
  local holder = redis.call('GET', KEYS[i])
  if holder then return {0, holder} end
end
local value = ARGV[1] .. '|' .. ARGV[2] .. '|' .. redis.call('INCR', KEYS[#KEYS])
for i = 1, n do redis.call('SET', KEYS[i], value, 'PX', ARGV[3]) end
return {1, value}
"""
# KEYS: the lock keys. ARGV: value, ttl ms (renew) or nothing (release).
_RENEW = """
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) ~= ARGV[1] then return 0 end
end
for i = 1, #KEYS do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
return 1
"""
_RELEASE = """
for i = 1, #KEYS do
  if redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
end
return 1
"""
# KEYS: journal, lease key. ARGV: value, field, entry, keep seconds.
_WRITE = """
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('EXPIRE', KEYS[1], ARGV[4])
return 1
"""


class Lease:
    """Held by one worker for one run; `key`/`value` fence the run's writes and moves."""

    def __init__(self, redis: Redis, keys: Sequence[str], value: str, ttl_ms: int) -> None:
        self._redis = redis
        self.keys = tuple(keys)
        self.value = value
        self._ttl_ms = ttl_ms
        self.lost = False

    @property
    def fence(self) -> tuple[str, str]:
        return self.keys[0], self.value

    async def renew(self) -> bool:
        renewed = bool(
            await self._redis.eval(_RENEW, len(self.keys), *self.keys, self.value, self._ttl_ms)
        )
        self.lost = self.lost or not renewed
        return renewed

    async def release(self) -> None:
        await self._redis.eval(_RELEASE, len(self.keys), *self.keys, self.value)


class Ran(StrEnum):
    """How a leased run went: done (or nothing left to do), busy (someone else holds one of
    its scopes), lost (its lease went to another worker half-way)."""

    DONE = "done"
    BUSY = "busy"
    LOST = "lost"


class Leases:
    def __init__(self, redis: Redis, prefix: str, *, ttl_ms: int) -> None:
        self._redis = redis
        self._keys = Keys(prefix)
        self.ttl_ms = ttl_ms
        self._acquire = redis.register_script(_ACQUIRE)

    async def acquire(self, approval_id: str, scopes: Sequence[str], worker: str) -> Lease | None:
        """The run's lease, or None while anyone (another worker, another run on the same
        assignment or app) holds one of its scopes."""
        keys = [self._keys.lock(scope) for scope in scopes]
        got, value = await self._acquire(
            keys=[*keys, self._keys.fence], args=[approval_id, worker, self.ttl_ms]
        )
        return Lease(self._redis, keys, as_text(value), self.ttl_ms) if got else None

    async def run(
        self,
        run_id: str,
        scopes: Sequence[str],
        worker: str,
        work: Callable[[Lease], Awaitable[None]],
        *,
        what: str,
    ) -> Ran:
        """Do `work` under the run's lease, renewed while it goes on and released after; a
        work that finds its lease lost stops there (the holder goes on from the journal)."""
        lease = await self.acquire(run_id, scopes, worker)
        if lease is None:
            return Ran.BUSY
        async with self.holding(lease):
            try:
                await work(lease)
            except LeaseLost:
                log.warning("%s was taken over by another worker; stopped", what)
                return Ran.LOST
        return Ran.DONE

    @asynccontextmanager
    async def holding(self, lease: Lease) -> AsyncIterator[Lease]:
        """Renew the lease every third of its life while the body runs, then release it."""
        renewer = asyncio.create_task(self._renew(lease))
        try:
            yield lease
        finally:
            renewer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewer
            with contextlib.suppress(RedisError):  # it expires by itself otherwise
                await lease.release()

    async def _renew(self, lease: Lease) -> None:
        while not lease.lost:
            await asyncio.sleep(self.ttl_ms / 3000)
            try:
                await lease.renew()
            except RedisError:  # keep trying: the lease may outlive a short outage
                log.warning("cannot renew the lease of %s; Redis is unreachable", lease.value)


class Journals:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._prefix = prefix

    def of(self, run_id: str, lease: Lease) -> RedisJournal:
        return RedisJournal(self._redis, self._prefix, run_id, lease)


class RedisJournal:
    """checks.remediation.execute.Journal in a Redis hash, every write fenced by the lease."""

    def __init__(self, redis: Redis, prefix: str, run_id: str, lease: Lease) -> None:
        self._redis = redis
        self._key = Keys(prefix).run(run_id)
        self._lease = lease
        self._write = redis.register_script(_WRITE)

    async def entries(self) -> Mapping[int, Entry]:
        raw = await self._redis.hgetall(self._key)
        return {int(as_text(k)): _entry(v) for k, v in raw.items()}

    async def write(self, index: int, entry: Entry) -> None:
        key, value = self._lease.fence
        encoded = json.dumps({"phase": entry.phase, "note": entry.note})
        args: list[Any] = [value, str(index), encoded, JOURNAL_KEEP]
        if not await self._write(keys=[self._key, key], args=args):
            self._lease.lost = True
            raise LeaseLost("another worker took this run over")


def _entry(raw: Any) -> Entry:
    data = json.loads(as_text(raw))
    return Entry(data["phase"], data.get("note", ""))
