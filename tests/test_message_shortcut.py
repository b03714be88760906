"""The message shortcut "Diagnose with attrsync": the author's Slack email names the Okta user,
the message's words the app and attribute, a modal confirms them, and the report goes into the
message's thread; what cannot be told is asked for."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from bot.demo.server import FakeOkta
from tests.bot_harness import Bot, new_channel
from tests.fakes.slack import FakeSlack
from tests.fakes.slack_payloads import message_shortcut, view_submission

MESSAGE_TS = "1700000123.000200"


def _author(slack: FakeSlack, user_id: str, email: str | None) -> None:
    profile: dict[str, Any] = {"real_name": "Someone", "display_name": "someone"}
    if email:
        profile["email"] = email
    slack.users[user_id] = {"id": user_id, "name": "someone", "deleted": False, "profile": profile}


async def _shortcut(bot: Bot, slack: FakeSlack, text: str, author: str, channel: str) -> Any:
    """Choose the shortcut on a message; returns the modal opened."""
    opened = len(slack.opened_views)
    message = {"ts": MESSAGE_TS, "user": author, "text": text}
    body = message_shortcut(
        "diagnose_message",
        user_id="U0HELPER",
        channel_id=channel,
        message=message,
        response_url=slack.new_response_url(),
    )
    status, _, _ = await bot.post(body)
    assert status == 200
    await slack.wait_for("views.open", count=opened + 1)
    return slack.opened_views[opened]


def _initial(view: Any) -> dict[str, str | None]:
    return {
        block["block_id"]: block["element"].get("initial_value")
        for block in view["blocks"]
        if block["type"] == "input"
    }


def _hints(view: Any) -> dict[str, str]:
    return {b["block_id"]: b["hint"]["text"] for b in view["blocks"] if b["type"] == "input"}


async def test_the_report_goes_into_the_messages_thread(bot: Bot, slack: FakeSlack) -> None:
    channel = new_channel()
    _author(slack, "U0JDOE", "jdoe@example.com")
    view = await _shortcut(bot, slack, "my last name is still wrong in Box :(", "U0JDOE", channel)
    assert _initial(view) == {"user": "jdoe@example.com", "app": "Box", "attribute": "lastName"}
    assert (
        _hints(view)["user"] == "The Okta user of <@U0JDOE>, found by their Slack profile's email."
    )
    assert json.loads(view["private_metadata"]) == {"channel": channel, "thread": MESSAGE_TS}
    values = {"user": "jdoe@example.com", "app": "Box", "attribute": "lastName"}
    status, text, _ = await bot.post(view_submission(view, values, user_id="U0HELPER"))
    assert (status, text) == (200, "")
    [report] = await slack.wait_for("chat.postMessage")
    assert report.args["channel"] == channel and report.args["thread_ts"] == MESSAGE_TS
    assert "external ID" in report.args["text"]


async def test_what_cannot_be_told_is_asked_for(bot: Bot, slack: FakeSlack) -> None:
    channel = new_channel()
    _author(slack, "U0NOMAIL", None)
    view = await _shortcut(bot, slack, "something is off with my profile", "U0NOMAIL", channel)
    assert _initial(view) == {"user": None, "app": None, "attribute": None}
    hints = _hints(view)
    assert hints["user"].startswith("Slack has no email for <@U0NOMAIL>")
    assert hints["app"].startswith("The message names no app of the org")
    status, text, _ = await bot.post(view_submission(view, {"user": ""}, user_id="U0HELPER"))
    assert status == 200
    assert json.loads(text) == {
        "response_action": "errors",
        "errors": {
            "user": "Name the Okta user: a login, email or short name.",
            "app": "Name the app: its label or name, as in Okta.",
        },
    }
    await asyncio.sleep(0)
    assert not slack.calls_to("chat.postMessage")


async def test_an_email_okta_does_not_know_is_asked_for(bot: Bot, slack: FakeSlack) -> None:
    _author(slack, "U0STRANGER", "stranger@elsewhere.example")
    view = await _shortcut(bot, slack, "Box shows my old title", "U0STRANGER", new_channel())
    assert _initial(view)["user"] is None
    assert _hints(view)["user"] == (
        "No one Okta user has <@U0STRANGER>'s email (stranger@elsewhere.example): "
        "name their Okta login."
    )


async def test_several_apps_named_the_first_is_proposed(
    bot: Bot, slack: FakeSlack, fake_okta: FakeOkta
) -> None:
    _author(slack, "U0JDOE", "jdoe@example.com")
    text = "Since Friday my title in Slack and in Zoom is the old one"
    view = await _shortcut(bot, slack, text, "U0JDOE", new_channel())
    assert _initial(view)["app"] == "Slack"
    assert _initial(view)["attribute"] == "title"
    assert _hints(view)["app"] == "Named in the message, as are: Zoom."


async def test_a_hostile_message_is_inert_in_the_modal(bot: Bot, slack: FakeSlack) -> None:
    _author(slack, "U0JDOE", "jdoe@example.com")
    text = "<!channel> *help* " + "x" * 5000
    view = await _shortcut(bot, slack, text, "U0JDOE", new_channel())
    excerpt = view["blocks"][0]["elements"][0]["text"]
    assert "<!channel>" not in excerpt and "&lt;!channel&gt;" in excerpt
    assert len(excerpt) < 400
    assert not slack.block_errors
