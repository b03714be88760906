"""Triage keeps warm the app-level facts of the apps Okta's events named lately, so that a
failed push in such an app is diagnosed in two round trips (the user, then the app user and
the System Log), not three: each is read afresh, through the rate budget as background work,
before its cached copy expires (ATTRSYNC_FACT_CACHE_TTL), for WARM_FOR after its last event."""

from __future__ import annotations

import asyncio
import logging

from redis.exceptions import RedisError

from bot.services import Services
from checks.errors import AttrsyncError
from checks.facts import Facts, Refreshing
from checks.rate_budget import background

WARM_FOR = 900.0
"""Seconds an app's facts are kept warm after the last event that named it."""
MOST = 20
"""Apps kept warm at most (the latest named): each costs about six Okta requests a period."""
AHEAD = 0.75
"""An app's facts are read again when this share of the fact cache's TTL has passed."""
LOOK_EVERY = 5.0
"""Seconds between two looks for apps due (an app newly named is looked at at once)."""

log = logging.getLogger(__name__)


class Warmth:
    def __init__(self, services: Services) -> None:
        self._services = services
        self._store = services.store.warm
        self._named = asyncio.Event()
        """Set when an app new to the warm apps was named: its facts are read at once."""

    @property
    def _every(self) -> float:
        return self._services.settings.fact_cache_ttl * AHEAD

    async def noted(self, app_id: str, *, diagnosed: bool) -> None:
        """An event named the app: keep its facts warm from now on. `diagnosed`: the event's
        diagnosis reads them now (through the cache), so the first refresh waits a period."""
        now = self._services.clock().timestamp()
        reading_for = self._every if diagnosed else 0.0
        new = await self._store.noted(
            app_id, now, keep=WARM_FOR, most=MOST, reading_for=reading_for
        )
        if new and not diagnosed:
            self._named.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Refresh what is due until `stop`; a Redis away, or a failure, waits for the next
        look."""
        while not stop.is_set():
            self._named.clear()  # what is named from here on is looked at after this pass
            try:
                await self.refresh_due()
            except RedisError:
                log.warning("triage cannot reach Redis; no app's facts are kept warm meanwhile")
            except Exception:  # a bug here costs round trips, never triage itself
                log.exception("triage failed to keep apps' facts warm; it tries again")
            await self._pause(stop)

    async def _pause(self, stop: asyncio.Event) -> None:
        """Until the next look is due, an app new to the warm apps is named, or `stop`."""
        waits = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(self._named.wait())]
        try:
            await asyncio.wait(
                waits, timeout=min(LOOK_EVERY, self._every), return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            for wait in waits:
                wait.cancel()
            await asyncio.gather(*waits, return_exceptions=True)

    async def refresh_due(self) -> int:
        """Read afresh the facts of the apps due (claimed by this worker); how many."""
        now = self._services.clock()
        due = await self._store.due(now.timestamp(), keep=WARM_FOR, every=self._every)
        for app_id in due:
            await self._refresh(app_id)
        return len(due)

    async def _refresh(self, app_id: str) -> None:
        services = self._services
        cache = Refreshing(services.store.facts)
        try:
            with background():
                now = services.clock()
                async with Facts.of_app(services.okta, app_id, now=now, cache=cache) as facts:
                    await facts.warm()
        except AttrsyncError as exc:  # the next diagnosis reads what it needs itself
            log.info("triage could not keep the facts of app %s warm: %s", app_id, exc)
