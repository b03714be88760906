"""Per-diagnosis Okta facts: each fetched lazily on first await, at most once, shared by all checks.

Checks run concurrently and await what they need, so the Okta traffic falls into as few round
trips as the data allows: the user and the app together, then everything that needs their ids.
App-level facts (the app, its provisioning settings, mapping, schema, groups) may come from a
short-lived cache; per-user facts never do.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol, TypeVar, overload
from urllib.parse import quote

from checks import parse
from checks.errors import (
    AppNotFound,
    NotAssigned,
    OktaBadRequest,
    OktaMalformed,
    OktaNotFound,
    UsageError,
    UserNotFound,
)
from checks.model import (
    App,
    AppSchema,
    AppUser,
    Connection,
    Group,
    LogEvent,
    ProfileMapping,
    ProvisioningFeature,
    User,
    UserSchema,
)

T = TypeVar("T")

FEATURES_API_APPS = frozenset(
    {"google", "office365", "okta_org2org", "slack", "zoomus", "zscalerbyz"}
)
"""Apps whose provisioning settings the features and connection APIs read (okta-api.md §1c,
§1d); Okta documents neither for any other app."""
LOG_WINDOW = timedelta(days=7)
PROFILE_UPDATE = "user.account.update_profile"
PROFILE_IMPORT = "application.provision.user.import_profile"
"""Okta's event for a profile imported from a profile source (Workday, AD) into a user."""
MAX_LOG_EVENTS = 1000


class OktaReader(Protocol):
    org_url: str

    async def get(self, path: str, params: Mapping[str, str | int] | None = None) -> Any: ...

    async def get_all(
        self, path: str, params: Mapping[str, str | int] | None = None, *, max_items: int = ...
    ) -> list[Any]: ...


class FactCache(Protocol):
    """A short-lived store for app-level Okta JSON (Redis in the bot; nothing in the CLI)."""

    async def get(self, key: str) -> Any | None: ...

    async def set(self, key: str, value: Any) -> None: ...


class Refreshing:
    """A fact cache that always misses: every fact is read afresh, and kept for the next."""

    def __init__(self, cache: FactCache) -> None:
        self._cache = cache

    async def get(self, key: str) -> Any | None:
        return None

    async def set(self, key: str, value: Any) -> None:
        await self._cache.set(key, value)


