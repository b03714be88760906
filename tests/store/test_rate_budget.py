"""One Okta rate budget in Redis for every attrsync process: a share of each bucket, learnt
from Okta's headers; background work leaves a reserve to people; no 429 in steady state."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import pytest
from redis.asyncio import Redis

from bot.store import budget as budget_module
from bot.store.budget import RedisRateBudget
from bot.store.keys import Keys
from checks.diagnose import diagnose
from checks.facts import Facts
from checks.okta import OktaClient, OktaSettings
from checks.rate_budget import background, bucket_of
from checks.scan import AppScan, scan_app
from fakes.okta.rate_limits import RateLimits
from fakes.okta.server import FakeOkta
from tests.conftest import TOKEN


def _shared(redis: Redis, keys: Keys, org: str) -> RedisRateBudget:
    return RedisRateBudget(redis, keys, org, 0.5)


def _budget(redis: Redis, org: str, share: float = 0.5) -> RedisRateBudget:
    return RedisRateBudget(redis, Keys(f"attrsync-test-{uuid.uuid4().hex[:8]}:"), org, share)


async def test_a_share_of_what_okta_tells_with_a_reserve_for_people(redis: Redis) -> None:
    budget = _budget(redis, "https://acme.okta.com")
    # The end of a window: the background's pacing has let its whole share through.
    await budget.observe("apps", limit=20, remaining=20, reset=time.time() + 2)
    for _ in range(8):  # half of 20, less a fifth of that kept for people
        assert await budget.try_take("apps", background=True) == 0
    assert await budget.try_take("apps", background=True) > 0
    for _ in range(2):
        assert await budget.try_take("apps", background=False) == 0
    wait = await budget.try_take("apps", background=False)
    assert 0 < wait <= 2  # until Okta's reset
    assert await budget.try_take("users", background=True) == 0  # another bucket


async def test_background_work_is_spread_over_the_window(redis: Redis) -> None:
    budget = _budget(redis, "https://acme.okta.com")
    await budget.observe("apps", limit=100, remaining=100, reset=time.time() + 60)
    assert await budget.try_take("apps", background=True) == 0
    wait = await budget.try_take("apps", background=True)
    assert 1 < wait <= 60 / 40  # its share is 40 a minute: one every 1.5 s
    for _ in range(10):  # a person asking meanwhile is not held up
        assert await budget.try_take("apps", background=False) == 0


async def test_other_clients_use_of_the_bucket_counts_too(redis: Redis) -> None:
    budget = _budget(redis, "https://acme.okta.com")
    await budget.observe("logs", limit=100, remaining=1, reset=time.time() + 30)
    assert await budget.try_take("logs", background=False) == 0
    assert await budget.try_take("logs", background=False) > 0


async def test_a_new_window_starts_afresh(redis: Redis) -> None:
    budget = _budget(redis, "https://acme.okta.com")
    await budget.observe("apps", limit=2, remaining=0, reset=time.time() + 30)
    assert await budget.try_take("apps", background=False) > 0
    await budget.observe("apps", limit=2, remaining=2, reset=time.time() + 90)
    assert await budget.try_take("apps", background=False) == 0


async def test_without_redis_requests_go_out_unpaced(caplog: pytest.LogCaptureFixture) -> None:
    dead = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    budget = _budget(dead, "https://acme.okta.com")
    assert await budget.try_take("apps", background=False) == 0
    assert await budget.try_take("apps", background=True) == 0
    await budget.observe("apps", limit=2, remaining=0, reset=time.time() + 30)
    warned = [r for r in caplog.records if "unpaced" in r.getMessage()]
    assert len(warned) == 1  # said once, not per request
    await dead.aclose()


async def test_two_processes_scan_and_diagnose_without_a_single_429(
    fake_okta: FakeOkta, redis: Redis
) -> None:
    """A scan in one process and people's questions in another, against an org whose apps
    bucket allows 20 requests per 2-second window and refuses the 21st."""
    fake_okta.limits = RateLimits(limits={"apps": 20}, window=2.0, enforce=True)
    settings = OktaSettings(org_url=fake_okta.url, token=TOKEN, timeout=5.0, max_wait=0.0)
    keys = Keys(f"attrsync-test-{uuid.uuid4().hex[:8]}:")
    now = datetime.now(UTC)
    async with (
        OktaClient.open(settings, budget=RedisRateBudget(redis, keys, fake_okta.url, 0.5)) as a,
        OktaClient.open(settings, budget=RedisRateBudget(redis, keys, fake_okta.url, 0.5)) as b,
    ):

        async def scanning() -> int:
            with background():
                result = await scan_app(await AppScan.open(a, "salesforce", now=now, page_size=30))
            return result.tally.listed

        async def asking() -> list[str | None]:
            answers = []
            for user in ("jdoe", "dstale", "asmith"):
                report = await diagnose(Facts(b, user, "box", now=now))
                answers.append(report.verdict.check)
            return answers

        listed, answers = await asyncio.gather(scanning(), asking())
    assert fake_okta.limits.refused == 0
    assert not any(r.status == 429 for r in fake_okta.requests)
    assert listed == 240
    assert answers == ["external_id", "sync_state", None]
    per_window = Counter(
        int(r.started // 2) for r in fake_okta.requests if bucket_of(r.path) == "apps"
    )
    assert max(per_window.values()) <= 20


async def test_an_okta_request_waits_on_one_redis_round_trip_and_every_answer_is_told(
    fake_okta: FakeOkta, redis: Redis, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer's X-Rate-Limit-* headers ride with the next request's take; the last ones
    are sent when the client closes, or once the process has been quiet for TELL_WITHIN."""
    fake_okta.limits = RateLimits(limits={"apps": 600}, window=60.0)
    keys = Keys(f"attrsync-test-{uuid.uuid4().hex[:8]}:")
    sent: list[str] = []
    execute: Any = redis.execute_command

    async def counted(*args: object, **options: object) -> object:
        sent.append(str(args[0]))
        return await execute(*args, **options)

    async def told() -> dict[Any, Any]:
        [key] = [k async for k in redis.scan_iter(match=f"{keys.prefix}*")]
        return dict(await redis.hgetall(key))

    monkeypatch.setattr(redis, "execute_command", counted)
    monkeypatch.setattr(budget_module, "TELL_WITHIN", 3600.0)
    settings = OktaSettings(org_url=fake_okta.url, token=TOKEN, timeout=5.0)
    async with OktaClient.open(
        settings, budget=RedisRateBudget(redis, keys, fake_okta.url, 0.5)
    ) as okta:
        for _ in range(5):
            await okta.get("/api/v1/apps", {"q": "box"})
        assert len(sent) == 5, sent
    assert len(sent) == 6, "the last answer is told when the client closes"
    assert (await told())[b"told"] == b"1" and (await told())[b"limit"] == b"600"

    monkeypatch.setattr(budget_module, "TELL_WITHIN", 0.01)
    await redis.delete(*[k async for k in redis.scan_iter(match=f"{keys.prefix}*")])
    async with OktaClient.open(
        settings, budget=RedisRateBudget(redis, keys, fake_okta.url, 0.5)
    ) as okta:
        await okta.get("/api/v1/apps", {"q": "box"})
        for _ in range(200):
            if (await told()).get(b"told") == b"1":
                break
            await asyncio.sleep(0.01)
        assert (await told()).get(b"told") == b"1", "a quiet process tells what it heard"


