"""Okta's Event Hook and triage, end to end: the hook's answer time under a minute of 10,000
events, a failed push's way to the triage channel, and what a bulk import of 5,000 profile
changes costs in Okta requests.

The bot runs here as `attrsync serve` runs it: Bolt and `POST /okta/events` behind aiohttp on
loopback, with `Worker(services).run(stop)` in the same process (its triage loop consumes the
events as they arrive). The fake Okta (the demo org plus "NetSuite", a crowd app of N users
whose title mapping applies on create only) and the fake Slack run in a process of their own
(`--serve`, below: bench/peers.py's pair, plus commands on stdin to make System Log events
and count Okta's requests), so their work is not timed as the bot's. Every fake Okta answer
takes L (50 ms).

1. Hook under load (target: answer p99 < 100 ms, every event queued exactly once): 10,000
   System Log events (80 % `user.account.update_profile`, 19.5 % successful pushes, 0.5 %
   failed pushes, on random users and assignments of the org) in deliveries of 1 to 50 events
   (uniform; Okta batches per delivery), sent at random moments over 60 s, 2 % of the
   deliveries sent again a few seconds later as Okta's retry; then the same 10,000 (another
   Redis prefix) as 100 deliveries of 100, 10 at a time, as a stress. The answer time is
   timed by the sender (in this process, bodies encoded beforehand); "stream entries" and
   "distinct uuids" are read from the Redis stream; "triaged" is what triage's consumer group
   had read and acknowledged when the last answer came.
2. Failed push to triage post (target: <= 2 L + 150 ms in an app kept warm): a fresh FAILURE
   push event (new uuid) for one of the demo's sync-failure users in turn, delivered to a
   fresh bot (its own Redis prefix and triage channel): cold, the first event to name its app;
   and kept warm, after a successful push in the app (delivered first, its facts then read by
   triage's warm loop, bot/watch/warm.py), as an app with any traffic is; the time from the
   POST until the fake Slack receives the chat.postMessage to the triage channel, split at
   the first Okta request and the last Okta answer; the Okta requests of the run and their
   round trips (FakeOkta.round_trips()).
3. Bulk import: the titles of NetSuite's N users change (an HR import); the N
   update_profile events are delivered through the hook (deliveries of 50, 10 at a time) to a
   bot whose clock the benchmark drives (ATTRSYNC_WATCH_GRACE 900 s, counted from each event's
   `published`), and triaged with `Worker.work_once()` while the clock moves on as triage's
   loop would: its wait for an event (1 s) plus the pass's own time per call. The fake's
   rate limits are lifted for this part (pacing would only stretch it). Okta's requests by
   kind: pages (lists of an app's users), app-level, per-user (naming a user); Slack's posts
   and updates. Three imports: logged by Okta at one instant; logged over 60 s
   (`--import-seconds`: the users come due over as long); and 20 changes (the most one pass
   triages user by user), scaled to N: what a diagnosis per changed user costs.

    .venv/bin/python -m bench.watch [--latency 0.05] [--events 10000] [--window 60] [--runs 10]
        [--bulk 5000] [--import-seconds 60] [--parts 123]
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import random
import re
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from redis.asyncio import Redis

from bot.config import DEFAULT_REDIS_URL, Settings
from bot.demo.crowd import FIRST, IN_SYNC, LAST, add_member, crowd_app
from bot.demo.org import build_demo_org
from bot.runtime.processes import http_server
from bot.runtime.worker import Worker
from bot.services import Services, open_services
from bot.slack.app import build_app
from bot.store.keys import Keys
from bot.watch.triage import BATCH, BULK, Triage
from checks.rate_budget import bucket_of
from fakes.okta.event_hook import envelope
from fakes.okta.rate_limits import RateLimits
from fakes.okta.server import FakeOkta, RecordedRequest, serve
from fakes.okta.shapes import iso
from fakes.okta.state import OrgState
from fakes.serving import serving
from fakes.slack.server import FakeSlack

TOKEN = "bench-token"
HOOK_SECRET = "bench-okta-hook-secret-0123"
SIGNING_SECRET = "bench-signing-secret"
IMPORTED = "netsuite"
PROFILE_SHARE = 0.80
FAILED_SHARE = 0.005
RETRIED = 0.02
MAX_DELIVERY = 50
CHANGED = ("title", "department", "lastName", "title,department", "mobilePhone")
SYNC_FAILURES = (
    ("efail", "google"),
    ("jdoe", "boxnet"),
    ("dstale", "boxnet"),
    ("bwayne", "boxnet"),
    ("gmap", "office365"),
    ("iupd", "zoomus"),
    ("hcreate", "acme_hrportal_1"),
    ("fcreds", "slack"),
)
"""Demo users whose diagnosis names a sync failure (bot.demo.org.SCENARIOS), and their app."""
TRIAGE_BLOCK = inspect.signature(Triage.run).parameters["block_ms"].default / 1000
"""Seconds triage's loop waits for an event before it looks at the changes now due."""
POST, UPDATE = "chat.postMessage", "chat.update"
USER_ID = re.compile(r"00u[0-9A-Za-z]{17}")
APP_PAGE = re.compile(r"/api/v1/apps/[^/]+/users")


