"""Slack failures are named for what failed: once the report is out, a failing thread post or
permalink loses a detail, never the answer, and never makes a second report."""

from __future__ import annotations

from bot.services import SLACK_TIMEOUT
from fakes.slack.server import FakeSlack
from tests.harness.bot import Bot, buttons, new_channel


async def test_a_permalink_failure_after_the_report_is_out_is_not_a_refused_report(
    bot: Bot, slack: FakeSlack
) -> None:
    channel = new_channel()
    slack.fail_next["chat.getPermalink"] = "internal_error"
    _, _, first = await bot.command("why jdoe box lastName", channel=channel)
    await slack.wait_for("chat.getPermalink")
    _, _, again = await bot.command("why jdoe box lastName", channel=channel)
    answers = await slack.wait_for_response(count=1)
    said = [str(r.body.get("text")) for r in answers if r.url_id in again]
    assert said == ["jdoe in box was diagnosed here moments ago; see the report above."]
    assert not [r for r in slack.responses if r.url_id in first], "no 'Slack refused' answer"
    reports = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == channel]
    assert len(reports) == 1, "asking again does not post a second report"


async def test_the_shared_session_carries_slacks_timeout(bot: Bot) -> None:
    """slack_sdk applies its `timeout` only to sessions it opens itself."""
    session = bot.services.slack.session
    assert session is not None
    assert session.timeout.total == SLACK_TIMEOUT


async def test_a_fix_offer_keeps_the_attribute_asked_about(bot: Bot, slack: FakeSlack) -> None:
    """Re-check diagnoses the same question again, attribute included (offers keep data)."""
    channel = new_channel()
    await bot.command("why jdoe box lastName", channel=channel)
    [post] = await slack.wait_for("chat.postMessage")
    value = buttons(post.args["blocks"])["fix:external_id"]["value"]
    offer = await bot.services.store.load_offer(value)
    assert offer is not None
    assert (offer.check, offer.fix_id, offer.attribute) == ("external_id", "relink", "lastName")
