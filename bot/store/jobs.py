"""The stream of runs read by the workers' consumer group (`jobs`): what a worker reads,
takes over, acknowledges, and which consumers it may forget."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.store.approvals import GROUP
from bot.store.codec import as_text
from bot.store.keys import Keys


@dataclass(frozen=True, slots=True)
class Job:
    entry: str
    approval_id: str
    scan_id: str = ""
    """Set instead of approval_id for a scan's job."""
    bulk_id: str = ""
    """Set instead of approval_id for a bulk fix's job."""


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
    return [
        Job(
            as_text(entry),
            _field(fields, "approval"),
            _field(fields, "scan"),
            _field(fields, "bulk"),
        )
        for entry, fields in entries
    ]


def _field(fields: Any, name: str) -> str:
    found = (fields or {}).get(name.encode()) or (fields or {}).get(name)
    return as_text(found) if found else ""
