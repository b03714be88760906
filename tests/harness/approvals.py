"""Fixes through Slack, for tests: ask for a fix, click its buttons, run a worker."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.runtime.worker import Worker
from fakes.okta.server import FakeOkta
from fakes.slack.payloads import app_home_opened, block_action
from fakes.slack.server import SlackCall
from tests.harness.bot import Bot, buttons, new_channel

REQUESTER = "U0BOB"


def worker(bot: Bot, **options: Any) -> Worker:
    defaults: dict[str, Any] = {"block_ms": 50, "wait_limit": 2.0, "poll_interval": 0.05}
    return Worker(bot.services, **(defaults | options))


async def click(
    bot: Bot,
    action_id: str,
    value: str,
    user: str,
    channel: str,
    ts: str,
    *,
    selected: str | None = None,
    message: dict[str, object] | None = None,
) -> str:
    """Click a button as `user` (or, with `selected`, pick the option of that text and value
    in a select menu; with `message`, on that message as the clicker's Slack shows it, so the
    click carries the clicked block's id); returns the text answered to them only."""
    response_url = bot.slack.new_response_url()
    body = block_action(
        action_id,
        value,
        user_id=user,
        channel_id=channel,
        message_ts=ts,
        response_url=response_url,
        selected=selected,
        message=message,
    )
    status, _, _ = await bot.post(body)
    assert status == 200
    for _ in range(500):  # the listener answers after the ack
        answers = [r for r in bot.slack.responses if r.url_id in response_url]
        if answers:
            break
        await asyncio.sleep(0.01)
    return " ".join(str(a.body.get("text")) for a in answers)


async def request_fix(bot: Bot, question: str, check: str) -> tuple[str, str, SlackCall]:
    """Diagnose, click the fix button as the requester; returns channel, approval id, request."""
    channel = new_channel()
    await bot.command(question, channel=channel, user=REQUESTER)
    [report] = await bot.slack.wait_for("chat.postMessage")
    button = buttons(report.args["blocks"])[f"fix:{check}"]
    said = await click(
        bot, f"fix:{check}", button["value"], REQUESTER, channel, report.answer["ts"]
    )
    assert "Approval requested in the thread" in said
    [request] = [
        c
        for c in await bot.slack.wait_for("chat.postMessage", count=2)
        if "Fix requested" in c.args["text"]
    ]
    assert request.args["thread_ts"] == report.answer["ts"]
    approve_button = request.args["blocks"][-1]["elements"][0]
    assert approve_button["action_id"] == "approval:approve"
    return channel, approve_button["value"], request


def mutations(fake: FakeOkta) -> list[str]:
    return [f"{r.method} {r.path}" for r in fake.requests if r.method != "GET"]


async def publish_home(bot: Bot, user: str) -> SlackCall:
    """Open App Home as `user`; returns the views.publish call that answered it."""
    published = len(bot.slack.calls_to("views.publish"))
    status, _, _ = await bot.post(app_home_opened(user))
    assert status == 200
    calls = await bot.slack.wait_for("views.publish", count=published + 1)
    assert calls[published].args["user_id"] == user
    return calls[published]
