"""A scan's bulk fix through Slack: requested from the summary, approved by a second person,
a canary fixed and verified, approved again, the rest one by one; stopped by a failure, by
Stop, or by a rejection; every user's change made once and audited."""

from __future__ import annotations

import asyncio
import copy
import csv
import io
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bot.demo import crowd
from bot.slackkit.ids import BULK_APPROVE as APPROVE
from bot.slackkit.ids import BULK_CANARY as CANARY
from bot.slackkit.ids import BULK_FIX as FIX_PREFIX
from bot.slackkit.ids import BULK_REJECT as REJECT
from bot.slackkit.ids import BULK_STOP as STOP
from bot.slackkit.ids import SCAN_STOP
from bot.store.bulk import BulkRecord, Bulks
from bot.workflow.bulk import BulkState
from fakes.okta.server import FakeOkta, Fault
from fakes.slack.server import FakeSlack, SlackCall, UploadedFile
from tests.harness.approvals import REQUESTER, click, worker
from tests.harness.bot import APPROVER, GROUP_MEMBER, Bot, bot_settings, new_channel, running_bot
from tests.harness.spreadsheets import spreadsheet_rows

N = crowd.BEFORE_PROVISIONING


def _elements(message: dict[str, object]) -> list[dict[str, str]]:
    blocks = message["blocks"]
    assert isinstance(blocks, list)
    found = []
    for block in blocks:
        found += block.get("elements", []) + ([block["accessory"]] if "accessory" in block else [])
    return found


def _button(message: dict[str, object], action_id: str) -> str:
    [value] = [e["value"] for e in _elements(message) if e.get("action_id") == action_id]
    return value


@pytest.fixture
async def working(bot: Bot) -> AsyncIterator[None]:
    """A worker running in the background, as `attrsync worker` does."""
    stop = asyncio.Event()
    loop = asyncio.create_task(worker(bot).run(stop))
    yield
    stop.set()
    await asyncio.wait_for(loop, 10)


async def _scanned(bot: Bot, slack: FakeSlack) -> tuple[str, SlackCall, str]:
    """Scan Salesforce; returns the channel, the summary message's post and the scan id."""
    channel = new_channel()
    await bot.command("scan salesforce", channel=channel, user=REQUESTER)
    [queued] = await slack.wait_for("chat.postMessage")
    scan_id = _button(queued.args, SCAN_STOP)
    await _until(
        lambda: [
            c
            for c in slack.calls_to("chat.update")
            if c.args["ts"] == queued.answer["ts"] and "users affected" in c.args["text"]
        ],
        "the scan's summary",
    )
    return channel, queued, scan_id


async def _until(found: Callable[[], object], what: str, seconds: float = 30) -> None:
    for _ in range(int(seconds * 50)):
        if found():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


async def _bulk_state(bot: Bot, bulk_id: str, *states: BulkState) -> BulkRecord:
    got: list[BulkRecord] = []

    async def read() -> None:
        record = await bot.services.store.bulks.get(bulk_id)
        if record is not None and record.state in states:
            got.append(record)

    for _ in range(3000):  # a minute: the bulk fix goes one user's run at a time
        await read()
        if got:
            return got[0]
        await asyncio.sleep(0.02)
    record = await bot.services.store.bulks.get(bulk_id)
    raise AssertionError(f"the bulk fix never reached {states}: {record}")


async def _request_bulk(bot: Bot, slack: FakeSlack) -> tuple[str, str, str]:
    """Scan, click "Fix N users" as the requester; returns channel, thread and bulk id."""
    channel, queued, scan_id = await _scanned(bot, slack)
    thread = queued.answer["ts"]
    summary = [c for c in slack.calls_to("chat.update") if c.args["ts"] == thread][-1]
    assert _button(summary.args, FIX_PREFIX + "external_id") == scan_id
    before = len(slack.calls_to("chat.postMessage"))
    said = await click(bot, FIX_PREFIX + "external_id", scan_id, REQUESTER, channel, thread)
    assert said == "Bulk fix requested in the thread; an approver has to approve the canary."
    [posted] = slack.calls_to("chat.postMessage")[before:]
    assert posted.args["thread_ts"] == thread
    assert f"for {N} users of Salesforce" in str(posted.args["blocks"])
    assert "DELETE /api/v1/apps/" in str(posted.args["blocks"])  # the canary's exact calls
    return channel, thread, _button(posted.args, APPROVE)


