"""Triage never loses a report, nor posts one twice, when Slack refuses it, when its worker
process is SIGKILLed while Slack is slow, or when Redis restarts in the middle of a batch;
and a burst's count holds only the users actually reported.

The crashes are real: `attrsync worker` processes against the fake Okta, the fake Slack and a
redis-server of the test's own (append-only, fsync always), as in test_fix_crashes. A report
is a chat.postMessage to the triage channel that Slack accepted, and it carries its
(user, app, cause) in its message metadata: that is what is counted.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from redis.exceptions import RedisError

from bot.demo import crowd
from bot.store.keys import Keys
from bot.store.triage import GROUP, Post
from bot.watch.triage import BURST_LIMIT, Triage
from fakes.okta.event_hook import envelope
from fakes.okta.server import FakeOkta, Fault
from fakes.slack.server import FakeSlack, Hold, SlackCall
from tests.harness.bot import Bot, bot_settings, running_bot
from tests.harness.builders import title_import
from tests.harness.crash import (
    PATIENCE,
    PrivateRedis,
    WorkerProcess,
    crash_while_held,
    tail,
    until,
    worker_env,
)

SECRET = "okta-hook-secret-0123456789"
TRIAGE = "C0TRIAGE"
PUSH_PROFILE = "application.provision.user.push_profile"


def _settings(fake_okta: FakeOkta, slack: FakeSlack, redis_url: str | None = None) -> Any:
    return bot_settings(
        fake_okta.url,
        slack,
        redis_url,
        ATTRSYNC_EVENT_HOOK_SECRET=SECRET,
        ATTRSYNC_TRIAGE_CHANNEL=TRIAGE,
        ATTRSYNC_WATCH_GRACE="60",
    )


@pytest.fixture
async def watching(fake_okta: FakeOkta, slack: FakeSlack) -> AsyncIterator[Bot]:
    """The bot in this process, on the shared Redis."""
    async with running_bot(_settings(fake_okta, slack), slack) as running:
        yield running


async def _deliver(bot: Bot, fake: FakeOkta, events: list[dict[str, Any]]) -> None:
    """Okta's Event Hook delivers `events`: they are queued on the stream."""
    body = json.dumps(envelope(events, fake.url))
    headers = {"Authorization": SECRET, "Content-Type": "application/json"}
    async with bot.http.post(f"{bot.url}/okta/events", data=body, headers=headers) as response:
        assert response.status == 200


def _failed_pushes(fake: FakeOkta, app: str, login: str | None = None) -> list[Any]:
    """The failed profile pushes the demo org logged for `app` (and `login`)."""
    found, user = fake.state.find_app(app), fake.state.find_user(login) if login else None
    assert found is not None
    return [
        e
        for e in fake.state.logs
        if e["eventType"] == PUSH_PROFILE
        and e["outcome"]["result"] == "FAILURE"
        and any(t["id"] == found["id"] for t in e["target"])
        and (user is None or any(t["id"] == user["id"] for t in e["target"]))
    ]


def _accepted(slack: FakeSlack) -> list[SlackCall]:
    """The messages Slack took in the triage channel (not thread replies)."""
    return [
        c
        for c in slack.calls_to("chat.postMessage")
        if c.args.get("channel") == TRIAGE and c.answer.get("ok") and not c.args.get("thread_ts")
    ]


def _key(call: SlackCall) -> str | None:
    """The (user, app, cause) a report names in its metadata; None for another message."""
    meta = call.args.get("metadata")
    if isinstance(meta, str):
        meta = json.loads(meta)
    if not isinstance(meta, dict) or meta.get("event_type") != "attrsync_triage":
        return None
    return str(meta["event_payload"]["key"])


def _reports(slack: FakeSlack) -> collections.Counter[str]:
    """How many times each (user, app, cause) was posted."""
    return collections.Counter(k for c in _accepted(slack) if (k := _key(c)) is not None)


def _bursts(slack: FakeSlack) -> list[SlackCall]:
    return [c for c in _accepted(slack) if "failed to sync within minutes" in c.args["text"]]


def _in_channel(slack: FakeSlack) -> collections.Counter[str]:
    """The reports in the triage channel as Slack holds it, by (user, app, cause)."""
    keys = (
        m.get("metadata", {}).get("event_payload", {}).get("key")
        for (channel, _), m in slack.messages.items()
        if channel == TRIAGE and not m.get("thread_ts")
    )
    return collections.Counter(k for k in keys if k)


