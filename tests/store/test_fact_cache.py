"""App-level facts cached in Redis: a warm diagnosis asks Okta only for the per-user facts."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis

from bot.store.diagnoses import RedisFactCache
from checks.diagnose import diagnose
from checks.facts import Facts
from checks.okta import OktaClient
from fakes.okta.server import FakeOkta


async def _run(
    okta: OktaClient, fake: FakeOkta, cache: RedisFactCache, user: str, app: str
) -> None:
    await diagnose(Facts(okta, user, app, now=fake.state.now(), cache=cache))


async def test_warm_diagnosis_skips_app_level_requests(
    okta: OktaClient, fake_okta: FakeOkta, redis: Redis
) -> None:
    cache = RedisFactCache(redis, ttl=60, prefix=f"attrsync-test-{uuid.uuid4().hex[:8]}:")
    await _run(okta, fake_okta, cache, "efail", "google")
    cold = list(fake_okta.requests)
    fake_okta.requests.clear()
    await _run(okta, fake_okta, cache, "efail", "google")
    warm = [r.path for r in fake_okta.requests]
    assert len(cold) == 12
    # Warm: the user, the app user, the user's apps (their profile sources) and the log.
    assert sorted(p.split("/")[3] for p in warm) == ["apps", "apps", "logs", "users"]
    assert sum(p.startswith("/api/v1/apps/") for p in warm) == 1


async def test_per_user_facts_are_never_cached(
    okta: OktaClient, fake_okta: FakeOkta, redis: Redis
) -> None:
    cache = RedisFactCache(redis, ttl=60, prefix=f"attrsync-test-{uuid.uuid4().hex[:8]}:")
    await _run(okta, fake_okta, cache, "jdoe", "box")
    fake_okta.requests.clear()
    await _run(okta, fake_okta, cache, "asmith", "box")
    paths = [r.path for r in fake_okta.requests]
    assert any(p.startswith("/api/v1/users/asmith") for p in paths)
    assert any(p.endswith(f"/users/{fake_okta.state.find_user('asmith')['id']}") for p in paths)  # type: ignore[index]
    assert any(p == "/api/v1/logs" for p in paths)


async def test_entries_expire(redis: Redis) -> None:
    cache = RedisFactCache(redis, ttl=0.2, prefix=f"attrsync-test-{uuid.uuid4().hex[:8]}:")
    await cache.set("https://x.okta.com|0oa1:schema", {"definitions": {}})
    assert await cache.get("https://x.okta.com|0oa1:schema") == {"definitions": {}}
    for _ in range(200):  # Redis expires the entry on its own clock
        if await cache.get("https://x.okta.com|0oa1:schema") is None:
            break
        await asyncio.sleep(0.01)
    else:
        pytest.fail("the entry never expired")
