"""The queue of approved fixes: a Redis stream read by the workers' consumer group."""

from __future__ import annotations

from redis.asyncio import Redis

GROUP = "workers"


def stream(prefix: str) -> str:
    return f"{prefix}jobs"


async def enqueue(redis: Redis, prefix: str, approval_id: str) -> None:
    await redis.xadd(stream(prefix), {"approval": approval_id})
