"""Malformed and incomplete requests to /slack/events, through the real HTTP server.

Each gets a clear answer (a status, and a sentence where somebody is waiting for one) and one
log line; never a traceback, and nothing reaches Slack that should not.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode

import pytest

from bot.runtime.processes import socket_connection
from bot.services import open_services
from bot.slack.app import build_app
from bot.slack.listeners import actions, commands
from fakes.okta.server import FakeOkta
from fakes.slack.payloads import (
    FORM,
    JSON_TYPE,
    app_mention_envelope_payload,
    block_action_payload,
    slash_command,
    slash_command_payload,
)
from fakes.slack.server import FakeSlack
from tests.harness.bot import SIGNING_SECRET, Bot, bot_settings, new_channel

JSON = dict[str, Any]
Headers = list[tuple[str, str]]
TEXT = "text/plain"


class LogWatch(logging.Handler):
    """Every log record, and a way to wait for one (the observable end of a listener that
    has nobody to answer)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._arrived = asyncio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self._arrived.set()

    async def wait_for(self, text: str) -> logging.LogRecord:
        async with asyncio.timeout(5):
            while True:
                self._arrived.clear()
                for record in self.records:
                    if text in record.getMessage():
                        return record
                await self._arrived.wait()

    def lines(self, text: str) -> list[str]:
        return [r.getMessage() for r in self.records if text in r.getMessage()]


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[LogWatch]:
    caplog.set_level(logging.INFO)
    watch = LogWatch()
    logging.getLogger().addHandler(watch)
    yield watch
    logging.getLogger().removeHandler(watch)
    tracebacks = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not tracebacks, [r.getMessage() for r in tracebacks]


