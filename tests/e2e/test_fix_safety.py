"""Fix safety: the approval/fix workflow when Okta, Slack or Redis misbehave.

Each test drives the real pieces (the bot over signed HTTP, the real Redis, the fake Okta, the
fake Slack) into one failure and asserts what must still hold: a change reaches Okta once, a
user who was unassigned is assigned again, a request is never left half-approved, and the
thread says "Verified" only when the re-diagnosis saw the cause gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from bot.fixes.render import verification
from bot.fixes.runner import STALL_RETRY
from bot.runtime import worker as worker_module
from bot.runtime.worker import Worker
from bot.slackkit.failures import REDIS_REFUSED
from bot.store import moves as moves_store
from bot.store.approvals import Approval, Approvals
from bot.store.audit import AuditTrail
from bot.store.moves import GROUP
from bot.store.runs import Leases, RedisJournal
from bot.workflow.fixes import APPROVE, START, State
from checks.model import Finding, Status
from checks.remediation.execute import Entry, LeaseLost
from checks.remediation.model import Plan, Step
from fakes.okta.server import FakeOkta, Fault
from fakes.slack.server import FakeSlack, SlackCall
from tests.conftest import forget_keys
from tests.harness.approvals import REQUESTER, click, mutations, publish_home, request_fix, worker
from tests.harness.bot import (
    APPROVER,
    GROUP_MEMBER,
    Bot,
    bot_settings,
    buttons,
    new_channel,
    running_bot,
)

APPROVED = "Approved: the fix runs now, and the thread shows how it goes."
REQUESTED = "Approval requested in the thread"
AUDIT_CHANNEL = "C0AUDIT"
QUICK_STALLS = STALL_RETRY.scaled(0.05 / STALL_RETRY.initial)
"""The stall backoff, a stalled run tried again after 50 ms instead of 30 s."""


# Fixtures ------------------------------------------------------------------------------------


@asynccontextmanager
async def _running(fake_okta: FakeOkta, slack: FakeSlack, **extra: str) -> AsyncIterator[Bot]:
    """The bot, with its Redis keys removed afterwards (each test has its own prefix)."""
    settings = bot_settings(fake_okta.url, slack, **extra)
    async with running_bot(settings, slack) as running:
        try:
            yield running
        finally:
            await forget_keys(running.services.store.redis, settings.redis_prefix)


@pytest.fixture
async def bot(fake_okta: FakeOkta, slack: FakeSlack) -> AsyncIterator[Bot]:
    async with _running(fake_okta, slack) as running:
        yield running


@pytest.fixture
async def audited_bot(fake_okta: FakeOkta, slack: FakeSlack) -> AsyncIterator[Bot]:
    """The bot with an audit channel, which hears of every transition."""
    async with _running(fake_okta, slack, ATTRSYNC_AUDIT_CHANNEL=AUDIT_CHANNEL) as running:
        yield running


# Helpers -------------------------------------------------------------------------------------


async def eventually(condition: Callable[[], Awaitable[bool]], what: str, tries: int = 500) -> None:
    """Poll `condition` every 10 ms, at most `tries` times; fail saying `what` never happened."""
    for _ in range(tries):
        if await condition():
            return
        await asyncio.sleep(0.01)
    pytest.fail(f"never happened: {what}")


async def approval_of(bot: Bot, approval_id: str) -> Approval:
    approval = await bot.services.approvals.get(approval_id)
    assert approval is not None, f"approval {approval_id} is gone"
    return approval


async def state_of(bot: Bot, approval_id: str) -> State:
    return (await approval_of(bot, approval_id)).state


def app_id(fake_okta: FakeOkta, name: str) -> str:
    app = fake_okta.state.find_app(name)
    assert app is not None
    return str(app["id"])


def user_id(fake_okta: FakeOkta, login: str) -> str:
    user = fake_okta.state.find_user(login)
    assert user is not None
    return str(user["id"])


def features_path(fake_okta: FakeOkta, app: str) -> str:
    return f"/api/v1/apps/{app_id(fake_okta, app)}/features/USER_PROVISIONING"


def thread(slack: FakeSlack, thread_ts: str) -> list[SlackCall]:
    """The bot's posts in one thread that Slack accepted, in order."""
    return [
        c
        for c in slack.calls_to("chat.postMessage")
        if c.args.get("thread_ts") == thread_ts and c.answer.get("ok")
    ]