# -- the peers' process: fake Okta and fake Slack ----------------------------------------------


def build_org(users: int, now: datetime) -> OrgState:
    """The demo org, plus NetSuite: `users` assigned users, all in sync (bot/demo/crowd.py's
    builder)."""
    org = build_demo_org(now)
    rng = random.Random(4711)
    app = crowd_app(org, IMPORTED, "NetSuite", now)
    for n in range(users):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        login = f"{first.lower()}.{last.lower()}{n:06d}.{IMPORTED}"
        add_member(org, app, login, first, last, IN_SYNC, rng, now)
    return org


def _mix(state: OrgState, count: int, seed: int) -> list[dict[str, Any]]:
    """`count` events as the module docstring mixes them, left out of the fake's System Log
    (10,000 more events there would slow the fake's log queries for the rest)."""
    rng = random.Random(seed)
    users = list(state.users.values())
    pairs = list(state.app_users)
    mark = len(state.logs)
    now = state.now()
    made: list[dict[str, Any]] = []
    for _ in range(count):
        kind = rng.random()
        if kind < PROFILE_SHARE:
            made.append(
                state.log(
                    "user.account.update_profile",
                    now,
                    "SUCCESS",
                    [rng.choice(users)],
                    actor=state.admin_actor(),
                    debug_data={"changedAttributes": rng.choice(CHANGED)},
                )
            )
            continue
        app_id, user_id = rng.choice(pairs)
        failed = kind >= 1 - FAILED_SHARE
        made.append(
            state.log_push(
                app_id,
                user_id,
                now,
                "FAILURE" if failed else "SUCCESS",
                reason="Automatic profile push failed: INVALID_FIELD" if failed else None,
            )
        )
    del state.logs[mark:]
    return made


def _import(state: OrgState) -> list[dict[str, Any]]:
    """Every NetSuite user's title changes (an HR import); their events, also in the log."""
    app = state.app(IMPORTED)
    now = state.now()
    return [
        state.change_profile(state.users[user_id], {"title": "Head of Imports"}, at=now)
        for (app_id, user_id) in list(state.app_users)
        if app_id == app["id"]
    ]


def _kind(request: RecordedRequest) -> str:
    if APP_PAGE.fullmatch(request.path):
        return "pages"
    where = request.path + "?" + "&".join(request.query.values())
    return "per-user" if USER_ID.search(where) else "app-level"


def _traffic(okta: FakeOkta, round_trips: bool) -> dict[str, Any]:
    """The fake's requests since the last call, summed up; then forgotten."""
    sent = okta.requests
    out: dict[str, Any] = {
        "requests": len(sent),
        "kinds": dict(Counter(_kind(r) for r in sent)),
        "buckets": dict(Counter(bucket_of(r.path) for r in sent)),
        "passes": sum(
            1 for r in sent if r.path == "/api/v1/apps" and "ACTIVE" in r.query.get("filter", "")
        ),
        "failed": sum(1 for r in sent if (r.status or 0) >= 400),
        "fake_seconds": sum(max(0.0, (r.duration or 0.0) - okta.latency) for r in sent),
        "logs": sum(1 for r in sent if r.path == "/api/v1/logs"),
    }
    if round_trips and sent:
        offset = time.time() - time.monotonic()  # wall-clock times the parent can compare
        out["round_trips"] = okta.round_trips()
        out["first"] = min(r.started for r in sent) + offset
        out["last"] = max(r.ended or r.started for r in sent) + offset
    okta.requests = []
    return out


