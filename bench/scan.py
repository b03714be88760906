"""Scanning one big app: wall time against the round trips it needs, and the scanner's memory.

The fake Okta runs in a process of its own (`--serve`, below) with an org holding one
provisioned app ("Salesforce") of N assigned users: most in sync, 10 % assigned before
provisioning was on (no external ID), 5 % whose title changed since they were created while
the title mapping applies on create only, 0.5 % whose last push failed. Every /api answer
takes latency L (100 ms). This process, whose memory is then the scan's own, runs cold
`AppScan.open` + `scan_app` (a new Okta client each run) and reports:

- wall time (median of the runs), and where it went: awaiting Okta's answers (including
  parsing them) vs the rest (diagnosing each page's users);
- the requests the fake saw per run (list pages of app users, app-level requests) and the
  fake's own time (answer time minus L: serving, not network), per run and per page;
- ideal = (list pages + 2) x L, the chain of round trips that each wait for the one before,
  which no concurrency shortens: 1 to resolve the app (every other request needs its id),
  then the first page with the app-level facts alongside it (the System Log's few pages are
  a shorter chain of their own), then each further page (its URL is the previous page's Link
  header), and 1 more for the mapping details, which need the mappings list first. (With two
  pages or more the details could go out alongside the second page: the strict floor is then
  pages + 1, and this ideal leaves the scan one L.) Requests that do not wait for each other
  can be in flight together, so the request count is shown but is not the limit;
- wall / ideal, against issue 18's targets at L = 100 ms: at most 1.5 for 1,200 users, 1.2
  for 10,000 and 1.3 for 100,000;
- peak RSS of this process (ru_maxrss; target < 150 MB): before, once the app-level facts
  are read (the System Log is read whole, up to LOG_LIMIT events), and after scanning.

Run at 1,200 users, 10,000 (default) and 100,000 (peak RSS should stay flat):

    .venv/bin/python -m bench.scan [--users 10000] [--runs 3] [--latency 0.1]
        [--profile]
    .venv/bin/python -m bench.scan --users 1200 --runs 5
    .venv/bin/python -m bench.scan --users 100000 --runs 1

`--profile` adds one scan under cProfile and prints where this process spent its time.
(The scan reads the next page while it diagnoses the page in hand, so "awaiting Okta" and
"not awaiting Okta" overlap: their sum is more than the wall time.)
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import json
import math
import pstats
import random
import resource
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.demo.crowd import (
    FAILED_PUSH,
    FIRST,
    IN_SYNC,
    LAST,
    NEW_TITLE,
    UNLINKED,
    add_member,
    crowd_app,
)
from checks.okta import OktaClient, OktaSettings
from checks.rate_budget import bucket_of
from checks.scan import PAGE_SIZE, AppScan, Page, scan_app
from checks.scan_tally import Tally
from fakes.okta.server import FakeOkta, serve
from fakes.okta.state import OrgState

TOKEN = "bench-token"
APP = "salesforce"
NO_EXTERNAL_ID = 0.10
TITLE_CHANGED = 0.05
PUSH_FAILED = 0.005
# Round trips beyond the pages in the chain: resolving the app, and the mapping details.
CHAIN_BEYOND_PAGES = 2
# The most wall / ideal may be, by users, at L = 100 ms (issue 18).
TARGETS = {1_200: 1.5, 10_000: 1.2, 100_000: 1.3}
TARGET_LATENCY = 0.1


# -- the fake Okta's process -------------------------------------------------------------------


def build_org(users: int, now: datetime) -> OrgState:
    org = OrgState(clock=lambda: now, seed=20240601)
    add_crowd(org, APP, "Salesforce", users, now)
    return org


def add_crowd(org: OrgState, name: str, label: str, users: int, now: datetime) -> None:
    """A provisioned app of `users` assigned users, in the mix the module docstring says,
    built as bot/demo/crowd.py builds the demo's 240."""
    rng = random.Random(4711)
    app = crowd_app(org, name, label, now)
    for n in range(users):
        draw = rng.random()
        kind = (
            UNLINKED
            if draw < NO_EXTERNAL_ID
            else NEW_TITLE
            if draw < NO_EXTERNAL_ID + TITLE_CHANGED
            else FAILED_PUSH
            if draw < NO_EXTERNAL_ID + TITLE_CHANGED + PUSH_FAILED
            else IN_SYNC
        )
        first, last = rng.choice(FIRST), rng.choice(LAST)
        login = f"{first.lower()}.{last.lower()}{n:06d}.{name}"
        add_member(org, app, login, first, last, kind, rng, now)


