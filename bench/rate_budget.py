"""The shared Okta rate budget under load: a background scan in one process while people's
questions are answered in another, against an org that refuses what exceeds its apps bucket.

The fake Okta (the demo org plus "SuccessFactors", an app of 2,000 assigned users) runs in this
process, with latency L (50 ms) on every answer and an enforced apps bucket: Okta's 100 requests
a minute scaled to a 10-second window, 17 per 10 s (429 E0000047 beyond). Two other processes
draw from one RedisRateBudget (ATTRSYNC_OKTA_SHARE 0.5, a fresh key prefix per phase):

- A scans SuccessFactors inside `background()` (AppScan.open and scan_app), with pages of 50
  users instead of Okta's 500 so that its 42 apps-bucket requests outlast several windows (as a
  20,000-user app would at 500 a page);
- B diagnoses demo users in Box (jdoe, asmith, bwayne, cnew, dstale) one after another, one
  every 6 s, with the bot's fact cache in Redis (TTL 60 s) and one unmeasured diagnosis first
  to fill it: the pace of people asking, within the reserve the budget keeps for them.

Phase 1 runs B alone; phase 2 runs B while A scans (B's diagnoses outside the scan are not
counted). Reported: the 429s the fake sent (target 0); apps-bucket requests per fake window
(target <= share x limit); B's diagnosis latency, median and max, with the scan vs without
(target: at most one round trip L more), and the time B's requests waited in the budget.

    .venv/bin/python -m bench.rate_budget [--window 10] [--limit 17] [--latency 0.05]
        [--page-size 50] [--every 6] [--asks 10] [--fact-ttl 60]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import contextvars
import json
import os
import statistics
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from redis.asyncio import Redis

from bench.scan import add_crowd
from bot.config import DEFAULT_REDIS_URL
from bot.demo.org import build_demo_org
from bot.store.budget import RedisRateBudget
from bot.store.diagnoses import RedisFactCache
from bot.store.keys import Keys
from checks.diagnose import diagnose
from checks.facts import Facts
from checks.okta import OktaClient, OktaSettings
from checks.rate_budget import background, bucket_of
from checks.scan import AppScan, scan_app
from fakes.okta.rate_limits import RateLimits
from fakes.okta.server import FakeOkta, Handler, RecordedRequest
from fakes.serving import serving

TOKEN = "bench-token"
SHARE = 0.5
SCAN_APP = "successfactors"
SCAN_USERS = 2000
ASKED = ("jdoe", "asmith", "bwayne", "cnew", "dstale")
ASKED_APP = "box"


_COUNTING: contextvars.ContextVar[RecordedRequest | None] = contextvars.ContextVar(
    "bench_counting", default=None
)


class RecordingFake(FakeOkta):
    """The fake Okta, telling its rate limits which request they count."""

    async def _respond(
        self, request: web.Request, handler: Handler, recorded: RecordedRequest
    ) -> web.StreamResponse:
        _COUNTING.set(recorded)  # each request is answered in a task of its own
        return await super()._respond(request, handler, recorded)


@dataclass
class RecordingLimits(RateLimits):
    """The fake's rate limits, remembering when (epoch seconds) they counted which request."""

    counted: list[tuple[float, RecordedRequest | None]] = field(default_factory=list)

    def count(self, path: str) -> tuple[int, int, int, bool]:
        counted = super().count(path)
        self.counted.append((time.time(), _COUNTING.get()))
        return counted


class TimedBudget(RedisRateBudget):
    """The bot's budget, adding up the time requests waited in it."""

    waited = 0.0
    apps = 0
    """Apps-bucket requests let through."""

    async def take(self, bucket: str, *, background: bool) -> None:
        started = time.monotonic()
        self.apps += bucket == "apps"
        try:
            await super().take(bucket, background=background)
        finally:
            self.waited += time.monotonic() - started


def _redis() -> Redis:
    return Redis.from_url(os.environ.get("REDIS_URL", DEFAULT_REDIS_URL))


# -- process A: the scan -----------------------------------------------------------------------


async def _scanner(url: str, prefix: str, page_size: int) -> None:
    redis = _redis()
    budget = TimedBudget(redis, Keys(prefix), url, SHARE)
    settings = OktaSettings(org_url=url, token=TOKEN)
    async with OktaClient.open(settings, budget=budget) as okta:
        print("scanning", flush=True)
        started = time.time()
        with background():
            scan = await AppScan.open(okta, SCAN_APP, now=datetime.now(UTC), page_size=page_size)
            result = await scan_app(scan)
        ended = time.time()
    await redis.aclose()
    done = {
        "started": started,
        "ended": ended,
        "listed": result.tally.listed,
        "pages": result.tally.pages,
        "unread": result.unread,
        "budget_wait": budget.waited,
    }
    print(json.dumps(done), flush=True)


# -- process B: people asking ------------------------------------------------------------------