async def test_before_okta_has_told_the_ceiling_background_work_is_held_not_paced(
    redis: Redis,
) -> None:
    """Until the window's first answer is told, the share is the default's guess: requests of
    the first round trip go out together (the answers tell the real ceiling a moment later),
    but never beyond the guessed share."""
    budget = _budget(redis, "https://acme.okta.com")
    waits = [await budget.try_take("apps", background=True) for _ in range(45)]
    assert waits[:40] == [0.0] * 40  # 100 x 0.5, less the reserve of 10
    assert all(wait > 0 for wait in waits[40:])


async def test_without_redis_requests_go_out_unpaced_and_nothing_raises(
    fake_okta: FakeOkta, caplog: pytest.LogCaptureFixture
) -> None:
    """Redis away (restarting, say): a person's question still goes out, the answers' headers
    are dropped rather than kept, and closing the client does not fail on them."""
    gone = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    budget = RedisRateBudget(gone, Keys("attrsync-test-gone:"), fake_okta.url, 0.5)
    settings = OktaSettings(org_url=fake_okta.url, token=TOKEN, timeout=5.0)
    async with OktaClient.open(settings, budget=budget) as okta:
        for _ in range(3):
            assert await okta.get("/api/v1/apps", {"q": "box"})
    assert await budget.try_take("apps", background=True) == 0.0
    said = [r.getMessage() for r in caplog.records if "redis unreachable" in r.getMessage()]
    assert len(said) == 1  # said once, not per request
    await gone.aclose()
