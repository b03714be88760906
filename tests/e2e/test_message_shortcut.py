"""The message shortcut "Diagnose with attrsync": the author's Slack email names the Okta user,
the message's words the app (one of the author's that Okta provisions to) and attribute, a
modal confirms them, and the report goes into the message's thread; what cannot be told is
asked for, never guessed."""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import pytest

from bot.demo.org import build_demo_org
from bot.slack.guess import AppGuess
from bot.slack.modal import diagnose_modal
from checks.model import App
from fakes.okta.state import OrgState
from fakes.slack.payloads import check_blocks, message_shortcut, view_submission
from fakes.slack.server import FakeSlack
from tests.harness.bot import Bot, new_channel

MESSAGE_TS = "1700000123.000200"
PUSHES = ("PUSH_NEW_USERS", "PUSH_PROFILE_UPDATES", "SCIM_PROVISIONING")


@pytest.fixture
def demo_state() -> OrgState:
    """The demo org, where Jane also has what real people have: a profile source that writes
    back (Workday), the Okta dashboard, an app with a generic label, an app without
    provisioning, and a few apps Okta pushes to."""
    org = build_demo_org(datetime.now(UTC))
    source = ("IMPORT_NEW_USERS", "IMPORT_PROFILE_UPDATES", "PROFILE_MASTERING")
    workday = org.add_app("workday", "Workday", features=(*source, "PUSH_PROFILE_UPDATES"))
    dashboard = org.add_app("okta_enduser", "Okta Dashboard")  # no push: a sign-in app
    my_app = org.add_app("acme_myapp_1", "My App", features=PUSHES)
    org.add_app("acme_jira_1", "Jira", features=PUSHES)
    for app in (workday, dashboard, my_app, *map(org.app, ("slack", "zoomus", "zendesk"))):
        org.assign(app, "jdoe")
    return org


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
    """What each input holds as the modal opens: a text, or the text of a menu's option."""
    return {
        block["block_id"]: (
            block["element"].get("initial_option", {}).get("text", {}).get("text")
            if block["element"]["type"] == "static_select"
            else block["element"].get("initial_value")
        )
        for block in view["blocks"]
        if block["type"] == "input"
    }


def _menu(view: Any) -> list[str]:
    [app] = [b for b in view["blocks"] if b["block_id"] == "app"]
    assert app["element"]["type"] == "static_select"
    return [option["text"]["text"] for option in app["element"]["options"]]


def _value(view: Any, label: str) -> str:
    [app] = [b for b in view["blocks"] if b["block_id"] == "app"]
    return next(str(o["value"]) for o in app["element"]["options"] if o["text"]["text"] == label)


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
    values = {"user": "jdoe@example.com", "attribute": "lastName"}  # the menu left as it was
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
    assert hints["app"].startswith("attrsync could not tell the Okta user of <@U0NOMAIL>")
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


async def test_the_menu_holds_the_apps_okta_provisions_to_the_author(
    bot: Bot, slack: FakeSlack
) -> None:
    _author(slack, "U0JDOE", "jdoe@example.com")
    view = await _shortcut(bot, slack, "my title is wrong in Slack", "U0JDOE", new_channel())
    assert _initial(view)["app"] == "Slack"
    # Not Workday (the source), the Okta dashboard, Zendesk (no provisioning) or Jira (not hers).
    assert _menu(view) == ["Slack", "Box", "My App", "Zoom"]
    assert _hints(view)["app"] == (
        "Named in the message; the list holds the apps Okta provisions to <@U0JDOE>."
    )


async def test_a_source_or_a_generic_label_is_never_guessed(bot: Bot, slack: FakeSlack) -> None:
    _author(slack, "U0JDOE", "jdoe@example.com")
    text = "Workday has my new job title but Box still shows the old one"
    view = await _shortcut(bot, slack, text, "U0JDOE", new_channel())
    assert _initial(view)["app"] == "Box" and _initial(view)["attribute"] == "title"
    for text in (
        "in Workday my title is right",
        "the Okta Dashboard shows my old title",
        "My App shows my old title",
        "my title is wrong in Jira",
    ):
        view = await _shortcut(bot, slack, text, "U0JDOE", new_channel())
        assert _initial(view)["app"] is None, text
        assert "Workday" not in _menu(view) and "Jira" not in _menu(view)


async def test_two_apps_named_are_asked_with_both_first(bot: Bot, slack: FakeSlack) -> None:
    _author(slack, "U0JDOE", "jdoe@example.com")
    channel = new_channel()
    text = "Since Friday my title in Slack and in Zoom is the old one"
    view = await _shortcut(bot, slack, text, "U0JDOE", channel)
    assert _initial(view) == {"user": "jdoe@example.com", "app": None, "attribute": "title"}
    assert _menu(view)[:2] == ["Slack", "Zoom"]
    assert _hints(view)["app"].startswith("The message names Slack and Zoom: choose the one")
    unchosen = {"user": "jdoe@example.com"}
    status, text, _ = await bot.post(view_submission(view, unchosen, user_id="U0HELPER"))
    assert json.loads(text) == {"response_action": "errors", "errors": {"app": "Choose the app."}}
    # The demo's Zoom has no title attribute: emptied, every mapped one is compared.
    values = {"user": "jdoe@example.com", "app": _value(view, "Zoom"), "attribute": ""}
    status, text, _ = await bot.post(view_submission(view, values, user_id="U0HELPER"))
    assert (status, text) == (200, "")
    [report] = await slack.wait_for("chat.postMessage")
    assert report.args["channel"] == channel and "Zoom" in report.args["text"]


