"""A bulk fix's job in the worker, under the bulk's lease: each user in turn becomes a fix run
of its own (planned from Okta as it is now, approved by the bulk's approver, run by the
workers like any fix: exactly once, never leaving anyone unassigned), and the next user starts
only when that run has ended. The canary is verified by a fresh diagnosis before the bulk
waits for its second approval; the rest stop at the first failure, or at Stop.

A user's run is named in the bulk's record before it is approved, and a user's outcome is
counted once, fenced by the lease: a worker that dies anywhere in between is followed by one
that waits for the same run instead of starting another.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from bot import csvfile
from bot.bulk.requests import show_bulk
from bot.services import Services
from bot.slackkit.posting import sent
from bot.store.approvals import Approval
from bot.store.bulk import BulkRecord, Target, UserDone
from bot.store.runs import Lease, Leases, Ran
from bot.workflow.bulk import FAIL, FINISH, STOP, VERIFIED, BulkState
from bot.workflow.fixes import APPROVE, FINAL, State
from bot.workflow.machine import Move
from checks.diagnose import diagnose
from checks.errors import AttrsyncError
from checks.facts import Facts
from checks.model import Status
from checks.rate_budget import background
from checks.remediation.execute import LeaseLost
from checks.remediation.model import NotAutomatable, NothingToDo
from checks.remediation.registry import plan_fix

POLL = 0.25
"""Seconds between looks at a user's run while it is in the workers' hands."""
OUTCOME_HEADER = ("login", "user_id", "outcome", "detail")

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class UserOutcome:
    kind: str
    """ok, skipped or failed (the record's counters)."""
    said: str
    """fixed, already fine, skipped or failed, for the CSV."""
    detail: str = ""


class BulkRunner:
    def __init__(self, services: Services, leases: Leases, worker: str) -> None:
        self._services = services
        self._bulks = services.store.bulks
        self._leases = leases
        self._worker = worker

    async def run_job(self, bulk_id: str) -> bool:
        record = await self._bulks.get(bulk_id)
        if record is None or record.state not in (BulkState.CANARY, BulkState.RUNNING):
            return True

        async def work(lease: Lease) -> None:
            with background():
                await self._run(record, lease)

        scope = f"bulk:{bulk_id}"
        ran = await self._leases.run(scope, [scope], self._worker, work, what=f"bulk fix {bulk_id}")
        return ran is Ran.DONE

    async def _run(self, record: BulkRecord, lease: Lease) -> None:
        targets = await self._bulks.targets(record.id)
        if record.state is BulkState.CANARY:
            outcome = await self._user(record, lease, 0, targets[0], verify=True)
            stopped = (await self._bulks.get(record.id) or record).stop_by
            if outcome.kind != "ok":
                await self._end(record, lease, FAIL, outcome.detail)
            elif stopped:
                await self._end(record, lease, STOP, "")
            else:
                await self._move(record, lease, VERIFIED, "verified")
            return
        for index in range(record.done, len(targets)):
            current = await self._bulks.get(record.id) or record
            if current.stop_by:
                await self._end(record, lease, STOP, "")
                return
            outcome = await self._user(current, lease, index, targets[index], verify=False)
            await self._show(await self._bulks.get(record.id) or record)
            if outcome.kind == "failed":
                detail = f"{targets[index].login}: {outcome.detail}"
                await self._end(record, lease, FAIL, detail)
                return
        await self._end(record, lease, FINISH, "")

    async def _user(
        self, record: BulkRecord, lease: Lease, index: int, target: Target, *, verify: bool
    ) -> UserOutcome:
        """Fix the index-th user (or wait for the run already made for them) and count it."""
        fresh = await self._bulks.get(record.id) or record
        if fresh.done > index:  # counted before a crash: read back what it was
            return _recorded((await self._bulks.outcomes(record.id))[index])
        approval_id = fresh.approval_for(index)
        if approval_id is None:
            planned = await self._start_run(fresh, index, target)
            if isinstance(planned, UserOutcome):
                return await self._count(record, lease, index, target, planned)
            approval_id = planned
        approval = await self._finished(approval_id, lease)
        outcome = await self._judge(approval, target, verify=verify)
        return await self._count(record, lease, index, target, outcome)

    async def _start_run(self, record: BulkRecord, index: int, target: Target) -> str | UserOutcome:
        services = self._services
        facts = Facts(services.okta, target.user_id, record.app_id, now=services.clock())
        try:
            async with facts:
                plan = await plan_fix(record.fix_id, facts)
        except NothingToDo as exc:
            return UserOutcome("ok", "already fine", str(exc))
        except NotAutomatable as exc:
            return UserOutcome("skipped", "skipped", str(exc))
        except AttrsyncError as exc:
            return UserOutcome("failed", "failed", f"could not plan the fix: {exc}")
        created = await services.approvals.create(
            plan,
            offer_id=f"bulk:{record.id}:{index}",
            requester=record.requester,
            channel=record.channel,
            thread_ts=record.thread_ts,
            bulk=record.id,
        )
        approval_id = await self._bulks.claim_approval(record.id, index, created.approval_id)
        approver = (record.approver if index == 0 else record.confirmer) or "attrsync"
        moved = await services.approvals.move(approval_id, APPROVE, approver=approver)
        if moved.moved and moved.approval is not None:
            await services.audit.record("requested", moved.approval, actor=record.requester)
            await services.audit.record("approved", moved.approval, actor=approver)
        return approval_id

    async def _finished(self, approval_id: str, lease: Lease) -> Approval:
        """The user's run once it has ended (a stalled run is retried by the workers: the
        bulk waits, it never moves on while a user may be unassigned)."""
        while True:
            if lease.lost:
                raise LeaseLost("the bulk's lease lapsed")
            approval = await self._services.approvals.get(approval_id)
            if approval is None:
                raise AttrsyncError(f"the run {approval_id} vanished from Redis")
            if approval.state in FINAL:
                return approval
            await asyncio.sleep(POLL)

    async def _judge(self, approval: Approval, target: Target, *, verify: bool) -> UserOutcome:
        if approval.state is not State.DONE:
            return UserOutcome("failed", "failed", approval.result or approval.state.value.lower())
        if not verify:
            return UserOutcome("ok", "fixed")
        plan = approval.plan
        services = self._services
        try:
            report = await diagnose(
                Facts(services.okta, plan.user_id, plan.app_id, now=services.clock())
            )
        except AttrsyncError as exc:
            return UserOutcome("failed", "failed", f"fixed, but could not be verified: {exc}")
        finding = next((f for f in report.findings if f.check == plan.check), None)
        if finding is None or finding.status is not Status.OK:
            title = finding.title if finding else "no finding"
            return UserOutcome("failed", "failed", f"fixed, but not verified: {title}")
        return UserOutcome("ok", "fixed and verified")

    async def _count(
        self, record: BulkRecord, lease: Lease, index: int, target: Target, outcome: UserOutcome
    ) -> UserOutcome:
        done = UserDone(target.login, target.user_id, outcome.said, outcome.detail)
        if not await self._bulks.record(record.id, lease.fence, index, done, outcome.kind):
            raise LeaseLost("the bulk's lease lapsed")
        return outcome

    async def _move(
        self, record: BulkRecord, lease: Lease, move: Move[BulkState], event: str
    ) -> BulkRecord:
        said = await self._bulks.move(record.id, move, lease=lease.fence)
        if said == "fenced":
            raise LeaseLost("the bulk's lease lapsed")
        moved = await self._bulks.get(record.id) or record
        await self._services.audit.record_bulk(event, moved, actor=self._worker)
        await self._show(moved)
        return moved

    async def _end(
        self, record: BulkRecord, lease: Lease, move: Move[BulkState], result: str
    ) -> None:
        said = await self._bulks.move(record.id, move, lease=lease.fence, fields={"result": result})
        if said == "fenced":
            raise LeaseLost("the bulk's lease lapsed")
        ended = await self._bulks.get(record.id) or record
        await self._services.audit.record_bulk(
            move.to.value.lower(), ended, actor=self._worker, result=result
        )
        await self._show(ended)
        await self._upload(ended)

    async def _show(self, record: BulkRecord) -> None:
        await sent(
            show_bulk(self._services, record), log, "could not update the bulk fix's message"
        )

    async def _upload(self, record: BulkRecord) -> None:
        rows = [
            csvfile.record((done.login, done.user_id, done.said, done.detail))
            for done in await self._bulks.outcomes(record.id)
        ]
        counts = f"{record.ok} fixed, {record.skipped} skipped, {record.failed} failed."
        upload = self._services.slack.files_upload_v2(
            channel=record.channel,
            thread_ts=record.thread_ts,
            content=csvfile.document(OUTCOME_HEADER, rows),
            filename=f"attrsync-bulk-{record.fix_id}-{record.id}.csv",
            title=f"Bulk fix in {record.app_label}: what happened to each user",
            initial_comment=counts,
        )
        await sent(upload, log, "could not attach the bulk fix's CSV")


def _recorded(done: UserDone) -> UserOutcome:
    kind = {"skipped": "skipped", "failed": "failed"}.get(done.said, "ok")
    return UserOutcome(kind, done.said, done.detail)
