"""`attrsync watch`: the System Log read in Okta's polling mode, for orgs that cannot expose an
Event Hook endpoint and for what Okta sends by no hook (authentication failures to an app's API).

The query has no `until`, so Okta always answers with a `next` link: following it returns the
events published since. Each page's events are queued for triage (each uuid once, however often
a page is read again) and the `next` link is saved in Redis after its page, so that a restarted
watcher goes on where it was. A first start begins at the moment it starts, or, asked to
replay, that many hours before (the demo's day of events). Requests go through
the shared rate budget as background work.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from datetime import datetime, timedelta

from redis.exceptions import RedisError

from bot.services import Services
from bot.watch.triggers import WATCHED
from checks.errors import AttrsyncError
from checks.facts import iso
from checks.rate_budget import background

POLL_EVERY = 15.0
"""Seconds between polls once the log has been read to its end."""
PAGE = 1000


log = logging.getLogger(__name__)


class Poller:
    def __init__(
        self, services: Services, *, every: float = POLL_EVERY, replay: timedelta = timedelta()
    ) -> None:
        """`replay`: on a first start (no cursor yet), begin that far back instead of now."""
        self._services = services
        self._replay = replay
        self._events = services.store.okta_events
        self._every = every
        self._org = hashlib.sha256(services.okta.org_url.encode()).hexdigest()[:16]

    async def run(self, stop: asyncio.Event) -> None:
        log.info("watching the System Log of %s", self._services.okta.org_url)
        while not stop.is_set():
            try:
                await self.poll_once()
            except AttrsyncError as exc:
                log.warning("the System Log could not be read (%s); trying again", exc)
            except RedisError:
                log.warning("watch cannot reach Redis; trying again")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self._every)

    async def poll_once(self) -> int:
        """Read the log from the saved cursor to its end; how many new events were queued."""
        okta = self._services.okta
        url = await self._events.cursor(self._org)
        if url is None:
            # Kept before Okta is asked: a first poll that fails starts from this moment
            # again, not from a later "now" that would miss the events in between.
            url = self._start(self._services.clock() - self._replay)
            await self._events.save_cursor(self._org, url)
        queued = 0
        with background():
            while True:
                events, next_url = await okta.get_page(url)
                queued += await self._events.enqueue(
                    [e for e in events if isinstance(e, dict) and e.get("uuid")]
                )
                if next_url is None:
                    break
                await self._events.save_cursor(self._org, next_url)
                if len(events) < PAGE or next_url == url:
                    break  # caught up: Okta's next link is where the next poll starts
                url = next_url
        return queued

    def _start(self, now: datetime) -> str:
        kinds = " or ".join(f'eventType eq "{kind}"' for kind in WATCHED)
        return str(
            self._services.okta.url_for(
                "/api/v1/logs", {"since": iso(now), "filter": kinds, "limit": PAGE}
            )
        )
