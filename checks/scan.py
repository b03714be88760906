"""Scan: every user assigned to an app, checked from pages of app users with their Okta users
embedded, so there is no request per user.

The app-level facts (the app, its provisioning settings, schema, group assignments, the mapping
of every user type) are read once, and all at once with the first page right after the app
lookup: a scan takes the app lookup plus its pages in round trips, each page read while the
one before is checked. The System Log is read once for the whole app (its push events
and the org's profile changes of the last week, up to LOG_LIMIT events); the report says when
that limit cut it short. Per user, the checks that need nothing more run on preset facts: the
user, assignment, mapping (create-only or wrong-source), preview (the mapping evaluated against
Okta's copy of the app user), external ID, group assignment, sync state and push errors. Group
functions in mapping expressions would need each user's groups: those attributes are left
"cannot evaluate" rather than read one user at a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, TypeVar

from checks import parse
from checks.diagnose import run_check, verdict
from checks.errors import AppNotFound, OktaError, OktaRateLimited, OktaUnavailable, UserNotFound
from checks.facts import LOG_WINDOW, PROFILE_UPDATE, Facts, Mappings, OktaReader, iso
from checks.model import App, Finding, Group, LogEvent, User
from checks.registry import CHECKS
from checks.retry import Backoff
from checks.scan_tally import Outcome, Tally

T = TypeVar("T")
PAGE_SIZE = 500
"""Okta's largest page of app users."""
READ_AHEAD = 2
"""Pages read before the scan needs them (the page being checked is not counted)."""
LOG_LIMIT = 5000
APP_CHECKS = ("app", "provisioning", "credentials", "update_attributes", "deactivate_users")
"""Checks whose answer is the same for every user: run once, reported as app findings."""
APP_LEVEL = tuple((check_id, run) for check_id, run in CHECKS if check_id in APP_CHECKS[1:])
USER_CHECKS = tuple((check_id, run) for check_id, run in CHECKS if check_id not in APP_CHECKS)


class PageReader(OktaReader, Protocol):
    async def get_page(
        self,
        path_or_url: str,
        params: Mapping[str, str | int] | None = None,
        *,
        on_next: Callable[[str | None], None] | None = None,
    ) -> tuple[list[Any], str | None]: ...


TURN_EVERY = 50
"""Users diagnosed between turns of the event loop (about 20 ms of CPU): the pages read ahead
meanwhile are asked for when the page before names them, not when a page's diagnosis ends."""


class NotReadInScan(OktaError):
    """A per-user fact a scan does not read (it would cost a request per user)."""


@dataclass(frozen=True, slots=True)
class Page:
    outcomes: tuple[Outcome, ...]
    next_url: str | None
    """Where the listing goes on; None after the last page."""


