"""The Slack bot end to end over HTTP: signed requests in, Web API calls out."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import timedelta
from typing import Any

import pytest

from bot.slackkit.failures import REDIS_DOWN
from fakes.okta.rate_limits import RateLimits
from fakes.okta.server import FakeOkta, Fault
from fakes.slack.payloads import app_mention, block_action
from fakes.slack.server import FakeSlack
from tests.harness.bot import Bot, bot_settings, buttons, new_channel, running_bot


def _texts(blocks: list[dict[str, Any]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


async def test_slash_command_acks_then_posts_the_report_in_the_channel(
    bot: Bot, slack: FakeSlack
) -> None:
    channel = new_channel()
    status, ack, _ = await bot.command("why jdoe box lastName", channel=channel)
    assert status == 200
    assert json.loads(ack)["response_type"] == "ephemeral"
    assert json.loads(ack)["text"] == "Diagnosing jdoe in box…"
    [post] = await slack.wait_for("chat.postMessage")
    assert post.args["channel"] == channel
    assert "no external ID" in post.args["text"]
    blocks = post.args["blocks"]
    assert ":red_circle: *Cause:*" in blocks[0]["text"]["text"]
    values = {action: button["value"] for action, button in buttons(blocks).items()}
    assert set(values) == {"fix:external_id", "fix:sync_state"}
    assert all("relink" not in value and len(value) < 40 for value in values.values())
    assert "Passed: `user`" in _texts(blocks)
    await slack.wait_for("chat.getPermalink")


async def test_ack_comes_before_the_slow_diagnosis(
    bot: Bot, slack: FakeSlack, fake_okta: FakeOkta
) -> None:
    fake_okta.latency = 0.5
    started = time.monotonic()
    status, _, _ = await bot.command("why jdoe box", channel=new_channel())
    acked = time.monotonic() - started
    assert status == 200
    assert not slack.calls_to("chat.postMessage")  # the report comes after the ack
    [post] = await slack.wait_for("chat.postMessage", timeout=10)
    assert post.received - started > acked


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("help", "why USER APP"),
        ("", "why USER APP"),
        ("frobnicate", "I don't know `frobnicate`"),
        ("why jdoe", "Usage: `/attrsync why USER APP [ATTRIBUTE]`"),
        ("why <@U123> box", "not a Slack user"),
    ],
)
async def test_help_and_usage_are_ephemeral_acks(
    bot: Bot, slack: FakeSlack, text: str, expected: str
) -> None:
    status, ack, _ = await bot.command(text, channel=new_channel())
    assert status == 200
    body = json.loads(ack)
    assert body["response_type"] == "ephemeral"
    assert expected in body["text"]
    assert not slack.calls_to("chat.postMessage")


async def test_mention_answers_in_the_thread(bot: Bot, slack: FakeSlack) -> None:
    channel = new_channel()
    body = app_mention(
        "<@U0BOT> why gmap office",
        user_id="U0BOB",
        channel_id=channel,
        ts="1700.0001",
        event_id="Ev1",
    )
    status, _, _ = await bot.post(body)
    assert status == 200
    [post] = await slack.wait_for("chat.postMessage")
    assert post.args["thread_ts"] == "1700.0001"
    assert "mapped from user.nickName" in post.args["text"]
    [progress] = slack.calls_to("chat.postEphemeral")
    assert progress.args["user"] == "U0BOB"
    assert progress.args["thread_ts"] == "1700.0001"


async def test_retried_event_runs_once(
    bot: Bot, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    channel = new_channel()
    body = app_mention(
        "<@U0BOT> why iupd zoom",
        user_id="U0BOB",
        channel_id=channel,
        ts="1700.0002",
        event_id="Ev2",
    )
    await bot.post(body)
    await slack.wait_for("chat.getPermalink")
    caplog.set_level(logging.INFO, logger="bot.reports.answers")
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    status, _, _ = await bot.post(body, extra_headers=retry)
    assert status == 200
    for _ in range(200):  # until the bot has dealt with the retry
        if any("delivered a question again" in r.getMessage() for r in caplog.records):
            break
        await asyncio.sleep(0.01)
    else:
        pytest.fail("the bot never dealt with the retried event")
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert len(slack.calls_to("chat.postEphemeral")) == 1  # no "already asked" for a retry


async def test_same_question_again_links_to_the_first_report(bot: Bot, slack: FakeSlack) -> None:
    channel = new_channel()
    await bot.command("why dstale box", channel=channel)
    await slack.wait_for("chat.getPermalink")
    _, _, second_url = await bot.command("why DSTALE Box", channel=channel)
    [notice] = [r for r in await slack.wait_for_response() if r.url_id in second_url]
    assert "was diagnosed here moments ago" in notice.body["text"]
    assert "https://acme.slack.com/archives/" in notice.body["text"]
    assert len(slack.calls_to("chat.postMessage")) == 1
    await bot.command("why dstale box", channel=new_channel())  # another channel runs again
    await slack.wait_for("chat.postMessage", count=2)


async def test_forged_and_stale_signatures_get_401_and_do_nothing(
    bot: Bot, slack: FakeSlack, fake_okta: FakeOkta
) -> None:
    body = "command=%2Fattrsync&text=why+jdoe+box&channel_id=C1&user_id=U1&team_id=T0001"
    forged, _, _ = await bot.post(body, secret="not-the-secret")
    stale, _, _ = await bot.post(body, timestamp=int(time.time()) - 6 * 60)
    assert (forged, stale) == (401, 401)
    assert not slack.calls
    assert not fake_okta.requests


async def test_okta_values_are_escaped(bot: Bot, slack: FakeSlack, fake_okta: FakeOkta) -> None:
    fake_okta.state.change_profile("jdoe", {"lastName": "<!channel> & <@U0BOSS>"})
    await bot.command("why jdoe box lastName", channel=new_channel())
    [post] = await slack.wait_for("chat.postMessage")
    everything = _texts(post.args["blocks"]) + post.args["text"]
    assert "<!channel>" not in everything
    assert "<@U0BOSS>" not in everything
    assert "&lt;!channel&gt; &amp; &lt;@U0BOSS&gt;" in everything


async def test_long_evidence_continues_in_the_thread(
    bot: Bot, slack: FakeSlack, fake_okta: FakeOkta
) -> None:
    state = fake_okta.state
    for minutes in range(5, 65, 5):
        at = state.now() - timedelta(minutes=minutes)
        state.log_push("google", "efail", at, "FAILURE", reason=f"refused {minutes} min ago")
    await bot.command("why efail google", channel=new_channel())
    report, continued = await slack.wait_for("chat.postMessage", count=2)
    assert "more in the thread" in _texts(report.args["blocks"])
    assert continued.args["thread_ts"] == report.answer["ts"]
    assert "(continued)" in continued.args["text"]


async def test_not_in_channel_falls_back_to_the_response_url(bot: Bot, slack: FakeSlack) -> None:
    channel = new_channel()
    slack.not_in_channel.add(channel)
    _, _, response_url = await bot.command("why efail google", channel=channel)
    [posted] = [r for r in await slack.wait_for_response() if r.url_id in response_url]
    assert posted.body["response_type"] == "in_channel"
    assert "failed" in posted.body["text"]


async def test_manual_fix_says_why_and_offers_recheck(bot: Bot, slack: FakeSlack) -> None:
    channel = new_channel()
    await bot.command("why jdoe box", channel=channel)
    [post] = await slack.wait_for("chat.postMessage")
    value = buttons(post.args["blocks"])["fix:external_id"]["value"]
    response_url = slack.new_response_url()
    click = block_action(
        "fix:external_id",
        value,
        user_id="U0BOB",
        channel_id=channel,
        message_ts=post.answer["ts"],
        response_url=response_url,
    )
    status, _, _ = await bot.post(click)
    assert status == 200
    [answer] = [r for r in await slack.wait_for_response() if r.url_id in response_url]
    assert answer.body["response_type"] == "ephemeral"
    assert "Okta's API cannot switch it off" in answer.body["blocks"][0]["text"]["text"]
    recheck = answer.body["blocks"][-1]["elements"][0]
    assert recheck["action_id"] == "recheck:external_id"
    assert recheck["value"] == value


async def test_unknown_fix_offer_has_expired(bot: Bot, slack: FakeSlack) -> None:
    response_url = slack.new_response_url()
    click = block_action(
        "fix:mapping",
        "no-such-offer",
        user_id="U0BOB",
        channel_id=new_channel(),
        message_ts="1.2",
        response_url=response_url,
    )
    await bot.post(click)
    [answer] = await slack.wait_for_response()
    assert "expired" in answer.body["text"]


async def test_okta_down_is_an_ephemeral_sentence(
    bot: Bot, slack: FakeSlack, fake_okta: FakeOkta
) -> None:
    fake_okta.faults.append(Fault.status(500, path="/api/v1/", times=None))
    _, _, response_url = await bot.command("why jdoe box", channel=new_channel())
    [answer] = [r for r in await slack.wait_for_response() if r.url_id in response_url]
    assert answer.body["response_type"] == "ephemeral"
    assert "Okta answered 500" in answer.body["text"]
    assert "Nothing was changed; try again in a minute." in answer.body["text"]
    assert not slack.calls_to("chat.postMessage")


async def test_redis_down(fake_okta: FakeOkta, slack: FakeSlack) -> None:
    settings = bot_settings(fake_okta.url, slack, redis_url="redis://127.0.0.1:9/0")
    async with running_bot(settings, slack) as bot:
        status, ack, _ = await bot.command("why jdoe box", channel=new_channel())
        assert status == 200
        assert "Diagnosing" in ack
        [answer] = await slack.wait_for_response()
        assert answer.body["text"] == REDIS_DOWN
        async with bot.http.get(f"{bot.url}/healthz") as health:
            assert health.status == 503
            assert (await health.json())["redis"] == "down"


async def test_healthz(bot: Bot) -> None:
    async with bot.http.get(f"{bot.url}/healthz") as health:
        assert health.status == 200
        assert await health.json() == {"redis": "ok", "okta": "unknown"}


async def test_a_burst_of_questions_all_get_their_reports(
    bot: Bot, slack: FakeSlack, fake_okta: FakeOkta
) -> None:
    fake_okta.limits = RateLimits(default=100_000)  # an org whose limits were raised a lot
    # A throughput test: the stack debug mode (scripts/test) keeps of every callback and
    # coroutine makes it six times slower, a measure of asyncio's bookkeeping, not the bot's.
    asyncio.get_running_loop().set_debug(False)
    channels = [new_channel() for _ in range(150)]
    acks = await asyncio.gather(*(bot.command("why jdoe box", channel=c) for c in channels))
    assert {status for status, _, _ in acks} == {200}
    posts = await slack.wait_for("chat.postMessage", count=len(channels), timeout=30)
    assert {p.args["channel"] for p in posts} == set(channels)
    assert not slack.responses  # nobody was told Redis or Okta is down