def texts(calls: list[SlackCall]) -> list[str]:
    """What each message says: its fallback text and its blocks."""
    return [f"{c.args.get('text', '')} {json.dumps(c.args.get('blocks', []))}" for c in calls]


async def diagnosed(bot: Bot, question: str, check: str) -> tuple[str, str, str]:
    """Ask `question` as the requester; returns the channel, the report's ts and the value
    of its `fix:<check>` button (the fix offer)."""
    channel = new_channel()
    await bot.command(question, channel=channel, user=REQUESTER)
    [report] = await bot.slack.wait_for("chat.postMessage")
    offer = buttons(report.args["blocks"])[f"fix:{check}"]["value"]
    return channel, str(report.answer["ts"]), str(offer)


async def approve(bot: Bot, approval_id: str, channel: str, request: SlackCall, user: str) -> str:
    return await click(bot, "approval:approve", approval_id, user, channel, request.answer["ts"])


async def audit_events(bot: Bot) -> list[dict[str, Any]]:
    return await AuditTrail(bot.services.store.redis, bot.services.store.prefix).read(200)


def audit_channel_lines(slack: FakeSlack) -> list[str]:
    return [
        str(c.args["text"])
        for c in slack.calls_to("chat.postMessage")
        if c.args["channel"] == AUDIT_CHANNEL
    ]


async def home_tab(bot: Bot, user: str) -> str:
    """Open App Home as `user`; returns the published view as JSON text."""
    return json.dumps((await publish_home(bot, user)).args["view"])


async def consumers(redis: Redis, stream: str) -> dict[str, dict[str, Any]]:
    """The workers' group's consumers by name (none while the group does not exist)."""
    try:
        found = await redis.xinfo_consumers(stream, GROUP)
    except ResponseError:
        return {}
    return {_text(c["name"]): c for c in found}


async def work_until(
    working: Worker, done: Callable[[], Awaitable[bool]], what: str, rounds: int = 200
) -> None:
    """Call `work_once` until `done` (bounded: each idle round blocks for its block_ms)."""
    for _ in range(rounds):
        if await done():
            return
        await working.work_once()
    pytest.fail(f"the worker never got there: {what}")


async def approved_relink_okta_refuses(bot: Bot, fake_okta: FakeOkta) -> tuple[str, str, Fault]:
    """jdoe's Box relink (Deactivate Users off), approved, with Okta refusing the reassign
    for several worker tries (each sends a few POSTs); returns the approval id, the thread
    and the refusing fault."""
    fake_okta.state.set_provisioning("boxnet", deactivate=False)
    box = app_id(fake_okta, "boxnet")
    channel, approval_id, request = await request_fix(bot, "why jdoe box", "external_id")
    refusals = Fault.status(500, path=f"/api/v1/apps/{box}/users$", method="POST", times=9)
    fake_okta.faults.append(refusals)
    assert await approve(bot, approval_id, channel, request, APPROVER) == APPROVED
    return approval_id, str(request.args["thread_ts"]), refusals


def slack_unreachable_once(
    monkeypatch: pytest.MonkeyPatch, bot: Bot, method: str, when: Callable[[dict[str, Any]], bool]
) -> list[dict[str, Any]]:
    """The first call to the bot's Slack client `method` whose arguments `when` picks fails as
    when Slack cannot be reached (aiohttp raises, no Slack answer); returns what failed."""
    client = bot.services.slack
    real = getattr(client, method)
    failed: list[dict[str, Any]] = []

    async def flaky(**kwargs: Any) -> Any:
        if not failed and when(kwargs):
            failed.append(kwargs)
            raise aiohttp.ClientConnectionError("Cannot connect to host slack.com:443")
        return await real(**kwargs)

    monkeypatch.setattr(client, method, flaky)
    return failed


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


# 1. Okta slow: the change reaches Okta once, however many workers share the job -------------


