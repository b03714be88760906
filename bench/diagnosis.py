"""Okta traffic of one diagnosis, cold and with app-level facts cached in Redis.

With a fixed latency L added to every fake Okta answer, it reports per demo scenario the
requests made, those in the `/api/v1/apps*` rate-limit bucket, and the round-trip depth
(wall time of the Okta traffic / L). Targets (issue 2): depth <= 3 cold and <= 2 warm,
<= 10 requests cold, <= 3 apps-bucket requests warm. Then what the shared rate budget costs a
diagnosis: every scenario cold through a client drawing from the Redis budget against one
without, the Redis commands per Okta request, and the time added (median per diagnosis).

    .venv/bin/python -m bench.diagnosis [--latency 0.05] [--runs 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from redis.asyncio import Redis

from bot.config import DEFAULT_REDIS_URL
from bot.demo.org import SCENARIOS, Scenario, build_demo_org
from bot.store.budget import RedisRateBudget
from bot.store.diagnoses import RedisFactCache
from bot.store.keys import Keys
from checks.diagnose import diagnose
from checks.facts import Facts
from checks.okta import OktaClient, OktaSettings
from fakes.okta.server import FakeOkta, serve


@dataclass(frozen=True, slots=True)
class Run:
    requests: int
    apps_bucket: int
    round_trips: int
    depth: float
    seconds: float


async def _measure(
    okta: OktaClient, fake: FakeOkta, case: Scenario, cache: RedisFactCache | None
) -> Run:
    fake.requests.clear()
    started = asyncio.get_running_loop().time()
    facts = Facts(okta, case.user, case.app, case.attribute, now=fake.state.now(), cache=cache)
    await diagnose(facts)
    seconds = asyncio.get_running_loop().time() - started
    sent = fake.requests
    traffic = max(r.ended or r.started for r in sent) - min(r.started for r in sent)
    return Run(
        requests=len(sent),
        apps_bucket=sum(r.path.startswith("/api/v1/apps") for r in sent),
        round_trips=fake.round_trips(),
        depth=traffic / fake.latency,
        seconds=seconds,
    )


def _median(runs: list[Run]) -> Run:
    return Run(
        requests=round(statistics.median(r.requests for r in runs)),
        apps_bucket=round(statistics.median(r.apps_bucket for r in runs)),
        round_trips=round(statistics.median(r.round_trips for r in runs)),
        depth=statistics.median(r.depth for r in runs),
        seconds=statistics.median(r.seconds for r in runs),
    )


async def main(latency: float, runs: int) -> None:
    redis = Redis.from_url(os.environ.get("REDIS_URL", DEFAULT_REDIS_URL))
    cache = RedisFactCache(redis, ttl=60)
    rows = []
    async with serve(build_demo_org(datetime.now(UTC)), latency=latency) as fake:
        settings = OktaSettings(org_url=fake.url, token="demo-token")
        async with OktaClient.open(settings) as okta:
            for case in SCENARIOS:
                cold = _median([await _measure(okta, fake, case, None) for _ in range(runs)])
                await _measure(okta, fake, case, cache)  # fill the cache
                warm = _median([await _measure(okta, fake, case, cache) for _ in range(runs)])
                rows.append((case, cold, warm))
        with_budget, without, per_request = await _budget_cost(redis, fake, runs)
    await redis.aclose()
    print(f"latency L = {latency * 1000:.0f} ms per Okta answer, median of {runs} runs\n")
    print(
        "| scenario | cold: requests | apps bucket | round trips | traffic / L | ms "
        "| warm: requests | apps bucket | round trips | traffic / L | ms |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for case, cold, warm in rows:
        print(f"| {case.user} / {case.app} | {_cells(cold)} | {_cells(warm)} |")
    colds, warms = [c for _, c, _ in rows], [w for _, _, w in rows]
    print(
        f"\nworst case: cold {max(c.requests for c in colds)} requests, "
        f"{max(c.round_trips for c in colds)} round trips; warm "
        f"{max(w.apps_bucket for w in warms)} apps-bucket requests, "
        f"{max(w.round_trips for w in warms)} round trips"
    )
    print(
        f"\nthe rate budget: {per_request:.2f} Redis commands per Okta request; a cold diagnosis "
        f"{with_budget * 1000:.0f} ms with it, {without * 1000:.0f} ms without "
        f"(+{(with_budget - without) * 1000:.1f} ms, median over every scenario)"
    )


async def _budget_cost(redis: Redis, fake: FakeOkta, runs: int) -> tuple[float, float, float]:
    """Median seconds of a cold diagnosis with the budget and without, and Redis commands
    per Okta request with it."""
    commands = 0
    execute: Any = redis.execute_command

    async def counted(*args: object, **options: object) -> object:
        nonlocal commands
        commands += 1
        return await execute(*args, **options)

    redis.execute_command = counted  # type: ignore[method-assign]
    settings = OktaSettings(org_url=fake.url, token="demo-token")
    # The whole of each bucket: the budget's cost, not its pacing, is measured.
    budget = RedisRateBudget(redis, Keys(f"attrsync-bench-{uuid.uuid4().hex[:8]}:"), fake.url, 1.0)
    timed: dict[bool, list[float]] = {True: [], False: []}
    requests = 0
    async with OktaClient.open(settings, budget=budget) as paced, OktaClient.open(settings) as free:
        for _ in range(runs):
            for case in SCENARIOS:
                for okta, budgeted in ((paced, True), (free, False)):
                    run = await _measure(okta, fake, case, None)
                    timed[budgeted].append(run.seconds)
                    requests += run.requests if budgeted else 0
    redis.execute_command = execute  # type: ignore[method-assign]
    return statistics.median(timed[True]), statistics.median(timed[False]), commands / requests


def _cells(run: Run) -> str:
    return (
        f"{run.requests} | {run.apps_bucket} | {run.round_trips} | {run.depth:.2f} "
        f"| {run.seconds * 1000:.0f}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per answer")
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    asyncio.run(main(options.latency, options.runs))