def _app_users(fake: FakeOkta) -> dict[str, dict[str, object]]:
    app = fake.state.find_app("salesforce")
    assert app is not None
    return {uid: au for (aid, uid), au in fake.state.app_users.items() if aid == app["id"]}


@pytest.mark.usefixtures("working")
async def test_canary_then_the_rest_each_user_once(
    bot: Bot, slack: FakeSlack, fake_okta: FakeOkta
) -> None:
    channel, thread, bulk_id = await _request_bulk(bot, slack)
    said = await click(bot, APPROVE, bulk_id, REQUESTER, channel, thread)
    assert said.startswith("Only approvers can approve fixes")
    said = await click(bot, APPROVE, bulk_id, APPROVER, channel, thread)
    assert said.startswith("Approved: the canary is fixed first")
    canary = await _bulk_state(bot, bulk_id, BulkState.CONFIRM)
    assert (canary.done, canary.ok) == (1, 1)
    deletes = [r for r in fake_okta.requests if r.method == "DELETE"]
    assert len(deletes) == 1  # only the canary so far
    said = await click(bot, APPROVE, bulk_id, APPROVER, channel, thread)
    assert said == "Approved: the other users are fixed one at a time now."
    done = await _bulk_state(bot, bulk_id, BulkState.DONE)
    assert (done.done, done.ok, done.failed) == (N, N, 0)
    unassigned = [r.path for r in fake_okta.requests if r.method == "DELETE" and r.status == 204]
    assert len(unassigned) == len(set(unassigned)) == N  # every user unassigned exactly once
    assert all(au.get("externalId") for au in _app_users(fake_okta).values())
    assert len(_app_users(fake_okta)) == crowd.USERS  # and everyone assigned again

    await _until(lambda: _bulk_files(slack), "the outcomes' CSV")  # once the bulk has ended
    [outcomes] = _bulk_files(slack)
    rows = list(csv.DictReader(io.StringIO(outcomes.content.decode())))
    assert [r["outcome"] for r in rows] == ["fixed and verified"] + ["fixed"] * (N - 1)
    events = [e["event"] for e in await bot.services.audit.trail.read(1000)]
    for event in (
        "bulk-requested",
        "bulk-approved",
        "bulk-verified",
        "bulk-confirmed",
        "bulk-done",
    ):
        assert events.count(event) == 1, event
    assert events.count("done") == N
    # No verification message per user: the bulk reports in one place.
    assert not [c for c in slack.calls_to("chat.postMessage") if "Verified" in c.args["text"]]


@pytest.mark.usefixtures("working")
async def test_a_failure_stops_the_rest(bot: Bot, slack: FakeSlack, fake_okta: FakeOkta) -> None:
    channel, thread, bulk_id = await _request_bulk(bot, slack)
    targets = await bot.services.store.bulks.targets(bulk_id)
    third = targets[2].user_id
    refusal = "You do not have permission to perform the requested action\r\n=1+1\rsee\nadmin"
    fake_okta.faults.append(
        Fault.status(403, path=f"/users/{third}$", method="DELETE", summary=refusal)
    )
    await click(bot, APPROVE, bulk_id, APPROVER, channel, thread)
    await _bulk_state(bot, bulk_id, BulkState.CONFIRM)
    await click(bot, APPROVE, bulk_id, APPROVER, channel, thread)
    failed = await _bulk_state(bot, bulk_id, BulkState.FAILED)
    assert (failed.done, failed.ok, failed.failed) == (3, 2, 1)
    assert failed.result is not None and failed.result.startswith(targets[2].login)
    unassigned = {r.path.rsplit("/", 1)[1] for r in fake_okta.requests if r.method == "DELETE"}
    assert unassigned == {t.user_id for t in targets[:3]}  # nobody after the failure
    assert len(_app_users(fake_okta)) == crowd.USERS  # and nobody left unassigned
    # Okta's error, line breaks and all, stays in its cell of the outcomes' CSV.
    await _until(lambda: _bulk_files(slack), "the outcomes' CSV")
    [outcomes] = _bulk_files(slack)
    rows = spreadsheet_rows(outcomes.content.decode())
    assert rows[0] == ["login", "user_id", "outcome", "detail"]
    assert [r[2] for r in rows[1:]] == ["fixed and verified", "fixed", "failed"]
    assert "\r\n=1+1\rsee\nadmin" in rows[3][3], rows[3]