def _answer(okta: FakeOkta, ask: dict[str, Any]) -> Any:
    state = okta.state
    command = ask["cmd"]
    if command == "mix":
        return _mix(state, int(ask["events"]), int(ask["seed"]))
    if command == "fail":
        user, app = state.user(str(ask["user"])), state.app(str(ask["app"]))
        return state.log_push(
            app,
            user,
            state.now(),
            "FAILURE",
            legacy="app.api.error.push_profile_update",
            reason=f"Automatic profile push of user {user['profile']['login']} to app "
            f"{app['label']} failed: INVALID_FIELD: a value the app does not accept",
        )
    if command == "pushed":
        user, app = state.user(str(ask["user"])), state.app(str(ask["app"]))
        return state.log_push(app, user, state.now())
    if command == "import":
        return _import(state)
    if command == "limits":
        limit = ask.get("limit")
        okta.limits = RateLimits(default=int(limit)) if limit else RateLimits()
        return {}
    if command == "stats":
        return _traffic(okta, bool(ask.get("round_trips")))
    raise ValueError(f"unknown command {command!r}")


async def _serve(latency: float, users: int) -> None:
    started = time.monotonic()
    state = build_org(users, datetime.now(UTC))
    built = time.monotonic() - started
    slack = FakeSlack()

    async def posted(request: web.Request) -> web.Response:
        """chat.postMessage and chat.update calls so far, with wall-clock times the parent can
        compare."""
        offset = time.time() - time.monotonic()
        calls = [
            {"method": method, "channel": c.args.get("channel"), "at": c.received + offset}
            for method in (POST, UPDATE)
            for c in slack.calls_to(method)
        ]
        return web.json_response(calls)

    slack.app.router.add_get("/_posted", posted)
    async with (
        serve(state, token=TOKEN, latency=latency) as okta,
        serving(slack.app) as slack_url,
    ):
        slack.base_url = slack_url
        hello = {"okta": okta.url, "slack": slack_url, "build_seconds": built}
        print(json.dumps(hello), flush=True)
        loop = asyncio.get_running_loop()
        while line := await loop.run_in_executor(None, sys.stdin.readline):
            print(json.dumps(_answer(okta, json.loads(line))), flush=True)
        assert not okta.errors, okta.errors


# -- the bot's process -------------------------------------------------------------------------


class Peers:
    def __init__(self, process: asyncio.subprocess.Process, hello: dict[str, Any]) -> None:
        self._process = process
        self.okta: str = hello["okta"]
        self.slack: str = hello["slack"]
        self.build_seconds: float = hello["build_seconds"]

    async def ask(self, cmd: str, **args: Any) -> Any:
        stdin, stdout = self._process.stdin, self._process.stdout
        assert stdin is not None and stdout is not None
        stdin.write((json.dumps({"cmd": cmd, **args}) + "\n").encode())
        await stdin.drain()
        return json.loads(await stdout.readline())

    async def posted(self, http: aiohttp.ClientSession) -> list[dict[str, Any]]:
        async with http.get(f"{self.slack}/_posted") as answer:
            calls: list[dict[str, Any]] = await answer.json()
            return calls


def _settings(peers: Peers, channel: str, **extra: str) -> Settings:
    return Settings.from_env(
        {
            "OKTA_ORG_URL": peers.okta,
            "OKTA_API_TOKEN": TOKEN,
            "SLACK_BOT_TOKEN": "xoxb-test",
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": f"{peers.slack}/api/",
            "REDIS_URL": os.environ.get("REDIS_URL", DEFAULT_REDIS_URL),
            "ATTRSYNC_REDIS_PREFIX": f"attrsync-bench-{uuid.uuid4().hex[:8]}:",
            "ATTRSYNC_EVENT_HOOK_SECRET": HOOK_SECRET,
            "ATTRSYNC_TRIAGE_CHANNEL": channel,
        }
        | extra
    )


def _channel() -> str:
    return "C" + uuid.uuid4().hex[:10].upper()


