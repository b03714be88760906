"""The Okta client of a terminal command: the demo org's, or the configured org's."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager

from bot.config import Settings
from checks.okta import OktaClient, OktaSettings


@asynccontextmanager
async def okta_for(demo: bool, settings: Settings) -> AsyncIterator[OktaSettings]:
    if not demo:
        yield settings.require_okta()
        return
    from bot.demo.walkthrough import demo_okta

    async with demo_okta() as demo_settings:
        yield demo_settings


@asynccontextmanager
async def okta_client(
    demo: bool, settings: Settings, env: Mapping[str, str]
) -> AsyncIterator[OktaClient]:
    """The Okta client of a terminal command. With REDIS_URL set it draws from the rate budget
    the bot's processes share, so a scan from a terminal does not starve them."""
    async with okta_for(demo, settings) as okta_settings:
        if demo or "REDIS_URL" not in env:
            async with OktaClient.open(okta_settings) as okta:
                yield okta
            return
        from redis.asyncio import Redis

        from bot.store.budget import RedisRateBudget
        from bot.store.keys import Keys

        redis = Redis.from_url(settings.redis_url, socket_connect_timeout=1, socket_timeout=2)
        keys = Keys(settings.redis_prefix)
        budget = RedisRateBudget(redis, keys, okta_settings.org_url, settings.okta_share)
        try:
            async with OktaClient.open(okta_settings, budget=budget) as okta:
                yield okta
        finally:
            await redis.aclose()