def _bulk_files(slack: FakeSlack) -> list[UploadedFile]:
    return [f for f in slack.uploaded_files if f.filename.startswith("attrsync-bulk-")]


@pytest.mark.usefixtures("working")
async def test_stop_and_reject(bot: Bot, slack: FakeSlack, fake_okta: FakeOkta) -> None:
    channel, thread, bulk_id = await _request_bulk(bot, slack)
    await click(bot, APPROVE, bulk_id, APPROVER, channel, thread)
    await _bulk_state(bot, bulk_id, BulkState.CONFIRM)
    fake_okta.faults.append(Fault.delay(0.2, path=r"/users/[^/]+$", method="DELETE"))
    await click(bot, APPROVE, bulk_id, APPROVER, channel, thread)
    await _bulk_state(bot, bulk_id, BulkState.RUNNING)
    said = await click(bot, STOP, bulk_id, "U0DAVE", channel, thread)
    assert said == "The bulk fix stops once the user in progress is done."
    stopped = await _bulk_state(bot, bulk_id, BulkState.STOPPED)
    assert stopped.stop_by == "U0DAVE" and stopped.done < N
    assert len(_app_users(fake_okta)) == crowd.USERS
    said = await click(bot, APPROVE, bulk_id, APPROVER, channel, thread)
    assert said == "This bulk fix is stopped; nothing to approve."


@pytest.mark.usefixtures("working")
async def test_rejecting_after_the_canary_changes_nobody_else(
    bot: Bot, slack: FakeSlack, fake_okta: FakeOkta
) -> None:
    channel, thread, bulk_id = await _request_bulk(bot, slack)
    said = await click(bot, REJECT, bulk_id, "U0DAVE", channel, thread)
    assert said == "Only approvers, or whoever asked for the fix, can reject it."
    await click(bot, APPROVE, bulk_id, APPROVER, channel, thread)
    await _bulk_state(bot, bulk_id, BulkState.CONFIRM)
    said = await click(bot, REJECT, bulk_id, REQUESTER, channel, thread)
    assert said == "Rejected: nothing more will be changed."
    record = await _bulk_state(bot, bulk_id, BulkState.REJECTED)
    assert record.done == 1
    assert len([r for r in fake_okta.requests if r.method == "DELETE"]) == 1
    # A second "Fix N users" on the same summary may start over (the first one has ended).
    said = await click(bot, FIX_PREFIX + "external_id", record.scan_id, REQUESTER, channel, thread)
    assert said.startswith("Bulk fix requested")


async def _shown(bot: Bot, bulk_id: str) -> dict[str, object]:
    """The bulk fix's message as Slack holds it now (a copy: a later update leaves it be)."""
    record = await bot.services.store.bulks.get(bulk_id)
    assert record is not None and record.message_ts
    return copy.deepcopy(bot.slack.messages[(record.channel, record.message_ts)])


async def _deciding(bot: Bot, bulk_id: str, state: BulkState) -> dict[str, object]:
    """The bulk fix's message once it asks for the decision of `state`: the worker moves the
    record first and updates the message after, so the record's state alone can race ahead."""
    await _bulk_state(bot, bulk_id, state)
    block_id = f"bulk:decision:{state.value}:"
    shown: list[dict[str, object]] = []

    async def found() -> bool:
        shown[:] = [await _shown(bot, bulk_id)]
        return block_id in str(shown[0]["blocks"])

    for _ in range(1500):
        if await found():
            return shown[0]
        await asyncio.sleep(0.02)
    raise AssertionError(f"the bulk fix's message never asked for {state}: {shown}")


async def _click_on(
    bot: Bot, message: dict[str, object], action_id: str, user: str, channel: str, thread: str
) -> str:
    """Click `action_id` on `message` as the clicker's Slack shows it."""
    value = _button(message, action_id)
    return await click(bot, action_id, value, user, channel, thread, message=message)


