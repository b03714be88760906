"""`attrsync worker`: runs approved fixes from a Redis stream, exactly once, crash-safe.

Approved requests are queued on a stream read by a consumer group, so several processes share
the work. A job whose process died stays pending and is claimed again once idle; its run
journal says which steps are done, so the new process resumes the same plan.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import uuid
from typing import Any

from redis.exceptions import RedisError, ResponseError
from slack_sdk.errors import SlackApiError

from bot.approvals import Approval, State
from bot.blockkit import Message
from bot.fixes import expire_due, show
from bot.jobs import GROUP, stream
from bot.render_approvals import verification
from bot.services import Services
from bot.store import Lock, RedisJournal, as_text
from checks.diagnose import diagnose
from checks.errors import AttrsyncError
from checks.facts import Facts
from checks.model import Status
from checks.remediation.execute import execute
from checks.remediation.model import Plan
from checks.remediation.registry import plan_fix

LOCK_MS = 15_000

log = logging.getLogger(__name__)


class Worker:
    def __init__(
        self,
        services: Services,
        *,
        name: str | None = None,
        claim_idle_ms: int = 30_000,
        block_ms: int = 2_000,
        wait_limit: float = 60.0,
        poll_interval: float = 2.0,
    ) -> None:
        self._services = services
        self._redis = services.store.redis
        self._stream = stream(services.store.prefix)
        self.name = name or f"{socket.gethostname()}-{uuid.uuid4().hex[:6]}"
        self._claim_idle_ms = claim_idle_ms
        self._block_ms = block_ms
        self._wait_limit = wait_limit
        self._poll_interval = poll_interval

    async def run(self, stop: asyncio.Event) -> None:
        log.info("worker %s started", self.name)
        while not stop.is_set():
            try:
                await self.work_once()
            except RedisError:
                log.warning("worker cannot reach Redis; retrying in 5 s")
                await _pause(stop, 5)
            except Exception:  # a bug in one job must not stop the others; it is claimed again
                log.exception("worker job failed; it stays pending and will be retried")
                await _pause(stop, 5)

    async def work_once(self) -> int:
        """Run what is due: jobs abandoned by dead workers, then new ones. Returns how many."""
        await self._ensure_group()
        await expire_due(self._services)
        reclaimed: Any = await self._redis.xautoclaim(
            self._stream, GROUP, self.name, self._claim_idle_ms, "0-0", count=10
        )
        entries = list(reclaimed[1])
        if not entries:
            fresh: Any = await self._redis.xreadgroup(
                GROUP, self.name, {self._stream: ">"}, count=1, block=self._block_ms
            )
            entries = [entry for _, stream_entries in fresh or [] for entry in stream_entries]
        for entry_id, fields in entries:
            approval_id = as_text(fields.get(b"approval") or fields.get("approval"))
            if await self.run_job(approval_id):
                await self._redis.xack(self._stream, GROUP, entry_id)
        return len(entries)

    async def _ensure_group(self) -> None:
        with contextlib.suppress(ResponseError):  # BUSYGROUP: it exists already
            await self._redis.xgroup_create(self._stream, GROUP, id="0", mkstream=True)

    async def run_job(self, approval_id: str) -> bool:
        """Run one approved fix; False leaves the job pending (someone else holds its lock)."""
        approvals = self._services.approvals
        approval = await approvals.get(approval_id)
        if approval is None or approval.state not in (State.APPROVED, State.RUNNING):
            return True
        plan, prefix = approval.plan, self._services.store.prefix
        lock = Lock(self._redis, f"{prefix}lock:{plan.app_id}:{plan.user_id}", approval_id, LOCK_MS)
        if not await lock.acquire():
            return False
        heartbeat = asyncio.create_task(_keep(lock))
        try:
            if approval.state is State.APPROVED:
                moved = await approvals.move(approval_id, {State.APPROVED}, State.RUNNING)
                if not moved.moved or moved.approval is None:
                    return True
                approval = moved.approval
                await show(self._services, approval)
                await self._services.audit.record("running", approval, actor=self.name)
            await self._run(approval)
        finally:
            heartbeat.cancel()
            await lock.release()
        return True

    async def _run(self, approval: Approval) -> None:
        journal = RedisJournal(self._redis, self._services.store.prefix, approval.id)
        if not await journal.completed():
            drift = await self._drift(approval)
            if drift:
                await self._finish(approval, State.FAILED, f"Not run: {drift}", ())
                return
        okta = self._services.okta
        outcome = await execute(
            okta,
            approval.plan,
            journal,
            wait_limit=self._wait_limit,
            poll_interval=self._poll_interval,
        )
        await self._services.store.forget_facts()
        if outcome.ok:
            await self._finish(approval, State.DONE, "", outcome.request_ids)
        else:
            await self._finish(approval, State.FAILED, outcome.error or "", outcome.request_ids)
        await self._verify(approval)

    def _facts(self, plan: Plan) -> Facts:
        """Okta as it is now for the plan's user and app (never from the cache)."""
        return Facts(self._services.okta, plan.user_id, plan.app_id, now=self._services.clock())

    async def _drift(self, approval: Approval) -> str | None:
        """Why the approved plan no longer fits what Okta says now, if it does not."""
        plan = approval.plan
        try:
            now_planned = await plan_fix(plan.fix, self._facts(plan))
        except AttrsyncError as exc:
            return f"the situation changed since the approval ({exc})"
        if now_planned.digest() != approval.digest:
            return "the situation changed since the approval, so the approved calls no longer fit."
        return None

    async def _finish(
        self, approval: Approval, state: State, result: str, request_ids: tuple[str, ...]
    ) -> None:
        moved = await self._services.approvals.move(
            approval.id, {State.RUNNING}, state, result=result
        )
        final = moved.approval or approval
        await show(self._services, final)
        event = "done" if state is State.DONE else "failed"
        await self._services.audit.record(
            event, final, actor=self.name, result=result, request_ids=request_ids
        )

    async def _verify(self, approval: Approval) -> None:
        plan = approval.plan
        try:
            report = await diagnose(self._facts(plan))
        except AttrsyncError as exc:
            await self._say(approval, Message(f"Could not re-check: {exc}"))
            return
        finding = next((f for f in report.findings if f.check == plan.check), None)
        remaining = [
            f for f in report.findings if f.status is Status.PROBLEM and f.check != plan.check
        ]
        await self._say(approval, verification(plan.check, finding, remaining))

    async def _say(self, approval: Approval, message: Message) -> None:
        try:
            await self._services.slack.chat_postMessage(
                channel=approval.channel, thread_ts=approval.thread_ts, **message.payload()
            )
        except SlackApiError as exc:
            log.warning("could not post in the thread: %s", exc.response.get("error"))


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _keep(lock: Lock) -> None:
    while True:
        await asyncio.sleep(LOCK_MS / 3000)
        await lock.extend()
