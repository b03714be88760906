"""A scan's bulk fix through Slack: requested from the summary, approved by a second person,
a canary fixed and verified, approved again, the rest one by one; stopped by a failure, by
Stop, or by a rejection; every user's change made once and audited."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Callable

import pytest

from bot.bulk.render import APPROVE, CANARY, FIX_PREFIX, REJECT, STOP
from bot.demo import crowd
from bot.demo.server import FakeOkta, Fault
from bot.scan.render import STOP as SCAN_STOP
from bot.store.bulk import BulkRecord, BulkState
from tests.approval_harness import REQUESTER, click, worker
from tests.bot_harness import APPROVER, Bot, new_channel
from tests.fakes.slack import FakeSlack, SlackCall, UploadedFile

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

    def bulk_files() -> list[UploadedFile]:
        return [f for f in slack.uploaded_files if f.filename.startswith("attrsync-bulk-")]

    await _until(bulk_files, "the outcomes' CSV")  # posted once the bulk fix has ended
    [outcomes] = bulk_files()
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
    fake_okta.faults.append(Fault.status(403, path=f"/users/{third}$", method="DELETE"))
    await click(bot, APPROVE, bulk_id, APPROVER, channel, thread)
    await _bulk_state(bot, bulk_id, BulkState.CONFIRM)
    await click(bot, APPROVE, bulk_id, APPROVER, channel, thread)
    failed = await _bulk_state(bot, bulk_id, BulkState.FAILED)
    assert (failed.done, failed.ok, failed.failed) == (3, 2, 1)
    assert failed.result is not None and failed.result.startswith(targets[2].login)
    unassigned = {r.path.rsplit("/", 1)[1] for r in fake_okta.requests if r.method == "DELETE"}
    assert unassigned == {t.user_id for t in targets[:3]}  # nobody after the failure
    assert len(_app_users(fake_okta)) == crowd.USERS  # and nobody left unassigned


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
    await click(bot, APPROVE, bulk_id, APPROVER, channel, thread)
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
