"""Fixtures of the crash tests: a private Redis each, and a fake Slack with the approvers'
user group."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from fakes.slack.server import FakeSlack, serve_slack
from tests.harness.bot import GROUP_MEMBER, HELPDESK_GROUP
from tests.harness.crash import PrivateRedis


@pytest.fixture
async def private_redis(tmp_path: Path) -> AsyncIterator[PrivateRedis]:
    server = PrivateRedis(tmp_path)
    yield server
    await server.kill()


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    """The fake Slack without the checks at the end of every other test: a worker killed in
    the middle of a call leaves requests behind that Slack never saw finished."""
    async with serve_slack() as fake:
        fake.usergroups[HELPDESK_GROUP] = [GROUP_MEMBER]
        yield fake