class Facts:
    def __init__(
        self,
        okta: OktaReader,
        user_query: str,
        app_query: str,
        attribute: str | None = None,
        *,
        now: datetime,
        cache: FactCache | None = None,
    ) -> None:
        self.user_query = _plausible(user_query, "user", path=True)
        self.app_query = _plausible(app_query, "app", path=False)
        self.okta = okta
        self.attribute = attribute
        self.now = now
        self._cache = cache
        self._tasks: dict[str, asyncio.Future[Any]] = {}
        self._started: list[asyncio.Future[Any]] = []
        """Every future asked for, dropped ones too: `aclose` ends them all."""
        self._closed = False
        self._known: dict[str, object] = {}
        self._wanted: set[str] = set()
        """Facts someone asked for (as opposed to fetched early on speculation)."""

    @classmethod
    def of_app(
        cls, okta: OktaReader, app_query: str, *, now: datetime, cache: FactCache | None = None
    ) -> Facts:
        """Facts of an app alone (a scan, a label to show): there is no user to ask about."""
        facts = cls(okta, "(no user)", app_query, now=now, cache=cache)
        facts.know("user", UserNotFound("these facts are about an app, not a user"))
        return facts

    def know(self, name: str, value: object) -> None:
        """Preset a fact (or, given an exception, its failure) instead of fetching it."""
        self._known[name] = value

    async def __aenter__(self) -> Facts:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """End these facts: cancel the fetches still running and wait until they have stopped.
        A diagnosis that stops early (no such user) leaves facts fetched on speculation that
        nobody awaits: their errors are dropped here, not left "never retrieved"."""
        self._closed = True
        running = []
        for future in self._started:
            if not future.done():
                future.cancel()
                running.append(future)
            elif not future.cancelled():
                future.exception()
        if running:  # a scan's preset facts are all settled: no turn of the event loop
            await asyncio.gather(*running, return_exceptions=True)

    def _once(self, name: str, fetch: Callable[[], Coroutine[Any, Any, T]]) -> Awaitable[T]:
        task = self._tasks.get(name)
        if task is None or (self._closed and task.cancelled()):
            if self._closed:  # a fetch started now would outlive its owner
                raise RuntimeError(f"{name!r} was asked for after its facts were closed")
            if name in self._known:
                task = self._tasks[name] = _settled(self._known[name])
            else:
                task = self._tasks[name] = asyncio.ensure_future(fetch())
            self._started.append(task)
        return task

    def derived(
        self,
        name: str,
        compute: Callable[[], Coroutine[Any, Any, T]],
        *,
        at_once: Callable[[], T | None] | None = None,
    ) -> Awaitable[T]:
        """A value computed from the facts, once per diagnosis whichever checks ask for it.
        `at_once` computes it without awaiting when it can (else None): a scan's thousands of
        users then cost no task and no turn of the event loop each."""
        key = f"derived:{name}"
        if key not in self._tasks and at_once is not None:
            value = at_once()
            if value is not None:
                self.know(key, value)
        return self._once(key, compute)

    async def _cached(self, key: str, fetch: Callable[[], Awaitable[Any]]) -> Any:
        value, _ = await self._cached_or_fetched(key, fetch)
        return value

    async def _cached_or_fetched(
        self, key: str, fetch: Callable[[], Awaitable[Any]]
    ) -> tuple[Any, bool]:
        """The value, and whether it came from the cache."""
        full_key = f"{self.okta.org_url}|{key}"
        if self._cache is not None:
            hit = await self._cache.get(full_key)
            if hit is not None:
                return hit, True
        value = await fetch()
        if self._cache is not None:
            await self._cache.set(full_key, value)
        return value, False

    # -- level 1: what the person typed ------------------------------------------------------

    def user(self) -> Awaitable[User]:
        return self._once("user", self._fetch_user)

    def app(self) -> Awaitable[App]:
        return self._once("app", self._fetch_app)

    async def _fetch_user(self) -> User:
        query = self.user_query
        try:
            return parse.user(await self.okta.get(f"/api/v1/users/{quote(query, safe='@')}"))
        except OktaNotFound:
            pass
        # Not a login, id or unambiguous short name: an email, or a short name several share.
        field, op, value = ("email", "eq", query) if "@" in query else ("login", "sw", f"{query}@")
        found = await self.okta.get_all(
            "/api/v1/users",
            {"search": f"profile.{field} {op} {quoted(value)}", "limit": 20},
            max_items=20,
        )
        if len(found) == 1:
            return parse.user(found[0])
        if not found:
            raise UserNotFound(f"No Okta user has the login, email, short name or id {query!r}.")
        logins = ", ".join(sorted(str(u.get("profile", {}).get("login")) for u in found))
        raise UserNotFound(f"{query!r} matches several Okta users: {logins}.")

    async def _fetch_app(self) -> App:
        query = self.app_query
        if APP_ID.fullmatch(query):
            try:
                return parse.app(
                    await self._cached(f"app:{query}", self._getter(f"/api/v1/apps/{query}"))
                )
            except OktaNotFound:
                pass
        listed = await self._cached(
            f"apps?q={query.lower()}",
            lambda: self.okta.get_all("/api/v1/apps", {"q": query, "limit": 200}),
        )
        return resolve_app(query, [parse.app(a) for a in listed])

    def app_object(self) -> Awaitable[dict[str, Any]]:
        """The app's JSON as Okta holds it now, never from the cache: what a full PUT of the
        app (Okta's only way to change its settings) starts from."""
        return self._once("app_object", self._fetch_app_object)

    async def _fetch_app_object(self) -> dict[str, Any]:
        app = await self.app()
        found = await self.okta.get(f"/api/v1/apps/{app.id}")
        if not isinstance(found, dict) or found.get("id") != app.id:
            raise OktaMalformed(f"Okta answered GET /api/v1/apps/{app.id} with no such app.")
        return found

    def _getter(self, path: str) -> Callable[[], Awaitable[Any]]:
        return lambda: self.okta.get(path)

    # -- level 2: what needs the user's and the app's ids -----------------------------------

    def app_user(self) -> Awaitable[AppUser]:
        return self._once("app_user", self._fetch_app_user)

    def feature(self) -> Awaitable[ProvisioningFeature | None]:
        """USER_PROVISIONING capabilities, or None where the features API does not apply."""
        return self._once("feature", self._fetch_feature)

    def connection(self) -> Awaitable[Connection | None]:
        return self._once("connection", self._fetch_connection)

    def mapping(self) -> Awaitable[ProfileMapping | None]:
        """The Okta-to-app mapping for the user's type, or None when there is none."""
        return self._once("mapping", self._fetch_mapping)

    def schema(self) -> Awaitable[AppSchema]:
        return self._once("schema", self._fetch_schema)

    def log_events(self) -> Awaitable[tuple[LogEvent, ...]]:
        """System Log events of the last week for this user in this app, and the app's
        integration failures, newest first."""
        return self._once("log", self._fetch_log)

    def user_schema(self) -> Awaitable[UserSchema]:
        """The Okta user schema of the user's type: where each attribute is sourced."""
        return self._once("user_schema", self._fetch_user_schema)

    def user_apps(self) -> Awaitable[tuple[App, ...]]:
        """Every app the user is assigned to (profile sources among them), in one request."""
        return self._once("user_apps", self._fetch_user_apps)

    def granting_groups(self) -> Awaitable[tuple[Group, ...]]:
        """Groups assigned to the app that the user belongs to (only for group assignments)."""
        return self._once("groups", self._fetch_groups)

    def member_of(self) -> Awaitable[tuple[Group, ...]]:
        """Every group the user belongs to (for group assignments and group functions in
        mapping expressions; asked for only when one of them needs it)."""
        self._wanted.add("member_of")
        return self._once("member_of", self._fetch_member_of)

    def _drop_unwanted(self, name: str) -> None:
        """Stop a fact fetched on speculation that nobody asked for after all (`aclose` waits
        for it to stop)."""
        if name not in self._wanted and name in self._tasks:
            self._tasks.pop(name).cancel()

    async def _fetch_member_of(self) -> tuple[Group, ...]:
        user = await self.user()
        return tuple(
            parse.group(g) for g in await self.okta.get_all(f"/api/v1/users/{user.id}/groups")
        )

    async def _fetch_app_user(self) -> AppUser:
        user, app = await asyncio.gather(self.user(), self.app())
        try:
            data = await self.okta.get(f"/api/v1/apps/{app.id}/users/{user.id}")
        except OktaNotFound:
            raise NotAssigned(f"{user.login} is not assigned to {app.label}.") from None
        return parse.app_user(data)

    async def _fetch_feature(self) -> ProvisioningFeature | None:
        app = await self.app()
        if app.name not in FEATURES_API_APPS:
            return None
        path = f"/api/v1/apps/{app.id}/features/USER_PROVISIONING"
        try:
            return parse.feature(await self._cached(f"{app.id}:feature", self._getter(path)))
        except (OktaBadRequest, OktaNotFound):  # provisioning is off: Okta says so with a 400
            return None

    async def _fetch_connection(self) -> Connection | None:
        app = await self.app()
        if app.name not in FEATURES_API_APPS:
            return None
        path = f"/api/v1/apps/{app.id}/connections/default"
        try:
            return parse.connection(await self._cached(f"{app.id}:connection", self._getter(path)))
        except OktaNotFound:
            return None

    async def _fetch_mapping(self) -> ProfileMapping | None:
        user, listed = await gathered(self.user(), self._mapping_list())
        chosen = _chosen_mapping(listed, user)
        return None if chosen is None else await self._mapping_details(chosen)

    def mappings(self) -> Awaitable[Mappings]:
        """Every mapping from a user type to the app, with its details (a scan judges users of
        every type; triage keeps them warm)."""
        return self._once("mappings", self._fetch_mappings)

    async def _fetch_mappings(self) -> Mappings:
        sources = [m for m in await self._mapping_list() if source_type(m) == "user"]
        details = await asyncio.gather(*(self._mapping_details(m) for m in sources))
        by_type: dict[str, ProfileMapping] = {}
        for source, mapping in zip(sources, details, strict=True):
            type_id = source["source"].get("id")  # source_type saw an object there
            if isinstance(type_id, str):
                by_type.setdefault(type_id, mapping)
        return Mappings(tuple(details), by_type)

    def _mapping_list(self) -> Awaitable[list[Any]]:
        """The app's mappings as Okta lists them by target: one list for every user type, so
        it needs only the app, and a cached list serves users of any type."""
        return self._once("mapping_list", self._fetch_mapping_list)

    async def _fetch_mapping_list(self) -> list[Any]:
        app = await self.app()
        params: dict[str, str | int] = {"targetId": app.id, "limit": 200}
        listed = await self._cached(
            f"{app.id}:mappings", lambda: self.okta.get_all("/api/v1/mappings", params)
        )
        return [m for m in listed if isinstance(m, dict)]

    async def _mapping_details(self, listed: Mapping[str, Any]) -> ProfileMapping:
        app = await self.app()
        mapping_id = parse.okta_id(listed.get("id"), "profile mapping")
        path = f"/api/v1/mappings/{mapping_id}"
        return parse.mapping(
            await self._cached(f"{app.id}:mapping:{mapping_id}", self._getter(path))
        )

    async def _fetch_schema(self) -> AppSchema:
        app = await self.app()
        path = f"/api/v1/meta/schemas/apps/{app.id}/default"
        return parse.schema(await self._cached(f"{app.id}:schema", self._getter(path)))

    async def _fetch_log(self) -> tuple[LogEvent, ...]:
        user, app = await asyncio.gather(self.user(), self.app())
        params: dict[str, str | int] = {
            "since": iso(self.now - LOG_WINDOW),
            "until": iso(self.now),
            "filter": (
                f'(target.id eq "{user.id}" and target.id eq "{app.id}") or '
                f'(target.id eq "{app.id}" and eventType sw "application.integration") or '
                f'(target.id eq "{user.id}" and eventType eq "{PROFILE_UPDATE}") or '
                f'(target.id eq "{user.id}" and eventType eq "{PROFILE_IMPORT}")'
            ),
            "sortOrder": "DESCENDING",
            "limit": 200,
        }
        events = await self.okta.get_all("/api/v1/logs", params, max_items=MAX_LOG_EVENTS)
        return tuple(
            sorted((parse.log_event(e) for e in events), key=lambda e: e.published, reverse=True)
        )

    async def _fetch_user_schema(self) -> UserSchema:
        user = await self.user()
        schema_id = user.schema_id or await self._schema_id_of_type(user.type_id)
        path = f"/api/v1/meta/schemas/user/{schema_id}"
        return parse.user_schema(await self._cached(f"user-schema:{schema_id}", self._getter(path)))

    async def _schema_id_of_type(self, type_id: str | None) -> str:
        """The schema of a user type, for a user whose own links do not name it: the type's
        `_links.schema` (its id is not the type's id); `default` for the default type."""
        if not type_id:
            return "default"
        path = f"/api/v1/meta/types/user/{parse.okta_id(type_id, 'user type')}"
        found = parse.schema_link(await self._cached(f"user-type:{type_id}", self._getter(path)))
        return found or "default"

    async def _fetch_user_apps(self) -> tuple[App, ...]:
        user = await self.user()
        listed = await self.okta.get_all(
            "/api/v1/apps", {"filter": f"user.id eq {quoted(user.id)}", "limit": 200}
        )
        return tuple(parse.app(a) for a in listed)

    async def _app_groups(self) -> tuple[list[Any], bool]:
        """The groups assigned to the app, and whether they came from the cache."""
        app = await self.app()
        return await self._cached_or_fetched(
            f"{app.id}:groups",
            # Okta's default page is 20 groups; ask for its largest (200) in one go.
            lambda: self.okta.get_all(f"/api/v1/apps/{app.id}/groups", {"limit": 200}),
        )

    async def warm(self) -> None:
        """Read every app-level fact a diagnosis in this app reads, for the cache to keep."""
        await gathered(
            self.feature(), self.connection(), self.schema(), self.mappings(), self._app_groups()
        )

    async def _fetch_groups(self) -> tuple[Group, ...]:
        assigned, cached = await self._app_groups()
        if not assigned:
            return ()
        # With the app's groups cached, ask for the user's groups alongside the app user rather
        # than after it: a request that may go unused buys a round trip for group members.
        if cached:
            self._once("member_of", self._fetch_member_of)
        try:
            app_user = await self.app_user()
            if app_user.scope != "GROUP":
                return ()
            member_of = await self.member_of()
        finally:
            self._drop_unwanted("member_of")
        assigned_ids = {a["id"] for a in assigned}
        granting = [g for g in member_of if g.id in assigned_ids]
        # The group Okta names on the assignment comes first: its profile is the one applied.
        return tuple(sorted(granting, key=lambda g: g.id != app_user.group_id))


