"""Okta's Event Hook on `serve`: the one-time verification, deliveries authenticated by the
configured header (401 otherwise, nothing queued), malformed envelopes (400), replays (queued
once), and a Redis that cannot take them (503, so that Okta retries)."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from bot.store.keys import Keys
from fakes.okta.event_hook import envelope
from fakes.okta.server import FakeOkta
from fakes.slack.server import FakeSlack
from tests.harness.bot import Bot, bot_settings, running_bot

SECRET = "okta-hook-secret-0123456789"


@pytest.fixture
async def hooked(fake_okta: FakeOkta, slack: FakeSlack) -> AsyncIterator[Bot]:
    settings = bot_settings(fake_okta.url, slack, ATTRSYNC_EVENT_HOOK_SECRET=SECRET)
    async with running_bot(settings, slack) as running:
        yield running


def _failed_pushes(fake_okta: FakeOkta) -> list[dict[str, object]]:
    return [
        e
        for e in fake_okta.state.logs
        if e["eventType"] == "application.provision.user.push_profile"
        and e["outcome"]["result"] == "FAILURE"
    ]


async def _post(bot: Bot, body: object, auth: str | None = SECRET) -> tuple[int, str]:
    headers = {"Content-Type": "application/json"}
    if auth is not None:
        headers["Authorization"] = auth
    data = io.BytesIO(body if isinstance(body, bytes) else json.dumps(body).encode())
    async with bot.http.post(f"{bot.url}/okta/events", data=data, headers=headers) as response:
        return response.status, await response.text()


async def _queued(bot: Bot, redis: Redis) -> list[dict[str, object]]:
    stream = Keys(bot.services.settings.redis_prefix).events
    entries = await redis.xrange(stream) or []
    return [json.loads(fields[b"event"]) for _, fields in entries if fields]


async def test_the_one_time_verification(hooked: Bot) -> None:
    url = f"{hooked.url}/okta/events"
    headers = {"X-Okta-Verification-Challenge": "aE3kX9zQ"}
    async with hooked.http.get(url, headers=headers) as response:
        assert response.status == 200
        assert await response.json() == {"verification": "aE3kX9zQ"}
    async with hooked.http.get(url) as response:
        assert response.status == 400
    wrong = headers | {"Authorization": "guess"}
    async with hooked.http.get(url, headers=wrong) as response:
        assert response.status == 401


async def _raw_post(bot: Bot, header: bytes, body: bytes) -> bytes:
    """A delivery sent byte by byte (HTTP clients refuse to send non-ASCII header values)."""
    host, port = bot.url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        b"POST /okta/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + header
        + b"\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
        + body
    )
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    await writer.wait_closed()
    return status_line


@pytest.mark.parametrize(
    "header",
    [
        b"Authorization: okta-hook-secret-0123456789\xff",
        b"Authorization: \xc3\xa9\xc3\xa9\xc3\xa9",
        b"Authorization: \x80\x81",
        "Authorization: okta-hook-sécret".encode(),
    ],
)
async def test_any_bytes_in_the_header_get_401_never_500(
    hooked: Bot, fake_okta: FakeOkta, redis: Redis, header: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    body = json.dumps(envelope(_failed_pushes(fake_okta), fake_okta.url)).encode()
    status_line = await _raw_post(hooked, header, body)
    assert status_line.split()[1] == b"401", status_line
    assert await _queued(hooked, redis) == []
    assert "Traceback" not in caplog.text


async def test_the_header_okta_sends_is_the_one_named(
    fake_okta: FakeOkta, slack: FakeSlack, redis: Redis, caplog: pytest.LogCaptureFixture
) -> None:
    """Okta lets the admin name the header: with ATTRSYNC_EVENT_HOOK_HEADER=X-Okta-Secret, the
    secret in that header is accepted and the same secret in Authorization is not; the
    refusal's log line names the header expected, never the secret."""
    settings = bot_settings(
        fake_okta.url,
        slack,
        ATTRSYNC_EVENT_HOOK_SECRET=SECRET,
        ATTRSYNC_EVENT_HOOK_HEADER="X-Okta-Secret",
    )
    body = json.dumps(envelope(_failed_pushes(fake_okta), fake_okta.url))
    url_headers = {"Content-Type": "application/json"}
    async with running_bot(settings, slack) as bot:
        url = f"{bot.url}/okta/events"
        async with bot.http.post(
            url, data=body, headers=url_headers | {"Authorization": SECRET}
        ) as response:
            assert response.status == 401
        assert await _queued(bot, redis) == []
        assert "X-Okta-Secret" in caplog.text
        assert SECRET not in caplog.text
        async with bot.http.post(
            url, data=body, headers=url_headers | {"x-okta-secret": SECRET}
        ) as response:
            assert response.status == 200
        assert len(await _queued(bot, redis)) == len(_failed_pushes(fake_okta))
        challenge = {"X-Okta-Verification-Challenge": "V", "X-Okta-Secret": "wrong"}
        async with bot.http.get(url, headers=challenge) as response:
            assert response.status == 401