def signature(raw: bytes, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    """Slack's v0 signature over the exact bytes sent."""
    base = b"v0:" + timestamp.encode() + b":" + raw
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def now() -> str:
    return str(int(time.time()))


def signed(
    raw: bytes,
    content_type: str = FORM,
    *,
    timestamp: str | None = None,
    secret: str = SIGNING_SECRET,
) -> Headers:
    ts = now() if timestamp is None else timestamp
    return [
        ("Content-Type", content_type),
        ("X-Slack-Request-Timestamp", ts),
        ("X-Slack-Signature", signature(raw, ts, secret)),
    ]


def without(headers: Headers, name: str) -> Headers:
    return [(k, v) for k, v in headers if k != name]


def replaced(headers: Headers, name: str, value: str) -> Headers:
    return [*without(headers, name), (name, value)]


COMMAND = slash_command(
    "why jdoe box", response_url="https://hooks.invalid/r", channel_id="C0EDGE"
).encode()
FORGED_HEX = "v0=" + "0" * 64


@dataclass(frozen=True)
class Malformed:
    """A request as sent: built when the test runs, since a signature is only good for five
    minutes."""

    name: str
    build: Callable[[], tuple[bytes, Headers]]
    status: int


def _signed(
    raw: bytes | str, content_type: str = FORM, **kw: Any
) -> Callable[[], tuple[bytes, Headers]]:
    body = raw.encode() if isinstance(raw, str) else raw
    return lambda: (body, signed(body, content_type, **kw))


def _headers(raw: bytes, make: Callable[[], Headers]) -> Callable[[], tuple[bytes, Headers]]:
    return lambda: (raw, make())


def _ts(offset: int) -> str:
    return str(int(time.time()) + offset)


MALFORMED = [
    # 401: not signed by Slack, or not now. Nothing is parsed before this is known.
    Malformed("no Slack headers", _headers(COMMAND, lambda: [("Content-Type", FORM)]), 401),
    Malformed(
        "no signature",
        _headers(COMMAND, lambda: without(signed(COMMAND), "X-Slack-Signature")),
        401,
    ),
    Malformed(
        "no timestamp",
        _headers(COMMAND, lambda: without(signed(COMMAND), "X-Slack-Request-Timestamp")),
        401,
    ),
    Malformed("timestamp abc", _signed(COMMAND, timestamp="abc"), 401),
    Malformed("timestamp 1e3", _signed(COMMAND, timestamp="1e3"), 401),
    Malformed("timestamp empty", _signed(COMMAND, timestamp=""), 401),
    Malformed("timestamp with a fraction", lambda: _signed(COMMAND, timestamp=now() + ".5")(), 401),
    Malformed("timestamp with a sign", lambda: _signed(COMMAND, timestamp="+" + now())(), 401),
    Malformed("timestamp of 5000 digits", _signed(COMMAND, timestamp="9" * 5000), 401),
    Malformed("stale by six minutes", lambda: _signed(COMMAND, timestamp=_ts(-360))(), 401),
    Malformed("six minutes ahead", lambda: _signed(COMMAND, timestamp=_ts(360))(), 401),
    Malformed("wrong signing secret", _signed(COMMAND, secret="not-the-secret"), 401),
    Malformed(
        "signature not hex",
        _headers(COMMAND, lambda: replaced(signed(COMMAND), "X-Slack-Signature", "v0=" + "z" * 64)),
        401,
    ),
    Malformed(
        "signature of another version",
        _headers(
            COMMAND,
            lambda: replaced(
                signed(COMMAND), "X-Slack-Signature", "v1=" + signature(COMMAND, now())[3:]
            ),
        ),
        401,
    ),
    Malformed(
        "signature not ASCII",
        _headers(COMMAND, lambda: replaced(signed(COMMAND), "X-Slack-Signature", "v0=" + "é" * 64)),
        401,
    ),
    Malformed(
        "signature sent twice",
        _headers(COMMAND, lambda: [*signed(COMMAND), ("X-Slack-Signature", FORGED_HEX)]),
        401,
    ),
    Malformed(
        "timestamp sent twice",
        _headers(COMMAND, lambda: [*signed(COMMAND), ("X-Slack-Request-Timestamp", now())]),
        401,
    ),
    Malformed(
        "not UTF-8, unsigned", _headers(b"\xff\xfe\xfd", lambda: [("Content-Type", FORM)]), 401
    ),
    Malformed("not JSON, forged", _signed("{nope", JSON_TYPE, secret="not-the-secret"), 401),
    # 400: signed, but the body cannot be a Slack payload.
    Malformed("not UTF-8", _signed(b"command=%2Fattrsync&text=\xff\xfe", FORM), 400),
    Malformed("not JSON", _signed("{nope", JSON_TYPE), 400),
    Malformed("a JSON array", _signed("[1, 2]", JSON_TYPE), 400),
    Malformed("a JSON string", _signed('"event_callback"', JSON_TYPE), 400),
    Malformed("JSON null", _signed("null", JSON_TYPE), 400),
    Malformed("JSON nested too deep", _signed("[" * 100_000, JSON_TYPE), 400),
    Malformed("a JSON object without a type", _signed('{"hello": "world"}', JSON_TYPE), 400),
    Malformed("an empty body", _signed(""), 400),
    Malformed("plain text", _signed("hello world", TEXT), 400),
    Malformed("a form without a command", _signed(urlencode({"text": "why jdoe box"})), 400),
    Malformed("a payload that is not JSON", _signed(urlencode({"payload": "{nope"})), 400),
    Malformed("a payload that is an array", _signed(urlencode({"payload": "[1]"})), 400),
    Malformed("a payload without a type", _signed(urlencode({"payload": "{}"})), 400),
    Malformed(
        "fields of the wrong type",
        _signed(json.dumps({"type": "event_callback", "enterprise": 5}), JSON_TYPE),
        400,
    ),
    # 413: larger than any Slack payload; refused before the signature is even read.
    Malformed("a body over 1 MiB", _signed("x" * (1024**2 + 1)), 413),
]


@pytest.mark.parametrize("case", MALFORMED, ids=[c.name for c in MALFORMED])
async def test_malformed_requests_get_a_status_and_one_log_line(
    bot: Bot, slack: FakeSlack, logs: LogWatch, case: Malformed
) -> None:
    raw, headers = case.build()
    # A stream, not bytes: aiohttp warns about (and the warning fails) a large bytes body.
    sent = io.BytesIO(raw)
    async with bot.http.post(f"{bot.url}/slack/events", data=sent, headers=headers) as response:
        status, answer = response.status, await response.json()
    assert status == case.status
    assert answer["error"]  # the reason, in words
    [line] = logs.lines("refused a request to /slack/events")
    assert f"({case.status})" in line and answer["error"] in line
    secret_or_body = [SIGNING_SECRET, *(v for k, v in headers if k == "X-Slack-Signature")]
    if len(raw) > 3:
        secret_or_body.append(raw.decode(errors="replace")[:40])
    assert not any(piece in line for piece in secret_or_body)
    assert not slack.calls and not slack.responses  # not even Bolt's auth.test


# Signed, well-formed, but missing what a listener needs.

Via = Literal["ack", "response_url", "ephemeral", "nobody"]


@dataclass(frozen=True)
class Incomplete:
    name: str
    build: Callable[[FakeSlack], tuple[str, str]]
    """Given the fake Slack (for response URLs): the body and its content type."""
    status: int
    via: Via
    """Where the sender's one-sentence answer goes; `nobody`: there is nobody to answer."""
    logged: str
    """A piece of the one line logged."""


def _command(**drop_or_set: str | None) -> Callable[[FakeSlack], tuple[str, str]]:
    def build(slack: FakeSlack) -> tuple[str, str]:
        fields = slash_command_payload("why jdoe box", response_url=slack.new_response_url())
        fields["channel_id"] = new_channel()
        return urlencode(_edited(fields, drop_or_set)), FORM

    return build


def _click(edit: Callable[[JSON], object]) -> Callable[[FakeSlack], tuple[str, str]]:
    def build(slack: FakeSlack) -> tuple[str, str]:
        payload = block_action_payload(
            "approval:approve",
            "approval-1",
            user_id="U0APPROVER",
            channel_id=new_channel(),
            message_ts="1700000000.000100",
            response_url=slack.new_response_url(),
        )
        edit(payload)
        return urlencode({"payload": json.dumps(payload)}), FORM

    return build


def _event(event_type: str, **drop_or_set: Any) -> Callable[[FakeSlack], tuple[str, str]]:
    def build(slack: FakeSlack) -> tuple[str, str]:
        envelope = app_mention_envelope_payload(
            "<@U0BOT> why jdoe box",
            user_id="U0ALICE",
            channel_id=new_channel(),
            ts="1700000000.000200",
            event_id="Ev0EDGE",
        )
        envelope["event"] = _edited({**envelope["event"], "type": event_type}, drop_or_set)
        return json.dumps(envelope), JSON_TYPE

    return build


def _edited(fields: dict[str, Any], drop_or_set: dict[str, Any]) -> dict[str, Any]:
    """`fields` with each key set to the given value, or dropped when the value is None."""
    kept = {k: v for k, v in fields.items() if drop_or_set.get(k, v) is not None}
    return kept | {k: v for k, v in drop_or_set.items() if v is not None}


def _in_app_home(payload: JSON, view_type: str = "home") -> None:
    """Turn a message click into one from a view: no response_url, channel or message."""
    for key in ("response_url", "channel", "message"):
        del payload[key]
    payload["container"] = {"type": "view", "view_id": "V0HOME"}
    payload["view"] = {"id": "V0HOME", "type": view_type, "blocks": [], "team_id": "T0001"}


def _in_app_home_by_nobody(payload: JSON) -> None:
    _in_app_home(payload)
    del payload["user"]


def _in_a_modal(payload: JSON) -> None:
    _in_app_home(payload, "modal")


def _unaddressed_event(slack: FakeSlack) -> tuple[str, str]:
    return json.dumps({"type": "event_callback", "event": "app_mention"}), JSON_TYPE


TOLD = "told the"
IGNORED = "acknowledged and ignored this block_actions"
INCOMPLETE = [
    Incomplete("command without channel_id", _command(channel_id=None), 200, "ack", TOLD),
    Incomplete("command with an empty channel_id", _command(channel_id=""), 200, "ack", TOLD),
    Incomplete("command without user_id", _command(user_id=None), 200, "ack", TOLD),
    Incomplete(
        "click without actions", _click(lambda p: p.update(actions=[])), 200, "nobody", IGNORED
    ),
    Incomplete(
        "click on an action that is not an object",
        _click(lambda p: p.update(actions=["approval:approve"])),
        200,
        "nobody",
        IGNORED,
    ),
    Incomplete(
        "click without an action_id",
        _click(lambda p: p["actions"][0].pop("action_id")),
        200,
        "nobody",
        "its action has no action_id",
    ),
    Incomplete(
        "click without a value",
        _click(lambda p: p["actions"][0].pop("value")),
        200,
        "response_url",
        TOLD,
    ),
    Incomplete("click without a user", _click(lambda p: p.pop("user")), 200, "response_url", TOLD),
    Incomplete(
        "click in App Home without a user",
        _click(_in_app_home_by_nobody),
        200,
        "nobody",
        "with nowhere to answer",
    ),
    Incomplete(
        "click in a modal (no response_url)",
        _click(_in_a_modal),
        200,
        "nobody",
        "with nowhere to answer",
    ),
    Incomplete(
        "mention without channel", _event("app_mention", channel=None), 200, "nobody", "ignored"
    ),
    Incomplete("mention without user", _event("app_mention", user=None), 200, "nobody", "ignored"),
    Incomplete("mention without text", _event("app_mention", text=None), 200, "ephemeral", TOLD),
    Incomplete(
        "mention with a number for text", _event("app_mention", text=5), 200, "ephemeral", TOLD
    ),
    Incomplete("mention without ts", _event("app_mention", ts=None), 200, "ephemeral", TOLD),
    Incomplete(
        "App Home opened without user",
        _event("app_home_opened", user=None),
        200,
        "nobody",
        "nobody to show it to",
    ),
    Incomplete(
        "event that is not an object",
        _unaddressed_event,
        200,
        "nobody",
        "its event is not an object",
    ),
    Incomplete(
        "event nobody listens to",
        _event("reaction_added"),
        404,
        "nobody",
        "no listener takes this event_callback reaction_added",
    ),
]
ANSWERS = {
    "command": commands.INCOMPLETE,
    "click": actions.INCOMPLETE,
    "mention": "so it cannot tell what you asked",
}


@pytest.mark.parametrize("case", INCOMPLETE, ids=[c.name for c in INCOMPLETE])
async def test_incomplete_payloads_are_answered_or_logged_in_one_line(
    bot: Bot, slack: FakeSlack, logs: LogWatch, case: Incomplete
) -> None:
    body, content_type = case.build(slack)
    status, ack, _ = await bot.post(body, content_type=content_type)
    assert status == case.status
    said = await _answer(slack, logs, case, ack)
    if case.via != "nobody":
        assert ANSWERS[case.name.split()[0]] in said
        assert said.count(". ") == 0 and said.endswith(".")  # one sentence
    ours = [r for r in logs.records if r.name.startswith("bot.") and r.levelno >= logging.WARNING]
    assert [case.logged in r.getMessage() for r in ours] == [True], [r.getMessage() for r in ours]
    posted = {c.method for c in slack.calls} - {"auth.test", "chat.postEphemeral"}
    assert not posted, posted  # no report, no update, nobody's Home
    assert len(slack.calls_to("chat.postEphemeral")) == (case.via == "ephemeral")
    assert len(slack.responses) == (case.via == "response_url")


async def _answer(slack: FakeSlack, logs: LogWatch, case: Incomplete, ack: str) -> str:
    """The sentence the sender saw, once they saw it; "" (once the line is logged) when
    there is nobody to tell."""
    if case.via == "ack":
        assert json.loads(ack)["response_type"] == "ephemeral"
        return str(json.loads(ack)["text"])
    if case.via == "response_url":
        [answer] = await slack.wait_for_response()
        assert answer.body["response_type"] == "ephemeral"
        return str(answer.body["text"])
    if case.via == "ephemeral":
        [posted] = await slack.wait_for("chat.postEphemeral")
        assert posted.args["user"] == "U0ALICE"
        return str(posted.args["text"])
    await logs.wait_for(case.logged)
    return ""


async def test_a_command_mentioning_payload_is_not_lost(bot: Bot, slack: FakeSlack) -> None:
    """Bolt takes any form in which the word "payload" appears for an interaction and reads it
    as {}: the command went unanswered (404). The HTTP edge hands Bolt the fields Slack sent.
    (A command that is no diagnosis: the answer is the ack, and nothing runs on after it.)"""
    status, ack, _ = await bot.command("payload", channel=new_channel())
    assert status == 200
    assert json.loads(ack)["text"].startswith("I don't know `payload`.")
    assert {c.method for c in slack.calls} <= {"auth.test"}  # Bolt's own, once


async def test_socket_mode_acks_what_bolt_cannot_route_in_one_line(
    fake_okta: FakeOkta, slack: FakeSlack, logs: LogWatch
) -> None:
    """The same guard (Bolt's before_authorize) serves Socket Mode, which has no HTTP edge."""
    settings = bot_settings(fake_okta.url, slack)
    async with (
        open_services(settings, settings.require_okta()) as services,
        socket_connection(build_app(services), services),
    ):
        payload = block_action_payload(
            "approval:approve",
            "approval-1",
            user_id="U0APPROVER",
            channel_id=new_channel(),
            message_ts="1700000000.000100",
            response_url=slack.new_response_url(),
        )
        payload["actions"] = []
        envelope = await slack.socket_send("interactive", payload)
        ack = await slack.wait_for_ack(envelope)
    assert not ack.get("payload")
    assert len(logs.lines(f"{IGNORED}: it has no action")) == 1
    assert {c.method for c in slack.calls} <= {"apps.connections.open", "auth.test"}
