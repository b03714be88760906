"""Triage: Okta's events, delivered by the Event Hook, become reports in the triage channel:
a failed push at once, a profile change after the grace; once per (user, app, cause); a flood
for one app and cause becomes one message with a Scan button; a later success resolves it."""

from __future__ import annotations

import collections
import json
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.config import Settings
from bot.demo import crowd
from bot.slackkit.ids import SCAN_START as SCAN
from fakes.okta.event_hook import envelope
from fakes.okta.server import FakeOkta
from fakes.slack.server import FakeSlack, SlackCall
from tests.harness.approvals import click, worker
from tests.harness.bot import Bot, bot_settings, running_bot
from tests.harness.builders import title_import

SECRET = "okta-hook-secret-0123456789"
TRIAGE = "C0TRIAGE"


@pytest.fixture
async def watching(fake_okta: FakeOkta, slack: FakeSlack) -> AsyncIterator[Bot]:
    settings = bot_settings(
        fake_okta.url,
        slack,
        ATTRSYNC_EVENT_HOOK_SECRET=SECRET,
        ATTRSYNC_TRIAGE_CHANNEL=TRIAGE,
        ATTRSYNC_WATCH_GRACE="0.001",
    )
    async with running_bot(settings, slack) as running:
        yield running


async def _deliver(bot: Bot, fake: FakeOkta, events: list[dict[str, Any]]) -> None:
    url = f"{bot.url}/okta/events"
    body = json.dumps(envelope(events, fake.url))
    headers = {"Authorization": SECRET, "Content-Type": "application/json"}
    async with bot.http.post(url, data=body, headers=headers) as response:
        assert response.status == 200


def _events(fake: FakeOkta, login: str, kind: str, result: str | None = None) -> list[Any]:
    user = fake.state.find_user(login)
    assert user is not None
    return [
        e
        for e in fake.state.logs
        if e["eventType"] == kind
        and any(t["id"] == user["id"] for t in e["target"])
        and (result is None or e["outcome"]["result"] == result)
    ]


def _reports(slack: FakeSlack) -> list[SlackCall]:
    return [c for c in slack.calls_to("chat.postMessage") if c.args["channel"] == TRIAGE]


