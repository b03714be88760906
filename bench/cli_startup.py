"""Start-up cost of `attrsync`: fresh processes against the demo org, median of N runs each.

- `attrsync --help`: wall time.
- `attrsync why jdoe box --demo`: wall time vs the Okta traffic of its diagnosis (first request
  sent to last answer, as the demo fake inside that process recorded them).
- `attrsync why jdoe box` against the demo org served by this process with latency L on every
  answer, with an API token and with an OAuth service app (private-key JWT, the token request
  counted as traffic): wall time vs the traffic this process's fake recorded.
- `attrsync serve --demo` with dummy Slack settings: process start to `/healthz` answering 200.

Wall minus traffic is what the process spends on itself (interpreter, imports, rendering).
Targets (issue "a CLI that starts in under a second"): `--help` <= 0.3 s; `why` <= traffic +
1.0 s with a token and <= traffic + 2.0 s with OAuth. One unmeasured run of each command first
writes its bytecode caches. Needs Redis at REDIS_URL for the bot (its keys are removed after).

    .venv/bin/python -m bench.cli_startup [--runs 5] [--latency 0.05]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from redis.asyncio import Redis

from bot.config import DEFAULT_REDIS_URL
from bot.demo.org import build_demo_org
from fakes.okta.oauth import key_pair
from fakes.okta.server import FakeOkta, serve

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
CLIENT_ID = "0oabench"

# `python -m bot ARGS` that prints, at exit, how long the Okta traffic of the demo fake it
# started took: the fake is wrapped before `--demo` imports it.
DEMO_RUNNER = """
import atexit, contextlib, runpy, sys
import fakes.okta.server as server
fakes, real_serve = [], server.serve
@contextlib.asynccontextmanager
async def recording(*args, **kwargs):
    async with real_serve(*args, **kwargs) as fake:
        fakes.append(fake)
        yield fake
server.serve = recording
def traffic():
    sent = [r for fake in fakes for r in fake.requests]
    span = max(r.ended or r.started for r in sent) - min(r.started for r in sent)
    print(f"TRAFFIC {span}", file=sys.stderr)
atexit.register(traffic)
sys.argv = ["attrsync", *sys.argv[1:]]
runpy.run_module("bot", run_name="__main__", alter_sys=True)
"""


@dataclass(frozen=True, slots=True)
class Sample:
    wall: float
    traffic: float | None = None


@dataclass(frozen=True, slots=True)
class Case:
    name: str
    samples: list[Sample]
    target: str
    budget: float | None
    """Seconds allowed: over the traffic when the case has traffic, else in all."""

    def median(self, pick: Callable[[Sample], float | None]) -> float | None:
        values = [v for v in map(pick, self.samples) if v is not None]
        return statistics.median(values) if values else None

    @property
    def met(self) -> bool | None:
        own = self.median(_own_time)
        return None if self.budget is None or own is None else own <= self.budget


def _own_time(sample: Sample) -> float:
    return sample.wall - (sample.traffic or 0.0)


def _attrsync() -> list[str]:
    script = Path(sys.executable).parent / "attrsync"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot"]


def _environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment without any Okta, Slack or attrsync settings of the user's."""
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("OKTA_", "SLACK_", "ATTRSYNC_"))
    }
    return base | {"PYTHONPATH": str(ROOT), "NO_COLOR": "1"} | (extra or {})


async def _run(argv: Sequence[str], env: dict[str, str], cwd: str) -> tuple[float, str]:
    """(wall seconds, stderr) of one process, which must exit 0 (fine) or 1 (problem found)."""
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        *argv,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await process.communicate()
    wall = time.monotonic() - started
    if process.returncode not in (0, 1):
        raise RuntimeError(f"{' '.join(argv)} exited {process.returncode}: {err.decode()}")
    return wall, err.decode()


async def _repeat(runs: int, once: Callable[[], Awaitable[Sample]]) -> list[Sample]:
    await once()  # writes bytecode caches; not measured
    return [await once() for _ in range(runs)]


async def _help(runs: int, cwd: str) -> Case:
    async def once() -> Sample:
        wall, _ = await _run([*_attrsync(), "--help"], _environment(), cwd)
        return Sample(wall)

    return Case("`attrsync --help`", await _repeat(runs, once), "wall <= 0.3 s", 0.3)


async def _demo(runs: int, cwd: str) -> Case:
    async def once() -> Sample:
        argv = [sys.executable, "-c", DEMO_RUNNER, "why", "jdoe", "box", "--demo"]
        wall, err = await _run(argv, _environment(), cwd)
        traffic = next(line for line in err.splitlines() if line.startswith("TRAFFIC "))
        return Sample(wall, float(traffic.split()[1]))

    name = "`attrsync why jdoe box --demo` (L = 0)"
    return Case(name, await _repeat(runs, once), "wall <= traffic + 1.0 s", 1.0)


