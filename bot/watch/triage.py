"""Triage in the worker: Okta's queued events become reports in ATTRSYNC_TRIAGE_CHANNEL.

A failed push is diagnosed at once. A profile change is looked at again after
ATTRSYNC_WATCH_GRACE: for each app the user is assigned to, did it arrive? A report goes out
when the diagnosis names a cause, once per (user, app, cause) until that is resolved; a later
successful push for the same user and app marks the report "resolved by itself". When more than
BURST_LIMIT users of one app fail for one cause within BURST_WINDOW (a bulk HR import, broken
credentials), one message for the app and cause stands for the rest, with their count and a
Scan button, instead of a flood.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable

from redis.exceptions import RedisError

from bot.reports.answers import Asked, post_report
from bot.services import Services
from bot.slackkit.ids import TRIAGE_METADATA
from bot.slackkit.posting import Failed, sent
from bot.store.triage import Delivered, Post
from bot.watch import render
from bot.watch.triggers import (
    PROFILE_UPDATE,
    PUSH,
    AppFailed,
    FailedPush,
    Ignored,
    ProfileChanged,
    Pushed,
    trigger_of,
)
from bot.watch.warm import Warmth
from checks.concerns import bulk_concerned, concerns
from checks.diagnose import diagnose
from checks.errors import AttrsyncError
from checks.facts import Facts
from checks.model import App, Question, Report
from checks.rate_budget import background
from checks.scan import AppScan, Page, SystemLog, read_log, scan_app
from checks.scan_tally import Outcome, Tally

BURST_LIMIT = 5
BURST_WINDOW = 600.0
BATCH = 100
APPS_PER_USER = 50
"""The apps a changed user is checked in, at most (those they are assigned to)."""
SUMMARY_EVERY = 5.0
"""Seconds between two updates of a burst's message."""
BULK = 20
"""More changes than this due at once are looked at by scanning the apps, not user by user."""
DUE_AT_ONCE = 10_000
COMING = 30.0
"""Changes falling due this close together are triaged together: an import Okta logs over a
minute is looked at as one (by scanning its apps), not user by user as its changes come due."""
HOLD = 120.0
"""The longest a due change waits for the ones coming after it."""
PROFILE_CHANGE = "a profile change"
ATTEMPTS = 5
"""Times an event is tried (a report Slack refused is tried again when Redis hands the event
out again, after a lease) before it is given up, with a log line naming its uuid."""
"""The Slack message metadata type of triage's reports: finds a report that may be out already."""
READ_BACK = 200
"""The triage channel's latest messages read back to find a report that may be out."""
NOT_SYNC_FAILURES = frozenset({"user", "app", "assignment", "provisioning"})
"""Causes under which Okta pushes nothing at all: nothing failed to sync."""

log = logging.getLogger(__name__)


class NotPosted(AttrsyncError):
    """A report could not go out (Slack refused, or was not there): its event is tried again."""