async def _settled(bot: Bot, log: Path | None = None) -> None:
    """Wait (riding out a Redis that is restarting) until every queued event was read and
    acknowledged by triage."""
    redis, stream = bot.services.store.redis, Keys(bot.services.settings.redis_prefix).events
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while loop.time() < deadline:
        with contextlib.suppress(RedisError, OSError):
            groups: list[dict[str, Any]] = await redis.xinfo_groups(stream)
            [group] = [g for g in groups if g["name"] in (GROUP, GROUP.encode())]
            newest: Any = await redis.xrevrange(stream, count=1)
            [(last, _)] = newest
            if group["pending"] == 0 and group["last-delivered-id"] == last:
                return
        await asyncio.sleep(0.05)
    raise AssertionError(f"triage never acknowledged its events; log:\n{tail(log) if log else ''}")


async def _recorded(bot: Bot, key: str) -> Post | None:
    """The post Redis recorded for the report `key` (None while it is a claim, or nothing)."""
    user_id, app_id, cause = key.split(":", 2)
    hash_key = Keys(bot.services.settings.redis_prefix).triage_posts(user_id, app_id)
    return Post.of(await bot.services.store.redis.hget(hash_key, cause) or b"")


# 1. Slack refuses a report once.


def _held_workers(
    bot: Bot, fake: FakeOkta, slack: FakeSlack, redis: PrivateRedis, held: Hold, log: Path
) -> tuple[WorkerProcess, WorkerProcess]:
    """Two worker processes triaging into the triage channel, Slack's posts held by `held`."""
    slack.holds["chat.postMessage"] = held
    env = worker_env(bot, fake, slack, redis.url)
    env["ATTRSYNC_TRIAGE_CHANNEL"] = TRIAGE
    return WorkerProcess(env, log), WorkerProcess(env, log)


