"""`/attrsync scan APP` through Slack: a progress message with Stop, the scan in the worker, the
summary with a bar per cause in its place, the CSV in its thread; one scan per app."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator

import pytest

from bot.demo import crowd
from bot.slackkit.ids import SCAN_STOP as STOP
from bot.workflow.scans import ScanState
from fakes.okta.server import FakeOkta, Fault
from fakes.slack.server import FakeSlack, SlackCall
from tests.harness.approvals import click, worker
from tests.harness.bot import Bot, bot_settings, new_channel, running_bot
from tests.harness.spreadsheets import BROKEN_REASON, break_push_reasons, spreadsheet_rows

AFFECTED = crowd.BEFORE_PROVISIONING + crowd.TITLE_CHANGED + crowd.PUSH_FAILED


@pytest.fixture
async def paged_bot(fake_okta: FakeOkta, slack: FakeSlack) -> AsyncIterator[Bot]:
    """The bot scanning in pages of 40 users (240 users: six pages)."""
    settings = bot_settings(fake_okta.url, slack, ATTRSYNC_SCAN_PAGE_SIZE="40")
    async with running_bot(settings, slack) as running:
        yield running


async def _scan(bot: Bot, app: str = "salesforce") -> tuple[str, SlackCall | None, str]:
    """Ask for a scan; returns the channel, the progress message posted (if any) and what
    the asker was told."""
    channel = new_channel()
    before = len(bot.slack.calls_to("chat.postMessage"))
    _, _, response_url = await bot.command(f"scan {app}", channel=channel)
    said = await _told(bot, response_url)
    posted = bot.slack.calls_to("chat.postMessage")[before:]
    return channel, (posted[0] if posted else None), said


async def _told(bot: Bot, response_url: str) -> str:
    """The last thing the asker was told (the ack says "Starting the scan…" first)."""
    for _ in range(500):
        answers = [r for r in bot.slack.responses if r.url_id in response_url]
        if answers:
            return str(answers[-1].body.get("text"))
        await asyncio.sleep(0.01)
    raise AssertionError("the asker was told nothing")


def _stop_value(message: SlackCall) -> str:
    [stop] = [
        element
        for block in message.args["blocks"]
        for element in block.get("elements", [])
        if element.get("action_id") == STOP
    ]
    return str(stop["value"])


async def test_scan_posts_progress_then_the_summary_and_the_csv(bot: Bot, slack: FakeSlack) -> None:
    channel, queued, said = await _scan(bot)
    assert said == "Scanning Salesforce: the progress is in the channel."
    assert queued is not None and queued.args["channel"] == channel
    assert "Scan of Salesforce queued by <@U0ALICE>" in queued.args["text"]
    running = worker(bot)
    assert await running.work_once() == 1
    await running.drain()
    updates = [c for c in slack.calls_to("chat.update") if c.args["ts"] == queued.answer["ts"]]
    summary = updates[-1].args
    assert summary["text"] == f"Scan of Salesforce: {AFFECTED} of {crowd.USERS} users affected"
    text = str(summary["blocks"])
    assert "`external_id` *26*" in text and "█" in text
    [upload] = slack.uploaded_files
    assert upload.channel == channel and upload.thread_ts == queued.answer["ts"]
    rows = list(csv.DictReader(io.StringIO(upload.content.decode())))
    assert len(rows) == AFFECTED == len({r["user_id"] for r in rows})
    record = await bot.services.store.scans.get(_stop_value(queued))
    assert record is not None and record.state is ScanState.DONE and record.reported
    # The app is free again: a second scan may start.
    _, again, said = await _scan(bot)
    assert again is not None and said.startswith("Scanning Salesforce")


async def test_the_csv_in_the_thread_keeps_line_breaks_inside_their_cells(
    paged_bot: Bot, slack: FakeSlack, fake_okta: FakeOkta
) -> None:
    """Rows go through Redis page by page (six pages here) before the upload: a cell's line
    break must survive that too."""
    break_push_reasons(fake_okta)
    _, queued, _ = await _scan(paged_bot)
    assert queued is not None
    running = worker(paged_bot)
    await running.work_once()
    await running.drain()
    [upload] = slack.uploaded_files
    rows = spreadsheet_rows(upload.content.decode())
    assert rows[0] == ["login", "user_id", "check", "summary"]
    assert len(rows) == 1 + AFFECTED == 1 + len({r[1] for r in rows[1:]})
    pushes = [r for r in rows if r[2] == "push_errors"]
    assert len(pushes) == crowd.PUSH_FAILED
    assert all(r[3].endswith(BROKEN_REASON) for r in pushes)


async def test_a_second_scan_of_the_same_app_links_to_the_first(bot: Bot) -> None:
    _, first, _ = await _scan(bot)
    _, second, said = await _scan(bot, "Salesforce")
    assert first is not None and second is None
    assert said.startswith("A scan of Salesforce is already running: see <https://")
    assert said.endswith("|its progress>.")


async def test_bad_apps_get_one_sentence_and_no_scan(bot: Bot, slack: FakeSlack) -> None:
    _, posted, said = await _scan(bot, "nope")
    assert posted is None and said == "No Okta app is labelled or named 'nope'."
    _, posted, said = await _scan(bot, "box")
    assert posted is not None


async def test_stop_before_the_first_page(bot: Bot, slack: FakeSlack, fake_okta: FakeOkta) -> None:
    channel, queued, _ = await _scan(bot)
    assert queued is not None
    scan_id = _stop_value(queued)
    said = await click(bot, STOP, scan_id, "U0DAVE", channel, queued.answer["ts"])
    assert said == "The scan will stop before it reads its first page."
    fake_okta.requests.clear()
    running = worker(bot)
    await running.work_once()
    await running.drain()
    record = await bot.services.store.scans.get(scan_id)
    assert record is not None and record.state is ScanState.STOPPED
    assert not any(r.path.endswith("/users") for r in fake_okta.requests)
    assert "Stopped after 0 users" in str(slack.calls_to("chat.update")[-1].args["blocks"])
    said = await click(bot, STOP, scan_id, "U0DAVE", channel, queued.answer["ts"])
    assert said == "This scan has ended already."


async def test_stop_in_the_middle_keeps_what_was_found(
    paged_bot: Bot, slack: FakeSlack, fake_okta: FakeOkta
) -> None:
    bot = paged_bot
    channel, queued, _ = await _scan(bot)
    assert queued is not None
    scan_id = _stop_value(queued)
    held = Fault.hold_request(path=r"/users$", method="GET", skip=2)  # the third page
    fake_okta.faults.append(held)
    running = worker(bot)
    await running.work_once()
    await asyncio.wait_for(held.held.wait(), 5)
    said = await click(bot, STOP, scan_id, "U0DAVE", channel, queued.answer["ts"])
    assert said == "The scan stops after the page it is reading; what it found so far is kept."
    held.release()
    await running.drain()
    record = await bot.services.store.scans.get(scan_id)
    assert record is not None and record.state is ScanState.STOPPED
    # Page 3 is read while page 2 is checked: the stop lands after page 2 or after page 3.
    assert record.tally.listed in (80, 120) and record.stop_by == "U0DAVE"
    rows = await bot.services.store.scans.rows(scan_id)
    assert len(rows) == record.tally.affected


async def test_a_page_okta_refuses_ends_the_scan_incomplete_and_says_so(
    paged_bot: Bot, slack: FakeSlack, fake_okta: FakeOkta
) -> None:
    bot = paged_bot
    _, queued, _ = await _scan(bot)
    assert queued is not None
    refuse = Fault.status(403, path=r"/users$", method="GET")
    refuse.skip = 1
    fake_okta.faults.append(refuse)
    running = worker(bot)
    await running.work_once()
    await running.drain()
    record = await bot.services.store.scans.get(_stop_value(queued))
    assert record is not None and record.state is ScanState.INCOMPLETE
    assert record.tally.listed == 40
    summary = str(slack.calls_to("chat.update")[-1].args["blocks"])
    assert "Incomplete.* Okta&#x27;s page 2" in summary or "Incomplete.* Okta's page 2" in summary


async def test_scans_asked_at_once_start_one(bot: Bot, slack: FakeSlack) -> None:
    asked = await asyncio.gather(*(_scan(bot) for _ in range(4)))
    started = [said for _, _, said in asked if said.startswith("Scanning Salesforce")]
    assert len(started) == 1
    assert all(
        said.startswith(("Scanning Salesforce", "A scan of Salesforce is already running"))
        for _, _, said in asked
    )
    running = worker(bot)
    await running.work_once()
    await running.drain()
    assert len(slack.uploaded_files) == 1
