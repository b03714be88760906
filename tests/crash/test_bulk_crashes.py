"""A bulk fix survives its worker being killed, and Redis restarting, in the middle of a user's
run: the next worker waits for that user's run instead of starting another, and every user is
unassigned and reassigned exactly once."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest
from redis.exceptions import RedisError

from bot.demo import crowd
from bot.slackkit.ids import BULK_APPROVE as APPROVE
from bot.slackkit.ids import BULK_FIX as FIX_PREFIX
from bot.slackkit.ids import SCAN_STOP
from bot.store.bulk import BulkRecord
from bot.workflow.bulk import BulkState
from fakes.okta.server import FakeOkta, Fault
from fakes.slack.server import FakeSlack
from tests.harness.approvals import REQUESTER, click
from tests.harness.bot import APPROVER, Bot, bot_settings, new_channel, running_bot
from tests.harness.crash import (
    PATIENCE,
    PrivateRedis,
    WorkerProcess,
    crash_while_held,
    tail,
    worker_env,
)

N = crowd.BEFORE_PROVISIONING


@pytest.mark.parametrize("crash", ["kill_worker", "restart_redis"])
async def test_bulk_fix_resumes_after_the_crash(
    fake_okta: FakeOkta,
    slack: FakeSlack,
    private_redis: PrivateRedis,
    tmp_path: Path,
    crash: str,
) -> None:
    await private_redis.start()
    settings = bot_settings(fake_okta.url, slack, private_redis.url)
    log = tmp_path / "workers.log"
    async with running_bot(settings, slack) as bot:
        env = worker_env(bot, fake_okta, slack, private_redis.url)
        first, second = WorkerProcess(env, log), WorkerProcess(env, log)
        await first.start()
        try:
            channel, thread, bulk_id = await _confirmed(bot, slack, log)
            targets = await bot.services.store.bulks.targets(bulk_id)
            # Hold the fifth user's reassign: their unassign has happened.
            held = Fault.hold_request(
                path=r"/api/v1/apps/[^/]+/users$", method="POST", skip=4, when="before"
            )
            fake_okta.faults.append(held)
            await click(bot, APPROVE, bulk_id, APPROVER, channel, thread)
            await asyncio.wait_for(held.held.wait(), PATIENCE)
            await crash_while_held(crash, held, first, second, private_redis)
            fake_okta.faults.clear()
            record = await _ended(bot, bulk_id, log)
        finally:
            await first.stop()
            await second.stop()
    assert (record.state, record.done, record.ok) == (BulkState.DONE, N, N), tail(log)
    unassigned = [r.path for r in fake_okta.requests if r.method == "DELETE" and r.status == 204]
    assert sorted(unassigned) == sorted(set(unassigned))  # nobody unassigned twice
    assert {p.rsplit("/", 1)[1] for p in unassigned} == {t.user_id for t in targets}
    app = fake_okta.state.find_app("salesforce")
    assert app is not None
    assigned = {uid for (aid, uid) in fake_okta.state.app_users if aid == app["id"]}
    assert {t.user_id for t in targets} <= assigned  # and everyone assigned again


async def _confirmed(bot: Bot, slack: FakeSlack, log: Path) -> tuple[str, str, str]:
    """Scan, request the bulk relink, approve the canary and wait until it is verified."""
    channel = new_channel()
    await bot.command("scan salesforce", channel=channel, user=REQUESTER)
    [queued] = await slack.wait_for("chat.postMessage")
    thread = queued.answer["ts"]
    scan_id = next(
        e["value"]
        for b in queued.args["blocks"]
        for e in b.get("elements", [])
        if e["action_id"] == SCAN_STOP
    )
    for _ in range(int(PATIENCE * 20)):
        scan = await bot.services.store.scans.get(scan_id)
        if scan is not None and scan.reported:
            break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError(f"the scan never ended; worker log:\n{tail(log)}")
    said = await click(bot, FIX_PREFIX + "external_id", scan_id, REQUESTER, channel, thread)
    assert said.startswith("Bulk fix requested"), said
    posted = [c for c in slack.calls_to("chat.postMessage") if c.args.get("thread_ts") == thread]
    bulk_id = next(
        e["value"]
        for b in posted[-1].args["blocks"]
        for e in b.get("elements", [])
        if e["action_id"] == APPROVE
    )
    await click(bot, APPROVE, bulk_id, APPROVER, channel, thread)
    await _until_state(bot, bulk_id, BulkState.CONFIRM, log)
    return channel, thread, bulk_id


async def _until_state(bot: Bot, bulk_id: str, state: BulkState, log: Path) -> BulkRecord:
    for _ in range(int(PATIENCE * 20)):
        with contextlib.suppress(RedisError, OSError):
            record = await bot.services.store.bulks.get(bulk_id)
            if record is not None and record.state is state:
                return record
        await asyncio.sleep(0.05)
    raise AssertionError(f"the bulk fix never reached {state}; worker log:\n{tail(log)}")


async def _ended(bot: Bot, bulk_id: str, log: Path) -> BulkRecord:
    return await _until_state(bot, bulk_id, BulkState.DONE, log)