@dataclass(frozen=True, slots=True)
class Mappings:
    """Every mapping from a user type to one app."""

    listed: tuple[ProfileMapping, ...]
    """In the order Okta lists them."""
    by_type: Mapping[str, ProfileMapping]
    """By the id of the user type they map from."""

    def of(self, user: User) -> ProfileMapping | None:
        """The mapping Okta applies to the user: their type's; the first listed for a user
        whose type Okta did not name."""
        if user.type_id is None:
            return self.listed[0] if self.listed else None
        return self.by_type.get(user.type_id)


def _chosen_mapping(listed: list[Any], user: User) -> Mapping[str, Any] | None:
    """The listed mapping Okta applies to the user, as Mappings.of chooses."""
    sources = [m for m in listed if source_type(m) == "user"]
    if user.type_id is None:
        return sources[0] if sources else None
    return next((m for m in sources if m["source"].get("id") == user.type_id), None)


def source_type(mapping: Mapping[str, Any]) -> object:
    """What a listed mapping maps from: `user` for a user type, else an app."""
    source = mapping.get("source")
    return source.get("type", "user") if isinstance(source, dict) else None


T1 = TypeVar("T1")
T2 = TypeVar("T2")
T3 = TypeVar("T3")
T4 = TypeVar("T4")
T5 = TypeVar("T5")