@pytest.mark.parametrize("workers", [2, 3])
async def test_slow_okta_change_is_sent_once_however_many_workers_run(
    bot: Bot,
    fake_okta: FakeOkta,
    slack: FakeSlack,
    caplog: pytest.LogCaptureFixture,
    workers: int,
) -> None:
    """Okta takes 1.5 s to answer the PUT, five times the workers' 300 ms lease. Meanwhile the
    other workers claim the idle job (XAUTOCLAIM after a lease of idleness), but the holder
    renews its lease, so nobody else runs it: one PUT, one "done", one "Verified"."""
    features = features_path(fake_okta, "zoomus")
    fake_okta.faults.append(Fault.delay(1.5, path=f"{features}$", method="PUT"))
    channel, approval_id, request = await request_fix(bot, "why iupd zoom", "update_attributes")
    thread_ts = request.args["thread_ts"]
    redis, jobs = bot.services.store.redis, bot.services.approvals.jobs

    async def claimed_by_another() -> bool:
        entries = await redis.xpending_range(jobs, GROUP, "-", "+", 10)
        return any(int(e["times_delivered"]) >= 2 for e in entries)

    async def verified() -> bool:
        return any("Verified" in t for t in texts(thread(slack, thread_ts)))

    stop = asyncio.Event()
    loops = [
        asyncio.create_task(worker(bot, name=f"slow-{n}", lease_ms=300).run(stop))
        for n in range(workers)
    ]
    try:
        assert await approve(bot, approval_id, channel, request, APPROVER) == APPROVED
        await eventually(claimed_by_another, "another worker claimed the job during the PUT")
        await eventually(verified, "the thread said how the fix went")
    finally:
        stop.set()
        await asyncio.wait_for(asyncio.gather(*loops), 10)

    assert [r.path for r in fake_okta.requests if r.method == "PUT"] == [features]
    events = [e["event"] for e in await audit_events(bot)]
    assert events.count("running") == 1
    assert events.count("done") == 1
    assert sum("Verified" in t for t in texts(thread(slack, thread_ts))) == 1
    assert await state_of(bot, approval_id) is State.DONE
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


# 2. A reassign Okta keeps refusing: the run stalls loudly, retries, then resolves ------------


