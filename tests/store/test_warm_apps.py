"""The apps whose facts triage keeps warm: named by events lately, the latest MOST at most,
each refreshed by one worker of many per period."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.store.keys import Keys
from bot.store.warm import WarmStore


async def test_an_app_is_due_once_per_period_whoever_asks(redis: Redis, prefix: str) -> None:
    store, other_worker = WarmStore(redis, prefix), WarmStore(redis, prefix)
    assert await store.noted("0oa1", 1000.0, keep=900, most=20)
    assert not await store.noted("0oa1", 1000.5, keep=900, most=20)  # known already
    assert await store.due(1001.0, keep=900, every=45) == ["0oa1"]
    assert await other_worker.due(1002.0, keep=900, every=45) == []
    claim = Keys(prefix).warm_claim("0oa1")
    assert 44_000 < await redis.pttl(claim) <= 45_000
    await redis.delete(claim)  # the period is over
    assert await other_worker.due(1046.0, keep=900, every=45) == ["0oa1"]


async def test_an_app_quiet_for_longer_than_keep_is_not_refreshed(
    redis: Redis, prefix: str
) -> None:
    store = WarmStore(redis, prefix)
    await store.noted("0oa1", 1000.0, keep=900, most=20)
    await store.noted("0oa1", 950.0, keep=900, most=20)  # an older event: still 1000
    assert await store.due(1901.0, keep=900, every=45) == []
    await store.noted("0oa2", 2000.0, keep=900, most=20)
    assert await redis.zrange(Keys(prefix).warm_apps, 0, -1) == [b"0oa2"]


async def test_only_the_latest_apps_are_kept_warm(redis: Redis, prefix: str) -> None:
    store = WarmStore(redis, prefix)
    for n in range(5):
        await store.noted(f"0oa{n}", 1000.0 + n, keep=900, most=3)
    assert sorted(await store.due(1010.0, keep=900, every=45)) == ["0oa2", "0oa3", "0oa4"]


async def test_an_app_whose_facts_the_caller_reads_now_is_due_a_period_later(
    redis: Redis, prefix: str
) -> None:
    store = WarmStore(redis, prefix)
    assert await store.noted("0oa1", 1000.0, keep=900, most=20, reading_for=45)
    assert await store.due(1001.0, keep=900, every=45) == []
    claim = Keys(prefix).warm_claim("0oa1")
    assert 44_000 < await redis.pttl(claim) <= 45_000