@overload
async def gathered(a: Awaitable[T1], b: Awaitable[T2], /) -> tuple[T1, T2]: ...
@overload
async def gathered(
    a: Awaitable[T1], b: Awaitable[T2], c: Awaitable[T3], /
) -> tuple[T1, T2, T3]: ...
@overload
async def gathered(
    a: Awaitable[T1], b: Awaitable[T2], c: Awaitable[T3], d: Awaitable[T4], /
) -> tuple[T1, T2, T3, T4]: ...
@overload
async def gathered(
    a: Awaitable[T1], b: Awaitable[T2], c: Awaitable[T3], d: Awaitable[T4], e: Awaitable[T5], /
) -> tuple[T1, T2, T3, T4, T5]: ...
async def gathered(*facts: Awaitable[Any]) -> tuple[Any, ...]:
    """asyncio.gather for facts already asked for (call every Facts method first, then await):
    when they are all known, as a scan presets them, the answer comes without a single turn
    of the event loop, which for thousands of users is most of a scan's time."""
    for fact in facts:
        if not (isinstance(fact, asyncio.Future) and fact.done()):
            return tuple(await asyncio.gather(*facts))
    # Each raises its own error, in order, as gather does; Facts.aclose looks at the rest.
    return tuple([fact.result() for fact in facts])  # type: ignore[attr-defined]


