"""Per app attribute: how it is mapped, what Okta would send, and what the app user holds.

The `mapping` and `preview` checks both read these views, so they judge the same attributes.

What changed comes from the System Log: Okta's `user.account.update_profile` events name the
changed attributes (`debugData.changedAttributes`) but carry no values, so the views compare
Okta's current value with Okta's copy of the app user (what was last pushed) and never claim
an old value.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from checks.errors import NotAssigned, OktaError, UsageError
from checks.expressions import CannotEvaluate, evaluate, needs_groups, referenced_attributes
from checks.facts import PROFILE_UPDATE, Facts, gathered, settled
from checks.model import (
    App,
    AppSchema,
    AppUser,
    Group,
    LogEvent,
    MappingProperty,
    ProfileMapping,
    User,
)
from checks.sources import el_defaults

EQUIVALENTS: Mapping[str, str] = {
    "familyName": "lastName",
    "surname": "lastName",
    "sn": "lastName",
    "givenName": "firstName",
    "jobTitle": "title",
    "mail": "email",
}
"""App attributes that carry an Okta attribute of another name (Google Workspace's familyName
is Okta's lastName), so a change to the Okta one concerns them."""


@dataclass(frozen=True, slots=True)
class AttributeView:
    name: str
    prop: MappingProperty | None
    okta_name: str | None
    """The Okta attribute this app attribute carries by name (or a known equivalent), when
    the user has it or the log names it."""
    okta_value: Any
    app_value: Any
    would_send: Any
    cannot_evaluate: str | None
    reads: frozenset[str]
    changed: datetime | None
    """When the System Log last named `okta_name` as changed, if it did."""
    source_changed: bool
    """An Okta attribute the expression reads changed recently."""
    asked: bool

    @property
    def evaluated(self) -> bool:
        return self.prop is not None and self.cannot_evaluate is None

    @property
    def differs(self) -> bool:
        return self.evaluated and self.would_send != self.app_value

    @property
    def unmapped(self) -> bool:
        return self.prop is None and self.okta_name is not None and self.interesting

    @property
    def create_only(self) -> bool:
        return (
            self.prop is not None
            and self.prop.push_status == "DONT_PUSH"
            and (self.interesting or self.differs)
        )

    @property
    def wrong_source(self) -> bool:
        if self.prop is None or self.okta_name is None or self.okta_name in self.reads:
            return False
        return self.changed is not None or (
            self.asked and self.evaluated and self.would_send != self.okta_value
        )

    @property
    def interesting(self) -> bool:
        """The person asked about it, or Okta's value of it changed recently."""
        return self.asked or self.changed is not None or self.source_changed


def recent_changes(user: User, events: Iterable[LogEvent]) -> dict[str, datetime]:
    """Okta profile attribute -> when the newest update_profile event named it as changed."""
    changes: dict[str, datetime] = {}
    for event in events:
        if event.event_type == PROFILE_UPDATE and user.id in event.target_ids:
            for name in event.changed_attributes:
                if name not in changes or event.published > changes[name]:
                    changes[name] = event.published
    return changes


def okta_name_of(name: str, user: User, changes: Mapping[str, datetime]) -> str | None:
    """The Okta attribute an app attribute carries: the same name, else a known equivalent."""
    for candidate in (name, EQUIVALENTS.get(name)):
        if candidate is not None and (candidate in user.profile or candidate in changes):
            return candidate
    return None


def resolve_attribute(name: str, app: App, schema: AppSchema) -> str:
    """The app attribute a person meant, matched case-insensitively; UsageError if none."""
    for known in schema.attributes:
        if known.casefold() == name.casefold():
            return known
    listed = ", ".join(sorted(schema.attributes, key=str.casefold))
    raise UsageError(f"{app.label} has no attribute {name!r}; it has: {listed}.")


def views(
    *,
    asked: str | None,
    app: App,
    user: User,
    schema: AppSchema,
    mapping: ProfileMapping | None,
    app_user: AppUser | None,
    changes: Mapping[str, datetime],
    groups: tuple[Group, ...] | None = None,
    defaults: Mapping[str, object] | None = None,
) -> tuple[AttributeView, ...]:
    """The attributes worth judging: the one asked about, else every mapped attribute and every
    app attribute whose Okta attribute (same name or equivalent) the log names as changed."""
    properties = mapping.properties if mapping else {}
    if asked is not None:
        names = [resolve_attribute(asked, app, schema)]
    else:
        changed_here = [
            n
            for n in schema.attributes
            if n not in properties and okta_name_of(n, user, changes) in changes
        ]
        names = sorted([*properties, *changed_here], key=str.casefold)
    app_profile = app_user.profile if app_user else None
    return tuple(
        _view(
            n,
            properties.get(n),
            user,
            app_profile,
            changes,
            groups,
            defaults or {},
            asked=asked is not None,
        )
        for n in names
    )


def _view(
    name: str,
    prop: MappingProperty | None,
    user: User,
    app_profile: Mapping[str, Any] | None,
    changes: Mapping[str, datetime],
    groups: tuple[Group, ...] | None,
    defaults: Mapping[str, object],
    *,
    asked: bool,
) -> AttributeView:
    okta_name = okta_name_of(name, user, changes)
    would_send: Any = None
    cannot: str | None = None
    reads: frozenset[str] = frozenset()
    if prop is not None:
        try:
            reads = referenced_attributes(prop.expression)
            would_send = evaluate(
                prop.expression, user.profile, app_profile, groups=groups, defaults=defaults
            )
        except CannotEvaluate as exc:
            cannot = str(exc)
    return AttributeView(
        name=name,
        prop=prop,
        okta_name=okta_name,
        okta_value=user.profile.get(okta_name) if okta_name else None,
        app_value=(app_profile or {}).get(name),
        would_send=would_send,
        cannot_evaluate=cannot,
        reads=reads,
        changed=changes.get(okta_name) if okta_name else None,
        source_changed=any(r in changes for r in reads),
        asked=asked,
    )


def shown(value: Any) -> str:
    """A value as a person reads it in a table: quoted strings, `null`, `""`."""
    if value is None:
        return "null"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value)