def _traffic(fake: FakeOkta) -> dict[str, Any]:
    """The requests since the last call, summed up; then forgotten."""
    sent, fake.requests = fake.requests, []
    pages = [r for r in sent if r.path.endswith("/users") and r.path.startswith("/api/v1/apps/")]
    own = [max(0.0, (r.duration or 0.0) - fake.latency) for r in sent]
    page_own = [max(0.0, (r.duration or 0.0) - fake.latency) for r in pages]
    return {
        "requests": len(sent),
        "pages": len(pages),
        "buckets": dict(Counter(bucket_of(r.path) for r in sent)),
        "paths": dict(Counter(_shape(r.path) for r in sent if r not in pages)),
        "failed": sum(1 for r in sent if (r.status or 0) >= 400),
        "fake_seconds": sum(own),
        "fake_page_seconds": sum(page_own),
        "fake_page_max": max(page_own, default=0.0),
    }


def _shape(path: str) -> str:
    parts = path.split("/")
    return "/".join("{id}" if part[:3] in ("0oa", "prm") else part for part in parts)


def _reference_loop() -> float:
    """Seconds for ten million additions in pure Python: how fast this machine's CPU is, to
    compare figures taken on different machines."""
    started = time.process_time()
    total = 0
    for n in range(10_000_000):
        total += n
    return time.process_time() - started


async def _serve(users: int, latency: float) -> None:
    started = time.monotonic()
    state = build_org(users, datetime.now(UTC))
    built = time.monotonic() - started
    async with serve(state, token=TOKEN, latency=latency) as fake:
        hello = {
            "url": fake.url,
            "build_seconds": built,
            "events": len(state.logs),
            "reference_seconds": _reference_loop(),
        }
        print(json.dumps(hello), flush=True)
        loop = asyncio.get_running_loop()
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            if line.strip() == "stats":
                print(json.dumps(_traffic(fake)), flush=True)
        assert not fake.errors, fake.errors


# -- the scanning process ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Run:
    wall: float
    opening: float
    """Of wall: AppScan.open (the app-level facts)."""
    cpu: float
    """Of wall: CPU seconds of this process (diagnosing the users, reading and parsing Okta's
    answers, the event loop): the scan's other limit, beside the chain of round trips."""
    peak_opened: float
    """Peak RSS (MB) once the app-level facts were read, before the first page."""
    listed: int
    affected: dict[str, int]
    traffic: dict[str, Any]


async def _scan_once(url: str, users: int, server: asyncio.subprocess.Process) -> Run:
    settings = OktaSettings(org_url=url, token=TOKEN)
    async with OktaClient.open(settings) as okta:
        started, cpu = time.monotonic(), time.process_time()
        scan = await AppScan.open(okta, APP, now=datetime.now(UTC), page_size=PAGE_SIZE)
        opened = time.monotonic()
        peak_opened = _peak_mb()

        async def on_page(page: Page, tally: Tally) -> None:
            pass  # as `attrsync scan` without a terminal or a CSV file

        result = await scan_app(scan, on_page=on_page)
        wall, cpu = time.monotonic() - started, time.process_time() - cpu
    if not result.complete or result.tally.listed != users:
        raise RuntimeError(f"scan incomplete: {result.unread}, {result.tally.listed} listed")
    traffic = await _ask(server, "stats")
    affected = {c.check: c.count for c in result.tally.ordered()}
    return Run(wall, opened - started, cpu, peak_opened, result.tally.listed, affected, traffic)


async def _ask(server: asyncio.subprocess.Process, command: str) -> dict[str, Any]:
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write(f"{command}\n".encode())
    await server.stdin.drain()
    answer: dict[str, Any] = json.loads(await server.stdout.readline())
    return answer


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def _profiled(url: str, users: int, server: asyncio.subprocess.Process) -> str:
    profiler = cProfile.Profile()
    profiler.enable()
    await _scan_once(url, users, server)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    out.write(_areas(stats))
    stats.sort_stats("tottime").print_stats(15)
    stats.sort_stats("cumulative").print_stats(30)
    return out.getvalue()


AREAS = (
    ("checks/", "attrsync's checks (checks/*)"),
    ("asyncio/", "the event loop (asyncio/*, selectors)"),
    ("selectors.py", "the event loop (asyncio/*, selectors)"),
    ("<method 'poll'", "epoll: waiting for Okta, and a syscall per loop pass"),
    ("aiohttp/", "HTTP (aiohttp, yarl, multidict)"),
    ("yarl/", "HTTP (aiohttp, yarl, multidict)"),
    ("multidict/", "HTTP (aiohttp, yarl, multidict)"),
    ("json/", "JSON"),
    ("<method 'decode'", "JSON"),
)