class AppScan:
    """One scan's app-level facts, read once; `fetch` reads a page, `diagnose` checks it."""

    def __init__(
        self,
        okta: PageReader,
        app_facts: Mapping[str, object],
        events: tuple[LogEvent, ...],
        log_complete: bool,
        groups: Mapping[str, Group],
        now: datetime,
        page_size: int = PAGE_SIZE,
        mappings: Mappings | None = None,
        listing: Listing | None = None,
    ) -> None:
        self.okta = okta
        self.page_size = page_size
        self.app: App = app_facts["app"]  # type: ignore[assignment]
        self.now = now
        self.log_complete = log_complete
        """False when the System Log held more than LOG_LIMIT events: push errors and
        changed attributes were judged from the newest LOG_LIMIT only."""
        self._app_facts = app_facts
        self._groups = groups
        self._events_by_user = _by_target(events)
        self._mappings = mappings or Mappings((), {})
        self._listing = listing or Listing(okta, self.app, page_size)
        self._example: User | None = None
        """A user this scan has read, to judge the app-level checks with."""

    @classmethod
    async def open(
        cls,
        okta: PageReader,
        app_query: str,
        *,
        now: datetime,
        page_size: int = PAGE_SIZE,
        log: SystemLog | None = None,
        cursor: str | None = None,
        pages: bool = True,
    ) -> AppScan:
        """Resolve the app (AppNotFound lists ambiguities) and read its app-level facts; the
        System Log too, unless `log` (read once for several apps) is given. With `pages`, the
        mappings and the page at `cursor` (None: the first) are read at the same time, for
        the scan to start with; without, only the app-level checks can be asked for."""
        async with Facts.of_app(okta, app_query, now=now) as facts:
            app = await facts.app()
            listing = Listing(okta, app, page_size)
            if pages:
                listing.start(cursor)
            by_group: dict[str, str | int] = {"limit": 200, "expand": "group"}
            # This scan's own reads (the facts' fetches end with the facts): one that fails
            # stops the others, which gather alone would leave running.
            assigning = asyncio.ensure_future(
                okta.get_all(f"/api/v1/apps/{app.id}/groups", by_group)
            )
            logging = asyncio.ensure_future(_events(okta, app, now) if log is None else _given(log))
            reads: list[asyncio.Future[Any]] = [assigning, logging]
            if not pages:
                facts.know("mappings", Mappings((), {}))
            try:
                feature, connection, schema, assigned, events, mappings = await asyncio.gather(
                    facts.feature(),
                    facts.connection(),
                    facts.schema(),
                    assigning,
                    logging,
                    facts.mappings(),
                )
            except BaseException:
                for read in reads:
                    await _discard(read)
                await listing.close()
                raise
        parsed = tuple(
            sorted((parse.log_event(e) for e in events[:LOG_LIMIT]), key=_newest, reverse=True)
        )
        if log is not None:
            parsed = tuple(
                e for e in parsed if app.id in e.target_ids or e.event_type == PROFILE_UPDATE
            )
        app_facts = {
            "app": app,
            "feature": feature,
            "connection": connection,
            "schema": schema,
            "log": parsed,
        }
        complete = len(events) <= LOG_LIMIT
        groups = _app_groups(assigned)
        return cls(okta, app_facts, parsed, complete, groups, now, page_size, mappings, listing)

    async def fetch(self, url: str | None) -> tuple[list[Any], str | None]:
        """One page of app users (the first for None, else the one a page's next_url names)
        and the URL of the next page, which is then read ahead."""
        return await self._listing.fetch(url)

    async def close(self) -> None:
        """Stop reading the pages read ahead that nobody will ask for now."""
        await self._listing.close()

    async def diagnose(self, items: list[Any]) -> tuple[Outcome, ...]:
        outcomes = []
        for n, item in enumerate(items, 1):
            outcomes.append(await self._outcome(item))  # without a turn of the event loop
            if n % TURN_EVERY == 0:
                await asyncio.sleep(0)
        return tuple(outcomes)

    async def app_findings(self) -> tuple[Finding, ...]:
        """The app-level checks, judged with a user the scan read (the last successful push
        the credentials check compares against is per user)."""
        facts = self._facts("(no user)")
        facts.know("user", self._example or UserNotFound("the app has no assigned users"))
        async with facts:
            ran = [await run_check(check_id, run, facts) for check_id, run in APP_LEVEL]
        return tuple(finding for finding, _ in ran)

    async def _outcome(self, item: Any) -> Outcome:
        try:
            app_user = parse.app_user(item)
            user = parse.user(_embedded_user(item))
        except OktaError:
            user_id = item.get("id") if isinstance(item, dict) else None
            return Outcome(str(user_id or "?"), "?", "user", "Okta sent this user unreadable.")
        self._example = self._example or user
        facts = self._facts(user.id)
        facts.know("user", user)
        facts.know("app_user", app_user)
        facts.know("mapping", self._mappings.of(user))
        facts.know("log", self._events_by_user.get(user.id, ()))
        granting = self._groups.get(app_user.group_id or "")
        facts.know("groups", (granting,) if app_user.scope == "GROUP" and granting else ())
        facts.know("member_of", NotReadInScan("a scan does not read each user's groups"))
        # profile_source needs each user's apps (their profile sources): a request per user.
        facts.know("user_apps", NotReadInScan("a scan does not read each user's apps"))
        facts.know("user_schema", NotReadInScan("a scan does not read each user's schema"))
        async with facts:
            ran = [await run_check(check_id, run, facts) for check_id, run in USER_CHECKS]
        findings = tuple(finding for finding, _ in ran)
        cause = verdict(findings).check
        if cause is None:
            return Outcome(user.id, user.login, None, "")
        finding = next(f for f in findings if f.check == cause)
        return Outcome(user.id, user.login, cause, finding.title, finding.fix)

    def _facts(self, user_query: str) -> Facts:
        facts = Facts(self.okta, user_query, self.app.id, now=self.now)
        for name, value in self._app_facts.items():
            facts.know(name, value)
        return facts