@asynccontextmanager
async def _bot(
    settings: Settings,
    redis: Redis,
    *,
    worker: bool,
    clock: Callable[[], datetime] | None = None,
) -> AsyncIterator[tuple[str, Services]]:
    """The bot over HTTP, with a worker running beside it as `serve` runs one (`worker`); its
    Redis keys are deleted afterwards."""
    async with (
        open_services(settings, settings.require_okta(), clock=clock) as services,
        http_server(build_app(services), services, "127.0.0.1", 0) as url,
    ):
        stop = asyncio.Event()
        running = asyncio.create_task(Worker(services).run(stop)) if worker else None
        try:
            yield url, services
        finally:
            stop.set()
            if running is not None:
                await running
            keys = [k async for k in redis.scan_iter(match=f"{settings.redis_prefix}*", count=1000)]
            for at in range(0, len(keys), 1000):
                await redis.unlink(*keys[at : at + 1000])


async def _deliver(http: aiohttp.ClientSession, url: str, body: bytes) -> float:
    """POST one delivery as Okta does; seconds until its answer was read."""
    headers = {"Authorization": HOOK_SECRET, "Content-Type": "application/json"}
    started = time.perf_counter()
    async with http.post(f"{url}/okta/events", data=body, headers=headers) as answer:
        await answer.read()
        if answer.status != 200:
            raise RuntimeError(f"the hook answered {answer.status}")
    return time.perf_counter() - started


def _body(events: Sequence[dict[str, Any]], okta_url: str) -> bytes:
    return json.dumps(envelope(events, okta_url)).encode()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# 1. the hook under a minute of 10,000 events --------------------------------------------------


@dataclass(frozen=True, slots=True)
class Load:
    name: str
    deliveries: int
    retries: int
    events: int
    answers: list[float]
    queued: int
    distinct: int
    triaged: int
    seconds: float
    okta_requests: int


def _spread(events: list[dict[str, Any]], window: float, seed: int) -> list[tuple[float, int]]:
    """(when, how many events) per delivery: 1 to MAX_DELIVERY events, at random moments."""
    rng = random.Random(seed)
    sizes: list[int] = []
    while sum(sizes) < len(events):
        sizes.append(min(rng.randint(1, MAX_DELIVERY), len(events) - sum(sizes)))
    return [(rng.uniform(0, window), size) for size in sizes]


async def _hook_load(
    peers: Peers,
    redis: Redis,
    http: aiohttp.ClientSession,
    events: list[dict[str, Any]],
    name: str,
    plan: list[tuple[float, int]] | None,
    window: float,
) -> Load:
    """Deliver `events` as `plan` says (else as deliveries of 100, 10 at a time) to a bot
    whose worker triages them meanwhile."""
    settings = _settings(peers, _channel())
    rng = random.Random(11)
    if plan is not None:
        chunks: list[tuple[float, list[dict[str, Any]]]] = []
        at = 0
        for when, size in plan:
            chunks.append((when, events[at : at + size]))
            at += size
        retried = rng.sample(range(len(chunks)), round(RETRIED * len(chunks)))
        sends = [(when, _body(chunk, peers.okta)) for when, chunk in chunks]
        sends += [(min(window, sends[i][0] + rng.uniform(1, 5)), sends[i][1]) for i in retried]
    else:
        sends = [(0.0, _body(events[i : i + 100], peers.okta)) for i in range(0, len(events), 100)]
        retried = []
    stream = Keys(settings.redis_prefix).events
    async with _bot(settings, redis, worker=True) as (url, _):
        await _deliver(http, url, _body([], peers.okta))  # a first connection, not timed
        await peers.ask("stats")
        loop = asyncio.get_running_loop()
        start = loop.time()
        if plan is not None:

            async def at_time(when: float, body: bytes) -> float:
                await asyncio.sleep(max(0.0, start + when - loop.time()))
                return await _deliver(http, url, body)

            answers = await asyncio.gather(*(at_time(w, b) for w, b in sends))
        else:
            gate = asyncio.Semaphore(10)

            async def gated(body: bytes) -> float:
                async with gate:
                    return await _deliver(http, url, body)

            answers = await asyncio.gather(*(gated(b) for _, b in sends))
        seconds = loop.time() - start
        [group] = await redis.xinfo_groups(stream)
        triaged = int(group["entries-read"] or 0) - int(group["pending"])
        okta = await peers.ask("stats")
        queued = int(await redis.xlen(stream))
        entries: Any = await redis.xrange(stream)
        uuids = [json.loads(fields[b"event"])["uuid"] for _, fields in entries]
    if set(uuids) != {e["uuid"] for e in events}:
        raise RuntimeError("the stream does not hold exactly the events sent")
    return Load(
        name,
        len(sends) - len(retried),
        len(retried),
        len(events),
        list(answers),
        queued,
        len(set(uuids)),
        triaged,
        seconds,
        okta["requests"],
    )


