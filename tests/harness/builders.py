"""Hand-built facts for unit tests of the checks: healthy defaults, one change per test."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

from checks.facts import Facts
from checks.model import (
    App,
    AppSchema,
    AppUser,
    AttributeSource,
    Connection,
    Group,
    LogEvent,
    MappingProperty,
    ProfileMapping,
    ProvisioningFeature,
    SchemaAttribute,
    SourcePriority,
    User,
    UserSchema,
)
from fakes.okta.state import OrgState

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
USER_ID, APP_ID = "00u1jdoe000000000001", "0oa1box0000000000001"


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


def user(**changes: Any) -> User:
    profile = {"login": "jdoe@example.com", "email": "jdoe@example.com", "firstName": "Jane"}
    profile |= {"lastName": "Anderson", "department": "Sales", "title": "Engineer"}
    profile |= changes.pop("profile", {})
    base = User(
        id=USER_ID,
        login="jdoe@example.com",
        status="ACTIVE",
        type_id="oty1default000000001",
        profile=MappingProxyType(profile),
        last_updated=ago(days=2),
        display_name="Jane Doe",
    )
    return replace(base, **changes)


def app(**changes: Any) -> App:
    features = frozenset({"PUSH_NEW_USERS", "PUSH_PROFILE_UPDATES", "IMPORT_NEW_USERS"})
    base = App(APP_ID, "boxnet", "Box", "ACTIVE", "SAML_2_0", features)
    return replace(base, **changes)


def app_user(**changes: Any) -> AppUser:
    profile = {"email": "jdoe@example.com", "firstName": "Jane", "lastName": "Anderson"}
    profile |= {"title": "Engineer"} | changes.pop("profile", {})
    base = AppUser(
        user_id=USER_ID,
        external_id="box-123",
        scope="USER",
        status="PROVISIONED",
        sync_state="SYNCHRONIZED",
        last_sync=ago(days=1),
        last_updated=ago(days=1),
        status_changed=ago(days=300),
        user_name="jdoe@example.com",
        profile=MappingProxyType(profile),
    )
    return replace(base, **changes)


WORKDAY_ID, AD_ID = "0oa1workday000000001", "0oa1ad00000000000001"


def workday(**changes: Any) -> App:
    """A profile source, with Okta's features of one (Workday's)."""
    features = frozenset({"IMPORT_NEW_USERS", "IMPORT_PROFILE_UPDATES", "PROFILE_MASTERING"})
    return replace(App(WORKDAY_ID, "workday", "Workday", "ACTIVE", "SAML_2_0", features), **changes)


def user_schema(**masters: str | tuple[str, tuple[tuple[str, str | None], ...]]) -> UserSchema:
    """The user type's schema: every attribute PROFILE_MASTER unless given, e.g.
    `title="OKTA"` or `lastName=("OVERRIDE", (("APP", AD_ID), ("OKTA", None)))`."""
    names = ("login", "email", "firstName", "lastName", "department", "title", "locale")
    found: dict[str, AttributeSource] = {}
    for name in {*names, *masters}:
        given = masters.get(name, "PROFILE_MASTER")
        kind, priority = (given, ()) if isinstance(given, str) else given
        found[name] = AttributeSource(name, kind, tuple(SourcePriority(*p) for p in priority))
    return UserSchema("osc1default000000001", MappingProxyType(found))


def edit(published: datetime, *changed: str) -> LogEvent:
    """An admin's edit in Okta: update_profile by a person."""
    return replace(profile_change(published, *changed), actor_type="User", actor_name="Admin")


def imported(published: datetime, *changed: str, source: str = WORKDAY_ID) -> tuple[LogEvent, ...]:
    """A profile source's import: import_profile from the source, and the update it made."""
    update = replace(profile_change(published, *changed), actor_type="SystemPrincipal")
    pulled = event(
        "application.provision.user.import_profile", published, targets=(USER_ID, source)
    )
    return (pulled, update) if changed else (pulled,)


def feature(**changes: Any) -> ProvisioningFeature:
    base = ProvisioningFeature("ENABLED", "ENABLED", "ENABLED", "DISABLED")
    return replace(base, **changes)


def mapping(**properties: tuple[str, str]) -> ProfileMapping:
    props = {
        "email": ("user.email", "PUSH"),
        "firstName": ("user.firstName", "PUSH"),
        "lastName": ("user.lastName", "PUSH"),
        "title": ("user.title", "PUSH"),
    } | properties
    return ProfileMapping(
        "prm1box0000000000001",
        "oty1default000000001",
        MappingProxyType({name: MappingProperty(e, p) for name, (e, p) in props.items() if e}),
    )


def schema(*custom: str) -> AppSchema:
    names = ["userName", "email", "firstName", "lastName", "title", *custom]
    return AppSchema(
        MappingProxyType(
            {n: SchemaAttribute(n, n, "string", "SELF", n not in custom) for n in names}
        )
    )


def event(
    event_type: str,
    published: datetime,
    result: str = "SUCCESS",
    *,
    targets: tuple[str, ...] = (USER_ID, APP_ID),
    reason: str | None = None,
    legacy: str | None = None,
    changed: tuple[str, ...] = (),
) -> LogEvent:
    return LogEvent(
        uuid=f"evt-{event_type}-{published.timestamp()}",
        published=published,
        event_type=event_type,
        legacy_event_type=legacy,
        result=result,
        reason=reason,
        display_message=event_type,
        target_ids=frozenset(targets),
        changed_attributes=frozenset(changed),
    )


def push(published: datetime, result: str = "SUCCESS", reason: str | None = None) -> LogEvent:
    return event("application.provision.user.push_profile", published, result, reason=reason)


def profile_change(published: datetime, *changed: str) -> LogEvent:
    """Okta's update_profile event: the changed attributes' names, no values."""
    return event("user.account.update_profile", published, targets=(USER_ID,), changed=changed)


def facts(attribute: str | None = None, **known: object) -> Facts:
    """Facts of a healthy Box user, with any fact replaced (or made to fail with an exception)."""
    defaults: dict[str, object] = {
        "user": user(),
        "app": app(),
        "app_user": app_user(),
        "feature": None,
        "connection": None,
        "mapping": mapping(),
        "schema": schema(),
        "log": (push(ago(days=1)),),
        "groups": (),
        "user_schema": user_schema(),
        "user_apps": (app(),),
    }
    result = Facts(_NoOkta(), "jdoe", "box", attribute, now=NOW)
    for name, value in (defaults | known).items():
        result.know(name, value)
    return result


def groups(*names: str) -> tuple[Group, ...]:
    return tuple(Group(f"00g{n}", n) for n in names)


def connection(status: str = "ENABLED") -> Connection:
    return Connection(status, "OAUTH2")


class _NoOkta:
    """Unit tests never talk to Okta: every fact is preset."""

    org_url = "https://acme.okta.com"

    async def get(self, path: str, params: object = None) -> Any:
        raise AssertionError(f"unit test tried to fetch {path}")

    async def get_all(self, path: str, params: object = None, *, max_items: int = 0) -> list[Any]:
        raise AssertionError(f"unit test tried to fetch {path}")


def title_import(
    state: OrgState, app: Mapping[str, Any], count: int
) -> tuple[list[str], list[Any]]:
    """An HR import: the titles of `count` of the app's users change at once (the fake
    logs an update_profile event for each); their ids and the events."""
    users = [uid for (aid, uid) in state.app_users if aid == app["id"]][100 : 100 + count]
    for user_id in users:
        state.change_profile(state.users[user_id], {"title": "Chief Importer"}, at=state.now())
    return users, state.logs[-len(users) :]