PageRead = tuple[list[Any], str | None]
"""A page's app users as Okta sent them, and the URL of the next page (None after the last)."""


class Listing:
    """An app's pages of app users, each asked for the moment the page before names it (its
    answer's headers, before its users arrive): the listing takes one round trip per page,
    however long a page takes to diagnose. At most READ_AHEAD pages wait in memory."""

    def __init__(self, okta: PageReader, app: App, page_size: int) -> None:
        self._okta = okta
        self._app = app
        self._page_size = page_size
        self._ahead: dict[str | None, asyncio.Future[PageRead]] = {}
        self._named: str | None = None
        """The next page's URL, heard while READ_AHEAD pages were waiting: asked for as soon
        as one of them is taken."""

    def start(self, url: str | None) -> None:
        """Ask for the page at `url` (None: the first) before anyone needs it."""
        if url in self._ahead:
            return
        if len(self._ahead) < READ_AHEAD:
            self._ahead[url] = asyncio.ensure_future(self._read(url))
        else:
            self._named = url

    async def fetch(self, url: str | None) -> PageRead:
        ahead = self._ahead.pop(url, None)
        named, self._named = self._named, None
        if named is not None:
            self.start(named)  # a page taken leaves room for the next in memory
        read = await (ahead if ahead is not None else self._read(url))
        if read[1] is not None:
            self.start(read[1])
        return read

    async def close(self) -> None:
        ahead, self._ahead, self._named = self._ahead, {}, None
        for page in ahead.values():
            await _discard(page)

    async def _read(self, url: str | None) -> PageRead:
        if url is None:
            params: Mapping[str, str | int] = {"limit": self._page_size, "expand": "user"}
            path = f"/api/v1/apps/{self._app.id}/users"
            read = await self._okta.get_page(path, params, on_next=self._heard)
        else:
            read = await self._okta.get_page(url, on_next=self._heard)
        self._heard(read[1])  # for a reader that does not hear headers
        return read

    def _heard(self, url: str | None) -> None:
        if url is not None:
            self.start(url)


async def _discard(future: asyncio.Future[Any]) -> None:
    """Stop a read nobody wants now, and wait until it has (whatever it ended with)."""
    future.cancel()
    await asyncio.gather(future, return_exceptions=True)


def described(exc: AppNotFound) -> str:
    """Which app a scan could not pick, with the candidates, as one sentence or three."""
    listed = f" It could be: {'; '.join(exc.candidates)}." if exc.candidates else ""
    return f"{exc}{listed} {exc.advice}" if listed else str(exc)


SystemLog = list[Any]
"""System Log events as Okta sends them, newest first."""


async def read_log(okta: PageReader, now: datetime, event_filter: str) -> SystemLog:
    """The last week's events of the filter, newest first, up to LOG_LIMIT + 1 (the extra one
    tells that there were more)."""
    params: dict[str, str | int] = {
        "since": iso(now - LOG_WINDOW),
        "until": iso(now),
        "filter": event_filter,
        "sortOrder": "DESCENDING",
        "limit": 1000,
    }
    return await okta.get_all("/api/v1/logs", params, max_items=LOG_LIMIT + 1)


def _events(okta: PageReader, app: App, now: datetime) -> Awaitable[SystemLog]:
    return read_log(okta, now, f'target.id eq "{app.id}" or eventType eq "{PROFILE_UPDATE}"')


