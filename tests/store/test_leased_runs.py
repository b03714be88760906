"""The one leased-run skeleton every runner uses (store/runs.py `Leases.run`)."""

from __future__ import annotations

import asyncio

from redis.asyncio import Redis

from bot.store.runs import Lease, Leases, Ran
from checks.remediation.execute import LeaseLost


async def test_a_run_is_done_busy_or_lost_and_its_lease_is_always_released(
    redis: Redis, prefix: str
) -> None:
    leases = Leases(redis, prefix, ttl_ms=30_000)
    held: list[Lease] = []
    inside = asyncio.Event()
    finish = asyncio.Event()

    async def long_work(lease: Lease) -> None:
        held.append(lease)
        inside.set()
        await finish.wait()

    first = asyncio.create_task(leases.run("r1", ["app:u1"], "w1", long_work, what="run r1"))
    await inside.wait()

    async def never(lease: Lease) -> None:
        raise AssertionError("a busy run's work must not start")

    assert await leases.run("r2", ["app:u1", "app"], "w2", never, what="run r2") is Ran.BUSY
    finish.set()
    assert await first is Ran.DONE
    assert not await redis.exists(*held[0].keys), "the lease is released when the work ends"

    async def loses(lease: Lease) -> None:
        held.append(lease)
        raise LeaseLost("another worker took this run over")

    assert await leases.run("r3", ["app:u1"], "w1", loses, what="run r3") is Ran.LOST
    assert not await redis.exists(*held[1].keys)