class Triage:
    def __init__(self, services: Services, consumer: str, *, idle_ms: int) -> None:
        self._services = services
        self._store = services.store.triage
        self._consumer = consumer
        self._idle_ms = idle_ms
        self._pending: dict[tuple[str, str], tuple[str, int, str]] = {}
        """Burst messages to post or update: (app, cause) -> (channel, count, example)."""
        self._sent: dict[tuple[str, str], float] = {}
        self.warmth = Warmth(services)

    async def run(self, stop: asyncio.Event, block_ms: int = 1_000) -> None:
        """Triage as events arrive (a blocking read wakes at once) until `stop`. Whatever an
        event holds is handled in its own guard; anything else that escapes is a bug that
        ends this loop, and it raises, so that the process stops loudly (its supervisor starts
        it again) rather than answering /healthz with no triage behind it."""
        if self._services.settings.triage_channel is None:
            return
        warming = asyncio.create_task(self.warmth.run(stop))
        try:
            await self._triage_until(stop, block_ms)
        finally:
            warming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await warming

    async def _triage_until(self, stop: asyncio.Event, block_ms: int) -> None:
        while not stop.is_set():
            try:
                await self.work_once(block_ms)
            except RedisError:
                log.warning("triage cannot reach Redis; the queued events wait")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1)
            except Exception:
                log.critical("triage stopped on an internal error; the process stops with it")
                raise

    async def work_once(self, block_ms: int | None = None) -> int:
        """Triage the events queued since the last time (waiting up to `block_ms` for one),
        and the changes now due; how many events it looked at. Off without
        ATTRSYNC_TRIAGE_CHANNEL."""
        channel = self._services.settings.triage_channel
        if channel is None:
            return 0
        await self._store.ensure_group()
        delivered = await self._store.read(self._consumer, BATCH, self._idle_ms, block_ms)
        done: list[str] = []
        for item in delivered:
            if await self._handled(channel, item):
                done.append(item.entry)
        users = await self._store.due(self._now(), DUE_AT_ONCE, coming=COMING, hold=HOLD)
        if len(users) > BULK:
            await self._guarded(self._changed_many(channel, set(users)), "a bulk change")
        else:
            for user_id in users:
                await self._guarded(self._changed(channel, user_id), "a profile change")
        await self._guarded(self._flush(), "a burst's message")
        # Acknowledged once their burst messages are out: a worker that dies before counts
        # them again when the events are handed out again.
        await self._store.ack(done)
        return len(delivered)

    async def _handled(self, channel: str, item: Delivered) -> bool:
        """Triage one event; whether it is done with (False: it is tried again)."""
        uuid = str(item.event.get("uuid", "?"))[:64] if item.event is not None else "?"
        try:
            result = await self._handle(channel, item)
        except RedisError:
            raise  # the event stays pending, and is taken again
        except NotPosted:
            if item.attempts < ATTEMPTS:
                return False
            log.error("triage gave up event %r after %d attempts to post", uuid, item.attempts)
            result = "failed"
        except Exception:  # one event a bug chokes on must not hold up the others
            log.exception("triage failed on event %r; it is dropped", uuid)
            result = "failed"
        self._count(result)
        if result == "unusable":
            log.warning("triage cannot use event %r (%s)", uuid, _why_unusable(item))
        return True

    def _count(self, result: str) -> None:
        org = self._services.okta.org_url
        self._services.metrics.okta_events.labels(org=org, result=result).inc()

    async def _guarded(self, work: Awaitable[None], what: str) -> None:
        try:
            await work
        except RedisError:
            raise
        except Exception:
            log.exception("triage failed on %s; it is dropped", what)
            self._count("failed")

    async def _handle(self, channel: str, item: Delivered) -> str:
        """Triage one event; how it is counted."""
        if item.event is None:
            return "unusable"
        trigger = trigger_of(item.event)
        if isinstance(trigger, Ignored):
            return trigger.result
        if not isinstance(trigger, ProfileChanged):
            await self.warmth.noted(trigger.app_id, diagnosed=isinstance(trigger, FailedPush))
        if isinstance(trigger, FailedPush):
            owner = item.entry
            await self._triage(channel, trigger.user_id, trigger.app_id, trigger.what, owner)
        elif isinstance(trigger, Pushed):
            await self._resolved(trigger.user_id, trigger.app_id)
        elif isinstance(trigger, AppFailed):
            await self._app_failure(channel, trigger)
        else:
            # The grace runs from the change (a replayed or late event may be due at once).
            at = trigger.published.timestamp() if trigger.published else self._now()
            grace = self._services.settings.watch_grace
            await self._store.follow_up(trigger.user_id, at + grace, trigger.attributes)
        return "triaged"

    async def _changed(self, channel: str, user_id: str) -> None:
        """A profile change's grace is over: look at every app the user is assigned to."""
        try:
            with background():
                apps = await self._services.okta.get_all(
                    "/api/v1/apps",
                    {"filter": f'user.id eq "{user_id}"', "limit": APPS_PER_USER},
                    max_items=APPS_PER_USER,
                )
        except AttrsyncError as exc:
            log.warning("triage: the apps of %s could not be read: %s", user_id, exc)
            return
        if len(apps) >= APPS_PER_USER:
            log.warning(
                "triage: %s has %d apps or more; only the first %d are looked at",
                user_id,
                APPS_PER_USER,
                APPS_PER_USER,
            )
        changed = await self._store.changed(user_id)
        owner = f"due:{user_id}"
        try:
            for app in apps:
                if isinstance(app, dict) and isinstance(app.get("id"), str):
                    async with self._facts(user_id, app["id"]) as facts:
                        with background():
                            concerned = await concerns(facts, changed)
                        if concerned:
                            await self._triage(
                                channel, user_id, app["id"], PROFILE_CHANGE, owner, facts
                            )
        except NotPosted:
            # Looked at again in a minute (the apps reported already are not posted twice).
            await self._store.follow_up(user_id, self._now() + 60, changed)

    async def _changed_many(self, channel: str, users: set[str]) -> None:
        """Many changes due at once (a bulk import): rather than each user's apps and a
        diagnosis per user and app, scan each provisioned app once, in pages, and look at
        the changed users among them. Okta's requests grow with the apps and their pages."""
        try:
            with background():
                listed = await self._services.okta.get_all(
                    "/api/v1/apps", {"filter": 'status eq "ACTIVE"', "limit": 200}
                )
        except AttrsyncError as exc:
            log.warning("triage: the apps could not be listed: %s", exc)
            return
        await self._store.forget_changed(users)  # every app is looked at, whatever changed
        try:
            with background():
                # One System Log read for all the apps: their pushes and the changes.
                events = await read_log(
                    self._services.okta,
                    self._services.clock(),
                    f'eventType eq "{PUSH}" or eventType eq "{PROFILE_UPDATE}"',
                )
        except AttrsyncError as exc:
            log.warning("triage: the System Log could not be read: %s", exc)
            return
        for app in bulk_concerned(listed):
            await self._scan_for(channel, app, users, events)

    async def _scan_for(self, channel: str, app: App, users: set[str], events: SystemLog) -> None:
        services = self._services
        found: list[Outcome] = []

        async def keep(page: Page, tally: Tally) -> None:
            found.extend(o for o in page.outcomes if o.user_id in users and o.check)

        try:
            with background():
                scan = await AppScan.open(
                    services.okta,
                    app.id,
                    now=services.clock(),
                    page_size=services.settings.scan_page_size,
                    log=events,
                )
                await scan_app(scan, on_page=keep)
        except AttrsyncError as exc:
            log.warning("triage: %s could not be scanned: %s", app.label, exc)
            return
        for outcome in found:
            if outcome.check is not None:
                with contextlib.suppress(NotPosted):  # logged; a scan's next import says it
                    await self._report(
                        channel,
                        outcome.user_id,
                        app.id,
                        outcome.check,
                        PROFILE_CHANGE,
                        f"due:{outcome.user_id}",
                        outcome.summary,
                    )

    async def _triage(
        self,
        channel: str,
        user_id: str,
        app_id: str,
        why: str,
        owner: str,
        facts: Facts | None = None,
    ) -> None:
        report = await self._diagnosed(user_id, app_id, facts)
        if report is not None and report.verdict.check is not None:
            cause, summary = report.verdict.check, report.verdict.summary
            await self._report(channel, user_id, app_id, cause, why, owner, summary, report)

    def _facts(self, user_id: str, app_id: str) -> Facts:
        services = self._services
        return Facts(
            services.okta, user_id, app_id, now=services.clock(), cache=services.store.facts
        )

    async def _diagnosed(
        self, user_id: str, app_id: str, facts: Facts | None = None
    ) -> Report | None:
        try:
            with background():
                return await diagnose(facts or self._facts(user_id, app_id))
        except AttrsyncError as exc:
            log.warning("triage of %s in %s could not run: %s", user_id, app_id, exc)
            return None

    async def _report(
        self,
        channel: str,
        user_id: str,
        app_id: str,
        cause: str,
        why: str,
        owner: str,
        summary: str,
        report: Report | None = None,
    ) -> None:
        """Report (user, app, cause) once, or count it in its app's burst: past BURST_LIMIT
        users, no diagnosis is made for the report (a scan's finding is enough to count).
        `owner` is what reports it (the event's stream entry): if it reported it before and
        died on the way, the report may be out already and is read back, not posted twice.
        NotPosted when Slack would not take it (the claim is let go: the next try posts it)."""
        if cause in NOT_SYNC_FAILURES:
            return  # nothing Okta tries to push: not a sync failure
        now = self._now()
        claim = await self._store.claim_post(user_id, app_id, cause, owner, now)
        if claim in ("busy", "done"):
            return  # reported already (or being reported), and not resolved since
        count = await self._store.burst(app_id, cause, now, BURST_WINDOW)
        if claim == "counted" or count >= BURST_LIMIT:
            count = await self._store.burst(app_id, cause, now, BURST_WINDOW, user_id)
            await self._store.counted(user_id, app_id, cause, owner)
            self._pending[(app_id, cause)] = (channel, count, summary)
            return
        key = f"{user_id}:{app_id}:{cause}"
        if claim == "again":
            ts = await self._read_back(channel, key)
            if ts is not None:
                await self._reported(user_id, app_id, cause, owner, Post(channel, ts, summary))
                self._services.metrics.triage_posts.labels(kind="read_back").inc()
                return
        report = report or await self._diagnosed(user_id, app_id)
        if report is None or report.verdict.check != cause:
            # A scan's finding the diagnosis does not confirm (it could not run, or names
            # another cause) is not reported as that cause.
            await self._store.release(user_id, app_id, cause, owner)
            return
        asked = Asked(
            question=Question(user_id, app_id, None),
            text=f"triage of {why}",
            team=None,
            channel=channel,
            requester="",
        )
        metadata = {"event_type": TRIAGE_METADATA, "event_payload": {"key": key}}
        posted = await sent(
            post_report(self._services, asked, report, metadata),
            log,
            "triage could not post its report",
        )
        if isinstance(posted, Failed):
            self._services.metrics.triage_posts.labels(kind="refused").inc()
            await self._store.release(user_id, app_id, cause, owner)
            raise NotPosted from posted.cause
        self._services.metrics.triage_posts.labels(kind="report").inc()
        post = Post(channel, posted.ts, report.verdict.summary)
        await self._reported(user_id, app_id, cause, owner, post)

    async def _reported(
        self, user_id: str, app_id: str, cause: str, owner: str, post: Post
    ) -> None:
        await self._store.posted(user_id, app_id, cause, owner, post)
        await self._store.burst(app_id, cause, self._now(), BURST_WINDOW, user_id)

    async def _read_back(self, channel: str, key: str) -> str | None:
        """The ts of triage's report `key` among the channel's latest messages, if it is out
        (the newest READ_BACK, not "since the claim": Slack's clock is not this one)."""
        found = await sent(
            self._services.slack.conversations_history(
                channel=channel, include_all_metadata=True, limit=READ_BACK
            ),
            log,
            "triage could not read back its channel",
        )
        if isinstance(found, Failed):
            raise NotPosted from found.cause
        for message in found.get("messages") or []:
            meta = message.get("metadata") if isinstance(message, dict) else None
            payload = meta.get("event_payload") if isinstance(meta, dict) else None
            if (
                isinstance(payload, dict)
                and meta is not None
                and meta.get("event_type") == TRIAGE_METADATA
                and payload.get("key") == key
            ):
                return str(message.get("ts") or "") or None
        return None

    async def _flush(self) -> None:
        """Post or update the burst messages counted since, each at most every SUMMARY_EVERY
        (Slack allows about 50 updates of a message a minute, a bulk import is thousands of
        users); one Slack refused stays due for the next pass."""
        now = self._now()
        for key, (channel, count, summary) in list(self._pending.items()):
            if now - self._sent.get(key, -SUMMARY_EVERY) < SUMMARY_EVERY:
                continue  # updated moments ago: the next pass says the new count
            self._sent[key] = now
            if await self._send_summary(channel, *key, count, summary):
                del self._pending[key]

    async def _send_summary(
        self, channel: str, app_id: str, cause: str, count: int, summary: str
    ) -> bool:
        message = render.burst(app_id, await self._label(app_id), cause, summary, count)
        slack = self._services.slack
        known = await self._store.summary(app_id, cause)
        refused = "triage could not post its summary"
        if known is not None:
            updated = slack.chat_update(channel=known.channel, ts=known.ts, **message.payload())
            return not isinstance(await sent(updated, log, refused), Failed)
        new = slack.chat_postMessage(channel=channel, **message.payload())
        posted = await sent(new, log, refused)
        if isinstance(posted, Failed):
            return False
        self._services.metrics.triage_posts.labels(kind="burst").inc()
        post = Post(channel, str(posted["ts"]), summary)
        await self._store.remember_summary(app_id, cause, post, BURST_WINDOW)
        return True

    async def _label(self, app_id: str) -> str:
        """The app's label (its facts are cached), else its id."""
        services = self._services
        facts = Facts.of_app(
            services.okta, app_id, now=services.clock(), cache=services.store.facts
        )
        try:
            with background():
                async with facts:
                    return (await facts.app()).label
        except AttrsyncError:
            return app_id

    async def _app_failure(self, channel: str, failed: AppFailed) -> None:
        """One message per app and cause while its API keeps failing (the burst window)."""
        if await self._store.summary(failed.app_id, failed.cause) is not None:
            return
        message = render.app_failure(failed.cause, failed.app_id, failed.app_label, failed.reason)
        posted = await sent(
            self._services.slack.chat_postMessage(channel=channel, **message.payload()),
            log,
            "triage could not post an app's failure",
        )
        if isinstance(posted, Failed):
            raise NotPosted from posted.cause
        self._services.metrics.triage_posts.labels(kind="app").inc()
        post = Post(channel, str(posted["ts"]), failed.reason)
        await self._store.remember_summary(failed.app_id, failed.cause, post, BURST_WINDOW)

    async def _resolved(self, user_id: str, app_id: str) -> None:
        """A push went through: the reports about this user and app say it resolved itself
        (their fix buttons go; their details stay in the thread)."""
        for post in await self._store.resolve(user_id, app_id):
            if not post.ts:
                continue
            resolved = render.resolved(post.summary).payload()
            updated = self._services.slack.chat_update(channel=post.channel, ts=post.ts, **resolved)
            await sent(updated, log, "triage could not mark a report resolved")

    def _now(self) -> float:
        return self._services.clock().timestamp()


def _why_unusable(item: Delivered) -> str:
    if item.event is None:
        return "not an event"
    trigger = trigger_of(item.event)
    return trigger.why if isinstance(trigger, Ignored) else "?"
