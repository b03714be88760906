"""`/attrsync scan APP` and the Stop button: what a person's request does before the worker
takes the scan over. The answers are one sentence, for the person who asked or clicked."""

from __future__ import annotations

import logging

from redis.exceptions import RedisError

from bot.scan import render
from bot.services import Services
from bot.slackkit.blockkit import Message, escape, link, notice
from bot.slackkit.posting import Failed, sent
from bot.store.scans import ScanRecord
from bot.workflow.scans import ScanState
from checks.errors import AppNotFound, AttrsyncError, OktaError
from checks.facts import Facts
from checks.scan import described

log = logging.getLogger(__name__)


async def request_scan(services: Services, app_query: str, channel: str, requester: str) -> Message:
    """Resolve the app, post the scan's progress message in the channel and queue the scan;
    or say which scan of the app is running already, or why there is nothing to scan."""
    try:
        async with Facts.of_app(
            services.okta, app_query, now=services.clock(), cache=services.store.facts
        ) as facts:
            app = await facts.app()
    except AppNotFound as exc:
        return notice(escape(described(exc)))
    except OktaError as exc:
        return notice(escape(f"{exc} Nothing was started; try again in a minute."))
    except AttrsyncError as exc:
        return notice(escape(str(exc)))
    scans = services.store.scans
    running = await scans.active(app.id)
    if running is not None:
        return await _already(services, running)
    scan_id = scans.new_id()
    posted = await services.slack.chat_postMessage(
        channel=channel, **render.queued(scan_id, app.label, requester).payload()
    )
    ts = str(posted["ts"])
    try:
        started = await scans.start(
            scan_id,
            app_id=app.id,
            app_label=app.label,
            channel=channel,
            message_ts=ts,
            requester=requester,
            now=services.clock().timestamp(),
        )
    except RedisError:
        failed = render.failed(app.label, "attrsync could not queue it (Redis is unreachable).")
        await sent(services.slack.chat_update(channel=channel, ts=ts, **failed.payload()))
        raise
    if not started.new:  # another request won the race between our look and our start
        other = await scans.get(started.scan_id)
        raced = f"Another scan of {escape(app.label)} started at the same moment."
        await services.slack.chat_update(channel=channel, ts=ts, **notice(raced).payload())
        return await _already(services, other) if other else notice(raced)
    return notice(f"Scanning {escape(app.label)}: the progress is in the channel.")


async def stop_scan(services: Services, scan_id: str, who: str) -> Message:
    state = await services.store.scans.request_stop(scan_id, who)
    if state is None:
        return notice("This scan is no longer known; its results have expired.")
    if state.ended:
        return notice("This scan has ended already.")
    log.info("scan %s: stop asked by %s", scan_id, who)
    if state is ScanState.QUEUED:
        return notice("The scan will stop before it reads its first page.")
    return notice("The scan stops after the page it is reading; what it found so far is kept.")


async def _already(services: Services, running: ScanRecord) -> Message:
    label = escape(running.app_label)
    found = await sent(
        services.slack.chat_getPermalink(channel=running.channel, message_ts=running.message_ts),
        log,
        "no permalink for a running scan",
    )
    if isinstance(found, Failed):
        where = f"its progress in <#{running.channel}>"
    else:
        where = link(str(found["permalink"]), "its progress")
    return notice(f"A scan of {label} is already running: see {where}.")