async def test_a_failed_push_is_reported_once(
    watching: Bot, fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    failed = _events(fake_okta, "efail", "application.provision.user.push_profile", "FAILURE")
    await _deliver(watching, fake_okta, failed)
    await worker(watching).work_once()
    [report] = _reports(slack)
    assert "Eve" in report.args["text"] and "Google Workspace" in report.args["text"]
    assert "triage of a failed profile push" in str(report.args["blocks"])
    await _deliver(watching, fake_okta, failed)  # Okta delivers again: nothing new queued
    new = dict(failed[0], uuid="0f0e0d0c-0000-4000-8000-000000000001")  # another failure
    await _deliver(watching, fake_okta, [new])
    await worker(watching).work_once()
    assert len(_reports(slack)) == 1  # one report per user, app and cause


async def test_a_later_success_resolves_it(
    watching: Bot, fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    failed = _events(fake_okta, "efail", "application.provision.user.push_profile", "FAILURE")
    await _deliver(watching, fake_okta, failed[:1])
    await worker(watching).work_once()
    [report] = _reports(slack)
    google, efail = fake_okta.state.find_app("google"), fake_okta.state.find_user("efail")
    assert google is not None and efail is not None
    success = fake_okta.state.log_push(google, efail, fake_okta.state.now())
    await _deliver(watching, fake_okta, [success])
    await worker(watching).work_once()
    [update] = [c for c in slack.calls_to("chat.update") if c.args["ts"] == report.answer["ts"]]
    assert update.args["text"] == "Resolved by itself: a later push to the app succeeded."
    # Resolved: the same cause may be reported again later.
    again = dict(failed[0], uuid="0f0e0d0c-0000-4000-8000-000000000002")
    await _deliver(watching, fake_okta, [again])
    await worker(watching).work_once()
    assert len(_reports(slack)) == 2


async def test_a_flood_for_one_app_and_cause_becomes_one_message(
    watching: Bot, fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    salesforce = fake_okta.state.find_app("salesforce")
    assert salesforce is not None
    failed = [
        e
        for e in fake_okta.state.logs
        if e["eventType"] == "application.provision.user.push_profile"
        and e["outcome"]["result"] == "FAILURE"
        and any(t["id"] == salesforce["id"] for t in e["target"])
    ]
    assert len(failed) == crowd.PUSH_FAILED == 6
    await _deliver(watching, fake_okta, failed)
    await worker(watching).work_once()
    reports = _reports(slack)
    individual = [r for r in reports if "failed to sync within minutes" not in r.args["text"]]
    [summary] = [r for r in reports if "failed to sync within minutes" in r.args["text"]]
    assert len(individual) == 5
    assert summary.args["text"].startswith("6 users of Salesforce failed to sync")
    said = await click(watching, SCAN, salesforce["id"], "U0DAVE", TRIAGE, summary.answer["ts"])
    assert said == "Scanning Salesforce: the progress is in the channel."


async def test_a_profile_change_that_did_not_arrive_is_reported_after_the_grace(
    watching: Bot, fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    changed = _events(fake_okta, "dstale", "user.account.update_profile")
    assert changed and changed[-1]["debugContext"]["debugData"]["changedAttributes"]
    await _deliver(watching, fake_okta, changed[-1:])
    await worker(watching).work_once()  # queued for after the grace
    await worker(watching).work_once()  # the grace (1 ms) is over: Box is looked at
    [report] = _reports(slack)
    assert "Dan" in report.args["text"] and "Box" in report.args["text"]
    assert "triage of a profile change" in str(report.args["blocks"])


async def test_without_a_triage_channel_nothing_is_consumed(
    bot: Bot, fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    assert await worker(bot).work_once() == 0
    assert not slack.calls_to("chat.postMessage")


def _title_import(fake_okta: FakeOkta, slack: FakeSlack) -> tuple[Settings, list[Any]]:
    """A bot triaging after a minute's grace, and 30 Salesforce titles changed by an import."""
    settings = bot_settings(
        fake_okta.url,
        slack,
        ATTRSYNC_EVENT_HOOK_SECRET=SECRET,
        ATTRSYNC_TRIAGE_CHANNEL=TRIAGE,
        ATTRSYNC_WATCH_GRACE="60",
    )
    salesforce = fake_okta.state.find_app("salesforce")
    assert salesforce is not None
    _, changes = title_import(fake_okta.state, salesforce, 30)
    return settings, changes


def _users_apps_listed(fake_okta: FakeOkta) -> int:
    return sum("user.id" in r.query.get("filter", "") for r in fake_okta.requests)


async def test_a_bulk_import_costs_scans_of_the_apps_not_a_diagnosis_per_user(
    fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    """Thirty titles changed at once (an HR import); Salesforce applies titles on create only."""
    now = [datetime.now(UTC)]
    settings, changes = _title_import(fake_okta, slack)
    async with running_bot(settings, slack, clock=lambda: now[0]) as watching:
        await _deliver(watching, fake_okta, changes)
        await worker(watching).work_once()  # queued for a minute later
        assert not _reports(slack)
        now[0] += timedelta(seconds=61)
        fake_okta.requests.clear()
        await worker(watching).work_once()
    paths = [r.path for r in fake_okta.requests]
    shapes = collections.Counter(re.sub(r"/0[0-9a-z]{2}[A-Za-z0-9]{17}", "/{id}", p) for p in paths)
    # A user's apps are listed only by the diagnoses of the users reported (their profile
    # sources), never for every changed user.
    assert _users_apps_listed(fake_okta) == 5
    assert shapes["/api/v1/apps"] == 1 + 5  # the active apps, once; the reported users' apps
    assert shapes["/api/v1/users/{id}"] == 5  # only the five users reported one by one
    # Each provisioned app is read once (its settings and pages of users), whatever the
    # number of changes: about a hundred requests for the demo's nine provisioned apps.
    assert shapes["/api/v1/meta/schemas/apps/{id}/default"] == 9
    assert shapes["/api/v1/logs"] <= 1 + 5  # one System Log read for all the apps
    assert len(paths) < 100
    reports = _reports(slack)
    # One message for the 25 beyond the first five, posted once, with their count.
    [summary] = [r for r in reports if "failed to sync within minutes" in r.args["text"]]
    assert summary.args["text"].startswith("30 users of Salesforce")
    assert not [c for c in slack.calls_to("chat.update") if c.args["ts"] == summary.answer["ts"]]
    assert len(reports) == 5 + 1


async def test_an_import_logged_over_a_minute_is_looked_at_as_one(
    fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    """The thirty changes fall due over a minute: triage waits for the last of them and scans
    the apps once, instead of diagnosing each user as their change falls due."""
    now = [datetime.now(UTC)]
    settings, changes = _title_import(fake_okta, slack)
    start = now[0]
    for n, change in enumerate(changes):  # logged two seconds apart
        change["published"] = (start + timedelta(seconds=2 * n)).isoformat().replace("+00:00", "Z")
    async with running_bot(settings, slack, clock=lambda: now[0]) as watching:
        await _deliver(watching, fake_okta, changes)
        await worker(watching).work_once()
        fake_okta.requests.clear()
        for _ in range(60):  # a pass every five seconds, for five minutes
            now[0] += timedelta(seconds=5)
            await worker(watching).work_once()
    assert _users_apps_listed(fake_okta) == 5  # the reported users' own, as above
    assert len(fake_okta.requests) < 100  # as when logged at once
    reports = _reports(slack)
    [summary] = [r for r in reports if "failed to sync within minutes" in r.args["text"]]
    assert summary.args["text"].startswith("30 users of Salesforce")
    assert len(reports) == 5 + 1


async def test_a_change_no_mapping_reads_is_not_looked_into(
    watching: Bot, fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    state = fake_okta.state
    asmith = state.find_user("asmith")
    assert asmith is not None
    state.change_profile(asmith, {"employeeNumber": "4711"}, at=state.now())
    changed = state.logs[-1]
    assert changed["debugContext"]["debugData"]["changedAttributes"] == "employeeNumber"
    await _deliver(watching, fake_okta, [changed])
    fake_okta.requests.clear()
    await worker(watching).work_once()
    assert not _reports(slack)
    paths = {r.path for r in fake_okta.requests}
    assert "/api/v1/logs" not in paths  # no diagnosis: Box's mapping does not read it


def _push(fake: FakeOkta, login: str, app: str, result: str, kind: str = "push_profile") -> Any:
    state = fake.state
    user, target = state.find_user(login), state.find_app(app)
    assert user is not None and target is not None
    return state.log_push(
        target,
        user,
        state.now() + timedelta(seconds=1),
        result,
        reason="Automatic push failed" if result == "FAILURE" else None,
        event_type=f"application.provision.user.{kind}",
    )


async def test_a_failed_create_is_reported_and_a_sync_success_resolves_nothing(
    watching: Bot, fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    created = _push(fake_okta, "efail", "google", "FAILURE", "push")
    await _deliver(watching, fake_okta, [created])
    await worker(watching).work_once()
    [report] = _reports(slack)
    assert "triage of a failed create" in str(report.args["blocks"])
    for result in ("SUCCESS", "RATE_LIMIT", "DEFERRED"):
        await _deliver(watching, fake_okta, [_push(fake_okta, "efail", "google", result, "sync")])
    await worker(watching).work_once()
    assert not slack.calls_to("chat.update")  # not "resolved by itself"
    await _deliver(watching, fake_okta, [_push(fake_okta, "efail", "google", "SUCCESS")])
    await worker(watching).work_once()
    [resolved] = slack.calls_to("chat.update")
    assert resolved.args["ts"] == report.answer["ts"]


async def test_a_report_slack_refuses_once_is_posted_on_the_next_try(
    watching: Bot, fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    failed = _events(fake_okta, "efail", "application.provision.user.push_profile", "FAILURE")
    await _deliver(watching, fake_okta, failed[:1])
    slack.fail_next["chat.postMessage"] = "ratelimited"
    busy = worker(watching, lease_ms=1)
    await busy.work_once()
    assert _reports(slack) == [] or all(not r.answer.get("ok") for r in _reports(slack))
    await busy.work_once()  # the event was not acknowledged: Redis hands it out again
    posted = [r for r in _reports(slack) if r.answer.get("ok")]
    assert len(posted) == 1
    await busy.work_once()
    assert len([r for r in _reports(slack) if r.answer.get("ok")]) == 1


async def test_a_report_out_but_not_recorded_is_read_back_not_posted_again(
    watching: Bot, fake_okta: FakeOkta, slack: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Slack took the report, then Redis went before it was recorded: the event is handed out
    again, finds the report in the channel by its metadata, and posts nothing more."""
    from redis.exceptions import ConnectionError as RedisConnectionError

    store = watching.services.store.triage
    record = store.posted

    async def redis_gone(*args: Any) -> None:
        monkeypatch.setattr(store, "posted", record)
        raise RedisConnectionError("Connection reset by peer")

    monkeypatch.setattr(store, "posted", redis_gone)
    failed = _events(fake_okta, "efail", "application.provision.user.push_profile", "FAILURE")
    await _deliver(watching, fake_okta, failed[:1])
    busy = worker(watching, lease_ms=1)
    with pytest.raises(RedisConnectionError):
        await busy.work_once()
    assert len(_reports(slack)) == 1
    await busy.work_once()
    assert len(_reports(slack)) == 1
    assert slack.calls_to("conversations.history")
    # Recorded now: a later success resolves that very message.
    await _deliver(watching, fake_okta, [_push(fake_okta, "efail", "google", "SUCCESS")])
    await busy.work_once()
    [resolved] = slack.calls_to("chat.update")
    assert resolved.args["ts"] == _reports(slack)[0].answer["ts"]


async def test_an_event_triage_cannot_use_is_counted_and_logged_and_the_rest_go_on(
    watching: Bot, fake_okta: FakeOkta, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    [good] = _events(fake_okta, "efail", "application.provision.user.push_profile", "FAILURE")[:1]
    no_target = dict(good, uuid="11111111-2222-4333-8444-555555555555", target=None)
    evil = dict(
        good,
        uuid="66666666-7777-4888-9999-000000000000",
        target=[dict(t, id=t["id"] + "\x00\n") for t in good["target"]],
    )
    await _deliver(watching, fake_okta, [no_target, evil, good])
    await worker(watching).work_once()
    assert len(_reports(slack)) == 1
    for uuid in (no_target["uuid"], evil["uuid"]):
        assert f"triage cannot use event '{uuid}'" in caplog.text
    async with watching.http.get(f"{watching.url}/metrics") as response:
        metrics = await response.text()
    assert re.search(r'attrsync_okta_events_total\{.*result="unusable"\} 2\.0', metrics)
    assert re.search(r'attrsync_okta_events_total\{.*result="triaged"\} 1\.0', metrics)
    assert "efail" not in metrics and "Eve" not in metrics


async def test_a_bug_outside_an_event_stops_the_worker_loudly(
    watching: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing an event holds ends triage; a bug in triage itself ends the worker (and so
    the process), not just its triage loop behind a green /healthz."""
    import asyncio

    busy = worker(watching)

    async def broken(*args: Any, **kwargs: Any) -> list[Any]:
        raise ValueError("a bug")

    monkeypatch.setattr(watching.services.store.triage, "read", broken)
    stop = asyncio.Event()
    with pytest.raises(ValueError, match="a bug"):
        await asyncio.wait_for(busy.run(stop), 10)
    assert stop.is_set()  # the whole process stops with it
