"""Running one approved fix, at most once, crash-safe.

Whoever runs a fix holds its lease (`store/runs.py`) and renews it while Okta answers, however
slowly; a job is taken over only once its lease has expired, that is once its worker is dead
or cut off, and then it resumes from the run's write-ahead journal. A step that must finish
(giving an assignment back) and keeps failing stalls the run: it is scheduled again with
backoff, and the thread, the audit channel and App Home say so until it is done.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.fixes.render import stall_resolved, stalled_alert, verification
from bot.fixes.requests import show
from bot.services import Services
from bot.slackkit.blockkit import Message, escape, notice
from bot.slackkit.posting import Failed, sent
from bot.store.approvals import Approval
from bot.store.runs import Lease, Leases, Ran
from bot.workflow.fixes import FAIL, FINISH, STALL, START, State
from bot.workflow.machine import Move
from checks.diagnose import diagnose
from checks.errors import AttrsyncError
from checks.facts import Facts
from checks.model import Status
from checks.remediation.execute import LeaseLost, Outcome, execute
from checks.remediation.model import Plan
from checks.remediation.registry import plan_fix
from checks.retry import Backoff

STALL_RETRY = Backoff(initial=30.0, factor=2.0, cap=900.0, attempts=1)
"""The pause before a stalled run is tried again, by how many times it stalled. A run that
must finish is never given up (a user may be unassigned): only `pause` is used."""

log = logging.getLogger(__name__)


class FixRunner:
    """Runs the fix jobs of the worker named `name`."""

    def __init__(
        self,
        services: Services,
        leases: Leases,
        name: str,
        *,
        wait_limit: float,
        poll_interval: float,
        stall_retry: Backoff = STALL_RETRY,
    ) -> None:
        self._services = services
        self._approvals = services.approvals
        self._jobs = services.store.jobs
        self._leases = leases
        self._journals = services.store.journals
        self.name = name
        self._wait_limit = wait_limit
        self._poll_interval = poll_interval
        self._stall_retry = stall_retry

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

        async def work(lease: Lease) -> None:
            await self._run(approval, lease, entry_id)

        scopes = approval.plan.scopes()
        ran = await self._leases.run(
            approval_id, scopes, self.name, work, what=f"run {approval_id}"
        )
        return ran is not Ran.BUSY  # a lost run's job is the new holder's to acknowledge

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
        self, approval: Approval, move: Move[State], lease: Lease, entry: str = "", **fields: Any
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
        self, approval: Approval, lease: Lease, entry: str, move: Move[State], outcome: Outcome
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
        delay = self._stall_retry.pause(stalls)
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
            async with self._facts(plan) as facts:
                now_planned = await plan_fix(plan.fix, facts)
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
        posted = await sent(
            self._services.slack.chat_postMessage(
                channel=approval.channel, thread_ts=approval.thread_ts, **message.payload()
            ),
            log,
            "could not post in the thread",
        )
        if isinstance(posted, Failed):
            return None
        return str(posted.get("ts") or "") or None

    async def _update(self, approval: Approval, ts: str, message: Message) -> None:
        update = self._services.slack.chat_update(
            channel=approval.channel, ts=ts, **message.payload()
        )
        await sent(update, log, "could not update the alert")