async def _queued(bot: Bot, bulk_id: str) -> int:
    """How many times the bulk fix's job was queued for the workers."""
    store = bot.services.store
    entries = await store.redis.xrange(store.keys.jobs) or []
    return len([job for _, job in entries if job and job.get(b"bulk") == bulk_id.encode()])


async def _choose(bot: Bot, value: str, text: str, user: str, channel: str, thread: str) -> str:
    """Pick an option of the canary menu as `user`; returns what they were told."""
    return await click(bot, CANARY, value, user, channel, thread, selected=text)


@pytest.mark.usefixtures("working")
async def test_the_requester_can_name_another_canary(
    bot: Bot, slack: FakeSlack, fake_okta: FakeOkta
) -> None:
    channel, thread, bulk_id = await _request_bulk(bot, slack)
    targets = await bot.services.store.bulks.targets(bulk_id)
    chosen = targets[3]
    choice = f"{bulk_id}:{chosen.user_id}"
    said = await _choose(bot, choice, chosen.login, "U0DAVE", channel, thread)
    assert said == "Only whoever asked for the bulk fix, or an approver, can choose its canary."
    said = await _choose(bot, choice, chosen.login, REQUESTER, channel, thread)
    assert said == "Canary changed; the request in the thread shows its calls."
    message = slack.calls_to("chat.update")[-1].args
    assert f"Canary first: *{chosen.login}*" in str(message["blocks"])
    assert chosen.user_id in str(message["blocks"])  # the new canary's exact calls
    asmith = fake_okta.state.find_user("asmith")
    assert asmith is not None
    said = await _choose(bot, f"{bulk_id}:{asmith['id']}", "forged", REQUESTER, channel, thread)
    assert said == "That user is not one of this bulk fix's users."
    said = await _click_on(bot, await _shown(bot, bulk_id), APPROVE, APPROVER, channel, thread)
    assert said.startswith("Approved: the canary is fixed first")
    await _bulk_state(bot, bulk_id, BulkState.CONFIRM)
    [unassigned] = [r.path for r in fake_okta.requests if r.method == "DELETE"]
    assert unassigned.endswith(chosen.user_id)
    said = await _choose(bot, f"{bulk_id}:{targets[5].user_id}", "x", REQUESTER, channel, thread)
    assert said == "The canary can only change before it is approved."


@pytest.mark.usefixtures("working")
async def test_two_approvers_clicking_at_once_start_one_canary(
    bot: Bot, slack: FakeSlack, fake_okta: FakeOkta
) -> None:
    channel, thread, bulk_id = await _request_bulk(bot, slack)
    said = await asyncio.gather(
        *(click(bot, APPROVE, bulk_id, APPROVER, channel, thread) for _ in range(5))
    )
    assert sum(s.startswith("Approved: the canary is fixed first") for s in said) == 1
    assert all(s.startswith(("Approved", "This bulk fix is")) for s in said)
    record = await _bulk_state(bot, bulk_id, BulkState.CONFIRM)
    assert len(record.approvals) == 1
    assert len([r for r in fake_okta.requests if r.method == "DELETE"]) == 1


STALE = "Not approved: the canary is now {}, not the user the message you clicked showed; "
"""The start of what an approver is told who approved on a message older than its canary."""