def settled(*facts: Awaitable[Any]) -> tuple[Any, ...] | None:
    """What the facts already asked for ended with, each value or exception, without awaiting;
    None while one of them is still being fetched."""
    if not all(isinstance(f, asyncio.Future) and f.done() and not f.cancelled() for f in facts):
        return None
    ended: list[asyncio.Future[Any]] = list(facts)  # type: ignore[arg-type]
    return tuple(f.exception() or f.result() for f in ended)


APP_ID = re.compile(r"0oa[A-Za-z0-9]{17}")
"""An app instance id as Okta makes them; only such a query is read as a path."""


CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _plausible(query: str, what: str, *, path: bool) -> str:
    """The query stripped; UsageError for what cannot name an Okta object. A query that goes
    into a URL path (`/users/{login}`) must not be `.` or `..`, which a URL resolves."""
    value = query.strip()
    if not value:
        raise UsageError("Name both the Okta user and the app, e.g. `why jdoe box`.")
    if CONTROL.search(value) or (path and value in (".", "..")):
        raise UsageError(f"{value!r} cannot name an Okta {what}.")
    return value


def _settled(value: object) -> asyncio.Future[Any]:
    """A future that already holds `value` (or raises it): awaiting it does not suspend, so a
    preset fact costs no turn of the event loop."""
    future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    if isinstance(value, BaseException):
        future.set_exception(value)
    else:
        future.set_result(value)
    return future


