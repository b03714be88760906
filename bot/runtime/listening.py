"""Serve an aiohttp application on a TCP port for the life of a block (bot, fakes, demo)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web


@asynccontextmanager
async def serving(
    app: web.Application, host: str = "127.0.0.1", port: int = 0, **runner: Any
) -> AsyncIterator[str]:
    """Serve `app` while open; yields its base URL (port 0 picks a free port)."""
    app_runner = web.AppRunner(app, access_log=None, **runner)
    await app_runner.setup()
    try:
        await web.TCPSite(app_runner, host, port).start()
        bound_host, bound_port = app_runner.addresses[0][:2]
        yield f"http://{bound_host}:{bound_port}"
    finally:
        await app_runner.cleanup()