@pytest.mark.usefixtures("working")
async def test_an_approval_binds_to_the_canary_its_message_showed(
    bot: Bot, slack: FakeSlack, fake_okta: FakeOkta
) -> None:
    channel, thread, bulk_id = await _request_bulk(bot, slack)
    seen = await _shown(bot, bulk_id)  # the approver's Slack shows this, and lags behind
    chosen = (await bot.services.store.bulks.targets(bulk_id))[3]
    said = await _choose(bot, f"{bulk_id}:{chosen.user_id}", "x", REQUESTER, channel, thread)
    assert said == "Canary changed; the request in the thread shows its calls."
    updated = await _shown(bot, bulk_id)
    updates = len(slack.calls_to("chat.update"))
    said = await _click_on(bot, seen, APPROVE, APPROVER, channel, thread)
    assert said.startswith(STALE.format(chosen.login)), said
    # A click that cannot say what it saw (on a message posted before decisions were bound)
    # approves only the canary first proposed.
    said = await click(bot, APPROVE, bulk_id, APPROVER, channel, thread)
    assert said.startswith(STALE.format(chosen.login)), said
    record = await bot.services.store.bulks.get(bulk_id)
    assert record is not None
    assert (record.state, record.approver, record.approvals) == (BulkState.PENDING, None, ())
    assert await _queued(bot, bulk_id) == 0  # nothing for a worker to run
    assert not [r for r in fake_okta.requests if r.method != "GET"]
    assert len(slack.calls_to("chat.update")) == updates  # the request still shows its calls
    said = await _click_on(bot, updated, APPROVE, APPROVER, channel, thread)
    assert said.startswith("Approved: the canary is fixed first"), said
    await _bulk_state(bot, bulk_id, BulkState.CONFIRM)
    [unassigned] = [r.path for r in fake_okta.requests if r.method == "DELETE"]
    assert unassigned.endswith(chosen.user_id)
    assert _button(updated, APPROVE) == bulk_id  # the button's value is still the bulk's id


@pytest.mark.usefixtures("working")
async def test_the_canarys_approve_button_never_approves_the_rest(
    bot: Bot, slack: FakeSlack, fake_okta: FakeOkta
) -> None:
    channel, thread, bulk_id = await _request_bulk(bot, slack)
    pending = await _shown(bot, bulk_id)
    said = await _click_on(bot, pending, APPROVE, APPROVER, channel, thread)
    assert said.startswith("Approved: the canary is fixed first")
    await _bulk_state(bot, bulk_id, BulkState.CONFIRM)
    # A second click on the first request (a double click that arrives late, say).
    said = await _click_on(bot, pending, APPROVE, APPROVER, channel, thread)
    assert said.startswith("This message is out of date: the bulk fix has moved on"), said
    record = await bot.services.store.bulks.get(bulk_id)
    assert record is not None and record.state is BulkState.CONFIRM
    assert await _queued(bot, bulk_id) == 1
    said = await _click_on(bot, await _shown(bot, bulk_id), APPROVE, APPROVER, channel, thread)
    assert said == "Approved: the other users are fixed one at a time now."
    done = await _bulk_state(bot, bulk_id, BulkState.DONE)
    assert (done.approver, done.confirmer) == (APPROVER, APPROVER)  # one approver may do both


@pytest.fixture
async def strict_bot(fake_okta: FakeOkta, slack: FakeSlack) -> AsyncIterator[Bot]:
    """The bot with ATTRSYNC_BULK_DISTINCT_APPROVERS on, and a worker in the background."""
    settings = bot_settings(fake_okta.url, slack, ATTRSYNC_BULK_DISTINCT_APPROVERS="true")
    async with running_bot(settings, slack) as running:
        stop = asyncio.Event()
        loop = asyncio.create_task(worker(running).run(stop))
        yield running
        stop.set()
        await asyncio.wait_for(loop, 10)


async def test_distinct_approvers_need_another_approver_for_the_rest(
    strict_bot: Bot, slack: FakeSlack, fake_okta: FakeOkta
) -> None:
    bot = strict_bot
    channel, thread, bulk_id = await _request_bulk(bot, slack)
    assert "a second approval by another approver fixes" in str(await _shown(bot, bulk_id))
    said = await _click_on(bot, await _shown(bot, bulk_id), APPROVE, APPROVER, channel, thread)
    assert said.startswith("Approved: the canary is fixed first")
    confirm = await _deciding(bot, bulk_id, BulkState.CONFIRM)
    assert f"An approver other than <@{APPROVER}> approves" in str(confirm["blocks"])
    said = await _click_on(bot, confirm, APPROVE, APPROVER, channel, thread)
    assert said == "You approved the canary, so another approver has to approve the rest."
    said = await click(bot, APPROVE, bulk_id, APPROVER, channel, thread)  # unbound: the same
    assert said == "You approved the canary, so another approver has to approve the rest."
    record = await bot.services.store.bulks.get(bulk_id)
    assert record is not None and (record.state, record.confirmer) == (BulkState.CONFIRM, None)
    assert await _queued(bot, bulk_id) == 1  # the canary's job only
    assert len([r for r in fake_okta.requests if r.method == "DELETE"]) == 1
    said = await _click_on(bot, confirm, APPROVE, GROUP_MEMBER, channel, thread)
    assert said == "Approved: the other users are fixed one at a time now."
    done = await _bulk_state(bot, bulk_id, BulkState.DONE)
    assert (done.approver, done.confirmer, done.ok) == (APPROVER, GROUP_MEMBER, N)


