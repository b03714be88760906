"""The clients the bot opens once at start-up, injected into listeners, closed on shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import aiohttp
from redis import DriverInfo
from redis import __version__ as REDIS_PY_VERSION
from redis.asyncio import BlockingConnectionPool, Redis
from slack_sdk.web.async_client import AsyncWebClient

from bot.audit import Audit
from bot.config import Settings, SlackSettings
from bot.metrics import Metrics
from bot.store.approvals import Approvals
from bot.store.budget import RedisRateBudget
from bot.store.diagnoses import Store
from bot.store.keys import Keys
from checks.okta import OktaClient, OktaSettings

REDIS_CONNECTIONS = 64
SLACK_TIMEOUT = 10.0
"""Seconds for any one Slack Web API call. slack_sdk applies its own `timeout` only to sessions
it makes itself, so the shared session carries it."""


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    okta: OktaClient
    store: Store
    slack: AsyncWebClient
    approvals: Approvals
    audit: Audit
    clock: Callable[[], datetime]
    budget: RedisRateBudget
    metrics: Metrics = field(default_factory=Metrics)


def slack_client(slack: SlackSettings, session: aiohttp.ClientSession) -> AsyncWebClient:
    return AsyncWebClient(
        token=slack.bot_token, base_url=slack.api_url, timeout=int(SLACK_TIMEOUT), session=session
    )


@asynccontextmanager
async def open_services(
    settings: Settings, okta: OktaSettings, *, clock: Callable[[], datetime] | None = None
) -> AsyncIterator[Services]:
    """Open Okta, Redis and Slack clients for the life of the bot (`clock`: tests' own)."""
    slack = settings.require_slack()
    async with AsyncExitStack() as stack:
        # A burst of questions needs more connections than redis-py's default pool allows, and
        # that pool fails rather than waits: this one waits (up to 5 s) for a free connection.
        pool = BlockingConnectionPool.from_url(
            settings.redis_url,
            # Named once: without it, redis-py reads its own version from the installed
            # package's metadata for every new connection (2 ms each, a burst's first
            # commands open dozens).
            driver_info=DriverInfo(lib_version=REDIS_PY_VERSION),
            max_connections=REDIS_CONNECTIONS,
            timeout=5,
            socket_timeout=5,
            socket_connect_timeout=2,
        )
        redis = Redis(connection_pool=pool)
        stack.push_async_callback(redis.aclose)
        stack.push_async_callback(pool.disconnect)
        budget = RedisRateBudget(
            redis, Keys(settings.redis_prefix), okta.org_url, settings.okta_share
        )
        okta_client = await stack.enter_async_context(OktaClient.open(okta, budget=budget))
        session = await stack.enter_async_context(
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SLACK_TIMEOUT))
        )
        web = slack_client(slack, session)
        clock = clock or _utc_now
        store = Store(
            redis,
            fact_ttl=settings.fact_cache_ttl,
            offer_ttl=settings.approval_ttl,
            prefix=settings.redis_prefix,
        )
        yield Services(
            settings=settings,
            okta=okta_client,
            store=store,
            slack=web,
            approvals=Approvals(
                redis, ttl=settings.approval_ttl, prefix=settings.redis_prefix, clock=clock
            ),
            audit=Audit(redis, web, settings.audit_channel, settings.redis_prefix, clock),
            clock=clock,
            budget=budget,
        )


def _utc_now() -> datetime:
    """The one clock: every process's idea of now (tests inject their own)."""
    return datetime.now(UTC)
