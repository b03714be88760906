"""Clicks in App Home: answered where the clicker sees them, with the Home brought up to date.

A click in App Home carries the view, not a message: no response_url and no channel. The bot
publishes the clicker's Home again with the answer on top, so a decided request leaves it.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from bot.fixes.render import approval_request
from bot.slackkit.ids import APPROVE, REJECT
from bot.workflow.fixes import State
from checks.remediation.model import Plan, Step
from fakes.slack.payloads import block_action, home_block_action
from fakes.slack.server import FakeSlack, SlackCall
from tests.harness.approvals import REQUESTER, publish_home
from tests.harness.bot import (
    APPROVER,
    Bot,
    buttons,
    new_channel,
)

JSON = dict[str, Any]
APPROVED = "Approved: the fix runs now, and the thread shows how it goes."


@pytest.fixture(autouse=True)
def no_tracebacks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    yield
    failures = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not failures, [r.getMessage() for r in failures]


async def open_home(bot: Bot, user: str) -> JSON:
    """Open App Home as `user`; returns the view Slack shows them (with its block_ids)."""
    await publish_home(bot, user)
    return bot.slack.homes[user]


async def click_in_home(bot: Bot, view: JSON, action_id: str, value: str, user: str) -> JSON:
    """Click a button of `view` in `user`'s App Home; returns their Home as published after."""
    published = len(bot.slack.calls_to("views.publish"))
    body = home_block_action(action_id, value, user_id=user, view=view)
    status, ack, seconds = await bot.post(body)
    assert (status, ack) == (200, "")
    assert seconds < 3  # acknowledged before Slack's three seconds are up
    [*_, after] = await bot.slack.wait_for("views.publish", count=published + 1)
    assert after.args["user_id"] == user
    return bot.slack.homes[user]


def approve_buttons(view: JSON) -> list[tuple[str, str]]:
    """(block_id, approval id) of every Approve button in a view, top to bottom."""
    return [
        (block["block_id"], element["value"])
        for block in view["blocks"]
        for element in block.get("elements", [])
        if element.get("action_id") == APPROVE
    ]


def first_line(view: JSON) -> str:
    return str(view["blocks"][0]["text"]["text"])


async def requested(bot: Bot, question: str, check: str) -> tuple[str, SlackCall]:
    """Diagnose in a channel of its own and ask for the fix, as the requester: the approval's
    id and the request message posted in the report's thread."""
    channel = new_channel()
    await bot.command(question, channel=channel, user=REQUESTER)
    slack = bot.slack
    report = await slack.wait_for_match("chat.postMessage", lambda c: c.args["channel"] == channel)
    value = buttons(report.args["blocks"])[f"fix:{check}"]["value"]
    await bot.post(_message_click(slack, f"fix:{check}", value, channel, report.answer["ts"]))
    request = await slack.wait_for_match(
        "chat.postMessage",
        lambda c: c.args["channel"] == channel and "Fix requested" in c.args["text"],
    )
    return request.args["blocks"][-1]["elements"][0]["value"], request


def _message_click(slack: FakeSlack, action_id: str, value: str, channel: str, ts: str) -> str:
    return block_action(
        action_id,
        value,
        user_id=REQUESTER,
        channel_id=channel,
        message_ts=ts,
        response_url=slack.new_response_url(),
    )


async def seeded(bot: Bot, count: int) -> list[str]:
    """`count` pending requests, each posted in a thread as a real one is; their ids, oldest
    first (the order App Home lists them in)."""
    ids = []
    for n in range(count):
        channel = new_channel()
        created = await bot.services.approvals.create(
            _plan(n),
            offer_id=f"offer-{uuid.uuid4().hex}",
            requester=REQUESTER,
            channel=channel,
            thread_ts="1700000000.000100",
        )
        approval = await bot.services.approvals.get(created.approval_id)
        assert approval is not None
        posted = await bot.services.slack.chat_postMessage(
            channel=channel, thread_ts=approval.thread_ts, **approval_request(approval).payload()
        )
        await bot.services.approvals.note(approval, message_ts=str(posted["ts"]))
        ids.append(approval.id)
    return ids