async def test_an_author_okta_provisions_nothing_to_names_the_app(
    bot: Bot, slack: FakeSlack
) -> None:
    _author(slack, "U0JACK", "jnoassign@example.com")
    view = await _shortcut(bot, slack, "my title is wrong in Box", "U0JACK", new_channel())
    [app] = [b for b in view["blocks"] if b["block_id"] == "app"]
    assert app["element"]["type"] == "plain_text_input"
    assert _initial(view)["app"] is None
    assert _hints(view)["app"].startswith("Okta provisions no app to <@U0JACK>")


def test_the_fake_refuses_a_menu_slack_refuses() -> None:
    def select(**element: Any) -> list[dict[str, Any]]:
        return [{"type": "input", "block_id": "b", "label": _plain("App"), "element": element}]

    box = {"text": _plain("Box"), "value": "0oa1"}
    assert check_blocks(select(type="static_select", action_id="a", options=[box])) == []
    other = {"text": _plain("Slack"), "value": "0oa2"}
    refused = {
        "initial_option": select(
            type="static_select", action_id="a", options=[box], initial_option=other
        ),
        "options": select(type="static_select", action_id="a", options=[box] * 101),
        "options/0/text/text": select(
            type="static_select",
            action_id="a",
            options=[{"text": _plain("x" * 76), "value": "v"}],
        ),
        "options/0/value": select(
            type="static_select", action_id="a", options=[{"text": _plain("x"), "value": "v" * 151}]
        ),
        "options/1/value": select(type="static_select", action_id="a", options=[box, box]),
    }
    for pointer, blocks in refused.items():
        errors = check_blocks(blocks)
        assert any(f"/blocks/0/element/{pointer}]" in e for e in errors), (pointer, errors)


def test_a_submitted_menu_carries_the_option_as_slack_sends_it() -> None:
    box = {"text": _plain("Box"), "value": "0oa1"}
    view = {
        "blocks": [
            {
                "type": "input",
                "block_id": "app",
                "label": _plain("App"),
                "element": {"type": "static_select", "action_id": "app", "options": [box]},
            }
        ]
    }
    payload = json.loads(
        dict(_form(view_submission(view, {"app": "0oa1"}, user_id="U1")))["payload"]
    )
    assert payload["view"]["state"]["values"] == {
        "app": {"app": {"type": "static_select", "selected_option": box}}
    }
    left = json.loads(dict(_form(view_submission(view, {}, user_id="U1")))["payload"])
    assert left["view"]["state"]["values"]["app"]["app"]["selected_option"] is None
    with pytest.raises(ValueError, match="offers no option"):
        view_submission(view, {"app": "0oa9"}, user_id="U1")


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _form(body: str) -> list[tuple[str, str]]:
    return parse_qsl(body)


async def test_a_hostile_message_is_inert_in_the_modal(bot: Bot, slack: FakeSlack) -> None:
    _author(slack, "U0JDOE", "jdoe@example.com")
    text = "<!channel> *help* " + "x" * 5000
    view = await _shortcut(bot, slack, text, "U0JDOE", new_channel())
    excerpt = view["blocks"][0]["elements"][0]["text"]
    assert "<!channel>" not in excerpt and "&lt;!channel&gt;" in excerpt
    assert len(excerpt) < 400
    assert not slack.block_errors


def test_a_long_menu_keeps_slacks_limits_and_tells_instances_apart() -> None:
    apps = [
        App(f"0oa{n:017d}", "salesforce", f"App {n:03d}", "ACTIVE", "SAML_2_0", frozenset())
        for n in range(120)
    ]
    twins = [
        replace(apps[0], id=f"0oa{n:017d}", label="Salesforce " + "x" * 80) for n in (200, 201)
    ]
    guess = AppGuess(None, (twins[1], apps[50], twins[0]))
    view = diagnose_modal(
        author="U1",
        email=None,
        login=None,
        apps=[*apps, *twins],
        guess=guess,
        attribute=None,
        excerpt="",
        metadata="{}",
    )
    assert check_blocks(view["blocks"], "/view/blocks", max_blocks=100) == []
    [app] = [b for b in view["blocks"] if b.get("block_id") == "app"]
    options = app["element"]["options"]
    assert len(options) == 100 and "initial_option" not in app["element"]
    assert [o["value"] for o in options[:3]] == [twins[1].id, apps[50].id, twins[0].id]
    assert options[0]["text"]["text"].endswith(f"… ({twins[1].id})")
    assert len({o["text"]["text"] for o in options}) == 100
    assert app["hint"]["text"].endswith("Showing 100 of 122.")
