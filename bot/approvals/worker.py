"""`attrsync worker`: runs approved fixes from a Redis stream, at most once, crash-safe.

Approved requests are queued on a stream read by a consumer group, so several processes share
the work. Whoever runs a fix holds its lease (runs.py) and renews it while Okta answers, however
slowly; a job is taken over only once its lease has expired, that is once its worker is dead
or cut off, and then it resumes from the run's write-ahead journal. A step that must finish
(giving an assignment back) and keeps failing stalls the run: it is scheduled again with
backoff, and the thread, the audit channel and App Home say so until it is done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from redis.exceptions import RedisError

from bot.approvals.render import stall_resolved, stalled_alert, verification
from bot.approvals.requests import expire_due, show
from bot.approvals.states import FAIL, FINISH, STALL, START, Move, State
from bot.bulk.runner import BulkRunner
from bot.runtime.services import Services
from bot.scan.runner import ScanRunner
from bot.slack.blockkit import Message, escape
from bot.slack.failures import SLACK_FAILURES, slack_error
from bot.slack.render import notice
from bot.store.approvals import Approval
from bot.store.runs import Lease
from bot.watch.triage import Triage
from checks.diagnose import diagnose
from checks.errors import AttrsyncError
from checks.facts import Facts
from checks.model import Status
from checks.remediation.execute import LeaseLost, Outcome, execute
from checks.remediation.model import Plan
from checks.remediation.registry import plan_fix

LEASE_MS = 30_000
RETRY_BASE = 30.0
RETRY_CAP = 900.0
DEAD_CONSUMER_MS = 3_600_000
"""A consumer with nothing pending, silent this long, belonged to a process that is gone."""
TIDY_EVERY = 300.0

log = logging.getLogger(__name__)


class Worker:
    def __init__(
        self,
        services: Services,
        *,
        name: str | None = None,
        lease_ms: int | None = None,
        block_ms: int = 2_000,
        wait_limit: float = 60.0,
        poll_interval: float = 2.0,
        retry_base: float = RETRY_BASE,
    ) -> None:
        self._services = services
        self._approvals = services.approvals
        self._jobs = services.store.jobs
        self.name = name or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._leases = services.store.leases(lease_ms or int(services.settings.fix_lease * 1000))
        self._journals = services.store.journals
        self._block_ms = block_ms
        self._wait_limit = wait_limit
        self._poll_interval = poll_interval
        self._retry_base = retry_base
        self._tidied = 0.0
        self._scanner = ScanRunner(services, self._leases, self.name)
        self._bulk = BulkRunner(services, self._leases, self.name)
        self._triage = Triage(services, self.name, idle_ms=self._leases.ttl_ms)
        self._long: dict[str, asyncio.Task[None]] = {}
        """Scans and bulk fixes this worker runs beside its fixes: they take minutes (a bulk
        fix waits for its users' runs, which this very worker may be the one to run)."""

    async def run(self, stop: asyncio.Event) -> None:
        """Run jobs and triage until `stop`. Triage reads its own stream in its own loop (an
        event is looked at as it arrives, not when the jobs stream's blocking read next times
        out). If that loop dies, it stops everything (`stop`) and the worker raises: the
        process ends loudly and its supervisor starts it again, instead of answering
        /healthz with no triage behind it."""
        log.info("worker %s started", self.name)
        triage = asyncio.create_task(self._triage.run(stop))
        triage.add_done_callback(lambda task: _stop_on_failure(task, stop))
        try:
            while not stop.is_set():
                try:
                    await self.work_once(triage=False)
                except RedisError:
                    log.warning("worker cannot reach Redis; retrying in a second")
                    await _pause(stop, 1)
                except Exception:  # a bug in one job must not stop the others; it is retried
                    log.exception("worker job failed; it stays pending and will be retried")
                    await _pause(stop, 5)
        finally:
            triage.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await triage
            for task in self._long.values():
                task.cancel()  # its lease is released; another worker resumes where it was
            await asyncio.gather(*self._long.values(), return_exceptions=True)
            with contextlib.suppress(RedisError):
                await self._leave()

    async def drain(self) -> None:
        """Wait for the scans and bulk fixes this worker has started (tests; a stopping
        worker cancels them)."""
        await asyncio.gather(*self._long.values())

    async def work_once(self, *, triage: bool = True) -> int:
        """Run what is due: Okta's events to triage, runs whose worker died, stalled runs due
        again, then new ones. Returns how many jobs and events it looked at."""
        await self._jobs.ensure_group()
        await self._tidy()
        await expire_due(self._services)
        await self._approvals.promote_retries()
        triaged = await self._triage.work_once() if triage else 0
        # Taken over only once idle for a lease: by then a live worker would have renewed it.
        jobs = await self._jobs.take_over(self.name, self._leases.ttl_ms)
        if not jobs:
            jobs = await self._jobs.read_new(self.name, self._block_ms)
        for job in jobs:
            if job.scan_id:
                self._start_long(
                    job.entry, f"scan:{job.scan_id}", self._scanner.run_job, job.scan_id
                )
            elif job.bulk_id:
                self._start_long(job.entry, f"bulk:{job.bulk_id}", self._bulk.run_job, job.bulk_id)
            else:
                await self.run_job(job.entry, job.approval_id)
        return len(jobs) + triaged

    def _start_long(
        self, entry_id: str, kind: str, run: Callable[[str], Awaitable[bool]], ref: str
    ) -> None:
        key = f"{kind} {ref}"
        if key in self._long:
            return  # already running here (Redis handed its idle entry back to us)

        async def go() -> None:
            try:
                if await run(ref):
                    await self._jobs.ack(entry_id)
            except RedisError:
                log.warning("%s lost Redis; it resumes from where it was saved", key)
            except Exception:
                log.exception("%s failed; it resumes from where it was saved", key)
            finally:
                self._long.pop(key, None)

        self._long[key] = asyncio.create_task(go())

    async def _tidy(self) -> None:
        """Forget the consumers of processes that are gone (their jobs were claimed again)."""
        if time.monotonic() - self._tidied < TIDY_EVERY and self._tidied:
            return
        self._tidied = time.monotonic()
        for consumer in await self._jobs.consumers():
            gone = not consumer.pending and consumer.idle_ms > DEAD_CONSUMER_MS
            if consumer.name != self.name and gone:
                await self._jobs.forget(consumer.name)

    async def _leave(self) -> None:
        for consumer in await self._jobs.consumers():
            if consumer.name == self.name and not consumer.pending:
                await self._jobs.forget(self.name)

    async def run_job(self, entry_id: str, approval_id: str) -> bool:
        """Run one job if its run is free; False leaves it to whoever holds the run."""
        approval = await self._approvals.get(approval_id)
        if approval is None or approval.state not in (
            State.APPROVED,
            State.RUNNING,
            State.STALLED,
        ):
            await self._jobs.ack(entry_id)
            return True
        lease = await self._leases.acquire(approval_id, approval.plan.scopes(), self.name)
        if lease is None:
            return False
        async with self._leases.holding(lease):
            try:
                await self._run(approval, lease, entry_id)
            except LeaseLost:
                log.warning("run %s was taken over by another worker; stopped", approval_id)
        return True

    async def _run(self, approval: Approval, lease: Lease, entry_id: str) -> None:
        if approval.state is not State.RUNNING:
            approval = await self._move(approval, START, lease)
            if approval.stalls == 0:
                await show(self._services, approval)
                await self._services.audit.record("running", approval, actor=self.name)
        journal = self._journals.of(approval.id, lease)
        if not await journal.entries():
            drift = await self._drift(approval)
            if drift:
                await self._end(
                    approval, lease, entry_id, FAIL, Outcome(False, f"Not run: {drift}", ())
                )
                return
        outcome = await execute(
            self._services.okta,
            approval.plan,
            journal,
            wait_limit=self._wait_limit,
            poll_interval=self._poll_interval,
        )
        await self._services.store.forget_facts()
        if outcome.stalled:
            entries = await journal.entries()
            done = [
                s.summary
                for i, s in enumerate(approval.plan.steps)
                if i in entries and entries[i].phase == "done"
            ]
            await self._stall(approval, lease, entry_id, outcome, done)
            return
        ended = await self._end(approval, lease, entry_id, FINISH if outcome.ok else FAIL, outcome)
        await self._verify(ended)

    async def _move(
        self, approval: Approval, move: Move, lease: Lease, entry: str = "", **fields: Any
    ) -> Approval:
        moved = await self._approvals.move(
            approval.id, move, lease=lease.fence, entry=entry, **fields
        )
        if moved.fenced:
            raise LeaseLost("another worker took this run over")
        if not moved.moved or moved.approval is None:
            raise LeaseLost(f"the request is {moved.found} now, not {move.to}")
        return moved.approval

    async def _end(
        self, approval: Approval, lease: Lease, entry: str, move: Move, outcome: Outcome
    ) -> Approval:
        result = outcome.error or ""
        ended = await self._move(approval, move, lease, entry, result=result)
        await show(self._services, ended)
        event = "done" if move is FINISH else "failed"
        await self._services.audit.record(
            event, ended, actor=self.name, result=result, request_ids=outcome.request_ids
        )
        if approval.alert_ts:  # the alert said the user was unassigned: say it is over
            await self._update(ended, approval.alert_ts, stall_resolved(ended))
        return ended

    async def _stall(
        self, approval: Approval, lease: Lease, entry: str, outcome: Outcome, done: list[str]
    ) -> None:
        stalls = approval.stalls + 1
        delay = min(RETRY_CAP, self._retry_base * 2 ** (stalls - 1))
        stalled = await self._move(
            approval,
            STALL,
            lease,
            entry,
            retry_at=self._services.clock().timestamp() + delay,
            result=outcome.stalled or "",
            stalls=stalls,
        )
        log.error("fix %s stalled (try %d): %s", approval.id, stalls, outcome.stalled)
        await show(self._services, stalled)
        await self._services.audit.record(
            "stalled",
            stalled,
            actor=self.name,
            result=outcome.stalled or "",
            request_ids=outcome.request_ids,
            announce=stalls == 1,
        )
        alert = stalled_alert(stalled, done, delay)
        if stalled.alert_ts:
            await self._update(stalled, stalled.alert_ts, alert)
        else:
            posted = await self._say(stalled, alert)
            if posted:
                await self._approvals.note(stalled, alert_ts=posted)

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

    async def _verify(self, approval: Approval) -> None:
        if approval.bulk:  # the bulk fix verifies its canary and reports the rest in one place
            return
        plan = approval.plan
        try:
            report = await diagnose(self._facts(plan))
        except AttrsyncError as exc:
            await self._say(approval, notice(f"Could not re-check: {escape(exc)}"))
            return
        finding = next((f for f in report.findings if f.check == plan.check), None)
        remaining = [
            f for f in report.findings if f.status is Status.PROBLEM and f.check != plan.check
        ]
        await self._say(approval, verification(plan.check, finding, remaining))

    async def _say(self, approval: Approval, message: Message) -> str | None:
        try:
            posted = await self._services.slack.chat_postMessage(
                channel=approval.channel, thread_ts=approval.thread_ts, **message.payload()
            )
        except SLACK_FAILURES as exc:
            log.warning("could not post in the thread: %s", slack_error(exc))
            return None
        return str(posted.get("ts") or "") or None

    async def _update(self, approval: Approval, ts: str, message: Message) -> None:
        try:
            await self._services.slack.chat_update(
                channel=approval.channel, ts=ts, **message.payload()
            )
        except SLACK_FAILURES as exc:
            log.warning("could not update the alert: %s", slack_error(exc))


def _stop_on_failure(task: asyncio.Task[None], stop: asyncio.Event) -> None:
    if not task.cancelled() and task.exception() is not None:
        stop.set()


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