def _plan(n: int) -> Plan:
    app = f"0oaHOME{n:03d}"
    return Plan(
        fix="enable_update_attributes",
        check="update_attributes",
        user_id=f"00uHOME{n:03d}",
        user_login=f"user{n}@example.com",
        app_id=app,
        app_label=f"App {n}",
        summary=f"Turn on Update User Attributes for App {n}.",
        affects=f"Every user assigned to App {n}.",
        risk="None to speak of.",
        steps=(
            Step(
                f"Turn on Update User Attributes for App {n}",
                "PUT",
                f"/api/v1/apps/{app}/features/USER_PROVISIONING",
                {"update": {"profile": {"status": "ENABLED"}}},
            ),
        ),
    )


async def states(bot: Bot, ids: list[str]) -> list[State]:
    found = [await bot.services.approvals.get(i) for i in ids]
    return [a.state for a in found if a is not None]


async def test_two_pending_approvals_in_app_home_approve_the_one_clicked(
    bot: Bot, slack: FakeSlack
) -> None:
    first, _ = await requested(bot, "why iupd zoom", "update_attributes")
    second, second_request = await requested(bot, "why hcreate 'hr portal'", "mapping")
    home = await open_home(bot, APPROVER)
    answered_in_threads = len(slack.responses)
    listed = approve_buttons(home)
    assert [value for _, value in listed] == [first, second]
    assert len({block for block, _ in listed}) == 2  # the same action_id, in two blocks

    after = await click_in_home(bot, home, APPROVE, second, APPROVER)

    assert await states(bot, [first, second]) == [State.PENDING, State.APPROVED]
    assert first_line(after) == APPROVED  # the answer, where the clicker is looking
    assert [value for _, value in approve_buttons(after)] == [first]
    assert "Fixes waiting for approval* (1)" in json.dumps(after)
    update = await slack.wait_for_match("chat.update", lambda c: "(approved)" in c.args["text"])
    assert update.args["ts"] == second_request.answer["ts"]  # the request in its thread, too
    assert len(slack.responses) == answered_in_threads  # a Home click has no response_url


async def test_twenty_pending_approvals_in_app_home_approve_one_from_the_middle(
    bot: Bot, slack: FakeSlack
) -> None:
    ids = await seeded(bot, 20)
    home = await open_home(bot, APPROVER)
    assert "Fixes waiting for approval* (20)" in json.dumps(home)
    listed = [value for _, value in approve_buttons(home)]
    assert listed == ids[:10]  # Home lists the ten that expire first
    chosen = listed[6]

    after = await click_in_home(bot, home, APPROVE, chosen, APPROVER)

    assert await states(bot, ids) == [State.APPROVED if i == chosen else State.PENDING for i in ids]
    assert first_line(after) == APPROVED
    assert "Fixes waiting for approval* (19)" in json.dumps(after)
    assert [value for _, value in approve_buttons(after)] == [i for i in ids if i != chosen][:10]
    assert len(after["blocks"]) <= 100


async def test_reject_from_app_home(bot: Bot, slack: FakeSlack) -> None:
    [only] = await seeded(bot, 1)
    home = await open_home(bot, APPROVER)
    after = await click_in_home(bot, home, REJECT, only, APPROVER)
    assert await states(bot, [only]) == [State.REJECTED]
    assert first_line(after) == "Rejected: nothing will be changed."
    assert approve_buttons(after) == []


async def test_a_stale_home_click_is_told_it_was_decided_already(bot: Bot) -> None:
    """Two approvers with Home open; the second clicks after the first approved."""
    [only] = await seeded(bot, 1)
    home = await open_home(bot, APPROVER)
    await click_in_home(bot, home, APPROVE, only, APPROVER)
    again = await click_in_home(bot, home, APPROVE, only, APPROVER)
    assert first_line(again) == "This request is approved already; nothing more to do here."
    assert await states(bot, [only]) == [State.APPROVED]


async def test_a_non_approver_clicking_in_an_old_home_is_told_why_not(bot: Bot) -> None:
    """Someone taken off ATTRSYNC_APPROVERS while their Home still showed the buttons."""
    [only] = await seeded(bot, 1)
    home = await open_home(bot, APPROVER)
    after = await click_in_home(bot, home, APPROVE, only, "U0MALLORY")
    assert first_line(after).startswith("Only approvers can approve fixes")
    assert approve_buttons(after) == []  # Mallory's own Home has no requests to decide
    assert await states(bot, [only]) == [State.PENDING]


async def test_a_fix_button_clicked_outside_a_message_says_where_to_ask(bot: Bot) -> None:
    home = await open_home(bot, REQUESTER)
    after = await click_in_home(bot, home, "fix:update_attributes", "offer-x", REQUESTER)
    assert first_line(after).startswith("Ask for a fix from the button on the report")
