"""Serve a fake on a free local port for the life of a block, with aiohttp's own test server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web
from aiohttp.test_utils import TestServer


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Yields the base URL. A client that gives up on a delayed answer ends its handler
    (aiohttp's test server cancels handlers), and closing waits at most a second."""
    server = TestServer(app, access_log=None, shutdown_timeout=1.0)
    await server.start_server()
    try:
        yield str(server.make_url("")).rstrip("/")
    finally:
        await server.close()
