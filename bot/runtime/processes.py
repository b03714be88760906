"""`attrsync serve` (HTTP), `socket` (Socket Mode) and `worker`: run until stopped."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from datetime import timedelta

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.async_app import AsyncApp

from bot import logs
from bot.config import Settings
from bot.runtime.listening import serving
from bot.runtime.routes import web_app
from bot.runtime.worker import Worker
from bot.services import Services, open_services
from bot.slack.app import build_app
from bot.watch.poller import Poller
from checks.okta import OktaSettings

log = logging.getLogger(__name__)


def secrets_of(settings: Settings, okta: OktaSettings) -> list[str]:
    slack = settings.slack
    values = [okta.token, okta.private_key, settings.event_hook_secret]
    if slack is not None:
        values += [slack.bot_token, slack.signing_secret, slack.app_token]
    return [v for v in values if v]


async def run_bot(
    settings: Settings,
    okta: OktaSettings,
    *,
    mode: str,
    worker: bool,
    replay: timedelta = timedelta(),
) -> int:
    """Run `mode` ("http", "socket", "worker" or "watch") until SIGINT/SIGTERM; `worker` adds
    one."""
    settings.require_slack(socket_mode=mode == "socket")
    logs.configure(secrets=secrets_of(settings, okta))
    stop = asyncio.Event()
    async with open_services(settings, okta) as services, asyncio.TaskGroup() as tasks:
        if worker or mode == "worker":
            tasks.create_task(Worker(services).run(stop))
        if mode == "worker":
            await _until_stopped(stop)
        elif mode == "watch":
            tasks.create_task(Poller(services, replay=replay).run(stop))
            await _until_stopped(stop)
        elif mode == "socket":
            async with socket_connection(build_app(services), services):
                log.info("connected to Slack in Socket Mode")
                await _until_stopped(stop)
        else:
            async with http_server(build_app(services), services, "0.0.0.0", settings.port):
                log.info("listening on port %d (POST /slack/events, GET /healthz)", settings.port)
                await _until_stopped(stop)
    return 0


def http_server(
    bolt: AsyncApp, services: Services, host: str, port: int
) -> AbstractAsyncContextManager[str]:
    """Serve the bot over HTTP while open; yields its base URL (port 0 picks a free port)."""
    return serving(web_app(bolt, services), host, port)


@asynccontextmanager
async def socket_connection(bolt: AsyncApp, services: Services) -> AsyncIterator[None]:
    """Take Slack's requests over a Socket Mode connection while open."""
    slack = services.settings.require_slack(socket_mode=True)
    handler = AsyncSocketModeHandler(bolt, slack.app_token, web_client=services.slack)
    await handler.connect_async()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        await handler.close_async()  # type: ignore[no-untyped-call]


async def _until_stopped(stopped: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopped.set)
    try:
        await stopped.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    log.info("stopping")