async def test_refused_reassign_stalls_loudly_until_okta_accepts_it(
    audited_bot: Bot, fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    """Between the unassign and the reassign jdoe has no Box account: while Okta refuses the
    reassign, the run must neither give up nor go quiet. It stalls (thread, audit channel
    once, App Home), retries with backoff, and once Okta accepts, says it is resolved."""
    bot = audited_bot
    state = fake_okta.state
    box, jdoe = app_id(fake_okta, "boxnet"), user_id(fake_okta, "jdoe")
    approval_id, thread_ts, refusals = await approved_relink_okta_refuses(bot, fake_okta)
    stalling = worker(bot, name="stalling", stall_retry=QUICK_STALLS)

    assert await stalling.work_once() == 1
    stalled = await approval_of(bot, approval_id)
    assert stalled.state is State.STALLED
    assert (box, jdoe) not in state.app_users  # unassigned, for now: hence the alarm
    assert [a.id for a in await bot.services.approvals.attention()] == [approval_id]
    [alert] = [c for c in thread(slack, thread_ts) if "Needs attention" in c.args["text"]]
    assert stalled.alert_ts == alert.answer["ts"]
    assert "need attention" in await home_tab(bot, REQUESTER)

    async def finished() -> bool:
        return await state_of(bot, approval_id) in (State.DONE, State.FAILED)

    await work_until(stalling, finished, "the reassign went through")

    done = await approval_of(bot, approval_id)
    assert done.state is State.DONE
    assert done.stalls >= 2  # it did stall several times
    assert refusals.times == 0  # and only got through once Okta stopped refusing
    assert state.app_users[(box, jdoe)]["externalId"]
    assert await bot.services.approvals.attention() == []
    assert "need attention" not in await home_tab(bot, REQUESTER)
    loud = [line for line in audit_channel_lines(slack) if line.startswith(":rotating_light:")]
    assert len(loud) == 1, loud
    resolved = [c for c in slack.calls_to("chat.update") if c.args["ts"] == alert.answer["ts"]]
    assert "Resolved" in resolved[-1].args["text"]
    assert len([r for r in fake_okta.requests if r.method == "DELETE"]) == 1


async def test_slack_unreachable_as_the_run_finishes_still_records_and_verifies_it(
    bot: Bot, fake_okta: FakeOkta, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack cannot be reached for the one update of the request message to "done": the
    change is made and the request DONE, so the audit trail and the thread must say so."""
    channel, approval_id, request = await request_fix(bot, "why iupd zoom", "update_attributes")
    assert await approve(bot, approval_id, channel, request, APPROVER) == APPROVED
    failed = slack_unreachable_once(
        monkeypatch, bot, "chat_update", lambda args: "(done)" in str(args.get("text"))
    )
    with contextlib.suppress(aiohttp.ClientError):  # the worker's loop would log it, go on
        await worker(bot).work_once()
    assert failed, "the fault hit the update"
    assert await state_of(bot, approval_id) is State.DONE
    assert "done" in [e["event"] for e in await audit_events(bot)]
    assert any("Verified" in t for t in texts(thread(slack, request.args["thread_ts"])))


async def test_slack_unreachable_as_the_run_stalls_still_raises_the_alarm(
    audited_bot: Bot, fake_okta: FakeOkta, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first stall is the only one announced in the audit channel: if a Slack hiccup on
    the request message's update skips it, nobody there ever hears a user is unassigned."""
    bot = audited_bot
    approval_id, _, _ = await approved_relink_okta_refuses(bot, fake_okta)
    failed = slack_unreachable_once(
        monkeypatch, bot, "chat_update", lambda args: "(stalled)" in str(args.get("text"))
    )
    stalling = worker(bot, name="stalling", stall_retry=QUICK_STALLS)
    for _ in range(200):
        if await state_of(bot, approval_id) in (State.DONE, State.FAILED):
            break
        with contextlib.suppress(aiohttp.ClientError):  # the worker's loop would log it, go on
            await stalling.work_once()
    assert failed, "the fault hit the update"
    assert await state_of(bot, approval_id) is State.DONE
    loud = [line for line in audit_channel_lines(slack) if line.startswith(":rotating_light:")]
    assert len(loud) == 1, loud


# 3. Honest verification ----------------------------------------------------------------------


def test_verification_says_verified_when_the_check_is_ok() -> None:
    finding = Finding("update_attributes", Status.OK, "Update User Attributes is on")
    message = verification("update_attributes", finding, [])
    assert message.text.startswith(":white_check_mark: Verified")


@pytest.mark.parametrize(
    "status", [Status.PROBLEM, Status.WARNING, Status.UNKNOWN, Status.SKIPPED, None]
)
def test_verification_never_says_verified_unless_the_check_is_ok(status: Status | None) -> None:
    """A check that still fails, warns, could not run or was skipped verifies nothing."""
    finding = None if status is None else Finding("update_attributes", status, "Some title")
    message = verification("update_attributes", finding, [])
    shown = f"{message.text} {json.dumps([b.to_dict() for b in message.blocks])}"
    assert "Not verified" in shown
    assert "Verified" not in shown


@pytest.mark.parametrize(
    ("failing", "said"),
    [
        pytest.param("features", "Not verified", id="the-fixed-setting-unreadable"),
        pytest.param(".*", "Could not re-check", id="okta-unreadable"),
    ],
)
async def test_fix_done_but_okta_unreadable_afterwards_is_not_verified(
    bot: Bot, fake_okta: FakeOkta, slack: FakeSlack, failing: str, said: str
) -> None:
    """The PUT is applied; then, before its answer arrives, Okta stops answering the reads the
    re-diagnosis needs (and the plan does not). The fix is done, but not verified."""
    features = features_path(fake_okta, "zoomus")
    held = Fault.hold_request(path=f"{features}$", method="PUT", when="after")
    fake_okta.faults.append(held)
    channel, approval_id, request = await request_fix(bot, "why iupd zoom", "update_attributes")
    assert await approve(bot, approval_id, channel, request, APPROVER) == APPROVED
    running = asyncio.create_task(worker(bot).work_once())
    await asyncio.wait_for(held.held.wait(), 10)  # the change is made, its answer waits
    path = f"{features}$" if failing == "features" else failing
    fake_okta.faults.append(Fault.status(500, path=path, method="GET"))
    held.release()
    assert await asyncio.wait_for(running, 10) == 1

    assert await state_of(bot, approval_id) is State.DONE
    posts = texts(thread(slack, request.args["thread_ts"]))
    assert said in posts[-1]
    assert not [t for t in posts if "Verified" in t]


# 4. Approving is one step: it either queues the job or changes nothing ----------------------


async def test_approve_that_cannot_queue_the_job_leaves_the_request_pending(
    bot: Bot, fake_okta: FakeOkta
) -> None:
    """The jobs stream key holds a string, so the approval script's XADD fails. The request
    must stay PENDING (not APPROVED with no job that would ever run it), the click must get a
    plain answer, and once the key is sound again approving works."""
    channel, approval_id, request = await request_fix(bot, "why iupd zoom", "update_attributes")
    redis, jobs = bot.services.store.redis, bot.services.approvals.jobs
    await redis.set(jobs, "x")

    said = await approve(bot, approval_id, channel, request, APPROVER)
    assert said == REDIS_REFUSED  # Redis answered: not "cannot reach"
    for internal in ("Traceback", "WRONGTYPE", "Error", "redis."):
        assert internal not in said
    pending = await approval_of(bot, approval_id)
    assert pending.state is State.PENDING
    assert pending.approver is None
    assert [a.id for a in await bot.services.approvals.pending()] == [approval_id]
    assert await redis.get(jobs) == b"x"  # nothing queued, nothing overwritten
    assert "approved" not in [e["event"] for e in await audit_events(bot)]

    await redis.delete(jobs)
    assert await approve(bot, approval_id, channel, request, APPROVER) == APPROVED
    assert await worker(bot).work_once() == 1
    assert await state_of(bot, approval_id) is State.DONE
    assert mutations(fake_okta) == [f"PUT {features_path(fake_okta, 'zoomus')}"]


# 5. A request Slack would not post is withdrawn, and can be asked again ---------------------


async def test_request_slack_refused_to_post_is_withdrawn_and_can_be_asked_again(
    bot: Bot, slack: FakeSlack
) -> None:
    channel, report_ts, offer = await diagnosed(bot, "why iupd zoom", "update_attributes")
    slack.fail_next["chat.postMessage"] = "fatal_error"

    said = await click(bot, "fix:update_attributes", offer, REQUESTER, channel, report_ts)
    assert "Slack refused the approval request" in said
    [withdrawn] = [e for e in await audit_events(bot) if e["event"] == "withdrawn"]
    assert await state_of(bot, withdrawn["approval"]) is State.WITHDRAWN
    assert await bot.services.approvals.pending() == []
    assert not [c for c in thread(slack, report_ts) if "Fix requested" in c.args["text"]]

    again = await click(bot, "fix:update_attributes", offer, REQUESTER, channel, report_ts)
    assert REQUESTED in again
    [request] = [c for c in thread(slack, report_ts) if "Fix requested" in c.args["text"]]
    fresh = request.args["blocks"][-1]["elements"][0]["value"]
    assert fresh != withdrawn["approval"]
    assert [a.id for a in await bot.services.approvals.pending()] == [fresh]


# 6. Slack cannot say who is in the approver group: ask again later, nothing changes ---------


async def test_approver_group_slack_cannot_list_leaves_the_request_pending(
    bot: Bot, slack: FakeSlack
) -> None:
    channel, approval_id, request = await request_fix(bot, "why iupd zoom", "update_attributes")
    slack.fail_next["usergroups.users.list"] = "fatal_error"

    said = await approve(bot, approval_id, channel, request, GROUP_MEMBER)
    assert "could not check your approver group" in said
    assert await state_of(bot, approval_id) is State.PENDING

    assert await approve(bot, approval_id, channel, request, GROUP_MEMBER) == APPROVED
    approved = await approval_of(bot, approval_id)
    assert approved.state is State.APPROVED
    assert approved.approver == GROUP_MEMBER


# 7. Thirty people click one Fix button at once: one request ----------------------------------


async def test_thirty_concurrent_fix_clicks_post_one_request(bot: Bot, slack: FakeSlack) -> None:
    channel, report_ts, offer = await diagnosed(bot, "why iupd zoom", "update_attributes")
    clickers = [f"U0CLICK{n:02d}" for n in range(30)]

    answers = await asyncio.gather(
        *(click(bot, "fix:update_attributes", offer, who, channel, report_ts) for who in clickers)
    )

    assert all(answers), "every click gets an answer"
    assert sum(REQUESTED in a for a in answers) == 1
    for other in (a for a in answers if REQUESTED not in a):
        assert "being posted in the thread right now" in other or "requested already" in other
    assert len([c for c in thread(slack, report_ts) if "Fix requested" in c.args["text"]]) == 1
    assert len(await bot.services.approvals.pending()) == 1
    later = await click(bot, "fix:update_attributes", offer, REQUESTER, channel, report_ts)
    assert "This fix was requested already (pending)" in later
    assert len([c for c in thread(slack, report_ts) if "Fix requested" in c.args["text"]]) == 1


async def test_clicks_from_two_processes_post_one_request(
    fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    """The one-open-request rule lives in Redis: two bot processes clicking at once (each
    its own Redis pool and Okta client) still post one request."""
    settings = bot_settings(fake_okta.url, slack)
    async with running_bot(settings, slack) as first, running_bot(settings, slack) as second:
        channel, report_ts, offer = await diagnosed(first, "why iupd zoom", "update_attributes")
        answers = await asyncio.gather(
            *(
                click(bot, "fix:update_attributes", offer, f"U0TWO{n:02d}", channel, report_ts)
                for n in range(10)
                for bot in (first, second)
            )
        )
        assert sum(REQUESTED in a for a in answers) == 1
        requests = [c for c in thread(slack, report_ts) if "Fix requested" in c.args["text"]]
        assert len(requests) == 1
        assert len(await second.services.approvals.pending()) == 1


# 8. Housekeeping: the jobs stream is trimmed, dead consumers are forgotten --------------------


def _plan(n: int) -> Plan:
    app = "0oaTRIM"
    return Plan(
        fix="enable_update_attributes",
        check="update_attributes",
        user_id=f"00u{n:05d}",
        user_login=f"user{n}@example.com",
        app_id=app,
        app_label="Trim",
        summary="Turn on Update User Attributes for Trim.",
        affects="Every user assigned to Trim.",
        risk="None to speak of.",
        steps=(
            Step(
                "Turn on Update User Attributes for Trim",
                "PUT",
                f"/api/v1/apps/{app}/features/USER_PROVISIONING",
                {"update": {"profile": {"status": "ENABLED"}}},
            ),
        ),
    )


ENQUEUED = 500
TRIMMED_BELOW = ENQUEUED // 4
"""XADD MAXLEN ~ trims whole stream nodes (100 entries by default), so about 10 to 110 remain."""


async def test_approving_many_keeps_the_jobs_stream_trimmed(
    redis: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(moves_store, "JOBS_MAXLEN", 10)
    approvals = Approvals(redis, ttl=3600, prefix=prefix, clock=lambda: datetime.now(UTC))
    for n in range(ENQUEUED):
        created = await approvals.create(
            _plan(n), offer_id=f"offer{n}", requester=REQUESTER, channel="C0TRIM", thread_ts=None
        )
        assert (await approvals.move(created.approval_id, APPROVE, approver=APPROVER)).moved
    assert await redis.xlen(approvals.jobs) <= TRIMMED_BELOW


async def test_promoting_many_retries_keeps_the_jobs_stream_trimmed(
    redis: Redis, prefix: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(moves_store, "JOBS_MAXLEN", 10)
    approvals = Approvals(redis, ttl=3600, prefix=prefix, clock=lambda: datetime.now(UTC))
    await redis.zadd(f"{prefix}jobs:retry", {f"stalled{n}": 0 for n in range(ENQUEUED)})
    promoted = 0
    while promoted < ENQUEUED:
        count = await approvals.promote_retries(limit=50)
        assert count, "every due retry is promoted"
        promoted += count
    assert await redis.xlen(approvals.jobs) <= TRIMMED_BELOW


async def test_worker_forgets_idle_consumers_of_dead_processes(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(worker_module, "DEAD_CONSUMER_MS", 0)
    redis, jobs = bot.services.store.redis, bot.services.approvals.jobs
    await redis.xgroup_create(jobs, GROUP, id="0", mkstream=True)
    await redis.xgroup_createconsumer(jobs, GROUP, "ghost")

    async def ghost_idle() -> bool:  # idle for more than DEAD_CONSUMER_MS = 0 ms
        return bool((await consumers(redis, jobs))["ghost"]["idle"] > 0)

    await eventually(ghost_idle, "the ghost consumer has been idle for a millisecond")
    assert await worker(bot, name="alive").work_once() == 0
    assert "ghost" not in await consumers(redis, jobs)


async def test_worker_keeps_a_silent_consumer_that_still_holds_jobs(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its jobs must be claimed (once their lease ran out) before it may be forgotten."""
    monkeypatch.setattr(worker_module, "DEAD_CONSUMER_MS", 0)
    redis, jobs = bot.services.store.redis, bot.services.approvals.jobs
    await redis.xgroup_create(jobs, GROUP, id="0", mkstream=True)
    await redis.xadd(jobs, {"approval": "held-by-the-ghost"})
    await redis.xreadgroup(GROUP, "ghost", {jobs: ">"}, count=1)

    async def ghost_idle() -> bool:
        return bool((await consumers(redis, jobs))["ghost"]["idle"] > 0)

    await eventually(ghost_idle, "the ghost consumer has been idle for a millisecond")
    await worker(bot, name="alive").work_once()
    assert (await consumers(redis, jobs))["ghost"]["pending"] == 1


async def test_worker_stopped_through_run_removes_its_consumer(bot: Bot) -> None:
    redis, jobs = bot.services.store.redis, bot.services.approvals.jobs
    stop = asyncio.Event()
    loop = asyncio.create_task(worker(bot, name="leaving").run(stop))
    try:
        # A job for a request that is gone: the worker joins the group by reading it, acks it.
        await redis.xadd(jobs, {"approval": "gone"})

        async def handled() -> bool:
            found = await consumers(redis, jobs)
            return "leaving" in found and found["leaving"]["pending"] == 0

        await eventually(handled, "the worker took the job and acknowledged it")
    finally:
        stop.set()
        await asyncio.wait_for(loop, 5)
    assert "leaving" not in await consumers(redis, jobs)


# 9. Fencing: one run at a time per assignment, and a lost lease writes nothing ---------------


PAIR = "0oaAPP:00uUSER"


async def test_a_held_lease_keeps_a_second_worker_out(redis: Redis, prefix: str) -> None:
    leases = Leases(redis, prefix, ttl_ms=10_000)
    assert await leases.acquire("approval1", (PAIR,), "w1") is not None
    assert await leases.acquire("approval1", (PAIR,), "w2") is None


async def test_an_expired_lease_passes_to_another_worker_and_fences_the_first(
    redis: Redis, prefix: str
) -> None:
    """A worker that froze past its lease must not write once another worker took the run:
    its journal writes raise LeaseLost and do not land, its release frees nothing."""
    leases = Leases(redis, prefix, ttl_ms=100)
    old = await leases.acquire("approval1", (PAIR,), "frozen")
    assert old is not None
    stale = RedisJournal(redis, prefix, "approval1", old)
    await stale.write(0, Entry("sent"))
    taken: list[Any] = []

    async def taken_over() -> bool:
        taken.append(await leases.acquire("approval1", (PAIR,), "rescuer"))
        return taken[-1] is not None

    await eventually(taken_over, "the frozen worker's lease expired")
    new = taken[-1]
    assert new.value != old.value

    with pytest.raises(LeaseLost):
        await stale.write(0, Entry("done", "req-from-the-frozen-worker"))
    assert old.lost
    assert not await old.renew()
    await old.release()
    assert await leases.acquire("approval1", (PAIR,), "third") is None  # still the rescuer's
    assert (await stale.entries())[0] == Entry("sent")
    await RedisJournal(redis, prefix, "approval1", new).write(0, Entry("done", "req1"))
    assert (await stale.entries())[0] == Entry("done", "req1")


async def test_a_lost_lease_cannot_move_the_request(redis: Redis, prefix: str) -> None:
    approvals = Approvals(redis, ttl=3600, prefix=prefix, clock=lambda: datetime.now(UTC))
    created = await approvals.create(
        _plan(1), offer_id="offer1", requester=REQUESTER, channel="C0FENCE", thread_ts=None
    )
    await approvals.move(created.approval_id, APPROVE, approver=APPROVER)
    leases = Leases(redis, prefix, ttl_ms=10_000)
    lease = await leases.acquire(created.approval_id, (PAIR,), "w1")
    assert lease is not None
    await lease.release()
    assert await leases.acquire(created.approval_id, (PAIR,), "w2") is not None

    moved = await approvals.move(created.approval_id, START, lease=lease.fence)
    assert moved.fenced
    assert not moved.moved
    assert (await approvals.get(created.approval_id)).state is State.APPROVED  # type: ignore[union-attr]


async def test_two_approvals_on_one_assignment_exclude_each_other(
    redis: Redis, prefix: str
) -> None:
    """An app-wide fix for jdoe (scopes: the assignment and the app) and a relink of jdoe
    (scope: the assignment) must not run at once: both touch jdoe's assignment."""
    app, user = "0oaAPP", "00uUSER"
    app_wide = Plan(
        "enable_update_attributes",
        "update_attributes",
        user,
        "jdoe",
        app,
        "App",
        "s",
        "a",
        "r",
        (Step("on", "PUT", f"/api/v1/apps/{app}/features/USER_PROVISIONING", {}),),
    )
    relink = Plan(
        "relink", "external_id", user, "jdoe", app, "App", "s", "a", "r",
        (
            Step("unassign", "DELETE", f"/api/v1/apps/{app}/users/{user}"),
            Step("reassign", "POST", f"/api/v1/apps/{app}/users", {"id": user}, restores=0),
        ),
    )  # fmt: skip
    assert f"{app}:{user}" in set(relink.scopes()) & set(app_wide.scopes())
    leases = Leases(redis, prefix, ttl_ms=10_000)

    first = await leases.acquire("relink1", relink.scopes(), "w1")
    assert first is not None
    assert await leases.acquire("appwide1", app_wide.scopes(), "w2") is None
    await first.release()
    held = await leases.acquire("appwide1", app_wide.scopes(), "w2")
    assert held is not None
    assert await leases.acquire("relink1", relink.scopes(), "w1") is None


async def test_no_unassign_lands_while_another_run_switches_deactivate_users_back_on(
    bot: Bot, fake_okta: FakeOkta
) -> None:
    """Relink A (Zoom, Deactivate Users on) switches it off for its unassign and reassign. A
    relink of B asked for meanwhile is planned without that switch, since it is off now. B's
    unassign is safe only while it stays off, so B must not run until A's run is over (its
    drift check then sees the switch back on and stops). Were B to run at once, its unassign,
    held in flight while A finishes, would land with Deactivate Users on, which in Okta
    deactivates B's Zoom account."""
    state = fake_okta.state
    zoom = app_id(fake_okta, "zoomus")
    state.set_provisioning("zoomus", deactivate=True)
    for login in ("linka", "linkb"):
        user = state.add_user(login, login.title(), "Link")
        state.assign(zoom, user, external_id=None, status="ACTIVE", sync_state="OUT_OF_SYNC")
    b = user_id(fake_okta, "linkb")

    def deactivate_users() -> str:
        return str(state.features[zoom]["capabilities"]["update"]["lifecycleDeactivate"]["status"])

    channel, a_id, a_request = await request_fix(bot, "why linka zoom", "external_id")
    assert await approve(bot, a_id, channel, a_request, APPROVER) == APPROVED
    a_reassign = Fault.hold_request(path=f"/api/v1/apps/{zoom}/users$", method="POST")
    b_unassign = Fault.hold_request(path=f"/api/v1/apps/{zoom}/users/{b}$", method="DELETE")
    fake_okta.faults += [a_reassign, b_unassign]
    run_a = asyncio.create_task(worker(bot, name="a").work_once())
    await asyncio.wait_for(a_reassign.held.wait(), 10)  # A: switched off, unassigned
    assert deactivate_users() == "DISABLED"

    bot.slack.calls.clear()  # request_fix reads the first report it finds
    channel, b_id, b_request = await request_fix(bot, "why linkb zoom", "external_id")
    assert "features/USER_PROVISIONING" not in json.dumps(b_request.args["blocks"])
    assert await approve(bot, b_id, channel, b_request, APPROVER) == APPROVED
    run_b = asyncio.create_task(worker(bot, name="b").work_once())
    b_sent = asyncio.create_task(b_unassign.held.wait())
    await asyncio.wait({run_b, b_sent}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    b_sent.cancel()

    a_reassign.release()
    await asyncio.wait_for(run_a, 10)
    assert await state_of(bot, a_id) is State.DONE
    when_b_unassign_lands = deactivate_users()
    b_unassign.release()
    await asyncio.wait_for(run_b, 10)
    if b_unassign.held.is_set():
        assert when_b_unassign_lands == "DISABLED", "B's unassign landed with Deactivate Users on"
