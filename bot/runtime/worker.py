"""`attrsync worker`: runs every kind of job from a Redis stream, and triage beside them.

Jobs (a fix, a scan, a bulk fix) are queued on a stream read by a consumer group, so several
processes share the work; each kind's runner is its feature's (`fixes/runner.py`,
`scan/runner.py`, `bulk/runner.py`). A job whose worker died is taken over once idle for a
lease: by then a live worker would have renewed it.
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

from redis.exceptions import RedisError

from bot.bulk.runner import BulkRunner
from bot.fixes.requests import expire_due
from bot.fixes.runner import STALL_RETRY, FixRunner
from bot.scan.runner import ScanRunner
from bot.services import Services
from bot.store.jobs import Job
from bot.watch.triage import Triage
from bot.workflow.bulk import BULK
from bot.workflow.scans import SCAN
from checks.retry import Backoff

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
        stall_retry: Backoff = STALL_RETRY,
    ) -> None:
        self._services = services
        self._approvals = services.approvals
        self._jobs = services.store.jobs
        self.name = name or f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self._leases = services.store.leases(lease_ms or int(services.settings.fix_lease * 1000))
        self._block_ms = block_ms
        self._tidied = 0.0
        self._fixes = FixRunner(
            services,
            self._leases,
            self.name,
            wait_limit=wait_limit,
            poll_interval=poll_interval,
            stall_retry=stall_retry,
        )
        self._scanner = ScanRunner(services, self._leases, self.name)
        self._bulk = BulkRunner(services, self._leases, self.name)
        self._long_runs = {SCAN.kind: self._scanner.run_job, BULK.kind: self._bulk.run_job}
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
            run = self._long_runs.get(job.kind)
            if run is not None:
                self._start_long(job, run)
            else:  # a fix, or an entry trimmed from the stream that names nothing
                await self.run_job(job.entry, job.ref)
        return len(jobs) + triaged

    def _start_long(self, job: Job, run: Callable[[str], Awaitable[bool]]) -> None:
        key = f"{job.kind} {job.ref}"
        if key in self._long:
            return  # already running here (Redis handed its idle entry back to us)

        async def go() -> None:
            try:
                if await run(job.ref):
                    await self._jobs.ack(job.entry)
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
        """Run one fix job if its run is free; False leaves it to whoever holds the run."""
        return await self._fixes.run_job(entry_id, approval_id)


def _stop_on_failure(task: asyncio.Task[None], stop: asyncio.Event) -> None:
    if not task.cancelled() and task.exception() is not None:
        stop.set()


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