async def _asker(url: str, prefix: str, every: float, asks: int, fact_ttl: float) -> None:
    go, stop = asyncio.Event(), asyncio.Event()

    async def listen() -> None:
        loop = asyncio.get_running_loop()
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            {"go": go, "stop": stop}[line.strip()].set()
        stop.set()

    listening = asyncio.ensure_future(listen())
    redis = _redis()
    budget = TimedBudget(redis, Keys(prefix), url, SHARE)
    cache = RedisFactCache(redis, fact_ttl, prefix)
    settings = OktaSettings(org_url=url, token=TOKEN)
    samples: list[dict[str, Any]] = []
    async with OktaClient.open(settings, budget=budget) as okta:
        await diagnose(Facts(okta, ASKED[0], ASKED_APP, now=datetime.now(UTC), cache=cache))
        print("ready", flush=True)
        await go.wait()
        due = time.monotonic()
        for n in range(asks):
            if stop.is_set():
                break
            budget.waited, budget.apps = 0.0, 0
            user = ASKED[n % len(ASKED)]
            started = time.time()
            facts = Facts(okta, user, ASKED_APP, now=datetime.now(UTC), cache=cache)
            report = await diagnose(facts)
            seconds = time.time() - started
            samples.append(
                {
                    "user": user,
                    "started": started,
                    "seconds": seconds,
                    "budget_wait": budget.waited,
                    "apps": budget.apps,
                    "verdict": report.verdict.check,
                    "faults": list(report.faults),
                }
            )
            due += every
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, due - time.monotonic()))
    await redis.aclose()
    print(json.dumps(samples), flush=True)
    listening.cancel()


# -- this process: the fake Okta, both phases, the figures -------------------------------------


@dataclass(frozen=True, slots=True)
class Phase:
    name: str
    asked: list[dict[str, Any]]
    """B's diagnoses that count (during the scan, when there is one)."""
    scan: dict[str, Any] | None
    started: float
    ended: float


async def _spawn(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.rate_budget", *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2**22,
    )  # fmt: skip


async def _line(process: asyncio.subprocess.Process) -> str:
    assert process.stdout is not None
    line = await process.stdout.readline()
    if not line:
        raise RuntimeError(f"a bench process exited {await process.wait()} early")
    return line.decode().strip()


async def _tell(process: asyncio.subprocess.Process, command: str) -> None:
    assert process.stdin is not None
    process.stdin.write(f"{command}\n".encode())
    await process.stdin.drain()


async def _phase(
    name: str, url: str, *, scan: bool, options: argparse.Namespace, window: float
) -> Phase:
    # A phase starts with a window of its own (the budget learns the fake's windows anew).
    await asyncio.sleep(window - time.time() % window + 0.2)
    prefix = f"attrsync-bench-{uuid.uuid4().hex[:8]}:"
    asks = options.asks if not scan else 10_000  # with a scan: until the scan ends
    started = time.time()
    asker = await _spawn(
        "--asker", url, prefix, str(options.every), str(asks), str(options.fact_ttl)
    )
    try:
        assert await _line(asker) == "ready"
        scanned: dict[str, Any] | None = None
        if scan:
            scanner = await _spawn("--scanner", url, prefix, str(options.page_size))
            assert await _line(scanner) == "scanning"
            await _tell(asker, "go")
            scanned = json.loads(await _line(scanner))
            await scanner.wait()
            await _tell(asker, "stop")
        else:
            await _tell(asker, "go")
        asked: list[dict[str, Any]] = json.loads(await _line(asker))
    finally:
        if asker.stdin is not None:
            asker.stdin.close()
        await asker.wait()
        await _forget(prefix)
    if scanned is not None:
        asked = [a for a in asked if a["started"] + a["seconds"] <= scanned["ended"]]
    return Phase(name, asked, scanned, started, time.time())


async def _forget(prefix: str) -> None:
    redis = _redis()
    try:
        keys = [key async for key in redis.scan_iter(match=f"{prefix}*")]
        if keys:
            await redis.delete(*keys)
    finally:
        await redis.aclose()


async def main(options: argparse.Namespace) -> None:
    now = datetime.now(UTC)
    state = build_demo_org(now)
    add_crowd(state, SCAN_APP, "SuccessFactors", SCAN_USERS, now)
    window, limit = options.window, options.limit
    limits = RecordingLimits(limits={"apps": limit}, window=window, enforce=True)
    fake = RecordingFake(state, token=TOKEN, latency=options.latency, rate_limits=limits)
    async with serving(fake.app) as url:
        fake.url = url
        alone = await _phase("without a scan", fake.url, scan=False, options=options, window=window)
        shared = await _phase("while A scans", fake.url, scan=True, options=options, window=window)
        assert not fake.errors, fake.errors
    scan_app_id = str(state.app(SCAN_APP)["id"])
    _report(options, fake, limits, scan_app_id, [alone, shared])


