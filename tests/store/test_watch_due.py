"""Profile changes falling due: taken together while more come due close behind, never held
longer than the hold."""

from __future__ import annotations

from redis.asyncio import Redis

from bot.store.triage import TriageStore


async def test_due_changes_wait_for_the_ones_close_behind_them_up_to_the_hold(
    redis: Redis, prefix: str
) -> None:
    store = TriageStore(redis, prefix)
    for n, user in enumerate(("u1", "u2", "u3")):
        await store.follow_up(user, 100.0 + 10 * n, frozenset({"title"}))
    await store.follow_up("late", 500.0, frozenset())

    async def due(now: float) -> list[str]:
        return await store.due(now, 50, coming=30.0, hold=60.0)

    assert await due(100.0) == []  # u2 falls due within 30 s
    assert await due(115.0) == []  # u3 does
    assert sorted(await due(125.0)) == ["u1", "u2", "u3"]  # nothing more within 30 s
    assert await due(499.0) == []
    assert await due(500.0) == ["late"]


async def test_a_steady_trickle_is_held_no_longer_than_the_hold(redis: Redis, prefix: str) -> None:
    store = TriageStore(redis, prefix)
    for n in range(20):
        await store.follow_up(f"u{n}", 100.0 + 10 * n, frozenset())
    assert await store.due(159.0, 50, coming=30.0, hold=60.0) == []
    assert await store.due(160.0, 50, coming=30.0, hold=60.0) == [f"u{n}" for n in range(7)]