# 2. a failed push to the triage channel -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Triaged:
    seconds: float
    """From the POST until the fake Slack received the report."""
    before: float
    """From the POST until the first Okta request."""
    span: float
    """From the first Okta request to the last answer."""
    after: float
    """From the last Okta answer until the report was received."""
    requests: int
    round_trips: int
    minute: float
    """Seconds into the wall-clock minute (Okta's rate-limit window) of the POST."""


async def _failed_push(
    peers: Peers,
    redis: Redis,
    http: aiohttp.ClientSession,
    user: str,
    app: str,
    *,
    latency: float,
    warm: bool,
) -> Triaged:
    channel = _channel()
    settings = _settings(peers, channel)
    async with _bot(settings, redis, worker=True) as (url, services):
        await _deliver(http, url, _body([], peers.okta))  # a first connection
        await asyncio.sleep(0.2)
        if warm:  # an earlier event named the app: triage keeps its facts warm
            pushed = await peers.ask("pushed", user=user, app=app)
            await _deliver(http, url, _body([pushed], peers.okta))
            app_id = next(t["id"] for t in pushed["target"] if t["type"] == "AppInstance")
            claim = services.store.keys.warm_claim(app_id)
            async with asyncio.timeout(10):
                while not await redis.exists(claim):  # noqa: ASYNC110 (another process)
                    await asyncio.sleep(0.01)
            await asyncio.sleep(0.2 + 4 * latency)  # the refresh's round trips
        event = await peers.ask("fail", user=user, app=app)
        body = _body([event], peers.okta)
        await peers.ask("stats")
        started = time.time()
        await _deliver(http, url, body)
        deadline = time.monotonic() + 10
        posted: float | None = None
        while posted is None and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
            calls = await peers.posted(http)
            posted = next(
                (c["at"] for c in calls if c["channel"] == channel and c["method"] == POST), None
            )
        if posted is None:
            raise TimeoutError(f"no triage report for {user} in {app} within 10 s")
        okta = await peers.ask("stats", round_trips=True)
    return Triaged(
        seconds=posted - started,
        before=okta["first"] - started,
        span=okta["last"] - okta["first"],
        after=posted - okta["last"],
        requests=okta["requests"],
        round_trips=okta["round_trips"],
        minute=started % 60,
    )


# 3. a bulk import ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bulk:
    name: str
    changes: int
    calls: int
    per_pass: list[int]
    """Users due, pass by pass (the passes that found some)."""
    traffic: dict[str, Any]
    slack: Counter[str]
    """Slack calls about the triage channel, by method."""
    seconds: float


def _spread_over(events: list[dict[str, Any]], seconds: float) -> list[dict[str, Any]]:
    """The same changes, as if Okta had logged them one after the other over `seconds`."""
    first = datetime.now(UTC) - timedelta(seconds=seconds)
    step = seconds / max(1, len(events) - 1)
    return [
        dict(e, published=iso(first + timedelta(seconds=i * step))) for i, e in enumerate(events)
    ]


async def _bulk(
    peers: Peers,
    redis: Redis,
    http: aiohttp.ClientSession,
    events: list[dict[str, Any]],
    name: str,
) -> Bulk:
    """Deliver the changes, then triage them with work_once, the bot's clock moving on by
    triage's wait for an event plus the pass's own time after every pass, as triage's loop in
    `serve` does once the events are read; from the last change read, straight to the first
    one due (the passes in between find nothing)."""
    channel = _channel()
    settings = _settings(peers, channel)
    now = [datetime.now(UTC)]
    due_key = Keys(settings.redis_prefix).watch_due
    calls, per_pass = 0, []
    async with _bot(settings, redis, worker=False, clock=lambda: now[0]) as (url, services):
        gate = asyncio.Semaphore(10)

        async def gated(body: bytes) -> float:
            async with gate:
                return await _deliver(http, url, body)

        bodies = [_body(events[i : i + 50], peers.okta) for i in range(0, len(events), 50)]
        await asyncio.gather(*(gated(b) for b in bodies))
        await peers.ask("stats")
        worker = Worker(services, block_ms=1)
        started = time.monotonic()
        while True:
            began = time.monotonic()
            waiting = int(await redis.zcard(due_key))
            looked_at = await worker.work_once()
            calls += 1
            if not looked_at and waiting:
                per_pass.append(waiting - int(await redis.zcard(due_key)))
            now[0] += timedelta(seconds=TRIAGE_BLOCK + time.monotonic() - began)
            if looked_at:
                continue
            first = await redis.zrange(due_key, 0, 0, withscores=True)
            if not first:
                break
            now[0] = max(now[0], datetime.fromtimestamp(float(first[0][1]), UTC))
        seconds = time.monotonic() - started
        okta = await peers.ask("stats")
        slack = Counter(c["method"] for c in await peers.posted(http) if c["channel"] == channel)
    return Bulk(name, len(events), calls, [n for n in per_pass if n], okta, slack, seconds)


