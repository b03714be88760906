"""`sent`: a Slack call's failure is a value and one warning line, proven with the real
slack_sdk client against the fake Slack (refusals, a cut connection, a Slack that never
answers)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
from redis.exceptions import RedisError
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.config import SlackSettings
from bot.services import slack_client
from bot.slackkit.failures import sentence_for
from bot.slackkit.posting import Failed, sent
from fakes.slack.server import FakeSlack, Hold
from tests.harness.bot import BOT_TOKEN

CHANNEL = "C0HELP"
OUTSIDE = "C0OUTSIDE"
SECRET_TEXT = "jdoe's new last name is Smith-Jones"
"""Posted text standing in for a person's values: never in a log line."""

log = logging.getLogger("tests.posting")


@pytest.fixture
async def client(slack: FakeSlack) -> AsyncIterator[AsyncWebClient]:
    """The bot's own client over a session with a short timeout, so "never answers" is quick."""
    slack.not_in_channel.add(OUTSIDE)
    settings = SlackSettings(BOT_TOKEN, "signing-secret", None, slack.api_url)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.5)) as session:
        yield slack_client(settings, session)


def warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_an_answered_call_is_slacks_answer_and_logs_nothing(
    slack: FakeSlack, client: AsyncWebClient, caplog: pytest.LogCaptureFixture
) -> None:
    posted = await sent(client.chat_postMessage(channel=CHANNEL, text="hello"), log, "no post")
    assert not isinstance(posted, Failed)
    assert (CHANNEL, posted["ts"]) in slack.messages
    assert warnings(caplog) == []


async def test_a_refusal_is_slacks_error_code_in_one_warning_in_the_callers_log(
    slack: FakeSlack, client: AsyncWebClient, caplog: pytest.LogCaptureFixture
) -> None:
    posted = await sent(
        client.chat_postMessage(channel=OUTSIDE, text=SECRET_TEXT), log, "could not post it"
    )
    assert isinstance(posted, Failed)
    assert posted.error == "not_in_channel"
    assert isinstance(posted.cause, SlackApiError)
    [line] = warnings(caplog)
    assert (line.name, line.levelno) == ("tests.posting", logging.WARNING)
    assert line.getMessage() == "could not post it: not_in_channel"
    assert line.exc_info is None, "no traceback"
    assert SECRET_TEXT not in caplog.text and slack.api_url not in caplog.text


async def test_a_cut_connection_is_unreachable_without_the_address(
    slack: FakeSlack, client: AsyncWebClient, caplog: pytest.LogCaptureFixture
) -> None:
    # Held more times than slack_sdk retries a dropped connection: every try is cut.
    hold = slack.holds["chat.update"] = Hold(times=5)
    update = client.chat_update(channel=CHANNEL, ts="1.000100", text=SECRET_TEXT)
    updating = asyncio.create_task(sent(update, log, "could not update the message"))
    await asyncio.wait_for(hold.held.wait(), 5)
    hold.release(drop=True)
    updated = await updating
    assert isinstance(updated, Failed)
    assert updated.error == "unreachable"
    assert isinstance(updated.cause, aiohttp.ClientError)
    [line] = warnings(caplog)
    assert line.getMessage() == "could not update the message: unreachable"
    assert slack.base_url not in caplog.text and SECRET_TEXT not in caplog.text


async def test_a_slack_that_never_answers_is_unreachable(
    slack: FakeSlack, client: AsyncWebClient, caplog: pytest.LogCaptureFixture
) -> None:
    hold = slack.holds["views.publish"] = Hold()
    try:
        published = await sent(
            client.views_publish(user_id="U0ALICE", view={"type": "home", "blocks": []}),
            log,
            "could not publish App Home",
        )
    finally:
        hold.release()
    assert isinstance(published, Failed)
    assert published.error == "unreachable"
    assert isinstance(published.cause, TimeoutError | aiohttp.ClientError)
    assert [r.getMessage() for r in warnings(caplog)] == ["could not publish App Home: unreachable"]


async def test_without_a_log_a_failure_is_quiet(
    slack: FakeSlack, client: AsyncWebClient, caplog: pytest.LogCaptureFixture
) -> None:
    slack.fail_next["chat.getPermalink"] = "internal_error"
    found = await sent(client.chat_getPermalink(channel=CHANNEL, message_ts="1.000100"))
    assert isinstance(found, Failed)
    assert found.error == "internal_error"
    assert warnings(caplog) == []


async def test_calls_in_one_coroutine_stop_at_the_first_failure(
    slack: FakeSlack, client: AsyncWebClient, caplog: pytest.LogCaptureFixture
) -> None:
    async def three() -> None:
        for channel in (CHANNEL, OUTSIDE, CHANNEL):
            await client.chat_postMessage(channel=channel, text="one of three")

    assert isinstance(await sent(three(), log, "could not post the three"), Failed)
    assert [c.args["channel"] for c in slack.calls_to("chat.postMessage")] == [CHANNEL, OUTSIDE]
    assert len(warnings(caplog)) == 1


async def test_what_is_not_slacks_failure_goes_through(
    slack: FakeSlack, client: AsyncWebClient, caplog: pytest.LogCaptureFixture
) -> None:
    async def then_redis_fails() -> None:
        await client.chat_postMessage(channel=CHANNEL, text="posted")
        raise RedisError("Redis went away")

    with pytest.raises(RedisError):
        await sent(then_redis_fails(), log, "could not post")
    assert warnings(caplog) == []


async def test_cancelling_a_held_call_cancels_it(slack: FakeSlack, client: AsyncWebClient) -> None:
    hold = slack.holds["chat.postMessage"] = Hold()
    posting = asyncio.create_task(sent(client.chat_postMessage(channel=CHANNEL, text="hi"), log))
    await asyncio.wait_for(hold.held.wait(), 5)
    posting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await posting
    hold.release()


async def test_the_cause_raised_again_is_worded_for_the_person_by_sentence_for(
    client: AsyncWebClient,
) -> None:
    posted = await sent(client.chat_postMessage(channel=OUTSIDE, text="the request"))
    assert isinstance(posted, Failed)
    with pytest.raises(SlackApiError) as raised:
        raise posted.cause
    assert sentence_for(raised.value, "the approval request") == (
        "Slack refused the approval request (not_in_channel); try again."
    )
