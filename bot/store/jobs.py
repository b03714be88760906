"""The stream of runs read by the workers' consumer group (`jobs`): what a worker reads,
takes over, acknowledges, and which consumers it may forget."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.store.codec import as_text
from bot.store.keys import Keys
from bot.store.moves import GROUP


@dataclass(frozen=True, slots=True)
class Job:
    entry: str
    kind: str
    """The machine whose record it runs (workflow/machine.py: approval, scan, bulk)."""
    ref: str
    """That record's id."""


@dataclass(frozen=True, slots=True)
class Consumer:
    name: str
    pending: int
    idle_ms: int


class Jobs:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._stream = Keys(prefix).jobs

    async def ensure_group(self) -> None:
        with contextlib.suppress(ResponseError):  # BUSYGROUP: it exists already
            await self._redis.xgroup_create(self._stream, GROUP, id="0", mkstream=True)

    async def take_over(self, consumer: str, idle_ms: int, count: int = 10) -> list[Job]:
        """Jobs nobody has touched for `idle_ms`, now `consumer`'s (whether their runs are
        free is the lease's to say)."""
        claimed: Any = await self._redis.xautoclaim(
            self._stream, GROUP, consumer, idle_ms, "0-0", count=count
        )
        return _jobs(claimed[1])

    async def read_new(self, consumer: str, block_ms: int) -> list[Job]:
        fresh: Any = await self._redis.xreadgroup(
            GROUP, consumer, {self._stream: ">"}, count=1, block=block_ms
        )
        return _jobs([entry for _, entries in fresh or [] for entry in entries])

    async def ack(self, entry: str) -> None:
        await self._redis.xack(self._stream, GROUP, entry)

    async def consumers(self) -> list[Consumer]:
        found = await self._redis.xinfo_consumers(self._stream, GROUP)
        return [Consumer(as_text(c["name"]), int(c["pending"]), int(c["idle"])) for c in found]

    async def forget(self, consumer: str) -> None:
        await self._redis.xgroup_delconsumer(self._stream, GROUP, consumer)


def _jobs(entries: Any) -> list[Job]:
    # A trimmed entry still pending comes back without fields: its job names nothing.
    return [Job(as_text(entry), *_kind_and_ref(fields)) for entry, fields in entries]


def _kind_and_ref(fields: Any) -> tuple[str, str]:
    for kind, ref in (fields or {}).items():
        return as_text(kind), as_text(ref)
    return "", ""
