"""`attrsync serve`: Slack's Events API over HTTP (`POST /slack/events`) and `GET /healthz`."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from redis.exceptions import RedisError
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.async_app import AsyncApp

from bot.services import Services

log = logging.getLogger(__name__)


def web_app(bolt: AsyncApp, services: Services) -> web.Application:
    async def slack_events(request: web.Request) -> web.Response:
        # Bolt checks the signature and the timestamp (5 minutes) before anything runs.
        return await to_aiohttp_response(await bolt.async_dispatch(await to_bolt_request(request)))

    async def healthz(request: web.Request) -> web.Response:
        redis = "ok"
        try:
            async with asyncio.timeout(2):
                await services.store.redis.ping()
        except (RedisError, OSError, TimeoutError):
            redis = "down"
        body = {"redis": redis, "okta": services.okta.health}
        return web.json_response(body, status=200 if redis == "ok" else 503)

    app = web.Application()
    app.router.add_post("/slack/events", slack_events)
    app.router.add_get("/healthz", healthz)
    return app