def _areas(stats: pstats.Stats) -> str:
    """Own time (tottime) summed by area: where a profiled scan went."""
    by_area: dict[str, float] = {}
    raw: dict[tuple[str, int, str], tuple[int, int, float, float, Any]]
    raw = stats.stats  # type: ignore[attr-defined]
    for (filename, _, function), (_, _, own, _, _) in raw.items():
        where = f"{filename} {function}"
        area = next((name for key, name in AREAS if key in where), "everything else")
        by_area[area] = by_area.get(area, 0.0) + own
    total = sum(by_area.values())
    ordered = sorted(by_area.items(), key=lambda area: -area[1])
    lines = [f"- {area}: {own:.2f} s ({own / total:.0%})" for area, own in ordered]
    return "own time by area, of {:.2f} s:\n{}\n\n".format(total, "\n".join(lines))


async def main(users: int, runs: int, latency: float, profile: bool) -> None:
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.scan", "--serve", str(users), str(latency),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2**20,
    )  # fmt: skip
    assert server.stdout is not None and server.stdin is not None
    hello = json.loads(await server.stdout.readline())
    before = _peak_mb()
    try:
        samples = [await _scan_once(hello["url"], users, server) for _ in range(runs)]
        peak = _peak_mb()
        profiled = await _profiled(hello["url"], users, server) if profile else None
    finally:
        server.stdin.close()
        await server.wait()
    _report(users, latency, hello, samples, before, peak)
    if profiled:
        print("\none scan under cProfile (its overhead slows it down):\n")
        print(profiled)


def _report(
    users: int,
    latency: float,
    hello: dict[str, Any],
    samples: list[Run],
    before: float,
    peak: float,
) -> None:
    traffic = samples[0].traffic
    pages = traffic["pages"]
    assert pages == math.ceil(users / PAGE_SIZE), pages
    app_level = traffic["requests"] - pages
    chain = pages + CHAIN_BEYOND_PAGES
    ideal = chain * latency
    wall = statistics.median(s.wall for s in samples)
    cpu = statistics.median(s.cpu for s in samples)
    fake = statistics.median(s.traffic["fake_seconds"] for s in samples)
    fake_page = statistics.median(s.traffic["fake_page_seconds"] / pages for s in samples)
    fake_page_max = max(s.traffic["fake_page_max"] for s in samples)
    target = TARGETS.get(users) if latency == TARGET_LATENCY else None
    print(
        f"{users:,} users, L = {latency * 1000:.0f} ms per answer, median of {len(samples)} "
        f"cold scan(s); the fake's org took {hello['build_seconds']:.1f} s to build "
        f"({hello['events']:,} System Log events); this machine runs a reference loop in "
        f"{hello['reference_seconds']:.2f} s\n"
    )
    print(
        "| users | wall | requests (pages + app-level) "
        f"| ideal: (pages + {CHAIN_BEYOND_PAGES}) x L | wall / ideal "
        "| the scanner's CPU (per page) | the fake's own time (per page) "
        "| peak RSS: before / app-level facts read / after |"
    )
    print("|---:|---:|---|---:|---:|---:|---:|---|")
    print(
        f"| {users:,} | {wall:.2f} s | {traffic['requests']} ({pages} + {app_level}) "
        f"| {ideal:.2f} s ({chain} x L) | {wall / ideal:.2f} "
        f"| {cpu:.2f} s ({cpu / pages * 1000:.0f} ms) | {fake:.2f} s ({fake_page * 1000:.1f} ms) "
        f"| {before:.0f} / {samples[0].peak_opened:.0f} / {peak:.0f} MB |"
    )
    print(
        f"\nper run: walls {', '.join(f'{s.wall:.2f}' for s in samples)} s; "
        f"opening (app-level facts) {statistics.median(s.opening for s in samples):.2f} s; "
        f"requests {[s.traffic['requests'] for s in samples]}, failed "
        f"{[s.traffic['failed'] for s in samples]}; slowest page in the fake "
        f"{fake_page_max * 1000:.0f} ms beyond L"
    )
    print(f"app-level requests: {traffic['paths']}; by bucket: {traffic['buckets']}")
    bound = "its CPU" if cpu > ideal else "the round trips"
    print(f"the scanner's CPU is {cpu / wall:.0%} of the wall: the scan is bound by {bound}")
    print(f"affected by cause: {samples[0].affected} of {samples[0].listed:,} listed")
    if target is None:
        ratio = f"no target for {users:,} users at L = {latency * 1000:.0f} ms"
    else:
        ratio = f"wall / ideal <= {target}: {'yes' if wall / ideal <= target else '**no**'}"
    print(f"targets: {ratio}; peak RSS < 150 MB: {'yes' if peak < 150 else '**no**'}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        asyncio.run(_serve(int(sys.argv[2]), float(sys.argv[3])))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds added per answer")
    parser.add_argument("--profile", action="store_true", help="also one scan under cProfile")
    options = parser.parse_args()
    args = (options.users, options.runs, options.latency, options.profile)
    asyncio.run(main(*args))