async def _given(value: T) -> T:
    return value


def _newest(event: LogEvent) -> datetime:
    return event.published


def _by_target(events: Sequence[LogEvent]) -> dict[str, tuple[LogEvent, ...]]:
    found: dict[str, list[LogEvent]] = {}
    for event in events:
        for target in event.target_ids:
            found.setdefault(target, []).append(event)
    return {target: tuple(listed) for target, listed in found.items()}


def _app_groups(assigned: list[Any]) -> dict[str, Group]:
    """The app's group assignments by group id, named from the embedded group."""
    groups: dict[str, Group] = {}
    for assignment in assigned:
        embedded = assignment.get("_embedded", {}) if isinstance(assignment, dict) else {}
        try:
            group = parse.group(embedded.get("group") or assignment)
        except OktaError:
            continue
        groups[group.id] = group
    return groups


def _embedded_user(item: Any) -> Any:
    embedded = item.get("_embedded") if isinstance(item, dict) else None
    return embedded.get("user") if isinstance(embedded, dict) else None


PAGE_RETRY = Backoff(initial=1.0, factor=2.0, cap=2.0, attempts=3)
"""Tries per page beyond the Okta client's own retries, before the scan reports it unread."""


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What a finished, or stopped, scan found."""

    app: App
    tally: Tally
    app_findings: tuple[Finding, ...]
    unread: str | None
    """Why the listing ended before its last page (an Okta error, a Stop), or None."""
    log_complete: bool

    @property
    def complete(self) -> bool:
        return self.unread is None


OnPage = Callable[[Page, Tally], Awaitable[None]]


async def scan_app(
    scan: AppScan,
    *,
    cursor: str | None = None,
    tally: Tally | None = None,
    on_page: OnPage | None = None,
    stopped: Callable[[], Awaitable[bool]] | None = None,
    pause: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> ScanResult:
    """Read every page from `cursor` (the first page when None), adding to `tally` (a resumed
    scan's count so far); `on_page` sees each page and the tally after it (to save both, or
    show progress). A page still unread after PAGE_RETRY's tries ends the scan incomplete,
    saying where: a listing cannot skip a page, since only that page names the next."""
    tally = tally or Tally()
    try:
        read = await _read_pages(scan, cursor, tally, on_page, stopped, pause)
    finally:
        await scan.close()
    findings = await scan.app_findings()
    return ScanResult(scan.app, read.tally, findings, read.reason, scan.log_complete)


@dataclass(frozen=True, slots=True)
class _Read:
    tally: Tally
    reason: str | None
    """Why the listing ended before its last page, if it did."""


async def _read_pages(
    scan: AppScan,
    cursor: str | None,
    tally: Tally,
    on_page: OnPage | None,
    stopped: Callable[[], Awaitable[bool]] | None,
    pause: Callable[[float], Awaitable[None]],
) -> _Read:
    # The pages after this one are read while it is diagnosed (AppScan reads ahead): a scan
    # takes as long as its round trips to Okta, or as its diagnoses, not both added up.
    url: str | None = cursor
    while True:
        if stopped is not None and await stopped():
            return _Read(tally, _stopped(tally))
        try:
            items, url = await _read(scan, url, pause)
        except OktaError as exc:
            page = tally.pages + 1
            return _Read(tally, f"Okta's page {page} of app users could not be read: {exc}")
        page_read = Page(await scan.diagnose(items), url)
        tally = tally.plus(page_read.outcomes)
        if on_page is not None:
            await on_page(page_read, tally)
        if url is None:
            return _Read(tally, None)


def _stopped(tally: Tally) -> str:
    return f"Stopped after {tally.listed} users."


async def _read(
    scan: AppScan, url: str | None, pause: Callable[[float], Awaitable[None]]
) -> tuple[list[Any], str | None]:
    for attempt in PAGE_RETRY.tries():
        try:
            return await scan.fetch(url)
        except (OktaUnavailable, OktaRateLimited):
            if attempt.last:
                raise
            await pause(attempt.pause)
    raise AssertionError("unreachable")