@dataclass(frozen=True, slots=True)
class MappedAttributes:
    user: User
    app: App
    mapping: ProfileMapping | None
    views: tuple[AttributeView, ...]


def for_facts(facts: Facts) -> Awaitable[MappedAttributes]:
    """Views over the facts (built once per diagnosis: the mapping and preview checks share
    them); a user not assigned (or a System Log out of reach) only means less evidence,
    never a failed check."""
    return facts.derived("attributes", lambda: _mapped(facts), at_once=lambda: _at_once(facts))


async def _mapped(facts: Facts) -> MappedAttributes:
    user, app, schema, mapping = await gathered(
        facts.user(), facts.app(), facts.schema(), facts.mapping()
    )
    app_user, events, groups, apps = await asyncio.gather(
        facts.app_user(),
        facts.log_events(),
        _groups_if_needed(facts, mapping),
        facts.user_apps(),
        return_exceptions=True,
    )
    return _built(facts, user, app, schema, mapping, app_user, events, groups, apps)


def _at_once(facts: Facts) -> MappedAttributes | None:
    """The views without a turn of the event loop when every fact they need is settled, as a
    scan presets them (None: not yet, or a fact failed that `_mapped` must raise)."""
    needed = settled(facts.user(), facts.app(), facts.schema(), facts.mapping())
    if needed is None or any(isinstance(v, BaseException) for v in needed):
        return None
    user, app, schema, mapping = needed
    groups: tuple[Any, ...] | None = (None,)
    if _mapping_needs_groups(mapping):
        groups = settled(facts.member_of())
    rest = settled(facts.app_user(), facts.log_events(), facts.user_apps())
    if rest is None or groups is None:
        return None
    app_user, events, apps = rest
    return _built(facts, user, app, schema, mapping, app_user, events, groups[0], apps)


def _built(
    facts: Facts,
    user: User,
    app: App,
    schema: AppSchema,
    mapping: ProfileMapping | None,
    app_user: object,
    events: object,
    groups: object,
    apps: object,
) -> MappedAttributes:
    for outcome in (app_user, events, groups, apps):
        if isinstance(outcome, BaseException) and not isinstance(outcome, (NotAssigned, OktaError)):
            raise outcome
    found = views(
        asked=facts.attribute,
        app=app,
        user=user,
        schema=schema,
        mapping=mapping,
        app_user=app_user if isinstance(app_user, AppUser) else None,
        changes=recent_changes(user, events if isinstance(events, tuple) else ()),
        # Unreadable groups leave group expressions "cannot evaluate", never guessed.
        groups=groups if isinstance(groups, tuple) else None,
        # The user's apps say whether Active Directory sources them (Okta's defaults then).
        defaults=el_defaults(apps if isinstance(apps, tuple) else None),
    )
    return MappedAttributes(user, app, mapping, found)


def _mapping_needs_groups(mapping: ProfileMapping | None) -> bool:
    expressions = mapping.properties.values() if mapping else ()
    return any(needs_groups(p.expression) for p in expressions)


async def _groups_if_needed(
    facts: Facts, mapping: ProfileMapping | None
) -> tuple[Group, ...] | None:
    """The user's groups, read only when a mapping expression calls a group function."""
    return await facts.member_of() if _mapping_needs_groups(mapping) else None