async def test_a_report_slack_refuses_is_posted_on_the_next_attempt_once(
    watching: Bot, fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    """The refused report's event is left pending, handed out again after the idle time and
    posted then; the other event of the batch is posted once, and both end acknowledged."""
    events = (
        _failed_pushes(fake_okta, "google", "efail")[:1]
        + _failed_pushes(fake_okta, "salesforce")[:1]
    )
    await _deliver(watching, fake_okta, events)
    slack.fail_next["chat.postMessage"] = "internal_error"
    triage = Triage(watching.services, "triage-test", idle_ms=1)
    assert await triage.work_once() == 2
    [refused] = [c for c in slack.calls_to("chat.postMessage") if not c.answer.get("ok")]
    assert refused.answer["error"] == "internal_error"
    first = _key(refused)
    efail = fake_okta.state.find_user("efail")
    assert efail is not None and first is not None and first.startswith(efail["id"] + ":")
    assert list(_reports(slack)) != [first]  # the other report went out meanwhile
    assert len(_reports(slack)) == 1
    user_id, app_id, cause = first.split(":", 2)
    claims = Keys(watching.services.settings.redis_prefix).triage_posts(user_id, app_id)
    assert await watching.services.store.redis.hget(claims, cause) is None  # let go
    await asyncio.sleep(0.005)  # fault injection: past the idle time (1 ms)
    assert await triage.work_once() == 1  # handed out again: only the refused one
    await triage.work_once()
    reports = _reports(slack)
    assert first in reports
    assert len(reports) == 2 and set(reports.values()) == {1}, reports
    assert _in_channel(slack) == reports
    await _settled(watching)
    for key in reports:
        assert await _recorded(watching, key) is not None


# 2. The worker process is killed while Slack holds the post.


@pytest.mark.parametrize("when", ["before", "after"])
async def test_a_report_whose_worker_is_killed_while_posting_is_posted_exactly_once(
    fake_okta: FakeOkta,
    slack: FakeSlack,
    private_redis: PrivateRedis,
    tmp_path: Path,
    when: str,
) -> None:
    """SIGKILL of the worker while Slack holds its post: `before` Slack took it (the second
    worker takes the event over after the lease's idle time and posts it), or `after` Slack
    took it but before the worker recorded it (the second worker reads it back from the
    channel and posts nothing)."""
    await private_redis.start()
    log = tmp_path / "workers.log"
    async with running_bot(_settings(fake_okta, slack, private_redis.url), slack) as bot:
        await _deliver(bot, fake_okta, _failed_pushes(fake_okta, "google", "efail")[:1])
        held = Hold(when="before" if when == "before" else "after")
        first, second = _held_workers(bot, fake_okta, slack, private_redis, held, log)
        await first.start()
        try:
            await asyncio.wait_for(held.held.wait(), PATIENCE)
            assert len(_accepted(slack)) == (1 if when == "after" else 0)
            await crash_while_held("kill_worker", held, first, second, private_redis)
            await until(lambda: len(_accepted(slack)) >= 1, "the report")
            await _settled(bot, log)
            [report] = _accepted(slack)
            key = _key(report)
            assert key is not None
            recorded = await _recorded(bot, key)
        finally:
            await first.stop()
            await second.stop()
    assert _reports(slack) == _in_channel(slack) == {key: 1}, tail(log)
    assert recorded is not None and recorded.ts == report.answer["ts"]
    # The second worker found the claim its entry had made, and read the channel back.
    assert slack.calls_to("conversations.history"), tail(log)


# 3. Redis restarts in the middle of a batch.


@pytest.mark.parametrize("answered", ["after_restart", "while_down"])
async def test_every_report_of_a_batch_is_posted_once_across_a_redis_restart(
    fake_okta: FakeOkta,
    slack: FakeSlack,
    private_redis: PrivateRedis,
    tmp_path: Path,
    answered: str,
) -> None:
    """A batch of failures (one in Google Workspace, six in Salesforce: five reports and a
    burst message); Redis is SIGKILLed while Slack holds the third report and restarted under
    the same worker, Slack answering once it is back (`after_restart`), or while it is down
    (`while_down`: the report is out, but cannot be recorded)."""
    events = _failed_pushes(fake_okta, "google", "efail")[:1] + _failed_pushes(
        fake_okta, "salesforce"
    )
    assert len(events) == 1 + crowd.PUSH_FAILED
    await private_redis.start()
    log = tmp_path / "workers.log"
    async with running_bot(_settings(fake_okta, slack, private_redis.url), slack) as bot:
        await _deliver(bot, fake_okta, events)
        held = Hold(skip=2)
        first, second = _held_workers(bot, fake_okta, slack, private_redis, held, log)
        await first.start()
        try:
            await asyncio.wait_for(held.held.wait(), PATIENCE)
            if answered == "after_restart":
                await crash_while_held("restart_redis", held, first, second, private_redis)
            else:
                await private_redis.kill()
                held.release()
                await until(lambda: len(_accepted(slack)) == 3, "Slack's answer")
                await asyncio.sleep(0.3)  # fault injection: the worker meets the outage
                await private_redis.start()
            await until(lambda: len(_accepted(slack)) >= BURST_LIMIT + 2, "every report")
            await _settled(bot, log)
            reports = _reports(slack)
            posts = {k: await _recorded(bot, k) for k in reports}
            # What was recorded before the crash survived it: new failures of the same
            # users and apps are reported already, and post nothing.
            again = [dict(e, uuid=str(uuid.uuid4())) for e in events]
            await _deliver(bot, fake_okta, again)
            await _settled(bot, log)
        finally:
            await first.stop()
            await second.stop()
    assert len(reports) == 1 + BURST_LIMIT and set(reports.values()) == {1}, (reports, tail(log))
    assert _in_channel(slack) == reports
    [burst] = _bursts(slack)
    assert burst.args["text"].startswith(f"{crowd.PUSH_FAILED} users of Salesforce")
    assert len(_accepted(slack)) == 1 + BURST_LIMIT + 1, tail(log)
    assert all(post is not None for post in posts.values()), posts


# 4. A burst counts the users reported, not those whose diagnosis could not run.


@pytest.mark.parametrize("status", [500, 403])
async def test_a_burst_counts_only_the_users_reported(
    fake_okta: FakeOkta, slack: FakeSlack, status: int
) -> None:
    """Thirty titles changed at once (an HR import; Salesforce applies titles on create only):
    Okta fails (500) or refuses (403) the diagnoses of the first two users looked at one by
    one, so they cannot confirm the scan's cause. Those two are not reported, and not
    counted: five others are reported one by one, and the app's message says 28, not 30."""
    now = [datetime.now(UTC)]
    state = fake_okta.state
    salesforce = state.find_app("salesforce")
    assert salesforce is not None
    users, changes = title_import(state, salesforce, 30)
    refusing = Fault.status(status, path=r"^/api/v1/users/[^/]+$", method="GET", times=2)
    async with running_bot(_settings(fake_okta, slack), slack, clock=lambda: now[0]) as bot:
        await _deliver(bot, fake_okta, changes)
        triage = Triage(bot.services, "triage-test", idle_ms=60_000)
        await triage.work_once()  # queued for after the grace
        assert not _accepted(slack)
        now[0] += timedelta(seconds=61)
        fake_okta.faults.append(refusing)
        await triage.work_once()
    assert refusing.hits == 2
    reports = _reports(slack)
    assert len(reports) == BURST_LIMIT and set(reports.values()) == {1}, reports
    [burst] = _bursts(slack)
    assert burst.args["text"].startswith(f"{len(users) - 2} users of Salesforce"), burst.args[
        "text"
    ]
