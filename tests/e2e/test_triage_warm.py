"""Triage keeps the app-level facts of apps Okta's events named lately warm: a failed push in
such an app is diagnosed in two round trips, not three; the facts are read afresh before the
cache lets them go, as background work, and a refresh Okta refuses costs nothing but itself."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.watch.triage import Triage
from bot.watch.warm import LOOK_EVERY
from fakes.okta.event_hook import envelope
from fakes.okta.server import FakeOkta, Fault
from fakes.slack.server import FakeSlack
from tests.harness.bot import Bot, bot_settings, running_bot
from tests.harness.crash import until

SECRET = "okta-hook-secret-0123456789"
TRIAGE = "C0TRIAGE"
PUSH = "application.provision.user.push_profile"


@pytest.fixture
async def watching(fake_okta: FakeOkta, slack: FakeSlack) -> AsyncIterator[Bot]:
    settings = bot_settings(
        fake_okta.url,
        slack,
        ATTRSYNC_EVENT_HOOK_SECRET=SECRET,
        ATTRSYNC_TRIAGE_CHANNEL=TRIAGE,
    )
    async with running_bot(settings, slack) as running:
        yield running


async def _deliver(bot: Bot, fake: FakeOkta, events: list[dict[str, Any]]) -> None:
    body = json.dumps(envelope(events, fake.url))
    headers = {"Authorization": SECRET, "Content-Type": "application/json"}
    async with bot.http.post(f"{bot.url}/okta/events", data=body, headers=headers) as answer:
        assert answer.status == 200


def _failed_push(fake: FakeOkta, login: str) -> dict[str, Any]:
    user = fake.state.find_user(login)
    assert user is not None
    return next(
        e
        for e in fake.state.logs
        if e["eventType"] == PUSH
        and e["outcome"]["result"] == "FAILURE"
        and any(t["id"] == user["id"] for t in e["target"])
    )


def _success(fake: FakeOkta, app_name: str, login: str) -> dict[str, Any]:
    app, user = fake.state.find_app(app_name), fake.state.find_user(login)
    assert app is not None and user is not None
    return fake.state.log_push(app, user, fake.state.now())


async def _triaged(watching: Bot, fake: FakeOkta, event: dict[str, Any]) -> Triage:
    triage = Triage(watching.services, "warm-test", idle_ms=60_000)
    await _deliver(watching, fake, [event])
    assert await triage.work_once(50) == 1
    return triage


async def test_a_failed_push_in_an_app_kept_warm_takes_two_round_trips(
    watching: Bot, fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    # Another user's successful push names Google Workspace: its facts are kept warm.
    triage = await _triaged(watching, fake_okta, _success(fake_okta, "google", "jdoe"))
    fake_okta.requests.clear()
    assert await triage.warmth.refresh_due() == 1
    read = {r.path for r in fake_okta.requests}
    google = fake_okta.state.find_app("google")
    assert google is not None
    assert {
        f"/api/v1/apps/{google['id']}",
        f"/api/v1/apps/{google['id']}/features/USER_PROVISIONING",
        f"/api/v1/meta/schemas/apps/{google['id']}/default",
        f"/api/v1/apps/{google['id']}/groups",
        "/api/v1/mappings",
    } <= read
    assert not [r for r in fake_okta.requests if "/users" in r.path]  # nobody's own facts
    assert await triage.warmth.refresh_due() == 0  # not due again this period

    fake_okta.requests.clear()
    fake_okta.latency = 0.15  # big enough that concurrent requests overlap on any machine
    await _deliver(watching, fake_okta, [_failed_push(fake_okta, "efail")])
    assert await triage.work_once(50) == 1
    assert [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == TRIAGE]
    assert fake_okta.round_trips() == 2


async def test_a_cold_app_still_takes_three(
    watching: Bot, fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    fake_okta.latency = 0.15
    await _triaged(watching, fake_okta, _failed_push(fake_okta, "efail"))
    assert [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == TRIAGE]
    assert fake_okta.round_trips() == 3


async def test_a_refresh_okta_refuses_is_dropped_and_triage_goes_on(
    watching: Bot, fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    triage = await _triaged(watching, fake_okta, _success(fake_okta, "google", "jdoe"))
    fake_okta.faults.append(Fault.status(500, path=r"/api/v1/meta/schemas/", times=10))
    assert await triage.warmth.refresh_due() == 1  # tried, and logged
    fake_okta.faults.clear()
    await _deliver(watching, fake_okta, [_failed_push(fake_okta, "efail")])
    assert await triage.work_once(50) == 1
    assert [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == TRIAGE]


async def test_an_app_newly_named_is_warmed_at_once_by_the_running_loop(
    watching: Bot, fake_okta: FakeOkta
) -> None:
    triage = Triage(watching.services, "warm-test", idle_ms=60_000)
    stop = asyncio.Event()
    running = asyncio.create_task(triage.warmth.run(stop))
    try:
        google = fake_okta.state.find_app("google")
        assert google is not None
        schema = f"/api/v1/meta/schemas/apps/{google['id']}/default"
        await triage.warmth.noted(google["id"], diagnosed=False)
        async with asyncio.timeout(LOOK_EVERY / 2):  # not at the loop's next look
            await until(lambda: any(r.path == schema for r in fake_okta.requests), "a refresh")
    finally:
        stop.set()
        await running
