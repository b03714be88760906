"""Crash tests' harness: a private Redis (append-only, fsync always) that can be SIGKILLed and
restarted, real `attrsync worker` processes, and the crash made while a request is held."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

from fakes.okta.server import FakeOkta
from fakes.slack.server import FakeSlack
from tests.conftest import TOKEN
from tests.harness.bot import APPROVER, Bot

LEASE, OKTA_TIMEOUT = "2", "1.5"
"""ATTRSYNC_FIX_LEASE for the worker processes (a dead worker's run is taken over after this
long), and ATTRSYNC_OKTA_TIMEOUT, which must be shorter."""
PATIENCE = 40.0


class PrivateRedis:
    """A redis-server of this test's own, append-only with fsync on every write, so that a
    SIGKILL loses nothing acknowledged (as a production Redis for attrsync should be set up)."""

    def __init__(self, directory: Path) -> None:
        self._dir = directory
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._process = await asyncio.create_subprocess_exec(
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(self._dir),
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "",
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        client = Redis.from_url(self.url)
        try:
            for _ in range(200):
                with contextlib.suppress(RedisError):
                    if await client.ping():
                        return
                await asyncio.sleep(0.02)
        finally:
            await client.aclose()
        raise AssertionError("the private redis-server did not start")

    async def kill(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGKILL)
            await self._process.wait()
            self._process = None


class WorkerProcess:
    """`attrsync worker` as a real process with the bot's settings."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self._env = env
        self._log = log
        self._process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        with self._log.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "worker",
                env=self._env,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=log,
            )

    async def kill(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.send_signal(signal.SIGKILL)
            await self._process.wait()

    async def stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self._process.wait(), 10)
            except TimeoutError:
                await self.kill()


class Held(Protocol):
    """A request held in flight: the fake Okta's `Fault.hold_request`, the fake Slack's `Hold`."""

    def release(self, *, drop: bool = False) -> None: ...


async def crash_while_held(
    crash: str, held: Held, first: WorkerProcess, second: WorkerProcess, redis: PrivateRedis
) -> None:
    """With `held` holding a request of `first`'s: SIGKILL the worker (the request is dropped
    unanswered, and `second` starts to take over), or SIGKILL Redis and restart it under the
    same worker (the request then goes on)."""
    if crash == "kill_worker":
        await first.kill()
        held.release(drop=True)
        await second.start()
    else:
        await redis.kill()
        await asyncio.sleep(0.3)  # the worker meets the outage
        await redis.start()
        held.release()


def worker_env(bot: Bot, fake_okta: FakeOkta, slack: FakeSlack, redis_url: str) -> dict[str, str]:
    settings = bot.services.settings
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "PYTHONPATH")}
    return keep | {
        "OKTA_ORG_URL": fake_okta.url,
        "OKTA_API_TOKEN": TOKEN,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": "test-signing-secret-0123456789",
        "SLACK_API_URL": slack.api_url,
        "REDIS_URL": redis_url,
        "ATTRSYNC_REDIS_PREFIX": settings.redis_prefix,
        "ATTRSYNC_APPROVERS": APPROVER,
        "ATTRSYNC_FIX_LEASE": LEASE,
        "ATTRSYNC_OKTA_TIMEOUT": OKTA_TIMEOUT,
    }


async def until(condition: Callable[[], bool], what: str) -> None:
    for _ in range(int(PATIENCE * 100)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"timed out waiting for {what}")


def tail(log: Path) -> str:
    return log.read_text()[-4000:] if log.exists() else "(empty)"
