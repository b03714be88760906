"""FakeSlack and the Slack payload helpers, proven against the real slack_sdk clients and Bolt."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.models.blocks import ActionsBlock, ButtonElement, HeaderBlock, SectionBlock
from slack_sdk.signature import SignatureVerifier
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.webhook.async_client import AsyncWebhookClient

from fakes.slack import payloads
from fakes.slack.server import FakeSlack, serve_slack

JSON = dict[str, Any]
BOT, APP = "xoxb-test", "xapp-test"
SECRET = "signing-secret-for-tests"


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with serve_slack(bot_token=BOT, app_token=APP) as fake:
        yield fake
    assert fake.errors == []


@pytest.fixture
def client(slack: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token=BOT, base_url=slack.api_url)


def section(text: str, **extra: Any) -> JSON:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(action_id: str, *, text: str = "Fix", value: str = "v1", **extra: Any) -> JSON:
    label = {"type": "plain_text", "text": text}
    return {"type": "button", "action_id": action_id, "text": label, "value": value, **extra}


async def test_auth_test_answers_as_the_bot(client: AsyncWebClient) -> None:
    answer = await client.auth_test()
    assert answer.data == {
        "ok": True,
        "url": "https://acme.slack.com/",
        "team": "Acme",
        "user": "attrsync",
        "team_id": "T0001",
        "user_id": "U0BOT",
        "bot_id": "B0BOT",
        "is_enterprise_install": False,
    }


async def test_post_message_with_json_blocks(slack: FakeSlack, client: AsyncWebClient) -> None:
    blocks = [SectionBlock(text="*jdoe* in Box", block_id="verdict").to_dict(), section("more")]
    first = await client.chat_postMessage(channel="C0HELP", text="jdoe in Box", blocks=blocks)
    second = await client.chat_postMessage(channel="C0HELP", text="again", thread_ts=first["ts"])
    assert first["ts"] == "1700000000.000100" and second["ts"] > first["ts"]
    assert first["channel"] == "C0HELP" and first["message"]["text"] == "jdoe in Box"
    echoed = first["message"]["blocks"]
    assert echoed[0]["block_id"] == "verdict" and echoed[1]["block_id"]  # Slack fills it in
    call = (await slack.wait_for("chat.postMessage", count=2))[0]
    assert call.args["blocks"] == blocks and call.token == BOT
    assert call.headers["Content-Type"].startswith("application/json")
    assert slack.messages[("C0HELP", second["ts"])]["thread_ts"] == first["ts"]


async def test_post_message_with_blocks_as_a_form_field(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    blocks = [section("from a form")]
    form = {"channel": "C0HELP", "text": "fallback", "blocks": json.dumps(blocks)}
    answer = await client.api_call("chat.postMessage", data=form)
    assert answer["ok"] is True
    call = slack.calls_to("chat.postMessage")[0]
    assert call.args["blocks"] == blocks
    assert call.headers["Content-Type"] == "application/x-www-form-urlencoded"


async def test_other_methods_answer_like_slack(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.usergroups["S0APPROVERS"] = ["U0BOB", "U0CAROL"]
    posted = await client.chat_postMessage(channel="C0HELP", text="report")
    link = await client.chat_getPermalink(channel="C0HELP", message_ts=posted["ts"])
    assert link["permalink"] == "https://acme.slack.com/archives/C0HELP/p1700000000000100"
    members = await client.usergroups_users_list(usergroup="S0APPROVERS")
    assert members["users"] == ["U0BOB", "U0CAROL"]
    updated = await client.chat_update(channel="C0HELP", ts=posted["ts"], text="updated")
    assert (updated["channel"], updated["ts"]) == ("C0HELP", posted["ts"])
    ephemeral = await client.chat_postEphemeral(channel="C0HELP", user="U0ALICE", text="psst")
    assert re.fullmatch(r"\d{10}\.\d{6}", ephemeral["message_ts"])
    assert (await client.users_info(user="U0ALICE"))["user"]["id"] == "U0ALICE"
    view = await client.views_publish(user_id="U0ALICE", view={"type": "home", "blocks": []})
    assert view["view"]["type"] == "home"
    assert slack.block_errors == [] and slack.missing_fallback == []


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (
            {"method": "chat.postMessage", "json": {"channel": "C0OUT", "text": "x"}},
            "not_in_channel",
        ),
        ({"method": "usergroups.users.list", "params": {"usergroup": "S0NONE"}}, "no_such_subteam"),
        ({"method": "chat.nonsense"}, "unknown_method"),
        ({"method": "chat.postMessage", "json": {"channel": "C0HELP"}}, "no_text"),
    ],
)
async def test_errors(slack: FakeSlack, client: AsyncWebClient, call: JSON, error: str) -> None:
    slack.not_in_channel.add("C0OUT")
    with pytest.raises(SlackApiError) as raised:
        await client.api_call(call.pop("method"), **call)
    assert raised.value.response.status_code == 200 and raised.value.response["error"] == error


@pytest.mark.parametrize(
    ("token", "error"),
    [("xoxb-wrong", "invalid_auth"), (APP, "not_allowed_token_type"), (None, "not_authed")],
)
async def test_tokens_are_checked(slack: FakeSlack, token: str | None, error: str) -> None:
    with pytest.raises(SlackApiError) as raised:
        await AsyncWebClient(token=token, base_url=slack.api_url).auth_test()
    assert raised.value.response["error"] == error


async def test_fail_next_fails_once(slack: FakeSlack, client: AsyncWebClient) -> None:
    slack.fail_next["chat.postMessage"] = "channel_not_found"
    with pytest.raises(SlackApiError, match="channel_not_found"):
        await client.chat_postMessage(channel="C0HELP", text="x")
    assert (await client.chat_postMessage(channel="C0HELP", text="x"))["ok"] is True


async def test_ratelimited_carries_retry_after(slack: FakeSlack) -> None:
    slack.fail_next["chat.postMessage"] = "ratelimited"
    plain = AsyncWebClient(token=BOT, base_url=slack.api_url)
    with pytest.raises(SlackApiError) as raised:
        await plain.chat_postMessage(channel="C0HELP", text="x")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "1"
    slack.fail_next["chat.postMessage"] = "ratelimited"
    handler = AsyncRateLimitErrorRetryHandler(max_retry_count=1)
    patient = AsyncWebClient(token=BOT, base_url=slack.api_url, retry_handlers=[handler])
    assert (await patient.chat_postMessage(channel="C0HELP", text="x"))["ok"] is True
    retried = slack.calls_to("chat.postMessage")[-2:]
    assert retried[1].received - retried[0].received >= 1.0


def _many(count: int, make: Callable[[int], JSON]) -> list[JSON]:
    return [make(i) for i in range(count)]


def text(kind: str, value: str) -> JSON:
    return {"type": kind, "text": value}


def accessory(**options: Any) -> list[JSON]:
    return [section("s", accessory=button(options.pop("action_id", "a"), **options))]


def fields(count: int, length: int) -> list[JSON]:
    return [{"type": "section", "fields": [text("mrkdwn", "f" * length)] * count}]


def elements(kind: str, count: int) -> list[JSON]:
    if kind == "actions":
        return [{"type": kind, "elements": _many(count, lambda i: button(f"a{i}"))}]
    return [{"type": kind, "elements": [text("mrkdwn", "c")] * count}]


LONG_URL = "https://x/" + "u" * 2991
INVALID: list[tuple[str, list[JSON], str]] = [
    ("51 blocks", _many(51, lambda i: section(f"{i}")), "50 items allowed [json-pointer:/blocks]"),
    ("unknown block", [{"type": "table"}], "/blocks/0/type"),
    (
        "long section",
        [section("x" * 3001)],
        "less than 3001 characters [json-pointer:/blocks/0/text/text",
    ),
    ("empty section", [section("")], "more than 0 characters"),
    ("11 fields", fields(11, 1), "/fields]"),
    ("long field", fields(1, 2001), "/fields/0/text"),
    ("long header", [{"type": "header", "text": text("plain_text", "h" * 151)}], "151"),
    ("mrkdwn header", [{"type": "header", "text": text("mrkdwn", "h")}], "plain_text"),
    ("11 context", elements("context", 11), "10 items"),
    ("26 actions", elements("actions", 26), "25 items"),
    ("long button text", accessory(text="b" * 76), "/accessory/text/text"),
    ("long value", accessory(value="v" * 2001), "/accessory/value"),
    ("long url", accessory(url=LONG_URL), "/accessory/url"),
    ("long action_id", accessory(action_id="a" * 256), "/accessory/action_id"),
    (
        "same action_id in a block",
        [{"type": "actions", "elements": [button("a"), button("a")]}],
        "already exists",
    ),
    ("long block_id", [section("s", block_id="b" * 256)], "/blocks/0/block_id"),
    ("same block_id", [section("1", block_id="b"), section("2", block_id="b")], "/1/block_id"),
]


@pytest.mark.parametrize(
    ("blocks", "expected"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
async def test_block_kit_limits_are_enforced(
    slack: FakeSlack, client: AsyncWebClient, blocks: list[JSON], expected: str
) -> None:
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C0HELP", text="fallback", blocks=blocks)
    answer = raised.value.response
    assert answer["error"] == "invalid_blocks"
    assert any(expected in error for error in answer["errors"]), answer["errors"]
    assert len(slack.block_errors) == 1 and expected in slack.block_errors[0]
    assert slack.messages == {}


async def test_a_message_at_every_limit_passes(slack: FakeSlack, client: AsyncWebClient) -> None:
    blocks = [
        HeaderBlock(text="h" * 150).to_dict(),
        section("s" * 3000, block_id="b" * 255, accessory=button("a" * 255, value="v" * 2000)),
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2000}] * 10},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 10},
        {"type": "actions", "elements": _many(25, lambda i: button(f"fix:{i}", text="t" * 75))},
        ActionsBlock(
            elements=[ButtonElement(text="Open", url="https://x/" + "u" * 2990)]
        ).to_dict(),
        {"type": "divider"},
        *_many(43, lambda i: section(f"{i}")),
    ]
    assert len(blocks) == 50
    await client.chat_postMessage(channel="C0HELP", text="fallback", blocks=blocks)
    assert slack.block_errors == []


async def test_views_allow_100_blocks_and_say_invalid_arguments(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    home: JSON = {"type": "home", "blocks": _many(100, lambda i: section(f"{i}"))}
    await client.views_publish(user_id="U0ALICE", view=home)
    home["blocks"].append(section("one too many"))
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        await client.views_publish(user_id="U0ALICE", view=home)
    assert "/view/blocks]" in slack.block_errors[0]


async def test_blocks_without_fallback_text_are_recorded(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    # api_call, because chat_postMessage itself warns (an error here) about the missing text.
    body = {"channel": "C0HELP", "blocks": [section("only blocks")]}
    assert (await client.api_call("chat.postMessage", json=body))["ok"] is True
    assert slack.missing_fallback == ["chat.postMessage: blocks without a top-level text"]


async def test_response_url_posts_are_recorded(slack: FakeSlack) -> None:
    url = slack.new_response_url()
    webhook = AsyncWebhookClient(url)
    answer = await webhook.send(text="done", blocks=[section("done")], response_type="in_channel")
    assert (answer.status_code, answer.body) == (200, "ok")
    (post,) = await slack.wait_for_response()
    assert url.endswith(post.url_id) and post.status == 200
    assert post.body == {"text": "done", "blocks": [section("done")], "response_type": "in_channel"}
    bad = await webhook.send(text="x", blocks=[section("x" * 3001)])
    assert (bad.status_code, bad.body) == (400, "invalid_blocks")
    assert slack.block_errors and slack.block_errors[0].startswith("response_url:")
    for _ in range(4):
        await webhook.send(text="again")
    assert (await webhook.send(text="sixth")).status_code == 404  # five uses per URL
    unknown = AsyncWebhookClient(url.rsplit("/", 1)[0] + "/nope")
    assert (await unknown.send(text="x")).status_code == 404


async def test_wait_for_sees_calls_made_later_and_times_out_clearly(
    slack: FakeSlack, client: AsyncWebClient
) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        await client.chat_postMessage(channel="C0HELP", text="late")

    task = asyncio.create_task(later())
    (call,) = await slack.wait_for("chat.postMessage", timeout=2.0)
    await task
    assert call.answer["ok"] is True
    with pytest.raises(TimeoutError, match=r"2 answered chat.postMessage"):
        await slack.wait_for("chat.postMessage", count=2, timeout=0.05)


def test_signatures_verify_with_slack_sdk() -> None:
    body = payloads.slash_command("why jdoe box", response_url="http://127.0.0.1:1/response/x")
    headers = payloads.sign(body, SECRET)
    verifier = SignatureVerifier(SECRET)
    timestamp, signature = headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"]
    assert verifier.is_valid(body, timestamp, signature)
    assert not SignatureVerifier("other").is_valid(body, timestamp, signature)
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert payloads.sign("{}", SECRET, 1)["Content-Type"] == "application/json"
    assert not verifier.is_valid(body, "1", payloads.sign(body, SECRET, 1)["X-Slack-Signature"])


@asynccontextmanager
async def bolt_over_http(slack: FakeSlack, bolt: AsyncApp) -> AsyncIterator[str]:
    runner = web.AppRunner(bolt.web_app(), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        host, port = runner.addresses[0][:2]
        yield f"http://{host}:{port}/slack/events"
    finally:
        await runner.cleanup()


async def test_signed_payloads_drive_a_real_bolt_app(slack: FakeSlack) -> None:
    bolt = AsyncApp(client=AsyncWebClient(token=BOT, base_url=slack.api_url), signing_secret=SECRET)
    seen: list[JSON] = []

    @bolt.command("/attrsync")
    async def on_command(ack: AsyncAck, body: JSON, respond: AsyncRespond) -> None:
        await ack()
        seen.append(body)
        await respond(text=f"you said {body['text']}")

    @bolt.action("fix:update_attributes")
    async def on_fix(ack: AsyncAck, body: JSON) -> None:
        await ack()
        seen.append(body)

    @bolt.event("app_mention")
    async def on_mention(body: JSON) -> None:
        seen.append(body)

    posted = await bolt.client.chat_postMessage(
        channel="C0HELP",
        text="report",
        blocks=[section("s", accessory=button("fix:update_attributes"))],
    )
    async with bolt_over_http(slack, bolt) as url, aiohttp.ClientSession() as http:
        body = payloads.slash_command("why jdoe box", response_url=slack.new_response_url())
        status, text, seconds = await payloads.post_signed(http, url, body, SECRET)
        assert (status, text) == (200, "") and seconds < 3
        (post,) = await slack.wait_for_response()
        assert post.body["text"] == "you said why jdoe box"
        click = payloads.block_action(
            "fix:update_attributes", "state-1", user_id="U0BOB", channel_id="C0HELP",
            message_ts=posted["ts"], message=posted["message"],
            response_url=slack.new_response_url(),
        )  # fmt: skip
        assert (await payloads.post_signed(http, url, click, SECRET))[0] == 200
        mention = payloads.app_mention(
            "<@U0BOT> why jdoe box", user_id="U0ALICE", channel_id="C0HELP",
            ts="1700000100.000100", event_id="Ev0001",
        )  # fmt: skip
        assert (await payloads.post_signed(http, url, mention, SECRET))[0] == 200
        status, text, _ = await payloads.post_signed(
            http, url, payloads.url_verification("c1"), SECRET
        )
        assert (status, json.loads(text)) == (200, {"challenge": "c1"})
        unsigned = await payloads.post_signed(http, url, body, "wrong-secret")
        assert unsigned[0] == 401
        for _ in range(100):
            if len(seen) == 3:
                break
            await asyncio.sleep(0.02)
    command_body, click_body, mention_body = seen
    assert command_body["user_id"] == "U0ALICE" and command_body["channel_id"] == "C0HELP"
    action = click_body["actions"][0]
    assert action["block_id"] == posted["message"]["blocks"][0]["block_id"]
    assert action["text"]["text"] == "Fix" and action["value"] == "state-1"
    assert mention_body["event"]["text"] == "<@U0BOT> why jdoe box"
    assert slack.calls_to("auth.test")  # Bolt checked its token against the fake


async def _changed(read: Callable[[], float | None], old: float | None) -> float | None:
    for _ in range(100):
        if read() != old:
            return read()
        await asyncio.sleep(0.02)
    raise AssertionError(f"still {old}")


async def test_socket_mode_round_trip(slack: FakeSlack) -> None:
    web_client = AsyncWebClient(token=BOT, base_url=slack.api_url)
    client = SocketModeClient(app_token=APP, web_client=web_client, ping_interval=0.1)
    received: list[SocketModeRequest] = []

    async def listener(socket: Any, request: SocketModeRequest) -> None:
        received.append(request)
        ack = SocketModeResponse(envelope_id=request.envelope_id, payload={"text": "on it"})
        await socket.send_socket_mode_response(ack)

    client.socket_mode_request_listeners.append(listener)
    try:
        await client.connect()  # type: ignore[no-untyped-call]  # slack_sdk is untyped here
        await slack.wait_for_socket()
        payload = payloads.slash_command_payload(
            "why jdoe box", response_url=slack.new_response_url()
        )
        envelope_id = await slack.socket_send("slash_commands", payload)
        ack = await slack.wait_for_ack(envelope_id)
        assert ack == {"envelope_id": envelope_id, "payload": {"text": "on it"}}
        assert slack.ack_latency(envelope_id) < 1.0
        (request,) = received
        assert (request.type, request.payload, request.accepts_response_payload) == (
            "slash_commands", payload, True,
        )  # fmt: skip
        # The SDK pings every ping_interval and notes the time each pong echoes back.
        first = await _changed(lambda: client.last_ping_pong_time, None)
        await _changed(lambda: client.last_ping_pong_time, first)
        assert await client.is_connected()
    finally:
        await client.close()  # type: ignore[no-untyped-call]
    (opened,) = slack.calls_to("apps.connections.open")
    assert opened.token == APP and opened.answer["url"].startswith("ws://127.0.0.1:")
    with pytest.raises(SlackApiError, match="not_allowed_token_type"):
        await web_client.apps_connections_open(app_token=BOT)