# the run ---------------------------------------------------------------------------------------


async def main(
    latency: float,
    count: int,
    window: float,
    runs: int,
    users: int,
    import_seconds: float,
    parts: str,
) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench.watch", "--serve", str(latency), str(users),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=2**26,
    )  # fmt: skip
    assert process.stdout is not None and process.stdin is not None
    peers = Peers(process, json.loads(await process.stdout.readline()))
    redis = Redis.from_url(os.environ.get("REDIS_URL", DEFAULT_REDIS_URL))
    try:
        async with aiohttp.ClientSession() as http:
            loads, bulks = [], []
            pushes: list[tuple[bool, Triaged]] = []
            if "1" in parts:
                mix: list[dict[str, Any]] = await peers.ask("mix", events=count, seed=20240601)
                plan = _spread(mix, window, 7)
                loads.append(await _hook_load(peers, redis, http, mix, "spread", plan, window))
                loads.append(await _hook_load(peers, redis, http, mix, "burst", None, window))
            if "2" in parts:
                for warm in (False, True):
                    for i in range(runs):
                        case = SYNC_FAILURES[i % len(SYNC_FAILURES)]
                        push = await _failed_push(
                            peers, redis, http, *case, latency=latency, warm=warm
                        )
                        pushes.append((warm, push))
            if "3" in parts:
                imported: list[dict[str, Any]] = await peers.ask("import")
                await peers.ask("limits", limit=10**7)
                spread = _spread_over(imported, import_seconds)
                over = f"logged over {import_seconds:.0f} s"
                bulks.append(await _bulk(peers, redis, http, imported, "logged at one instant"))
                bulks.append(await _bulk(peers, redis, http, spread, over))
                first = imported[:BULK]
                bulks.append(await _bulk(peers, redis, http, first, "changes, user by user"))
    finally:
        process.stdin.close()
        await process.wait()
        await redis.aclose()
    print(
        f"fake Okta latency L = {latency * 1000:.0f} ms per answer; the fake's org (demo + "
        f"NetSuite, {users:,} users) took {peers.build_seconds:.1f} s to build"
    )
    if loads:
        _report_hook(window, loads)
    if pushes:
        _report_pushes(latency, pushes)
    if bulks:
        _report_bulk(bulks, users)


