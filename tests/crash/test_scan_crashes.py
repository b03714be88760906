"""A scan survives its worker being killed, and Redis restarting, in the middle: it resumes
from the last page saved, counts every user once and lists every affected user once."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest
from redis.exceptions import RedisError

from bot.demo import crowd
from bot.store.scans import ScanRecord
from fakes.okta.server import FakeOkta, Fault
from fakes.slack.server import FakeSlack
from tests.harness.bot import bot_settings, new_channel, running_bot
from tests.harness.crash import (
    PATIENCE,
    PrivateRedis,
    WorkerProcess,
    crash_while_held,
    tail,
    worker_env,
)

AFFECTED = crowd.BEFORE_PROVISIONING + crowd.TITLE_CHANGED + crowd.PUSH_FAILED
PAGE = "40"


@pytest.mark.parametrize("crash", ["kill_worker", "restart_redis"])
async def test_scan_resumes_after_the_crash(
    fake_okta: FakeOkta,
    slack: FakeSlack,
    private_redis: PrivateRedis,
    tmp_path: Path,
    crash: str,
) -> None:
    await private_redis.start()
    settings = bot_settings(fake_okta.url, slack, private_redis.url, ATTRSYNC_SCAN_PAGE_SIZE=PAGE)
    log = tmp_path / "workers.log"
    async with running_bot(settings, slack) as bot:
        channel = new_channel()
        await bot.command("scan salesforce", channel=channel)
        [queued] = await slack.wait_for("chat.postMessage")
        scan_id = next(e["value"] for b in queued.args["blocks"] for e in b.get("elements", []))
        held = Fault.hold_request(path=r"/users$", method="GET", skip=2)  # the third page
        fake_okta.faults.append(held)
        env = worker_env(bot, fake_okta, slack, private_redis.url) | {
            "ATTRSYNC_SCAN_PAGE_SIZE": PAGE
        }
        first, second = WorkerProcess(env, log), WorkerProcess(env, log)
        await first.start()
        try:
            await asyncio.wait_for(held.held.wait(), PATIENCE)
            await crash_while_held(crash, held, first, second, private_redis)
            fake_okta.faults.clear()
            record = await _ended(bot.services.store.scans.get, scan_id, log)
            rows = await bot.services.store.scans.rows(scan_id)
        finally:
            await first.stop()
            await second.stop()
    assert record.tally.listed == record.tally.scanned == crowd.USERS, tail(log)
    assert record.tally.affected == AFFECTED
    assert len(rows) == AFFECTED == len({row.user_id for row in rows})
    pages = [r for r in fake_okta.requests if r.path.endswith("/users") and r.status == 200]
    # It went on from its cursor, not from the start: every page was read, and only the page
    # being checked and the one read ahead of it when the crash came were read again.
    expected = -(-crowd.USERS // int(PAGE))
    assert len({r.query.get("after") for r in pages}) == expected
    assert expected <= len(pages) <= expected + 2
    [upload] = slack.uploaded_files
    assert upload.channel == channel


async def _ended(read: object, scan_id: str, log: Path) -> ScanRecord:
    """Poll the scan (riding out a Redis that is restarting) until it ended and reported."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while loop.time() < deadline:
        with contextlib.suppress(RedisError, OSError):
            record = await read(scan_id)  # type: ignore[operator]
            if record is not None and record.state.ended and record.reported:
                assert isinstance(record, ScanRecord)
                return record
        await asyncio.sleep(0.05)
    raise AssertionError(f"the scan never ended; worker log:\n{tail(log)}")
