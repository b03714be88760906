"""Fixes through Slack: request, approval by a second person, the worker, verification, audit."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest

from bot.workflow.fixes import State
from fakes.okta.server import FakeOkta, Fault
from fakes.slack.payloads import app_home_opened
from fakes.slack.server import FakeSlack
from tests.harness.approvals import REQUESTER, click, mutations, request_fix, worker
from tests.harness.bot import (
    APPROVER,
    GROUP_MEMBER,
    Bot,
    bot_settings,
    buttons,
    new_channel,
    running_bot,
)


async def test_full_flow_update_user_attributes(
    bot: Bot, slack: FakeSlack, fake_okta: FakeOkta
) -> None:
    channel, approval_id, request = await request_fix(bot, "why iupd zoom", "update_attributes")
    text = json.dumps(request.args["blocks"])
    assert "PUT /api/v1/apps/" in text
    assert "Every user assigned to Zoom" in text
    assert not mutations(fake_okta)  # nothing happens before the approval
    said = await click(
        bot, "approval:approve", approval_id, APPROVER, channel, request.answer["ts"]
    )
    assert said == "Approved: the fix runs now, and the thread shows how it goes."
    assert await worker(bot).work_once() == 1
    zoom = fake_okta.state.find_app("zoomus")
    assert zoom is not None
    assert mutations(fake_okta) == [f"PUT /api/v1/apps/{zoom['id']}/features/USER_PROVISIONING"]
    approval = await bot.services.approvals.get(approval_id)
    assert approval is not None
    assert approval.state is State.DONE
    assert approval.approver == APPROVER
    updates = [c.args["text"] for c in slack.calls_to("chat.update")]
    assert any("(approved)" in u for u in updates)
    assert any("(done)" in u for u in updates)
    verified = slack.calls_to("chat.postMessage")[-1]
    assert "Verified: the cause is gone" in verified.args["text"]
    assert verified.args["thread_ts"] == request.args["thread_ts"]


@pytest.mark.parametrize(
    ("question", "check", "method"),
    [
        ("why hcreate 'hr portal'", "mapping", "POST /api/v1/mappings/"),
        ("why bwayne box", "group_assignment", "POST /api/v1/apps/"),
    ],
)
async def test_full_flow_mapping_and_group_conversion(
    bot: Bot, fake_okta: FakeOkta, question: str, check: str, method: str
) -> None:
    channel, approval_id, request = await request_fix(bot, question, check)
    await click(bot, "approval:approve", approval_id, GROUP_MEMBER, channel, request.answer["ts"])
    await worker(bot).work_once()
    [done] = mutations(fake_okta)
    assert done.startswith(method)
    verified = bot.slack.calls_to("chat.postMessage")[-1].args["text"]
    assert "Verified: the cause is gone" in verified


async def test_full_flow_relink_with_deactivate_users_switched_off_meanwhile(
    bot: Bot, fake_okta: FakeOkta
) -> None:
    state = fake_okta.state
    state.set_provisioning("boxnet", deactivate=False)
    channel, approval_id, request = await request_fix(bot, "why jdoe box", "external_id")
    await click(bot, "approval:approve", approval_id, APPROVER, channel, request.answer["ts"])
    await worker(bot).work_once()
    box, jdoe = state.find_app("boxnet"), state.find_user("jdoe")
    assert box is not None
    assert jdoe is not None
    assert [m.split("?")[0] for m in mutations(fake_okta)] == [
        f"DELETE /api/v1/apps/{box['id']}/users/{jdoe['id']}",
        f"POST /api/v1/apps/{box['id']}/users",
    ]
    assert state.app_users[(box["id"], jdoe["id"])]["externalId"]


async def test_box_with_deactivate_users_on_never_sends_an_unassign(
    bot: Bot, fake_okta: FakeOkta
) -> None:
    channel = new_channel()
    await bot.command("why jdoe box", channel=channel, user=REQUESTER)
    [report] = await bot.slack.wait_for("chat.postMessage")
    value = buttons(report.args["blocks"])["fix:external_id"]["value"]
    said = await click(bot, "fix:external_id", value, APPROVER, channel, report.answer["ts"])
    assert "Fix for external_id" in said
    assert not [r for r in fake_okta.requests if r.method == "DELETE"]
    assert await bot.services.approvals.pending() == []


async def test_self_approval_and_non_approvers_are_refused(bot: Bot, fake_okta: FakeOkta) -> None:
    channel, approval_id, request = await request_fix(bot, "why iupd zoom", "update_attributes")
    ts = request.answer["ts"]
    said = await click(bot, "approval:approve", approval_id, "U0MALLORY", channel, ts)
    assert "Only approvers can approve fixes" in said
    own = await click(bot, "approval:approve", approval_id, REQUESTER, channel, ts)
    assert "Only approvers" in own or "a second person" in own
    assert (await bot.services.approvals.get(approval_id)).state is State.PENDING  # type: ignore[union-attr]
    assert await worker(bot).work_once() == 0
    assert not mutations(fake_okta)


async def test_requester_who_is_an_approver_still_cannot_approve(
    fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    settings = bot_settings(fake_okta.url, slack, ATTRSYNC_APPROVERS=f"{REQUESTER} {APPROVER}")
    async with running_bot(settings, slack) as bot:
        channel, approval_id, request = await request_fix(bot, "why iupd zoom", "update_attributes")
        said = await click(
            bot, "approval:approve", approval_id, REQUESTER, channel, request.answer["ts"]
        )
        assert "a second person has to approve it" in said


async def test_reject(bot: Bot, fake_okta: FakeOkta) -> None:
    channel, approval_id, request = await request_fix(bot, "why iupd zoom", "update_attributes")
    await click(bot, "approval:reject", approval_id, APPROVER, channel, request.answer["ts"])
    approval = await bot.services.approvals.get(approval_id)
    assert approval is not None
    assert approval.state is State.REJECTED
    late = await click(
        bot, "approval:approve", approval_id, APPROVER, channel, request.answer["ts"]
    )
    assert "rejected already" in late
    assert await worker(bot).work_once() == 0
    assert not mutations(fake_okta)


async def test_expired_request(fake_okta: FakeOkta, slack: FakeSlack) -> None:
    settings = bot_settings(fake_okta.url, slack, ATTRSYNC_APPROVAL_TTL="60")
    now = [datetime.now(UTC)]
    async with running_bot(settings, slack, clock=lambda: now[0]) as bot:
        channel, approval_id, request = await request_fix(bot, "why iupd zoom", "update_attributes")
        now[0] += timedelta(seconds=61)  # the injected clock: no waiting for the expiry
        said = await click(
            bot, "approval:approve", approval_id, APPROVER, channel, request.answer["ts"]
        )
        assert "expired already" in said
        assert not mutations(fake_okta)
        entries = await bot.services.audit.trail.read(20)
        assert [e["event"] for e in entries] == ["requested", "expired"]


async def test_double_clicks_and_two_processes_run_the_fix_once(
    fake_okta: FakeOkta, slack: FakeSlack
) -> None:
    settings = bot_settings(fake_okta.url, slack)
    async with running_bot(settings, slack) as first, running_bot(settings, slack) as second:
        channel, approval_id, request = await request_fix(
            first, "why iupd zoom", "update_attributes"
        )
        ts = request.answer["ts"]
        answers = await asyncio.gather(
            *(
                click(bot, "approval:approve", approval_id, who, channel, ts)
                for bot in (first, second, first, second)
                for who in (APPROVER, GROUP_MEMBER)
            )
        )
        assert sum("already" in a for a in answers) == 7
        ran = await asyncio.gather(worker(first).work_once(), worker(second).work_once())
        assert sum(ran) == 1
        assert len(mutations(fake_okta)) == 1


async def test_drift_voids_the_approval(bot: Bot, fake_okta: FakeOkta) -> None:
    channel, approval_id, request = await request_fix(bot, "why iupd zoom", "update_attributes")
    await click(bot, "approval:approve", approval_id, APPROVER, channel, request.answer["ts"])
    fake_okta.state.set_provisioning("zoomus", update_profile=True)  # someone fixed it by hand
    await worker(bot).work_once()
    approval = await bot.services.approvals.get(approval_id)
    assert approval is not None
    assert approval.state is State.FAILED
    assert approval.result is not None
    assert approval.result.startswith("Not run: the situation changed since the approval")
    assert not mutations(fake_okta)


async def test_worker_killed_between_unassign_and_reassign_resumes(
    bot: Bot, fake_okta: FakeOkta
) -> None:
    state = fake_okta.state
    state.set_provisioning("boxnet", deactivate=False)
    box = state.find_app("boxnet")
    assert box is not None
    channel, approval_id, request = await request_fix(bot, "why jdoe box", "external_id")
    await click(bot, "approval:approve", approval_id, APPROVER, channel, request.answer["ts"])
    fake_okta.faults.append(Fault.delay(10, path=f"/api/v1/apps/{box['id']}/users$", method="POST"))
    doomed = asyncio.create_task(worker(bot, name="doomed").work_once())
    for _ in range(500):  # until the unassign has been answered
        if any(r.method == "DELETE" and r.status for r in fake_okta.requests):
            break
        await asyncio.sleep(0.01)
    for _ in range(500):  # until the reassign is in flight
        if any(r.method == "POST" and r.status is None for r in fake_okta.requests):
            break
        await asyncio.sleep(0.01)
    doomed.cancel()
    with pytest.raises(asyncio.CancelledError):
        await doomed
    jdoe = state.find_user("jdoe")
    assert jdoe is not None
    assert (box["id"], jdoe["id"]) not in state.app_users  # unassigned, for now
    fake_okta.faults.clear()
    rescuer = worker(bot, name="rescuer", lease_ms=200)
    for _ in range(100):  # Redis hands the job over once it has been idle for a lease
        if await rescuer.work_once() == 1:
            break
        await asyncio.sleep(0.02)
    else:
        pytest.fail("the job was never taken over")
    assert state.app_users[(box["id"], jdoe["id"])]["externalId"]
    deletes = [r for r in fake_okta.requests if r.method == "DELETE"]
    assert len(deletes) == 1
    approval = await bot.services.approvals.get(approval_id)
    assert approval is not None
    assert approval.state is State.DONE


async def test_audit_stream_records_every_transition(bot: Bot) -> None:
    channel, approval_id, request = await request_fix(bot, "why iupd zoom", "update_attributes")
    await click(bot, "approval:approve", approval_id, APPROVER, channel, request.answer["ts"])
    await worker(bot, name="w1").work_once()
    entries = await bot.services.audit.trail.read(20)
    assert [(e["event"], e["actor"]) for e in entries] == [
        ("requested", REQUESTER),
        ("approved", APPROVER),
        ("running", "w1"),
        ("done", "w1"),
    ]
    assert all(e["approval"] == approval_id for e in entries)
    assert "PUT /api/v1/apps/" in entries[0]["plan"]
    assert json.loads(entries[-1]["okta_request_ids"])


async def test_app_home_shows_approvers_the_pending_requests(bot: Bot, slack: FakeSlack) -> None:
    await request_fix(bot, "why iupd zoom", "update_attributes")
    for user in (APPROVER, REQUESTER):
        status, _, _ = await bot.post(app_home_opened(user))
        assert status == 200
    views = {
        c.args["user_id"]: json.dumps(c.args["view"])
        for c in await slack.wait_for("views.publish", count=2)
    }
    assert "approval:approve" in views[APPROVER]
    assert "Fixes waiting for approval* (1)" in views[APPROVER]
    assert "approval:approve" not in views[REQUESTER]
    assert "/attrsync why iupd zoom" in views[REQUESTER]  # their recent diagnosis


async def test_audit_channel_gets_every_transition(fake_okta: FakeOkta, slack: FakeSlack) -> None:
    settings = bot_settings(fake_okta.url, slack, ATTRSYNC_AUDIT_CHANNEL="C0AUDIT")
    async with running_bot(settings, slack) as bot:
        channel, approval_id, request = await request_fix(bot, "why iupd zoom", "update_attributes")
        await click(bot, "approval:approve", approval_id, APPROVER, channel, request.answer["ts"])
    lines = [
        c.args["text"] for c in slack.calls_to("chat.postMessage") if c.args["channel"] == "C0AUDIT"
    ]
    fix = "`enable_update_attributes` for iupd@example.com in Zoom"
    assert lines == [
        f"attrsync requested: {fix} by <@U0BOB>",
        f"attrsync approved: {fix} by <@U0APPROVER>",
    ]


async def test_recheck_after_the_manual_step_offers_the_automated_relink(
    bot: Bot, fake_okta: FakeOkta
) -> None:
    channel = new_channel()
    await bot.command("why jdoe box", channel=channel, user=REQUESTER)
    [report] = await bot.slack.wait_for("chat.postMessage")
    value = buttons(report.args["blocks"])["fix:external_id"]["value"]
    ts = report.answer["ts"]
    await click(bot, "fix:external_id", value, REQUESTER, channel, ts)
    fake_okta.state.set_provisioning("boxnet", deactivate=False)  # the console step, done
    await click(bot, "recheck:external_id", value, REQUESTER, channel, ts)
    [_, again] = await bot.slack.wait_for("chat.postMessage", count=2)
    assert again.args["thread_ts"] == ts
    relink = buttons(again.args["blocks"])["fix:external_id"]
    assert relink["text"]["text"] == "Fix it…"
    said = await click(bot, "fix:external_id", relink["value"], REQUESTER, channel, ts)
    assert "Approval requested in the thread" in said


async def test_worker_loop_runs_approved_fixes_until_stopped(bot: Bot) -> None:
    stop = asyncio.Event()
    loop = asyncio.create_task(worker(bot).run(stop))
    channel, approval_id, request = await request_fix(bot, "why iupd zoom", "update_attributes")
    await click(bot, "approval:approve", approval_id, APPROVER, channel, request.answer["ts"])
    for _ in range(200):
        approval = await bot.services.approvals.get(approval_id)
        if approval is not None and approval.state is State.DONE:
            break
        await asyncio.sleep(0.02)
    else:
        pytest.fail("the worker loop did not run the approved fix")
    stop.set()
    await asyncio.wait_for(loop, 2)
