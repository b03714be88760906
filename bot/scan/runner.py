"""A scan's job in the worker: page by page under the scan's lease, saving the cursor, the
tally and the affected users' rows after every page, so that a worker killed (or a Redis
restarted) mid-scan is followed by one that resumes where the last saved page ended.

The progress message in the channel is updated at most every PROGRESS_EVERY seconds; at the
end it becomes the summary, and the CSV of affected users goes into its thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from bot.scan import render
from bot.scan.report import csv_document, csv_rows
from bot.services import Services
from bot.slackkit.blockkit import Message
from bot.slackkit.posting import sent
from bot.store.runs import Lease, Leases, Ran
from bot.store.scans import ScanRecord
from bot.workflow.scans import ScanState
from checks.errors import AttrsyncError
from checks.rate_budget import background
from checks.remediation.execute import LeaseLost
from checks.scan import AppScan, Page, ScanResult, scan_app
from checks.scan_tally import Tally

PROGRESS_EVERY = 3.0

log = logging.getLogger(__name__)


class ScanRunner:
    def __init__(self, services: Services, leases: Leases, worker: str) -> None:
        self._services = services
        self._scans = services.store.scans
        self._leases = leases
        self._worker = worker

    async def run_job(self, scan_id: str) -> bool:
        """Run (or resume) the scan; False leaves it to the worker holding its lease. True
        once there is nothing more to do for it (its job can be acknowledged)."""
        record = await self._scans.get(scan_id)
        if record is None:
            return True
        if record.state.ended:
            if not record.reported:  # the worker died between the end and the summary
                await self._report(record, await self._reopened(record))
            return True

        async def work(lease: Lease) -> None:
            await self._scan(record, lease)

        scopes = [f"scan:{record.app_id}"]
        ran = await self._leases.run(scan_id, scopes, self._worker, work, what=f"scan {scan_id}")
        return ran is Ran.DONE

    async def _scan(self, record: ScanRecord, lease: Lease) -> None:
        services = self._services
        with background():
            try:
                app_scan = await AppScan.open(
                    services.okta,
                    record.app_id,
                    now=services.clock(),
                    page_size=services.settings.scan_page_size,
                    cursor=record.cursor,
                    pages=record.stop_by is None,  # stopped before it began: no page is read
                )
            except AttrsyncError as exc:
                await self._scans.end(record, lease.fence, ScanState.FAILED, unread=str(exc))
                await self._update(record, render.failed(record.app_label, str(exc)))
                await self._scans.mark_reported(record.id)
                return
            shown = _Throttle(PROGRESS_EVERY, lambda: services.clock().timestamp())
            expected = await self._scans.last_size(record.app_id)

            async def on_page(page: Page, tally: Tally) -> None:
                saved = await self._scans.save_page(
                    record.id,
                    lease.fence,
                    cursor=page.next_url,
                    tally=tally,
                    log_complete=app_scan.log_complete,
                    affected=[o for o in page.outcomes if o.check is not None],
                )
                if not saved:
                    raise LeaseLost("another worker holds this scan now")
                if shown.due():
                    await self._show_progress(record, tally, expected)

            async def stopped() -> bool:
                now = await self._scans.get(record.id)
                return now is None or now.stop_by is not None

            result = await scan_app(
                app_scan,
                cursor=record.cursor,
                tally=record.tally,
                on_page=on_page,
                stopped=stopped,
            )
        ending = await self._scans.get(record.id) or record
        state = (
            ScanState.DONE
            if result.complete
            else ScanState.STOPPED
            if ending.stop_by
            else ScanState.INCOMPLETE
        )
        if not await self._scans.end(
            record, lease.fence, state, tally=result.tally, unread=result.unread
        ):
            raise LeaseLost("another worker holds this scan now")
        await self._report(record, result)

    async def _show_progress(self, record: ScanRecord, tally: Tally, expected: int | None) -> None:
        usage = await self._services.budget.usage("apps")
        budget = (
            f"Okta apps bucket: {usage[0]} of attrsync's {usage[1]} this minute" if usage else None
        )
        elapsed = self._services.clock().timestamp() - record.started
        shown = render.Progress(record.app_label, tally, elapsed, expected, budget)
        await self._update(record, render.progress(record.id, shown))

    async def _reopened(self, record: ScanRecord) -> ScanResult | None:
        """The result of a scan that ended before its summary was posted, from what was saved
        (the app-level checks are read again)."""
        try:
            with background():
                app_scan = await AppScan.open(
                    self._services.okta, record.app_id, now=self._services.clock(), pages=False
                )
                findings = await app_scan.app_findings()
        except AttrsyncError:
            return None
        return ScanResult(app_scan.app, record.tally, findings, record.unread, record.log_complete)

    async def _report(self, record: ScanRecord, result: ScanResult | None) -> None:
        if result is None:
            summary = render.summary(
                record.id,
                record.app_label,
                record.tally,
                (),
                unread=record.unread,
                log_complete=True,
            )
        else:
            summary = render.summary(
                record.id,
                record.app_label,
                result.tally,
                result.app_findings,
                unread=result.unread,
                log_complete=result.log_complete,
            )
        await self._update(record, summary)
        tally = result.tally if result is not None else record.tally
        if tally.affected:
            await self._upload_csv(record)
        await self._scans.mark_reported(record.id)

    async def _upload_csv(self, record: ScanRecord) -> None:
        rows = await self._scans.rows(record.id)
        content = csv_document(csv_rows(rows))
        stamp = datetime.fromtimestamp(record.started, UTC).strftime("%Y%m%d-%H%M")
        upload = self._services.slack.files_upload_v2(
            channel=record.channel,
            thread_ts=record.message_ts,
            content=content,
            filename=f"attrsync-scan-{record.app_id}-{stamp}.csv",
            title=f"Affected users in {record.app_label}",
            initial_comment=f"{len(rows)} affected users, one row each.",
        )
        await sent(upload, log, "could not attach the scan's CSV")

    async def _update(self, record: ScanRecord, message: Message) -> None:
        update = self._services.slack.chat_update(
            channel=record.channel, ts=record.message_ts, **message.payload()
        )
        await sent(update, log, "could not update the scan's message")


class _Throttle:
    """True at most once every `every` seconds (the first time at once)."""

    def __init__(self, every: float, clock: Callable[[], float]) -> None:
        self._every = every
        self._clock = clock
        self._last: float | None = None

    def due(self) -> bool:
        now = self._clock()
        if self._last is not None and now - self._last < self._every:
            return False
        self._last = now
        return True
