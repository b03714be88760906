"""Shared fixtures: tests never read the real environment."""

from __future__ import annotations

import gc
import logging
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError

from bot.config import DEFAULT_REDIS_URL
from bot.demo.org import build_demo_org
from checks.okta import OktaClient, OktaSettings
from fakes.okta.server import FakeOkta, serve
from fakes.okta.state import OrgState
from fakes.slack.server import FakeSlack, serve_slack
from tests.harness.bot import GROUP_MEMBER, HELPDESK_GROUP, Bot, bot_settings, running_bot

TOKEN = "test-token-do-not-print"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("OKTA_", "SLACK_", "ATTRSYNC_")):
            monkeypatch.delenv(name)


def pytest_collection_finish(session: pytest.Session) -> None:
    # What collection built lives all session: the collection after every test need not walk
    # it (a whole collection costs some 50 ms, a young heap's well under one).
    gc.freeze()


class _AsyncioErrors(logging.Handler):
    """asyncio's ERROR records: a task's exception never retrieved, a task destroyed while
    pending, a callback that raised, a session left open. Debug mode's slow callbacks are
    WARNINGs, and no fault of the test."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def _no_lost_tasks() -> Iterator[None]:
    """Fail the test that lost a task. Set up before pytest-asyncio's loop, so torn down
    after it has closed: what its closing cancelled has been logged by then."""
    errors = _AsyncioErrors()
    asyncio_log = logging.getLogger("asyncio")
    asyncio_log.addHandler(errors)
    try:
        yield
        # A lost task and an unclosed transport speak when collected: here, not in a later test.
        gc.collect()
    finally:
        asyncio_log.removeHandler(errors)
    if errors.records:
        said = "\n".join(errors.format(record) for record in errors.records)
        pytest.fail(f"asyncio logged errors:\n{said}", pytrace=False)


@pytest.fixture
def demo_state() -> OrgState:
    return build_demo_org(datetime.now(UTC))


@pytest.fixture
async def fake_okta(demo_state: OrgState) -> AsyncIterator[FakeOkta]:
    async with serve(demo_state, token=TOKEN) as fake:
        yield fake
    assert not fake.errors, fake.errors


@pytest.fixture
async def okta(fake_okta: FakeOkta) -> AsyncIterator[OktaClient]:
    settings = OktaSettings(org_url=fake_okta.url, token=TOKEN, timeout=2.0, max_wait=5.0)
    async with OktaClient.open(settings) as client:
        yield client


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    """The real Redis at REDIS_URL (scripts/test starts one when none answers)."""
    client = Redis.from_url(os.environ.get("REDIS_URL", DEFAULT_REDIS_URL))
    try:
        await client.ping()
    except RedisError as exc:
        pytest.fail(f"No Redis at REDIS_URL ({exc}); run scripts/redis-up.")
    yield client
    await client.aclose()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    """The fake Slack, with an approver user group; whatever the bot sent must be valid."""
    async with serve_slack() as fake:
        fake.usergroups[HELPDESK_GROUP] = [GROUP_MEMBER]
        yield fake
        assert not fake.block_errors, fake.block_errors
        assert not fake.missing_fallback, fake.missing_fallback
        assert not fake.errors, fake.errors


@pytest.fixture
async def bot(fake_okta: FakeOkta, slack: FakeSlack) -> AsyncIterator[Bot]:
    """The bot over HTTP against the fake Okta, the fake Slack and the real Redis."""
    async with running_bot(bot_settings(fake_okta.url, slack), slack) as running:
        yield running


@pytest.fixture
async def prefix(redis: Redis) -> AsyncIterator[str]:
    """A Redis key prefix of the test's own, for the tests that use the store directly."""
    mine = f"attrsync-test-{uuid.uuid4().hex[:8]}:"
    yield mine
    await forget_keys(redis, mine)


async def forget_keys(redis: Redis, prefix: str) -> None:
    keys = [key async for key in redis.scan_iter(match=f"{prefix}*", count=500)]
    if keys:
        await redis.delete(*keys)