def _report_hook(window: float, loads: list[Load]) -> None:
    print(f"\n1. the Event Hook, {loads[0].events:,} events (target: answer p99 < 100 ms)\n")
    print(
        "| deliveries | answer p50 | p99 | max | stream entries | distinct uuids "
        "| triaged by the last answer | Okta requests meanwhile |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for load in loads:
        ms = [a * 1000 for a in load.answers]
        if load.name == "spread":
            how = (
                f"{load.deliveries} of 1 to {MAX_DELIVERY} events over {window:.0f} s, "
                f"+ {load.retries} sent again"
            )
        else:
            how = f"{load.deliveries} of 100 events, 10 at a time ({load.seconds:.1f} s)"
        print(
            f"| {how} | {statistics.median(ms):.1f} ms | {_percentile(ms, 0.99):.1f} ms "
            f"| {max(ms):.1f} ms | {load.queued:,} | {load.distinct:,} "
            f"| {load.triaged:,} ({load.triaged / load.seconds:.0f}/s) | {load.okta_requests} |"
        )


def _report_pushes(latency: float, pushes: list[tuple[bool, Triaged]]) -> None:
    target = 2 * latency + 0.15
    print(
        f"\n2. failed push → triage post, fresh event per run (target <= 2 L + 150 ms = "
        f"{target * 1000:.0f} ms): cold (the first event to name its app) and in an app "
        "kept warm (an event named it lately)\n"
    )
    print(
        "| app | runs | POST → post p50 | min | max | of which POST → first Okta request "
        "(median) | Okta traffic | last answer → post | Okta requests | round trips "
        "| within target |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for warm in (False, True):
        runs = [p for kind, p in pushes if kind is warm]
        if not runs:
            continue
        ms = [p.seconds * 1000 for p in runs]
        print(
            f"| {'kept warm' if warm else 'cold'} | {len(runs)} | {statistics.median(ms):.0f} ms "
            f"| {min(ms):.0f} ms | {max(ms):.0f} ms "
            f"| {statistics.median(p.before for p in runs) * 1000:.0f} ms "
            f"| {statistics.median(p.span for p in runs) * 1000:.0f} ms "
            f"| {statistics.median(p.after for p in runs) * 1000:.0f} ms "
            f"| {statistics.median(p.requests for p in runs):.0f} "
            f"| {statistics.median(p.round_trips for p in runs):.0f} "
            f"| {sum(1 for p in runs if p.seconds <= target)} of {len(runs)} |"
        )
    for warm in (False, True):
        runs = [p for kind, p in pushes if kind is warm]
        print(
            f"\nper run, {'kept warm' if warm else 'cold'} (ms; POST → first request + traffic"
            " + to post; seconds into the minute): "
            + ", ".join(
                f"{p.seconds * 1000:.0f} ({p.before * 1000:.0f} + {p.span * 1000:.0f} + "
                f"{p.after * 1000:.0f}; {p.minute:.0f} s)"
                for p in runs
            )
        )


def _report_bulk(bulks: list[Bulk], users: int) -> None:
    print(
        f"\n3. a bulk import: {users:,} title changes in NetSuite (its title mapping applies on "
        "create only; Okta's rate limits lifted)\n"
    )
    print(
        "| changes (update_profile events) | passes with users due | users per pass "
        "| app-scanning passes | Okta requests | pages | app-level | per-user "
        f"| scaled to {users:,} | Slack posts / updates |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for bulk in bulks:
        kinds = bulk.traffic["kinds"]
        scale = users / bulk.changes
        passes = bulk.per_pass
        sizes = f"{min(passes)} to {max(passes)}" if len(passes) > 1 else str(sum(passes))
        print(
            f"| {bulk.changes:,} {bulk.name} | {len(passes)} | {sizes} "
            f"| {bulk.traffic['passes']} | {bulk.traffic['requests']:,} "
            f"| {kinds.get('pages', 0)} | {kinds.get('app-level', 0)} "
            f"| {kinds.get('per-user', 0)} | {bulk.traffic['requests'] * scale:,.0f} "
            f"| {bulk.slack[POST]} / {bulk.slack[UPDATE]:,} |"
        )
    print(
        f"\nA pass reads at most {BATCH} events; more than {BULK} changes due in one pass are "
        "triaged by scanning every provisioned app, else user by user. The bot's clock moves on "
        f"{TRIAGE_BLOCK:.0f} s (triage's wait for an event) plus each pass's own time."
    )
    for bulk in bulks:
        print(
            f"- {bulk.changes:,} {bulk.name}: {bulk.calls} work_once calls in "
            f"{bulk.seconds:.1f} s (the fake's own time {bulk.traffic['fake_seconds']:.1f} s); "
            f"requests by bucket {bulk.traffic['buckets']} ({bulk.traffic['logs']} System Log "
            f"pages), {bulk.traffic['failed']} failed"
        )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        asyncio.run(_serve(float(sys.argv[2]), int(sys.argv[3])))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per answer")
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--window", type=float, default=60.0, help="seconds the events span")
    parser.add_argument("--runs", type=int, default=10, help="failed pushes per worker setting")
    parser.add_argument("--bulk", type=int, default=5_000, help="NetSuite's users")
    parser.add_argument(
        "--import-seconds", type=float, default=60.0, help="how long the import takes Okta"
    )
    parser.add_argument("--parts", default="123", help="which of the three to run, e.g. 2")
    options = parser.parse_args()
    args = (
        options.latency,
        options.events,
        options.window,
        options.runs,
        options.bulk,
        options.import_seconds,
        options.parts,
    )
    asyncio.run(main(*args))