async def test_deliveries_are_queued_once_by_uuid(
    hooked: Bot, fake_okta: FakeOkta, redis: Redis
) -> None:
    events = _failed_pushes(fake_okta)
    assert len(events) >= 2
    status, _ = await _post(hooked, envelope(events, fake_okta.url))
    assert status == 200
    status, _ = await _post(hooked, envelope(events[:1], fake_okta.url))  # Okta's retry
    assert status == 200
    queued = await _queued(hooked, redis)
    assert [e["uuid"] for e in queued] == [e["uuid"] for e in events]
    assert queued[0] == events[0]  # the System Log event, whole


@pytest.mark.parametrize(
    "auth", [None, "", "okta-hook-secret-0123456788", SECRET.upper(), SECRET[:-1], "Bearer x"]
)
async def test_unauthenticated_deliveries_queue_nothing(
    hooked: Bot, fake_okta: FakeOkta, redis: Redis, auth: str | None
) -> None:
    status, _ = await _post(hooked, envelope(_failed_pushes(fake_okta), fake_okta.url), auth)
    assert status == 401
    assert await _queued(hooked, redis) == []


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        {"data": {}},
        {"data": {"events": {"uuid": "x"}}},
        {"data": {"events": [{"eventType": "user.account.update_profile"}]}},
        {"data": {"events": [{"uuid": "x" * 65, "eventType": "a"}]}},
        {"data": {"events": [{"uuid": 7, "eventType": "a"}]}},
        b"[" * 100_000,
    ],
)
async def test_malformed_envelopes_get_400(hooked: Bot, redis: Redis, body: object) -> None:
    status, _ = await _post(hooked, body)
    assert status == 400
    assert await _queued(hooked, redis) == []


async def test_a_huge_delivery_gets_413(hooked: Bot) -> None:
    status, _ = await _post(hooked, b"{" + b" " * (2 * 1024 * 1024) + b"}")
    assert status == 413


async def test_without_the_secret_the_endpoint_is_off(bot: Bot) -> None:
    async with bot.http.get(f"{bot.url}/okta/events") as response:
        assert response.status == 404


async def test_redis_down_answers_503_so_okta_retries(
    fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    settings = bot_settings(
        fake_okta.url, slack, "redis://127.0.0.1:1/0", ATTRSYNC_EVENT_HOOK_SECRET=SECRET
    )
    async with running_bot(settings, slack) as bot:
        status, _ = await _post(bot, envelope(_failed_pushes(fake_okta), fake_okta.url))
    assert status == 503


async def test_a_flood_is_queued_whole_and_once(
    hooked: Bot, fake_okta: FakeOkta, redis: Redis
) -> None:
    """A thousand events in twenty deliveries, three of them delivered again by Okta."""
    template = _failed_pushes(fake_okta)[0]
    events = [dict(template, uuid=f"{n:08d}-0000-4000-8000-000000000000") for n in range(1000)]
    deliveries = [events[i : i + 50] for i in range(0, 1000, 50)]
    answers = await asyncio.gather(
        *(_post(hooked, envelope(part, fake_okta.url)) for part in deliveries + deliveries[:3])
    )
    assert {status for status, _ in answers} == {200}
    queued = await _queued(hooked, redis)
    assert sorted(str(e["uuid"]) for e in queued) == sorted(str(e["uuid"]) for e in events)


@pytest.mark.parametrize(
    ("header", "body", "status"),
    [
        (b"Authorization: " + SECRET.encode() + b"\x00", b"{}", b"400"),  # aiohttp's parser
        (b"X-Evil: a\x01b\r\nAuthorization: " + SECRET.encode(), b"{}", b"400"),
        (b"Content-Encoding: deflate\r\nAuthorization: " + SECRET.encode(), b"notdeflate", b"400"),
        (b"Content-Encoding: deflate", b"notdeflate", b"401"),
    ],
)
async def test_a_request_aiohttp_cannot_parse_is_one_log_line_without_the_secret(
    hooked: Bot,
    redis: Redis,
    header: bytes,
    body: bytes,
    status: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    status_line = await _raw_post(hooked, header, body)
    assert status_line.split()[1] == status, status_line
    assert await _queued(hooked, redis) == []
    assert "Traceback" not in caplog.text and SECRET not in caplog.text


async def test_a_uuid_that_is_not_ascii_gets_400(hooked: Bot, redis: Redis) -> None:
    body = b'{"data": {"events": [{"uuid": "u\\ud800", "eventType": "x"}]}}'
    status, _ = await _post(hooked, body)
    assert status == 400
    assert await _queued(hooked, redis) == []