def _report(
    options: argparse.Namespace,
    fake: FakeOkta,
    limits: RecordingLimits,
    scan_app_id: str,
    phases: list[Phase],
) -> None:
    window, limit, latency = options.window, options.limit, options.latency
    cap = int(limit * SHARE)
    print(
        f"apps bucket {limit} per {window:g} s window (enforced), share {SHARE} -> attrsync "
        f"may use {cap}; L = {latency * 1000:.0f} ms; B asks every {options.every:g} s; "
        f"A scans {SCAN_USERS:,} users, {options.page_size} a page\n"
    )
    print(
        "| phase | B's diagnoses | latency median | max | B's budget wait max | 429s "
        "| apps-bucket requests per window: max (A + B) | windows |"
    )
    print("|---|---:|---:|---:|---:|---:|---|---:|")
    medians = []
    for phase in phases:
        seconds = [a["seconds"] for a in phase.asked]
        medians.append((statistics.median(seconds), max(seconds)))
        refused = sum(
            1
            for r in fake.requests
            if r.status == 429 and phase.started <= _epoch(r.started) <= phase.ended
        )
        per_window = _per_window(limits, phase, window, scan_app_id)
        busiest = max(per_window.values(), key=lambda c: c[0] + c[1], default=(0, 0))
        print(
            f"| {phase.name} | {len(seconds)} | {medians[-1][0] * 1000:.0f} ms "
            f"| {medians[-1][1] * 1000:.0f} ms "
            f"| {max(a['budget_wait'] for a in phase.asked) * 1000:.0f} ms | {refused} "
            f"| {sum(busiest)} ({busiest[0]} + {busiest[1]}) | {len(per_window)} |"
        )
    (alone_median, alone_max), (shared_median, shared_max) = medians
    print(
        f"\nwith the scan, B's diagnoses took {(shared_median - alone_median) * 1000:+.0f} ms "
        f"(median) and {(shared_max - alone_max) * 1000:+.0f} ms (max) more than without; "
        f"target: at most one round trip ({latency * 1000:.0f} ms)"
    )
    print(f"the fake refused {limits.refused} requests in all (429 E0000047); target 0")
    for phase in phases:
        per_window = _per_window(limits, phase, window, scan_app_id)
        print(
            f"{phase.name}: apps-bucket requests per window (A + B): "
            + ", ".join(f"{a}+{b}" for _, (a, b) in sorted(per_window.items()))
        )
        if phase.scan is not None:
            scan = phase.scan
            print(
                f"  A listed {scan['listed']:,} users in {scan['pages']} pages, "
                f"{scan['ended'] - scan['started']:.1f} s, waiting {scan['budget_wait']:.1f} s "
                f"in the budget; unread: {scan['unread']}"
            )
        waits = [f"{a['budget_wait'] * 1000:.0f}" for a in phase.asked]
        took = [f"{a['seconds'] * 1000:.0f} ({a['apps']})" for a in phase.asked]
        print(f"  B's diagnoses, ms (apps-bucket requests): {', '.join(took)}")
        print(f"  of which waiting in the budget (ms): {', '.join(waits)}")
        faults = {f for a in phase.asked for f in a["faults"]}
        if faults:
            print(f"  faults: {faults}")


def _epoch(monotonic: float) -> float:
    return monotonic + time.time() - time.monotonic()


def _per_window(
    limits: RecordingLimits, phase: Phase, window: float, scan_app_id: str
) -> dict[int, tuple[int, int]]:
    """Apps-bucket requests per fake window during the phase: (A's, B's)."""
    counts: Counter[tuple[int, bool]] = Counter()
    for at, recorded in limits.counted:
        if recorded is None or bucket_of(recorded.path) != "apps":
            continue
        if not phase.started <= at <= phase.ended:
            continue
        scans = recorded.path.startswith(f"/api/v1/apps/{scan_app_id}") or (
            recorded.path == "/api/v1/apps" and recorded.query.get("q") == SCAN_APP
        )
        counts[int(at // window), scans] += 1
    windows = sorted({w for w, _ in counts})
    return {w: (counts[w, True], counts[w, False]) for w in windows}


if __name__ == "__main__":
    if sys.argv[1:2] == ["--scanner"]:
        url, prefix, page_size = sys.argv[2:5]
        asyncio.run(_scanner(url, prefix, int(page_size)))
        sys.exit(0)
    if sys.argv[1:2] == ["--asker"]:
        url, prefix, every, asks, ttl = sys.argv[2:7]
        asyncio.run(_asker(url, prefix, float(every), int(asks), float(ttl)))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--window", type=float, default=10.0, help="seconds per rate window")
    parser.add_argument("--limit", type=int, default=17, help="apps-bucket ceiling per window")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per answer")
    parser.add_argument("--page-size", type=int, default=50, help="app users per scan page")
    parser.add_argument("--every", type=float, default=6.0, help="seconds between B's questions")
    parser.add_argument("--asks", type=int, default=10, help="B's diagnoses without a scan")
    parser.add_argument("--fact-ttl", type=float, default=60.0, help="B's fact cache TTL")
    asyncio.run(main(parser.parse_args()))
