"""`attrsync watch`: the System Log in Okta's polling mode, from a cursor kept in Redis, feeding
the same triage as the Event Hook; and what only polling sees (authentication failures)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.watch.poller import Poller
from checks.errors import OktaUnavailable
from fakes.okta.server import FakeOkta, Fault
from fakes.slack.server import FakeSlack
from tests.harness.approvals import worker
from tests.harness.bot import Bot, bot_settings, running_bot

TRIAGE = "C0TRIAGE"


@pytest.fixture
async def watching(fake_okta: FakeOkta, slack: FakeSlack) -> AsyncIterator[Bot]:
    settings = bot_settings(fake_okta.url, slack, ATTRSYNC_TRIAGE_CHANNEL=TRIAGE)
    async with running_bot(settings, slack) as running:
        yield running


def _fail_push(fake: FakeOkta, login: str, app: str) -> str:
    state = fake.state
    user, target = state.find_user(login), state.find_app(app)
    assert user is not None and target is not None
    event = state.log_push(target, user, state.now() + timedelta(seconds=1), "FAILURE",
                           reason="Automatic profile push failed: Not Authorized")  # fmt: skip
    return str(event["uuid"])


async def test_polling_starts_now_and_resumes_from_its_cursor(
    watching: Bot, fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    first = Poller(watching.services)
    assert await first.poll_once() == 0  # the week before it started is not triaged
    [started] = [r for r in fake_okta.requests if r.path == "/api/v1/logs"]
    assert "since" in started.query and "until" not in started.query
    assert 'eventType eq "application.provision.user.push_profile"' in started.query["filter"]
    _fail_push(fake_okta, "efail", "google")
    assert await first.poll_once() == 1
    assert await first.poll_once() == 0  # nothing new: the cursor moved on
    # A restarted watcher goes on from the cursor in Redis: nothing missed, nothing twice.
    _fail_push(fake_okta, "dstale", "box")
    again = Poller(watching.services)
    assert await again.poll_once() == 1
    assert await worker(watching).work_once() == 2
    reports = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == TRIAGE]
    assert {("Eve" in r.args["text"], "Dan" in r.args["text"]) for r in reports} == {
        (True, False),
        (False, True),
    }


async def test_okta_failing_mid_poll_loses_nothing(watching: Bot, fake_okta: FakeOkta) -> None:
    poller = Poller(watching.services)
    await poller.poll_once()
    _fail_push(fake_okta, "efail", "google")
    fake_okta.faults.append(Fault.status(500, path="^/api/v1/logs$", times=1))
    with pytest.raises(OktaUnavailable, match="Okta answered 500"):
        await poller.poll_once()
    assert await poller.poll_once() == 1


async def test_a_first_start_whose_first_poll_fails_keeps_its_start(
    watching: Bot, fake_okta: FakeOkta
) -> None:
    """The moment a first start began stays its cursor until a poll succeeds: an event Okta
    logs between a failed first poll and its retry a minute later is not missed."""
    started = fake_okta.state.now()
    moment = [started]
    poller = Poller(replace(watching.services, clock=lambda: moment[0]))
    fake_okta.faults.append(Fault.status(500, path="^/api/v1/logs$", times=1))
    with pytest.raises(OktaUnavailable):
        await poller.poll_once()
    state = fake_okta.state
    user, app = state.find_user("efail"), state.find_app("google")
    assert user is not None and app is not None
    state.log_push(app, user, started + timedelta(seconds=30), "FAILURE", reason="Not Authorized")
    moment[0] = started + timedelta(minutes=1)
    assert await poller.poll_once() == 1


async def test_authentication_failures_become_one_message_per_app(
    watching: Bot, fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    poller = Poller(watching.services)
    await poller.poll_once()
    state = fake_okta.state
    slack_app = state.find_app("slack")
    assert slack_app is not None
    for seconds in (1, 2, 3):
        state.log(
            "application.integration.authentication_failure",
            state.now() + timedelta(seconds=seconds),
            "FAILURE",
            [slack_app],
            reason="Authentication failed: invalid_auth",
        )
    assert await poller.poll_once() == 3
    await worker(watching).work_once()
    [message] = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == TRIAGE]
    assert message.args["text"].startswith("Okta could not authenticate to Slack's API")
    assert "invalid_auth" in str(message.args["blocks"])


@pytest.mark.parametrize(
    ("kind", "result", "legacy", "said"),
    [
        # Okta logs a rate-limit event with outcome SUCCESS: the event itself is the failure.
        ("rate_limit_exceeded", "SUCCESS", "app.boxnet.api.error.rate_limit_exceeded",
         "Box's API is refusing Okta for its rate limit"),
        ("general_failure", "FAILURE", "app.api.error.general",
         "Okta's calls to Box's API are failing"),
    ],
)  # fmt: skip
async def test_an_apps_api_failing_is_one_message_for_the_app(
    watching: Bot, fake_okta: FakeOkta, slack: FakeSlack, kind: str, result: str, legacy: str,
    said: str,
) -> None:  # fmt: skip
    poller = Poller(watching.services)
    await poller.poll_once()
    state = fake_okta.state
    box = state.find_app("box")
    assert box is not None
    for seconds in (1, 2, 3):
        state.log(f"application.integration.{kind}", state.now() + timedelta(seconds=seconds),
                  result, [box], legacy=legacy)  # fmt: skip
    assert await poller.poll_once() == 3
    await worker(watching).work_once()
    [message] = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == TRIAGE]
    assert message.args["text"].startswith(said)


async def test_replaying_the_demos_day_shows_triage(
    watching: Bot, fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    """`attrsync watch --demo --replay 24`: the demo org's last day of events, triaged."""
    queued = await Poller(watching.services, replay=timedelta(hours=24)).poll_once()
    assert queued > 10
    assert await worker(watching).work_once() == queued
    texts = [c.args["text"] for c in slack.calls_to("chat.postMessage")]
    triage = [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == TRIAGE]
    assert triage and all(c.args["channel"] == TRIAGE for c in triage)
    assert any(t.startswith("Okta could not authenticate to Slack's API") for t in texts)
    assert any("Eve" in t and "Google Workspace" in t for t in texts)  # her failed pushes
    assert any("Dan" in t and "Box" in t for t in texts)  # a change three hours ago, never pushed