def resolve_app(query: str, apps: list[App]) -> App:
    """Pick the app a person meant: exact label, then exact name, then a unique prefix.

    Real orgs hold several instances with one label (or of one app name): such a tie lists just
    the tied instances, with the id that names each one unambiguously.
    """
    wanted = query.casefold()
    for field, exact in (
        ("labelled", [a for a in apps if a.label.casefold() == wanted]),
        ("named", [a for a in apps if a.name.casefold() == wanted]),
    ):
        if len(exact) == 1:
            return exact[0]
        if exact:
            listed = _listed(exact)
            raise AppNotFound(
                f"{len(exact)} Okta apps are {field} {query!r}.",
                _described(listed, len(exact)),
                f"Name one by its id instead, e.g. `why USER {listed[0].id}`.",
            )
    prefixed = [
        a
        for a in apps
        if a.label.casefold().startswith(wanted) or a.name.casefold().startswith(wanted)
    ]
    if len(prefixed) == 1:
        return prefixed[0]
    if not prefixed:
        raise AppNotFound(f"No Okta app is labelled or named {query!r}.")
    raise AppNotFound(
        f"{query!r} matches {len(prefixed)} apps.",
        _described(_listed(prefixed), len(prefixed)),
        "Name the app by its full label, its name or its id.",
    )


LISTED_APPS = 10


def _listed(apps: list[App]) -> list[App]:
    """The first LISTED_APPS of the apps, in a stable order."""
    return sorted(apps, key=lambda a: (a.label.casefold(), a.name, a.id))[:LISTED_APPS]


def _described(listed: list[App], total: int) -> tuple[str, ...]:
    """Apps told apart from others of the same label: by name, id and sign-on mode."""
    lines = tuple(f"{a.label} ({a.name}, {a.id}, {a.sign_on_mode or 'no sign-on'})" for a in listed)
    return lines + ((f"and {total - len(listed)} more",) if total > len(listed) else ())


def quoted(value: str) -> str:
    """A string literal for Okta's search expressions, whatever the person typed."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