async def test_distinct_approvers_clicking_at_once_from_two_bots(
    fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    """Two bot processes' worth of clients (each its own Redis and HTTP server) take the
    clicks: the canary's approver and another confirming at the same moment, five times
    each; only the other approver's confirmation runs the rest, once (the canary's approver is
    told why, until the rest is running)."""
    settings = bot_settings(fake_okta.url, slack, ATTRSYNC_BULK_DISTINCT_APPROVERS="true")
    async with running_bot(settings, slack) as one, running_bot(settings, slack) as two:
        stop = asyncio.Event()
        loop = asyncio.create_task(worker(one).run(stop))
        try:
            channel, thread, bulk_id = await _request_bulk(one, slack)
            pending = await _shown(one, bulk_id)
            said = await asyncio.gather(
                *(
                    _click_on(bot, pending, APPROVE, who, channel, thread)
                    for bot in (one, two)
                    for who in (APPROVER, GROUP_MEMBER)
                )
            )
            assert sum(s.startswith("Approved: the canary is fixed first") for s in said) == 1
            confirm = await _deciding(one, bulk_id, BulkState.CONFIRM)
            canary = await _bulk_state(one, bulk_id, BulkState.CONFIRM)
            assert canary.approver in (APPROVER, GROUP_MEMBER)
            approver, other = (
                (APPROVER, GROUP_MEMBER)
                if canary.approver == APPROVER
                else (GROUP_MEMBER, APPROVER)
            )
            said = await asyncio.gather(
                *(
                    _click_on(bot, confirm, APPROVE, who, channel, thread)
                    for _ in range(5)
                    for bot, who in ((one, approver), (two, other))
                )
            )
            done = await _bulk_state(one, bulk_id, BulkState.DONE)
            queued = await _queued(two, bulk_id)
        finally:
            stop.set()
            await asyncio.wait_for(loop, 10)
    accepted = [s for s in said if s == "Approved: the other users are fixed one at a time now."]
    assert len(accepted) == 1
    refusals = (
        "You approved the canary, so another approver has to approve the rest.",
        "This bulk fix is running already; nothing more to do here.",
    )
    assert all(s in refusals for s in said if s not in accepted), said
    assert said[0::2].count(refusals[0]) >= 1  # the canary's approver, refused as such
    assert (done.confirmer, done.ok) == (other, N)
    assert queued == 2  # the canary's job and the rest's, nothing more
    unassigned = [r.path for r in fake_okta.requests if r.method == "DELETE" and r.status == 204]
    assert len(unassigned) == len(set(unassigned)) == N


@pytest.mark.usefixtures("working")
async def test_a_canary_change_landing_during_the_click_refuses_it(
    bot: Bot, slack: FakeSlack, fake_okta: FakeOkta, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The change lands after the click has read the bulk fix and before it moves it: the
    check is in the move's script, so the click still sees it."""
    channel, thread, bulk_id = await _request_bulk(bot, slack)
    seen = await _shown(bot, bulk_id)
    chosen = (await bot.services.store.bulks.targets(bulk_id))[3]
    bulks = bot.services.store.bulks
    move = Bulks.move
    changes: list[str] = []

    async def changed_just_before(self: Bulks, moved: str, *args: Any, **kwargs: Any) -> str:
        if moved == bulk_id and not changes:
            changes.append(await self.choose_canary(bulk_id, chosen.user_id))
        return await move(self, moved, *args, **kwargs)

    monkeypatch.setattr(Bulks, "move", changed_just_before)
    said = await _click_on(bot, seen, APPROVE, APPROVER, channel, thread)
    assert changes == ["moved"]
    assert said.startswith(STALE.format(chosen.login)), said
    record = await bulks.get(bulk_id)
    assert record is not None and (record.state, record.approver) == (BulkState.PENDING, None)
    assert await _queued(bot, bulk_id) == 0