async def _against(fake: FakeOkta, env: dict[str, str], cwd: str) -> Sample:
    fake.requests.clear()
    wall, _ = await _run([*_attrsync(), "why", "jdoe", "box"], _environment(env), cwd)
    sent = fake.requests
    traffic = max(r.ended or r.started for r in sent) - min(r.started for r in sent)
    return Sample(wall, traffic)


async def _with_latency(runs: int, latency: float, cwd: str) -> list[Case]:
    private_pem, public_pem = key_pair()
    state = build_demo_org(datetime.now(UTC))
    oauth_client = (CLIENT_ID, public_pem)
    async with serve(state, token=TOKEN, latency=latency, oauth_client=oauth_client) as fake:
        token = {"OKTA_ORG_URL": fake.url, "OKTA_API_TOKEN": TOKEN}
        oauth = {
            "OKTA_ORG_URL": fake.url,
            "OKTA_CLIENT_ID": CLIENT_ID,
            "OKTA_PRIVATE_KEY": private_pem,
        }
        by_token = await _repeat(runs, lambda: _against(fake, token, cwd))
        by_oauth = await _repeat(runs, lambda: _against(fake, oauth, cwd))
        assert not fake.errors, fake.errors
    where = f"L = {latency * 1000:.0f} ms"
    return [
        Case(f"`attrsync why jdoe box`, API token, {where}", by_token, "<= traffic + 1.0 s", 1.0),
        Case(f"`attrsync why jdoe box`, OAuth, {where}", by_oauth, "<= traffic + 2.0 s", 2.0),
    ]


async def _bot(runs: int, cwd: str) -> Case:
    redis_url = os.environ.get("REDIS_URL", DEFAULT_REDIS_URL)
    prefix = f"attrsync-bench-{uuid.uuid4().hex[:8]}:"
    try:
        async with aiohttp.ClientSession() as http:
            samples = await _repeat(runs, lambda: _bot_once(http, redis_url, prefix, cwd))
    finally:
        await _forget(redis_url, prefix)
    return Case("`attrsync serve --demo` to /healthz 200", samples, "reported", None)


async def _bot_once(http: aiohttp.ClientSession, redis_url: str, prefix: str, cwd: str) -> Sample:
    port = _free_port()
    env = {
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": "bench-signing-secret",
        "SLACK_API_URL": f"http://127.0.0.1:{_free_port()}/",  # nothing there: never Slack
        "PORT": str(port),
        "REDIS_URL": redis_url,
        "ATTRSYNC_REDIS_PREFIX": prefix,
    }
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        *_attrsync(),
        "serve",
        "--demo",
        env=_environment(env),
        cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        await _until_healthy(http, f"http://127.0.0.1:{port}/healthz", process)
        return Sample(time.monotonic() - started)
    finally:
        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), 15)


async def _until_healthy(
    http: aiohttp.ClientSession, url: str, process: asyncio.subprocess.Process
) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.returncode is not None:
            raise RuntimeError(f"attrsync serve exited {process.returncode} before answering")
        try:
            async with http.get(url) as answer:
                if answer.status == 200:
                    return
        except aiohttp.ClientError:
            pass  # not listening yet
        await asyncio.sleep(0.005)  # the poll interval bounds the error of the measurement
    raise RuntimeError("attrsync serve did not answer /healthz within 30 s")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def _forget(redis_url: str, prefix: str) -> None:
    redis = Redis.from_url(redis_url)
    try:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f} s"


def _row(case: Case) -> str:
    wall, traffic = case.median(lambda s: s.wall), case.median(lambda s: s.traffic)
    own = case.median(_own_time) if traffic is not None else None
    ratio = f"{wall / traffic:.1f}x" if wall is not None and traffic else "-"
    met = {None: "-", True: "yes", False: "**no**"}[case.met]
    cells = (case.name, _seconds(wall), _seconds(traffic), _seconds(own), ratio, case.target, met)
    return "| " + " | ".join(cells) + " |"


async def main(runs: int, latency: float) -> None:
    with tempfile.TemporaryDirectory() as cwd:  # no .env of the checkout's
        cases = [await _help(runs, cwd), await _demo(runs, cwd)]
        cases += await _with_latency(runs, latency, cwd)
        cases.append(await _bot(runs, cwd))
    print(f"median of {runs} fresh processes per case\n")
    print("| case | wall | Okta traffic | wall - traffic | wall / traffic | target | met |")
    print("|---|---:|---:|---:|---:|---|---|")
    for case in cases:
        print(_row(case))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per answer")
    options = parser.parse_args()
    asyncio.run(main(options.runs, options.latency))
