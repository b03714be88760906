"""Where an Okta attribute's value comes from for one user, and whether an import undid an edit.

Okta keeps, per user schema property, a `master`: PROFILE_MASTER (the user's profile source,
an app with the PROFILE_MASTERING feature such as Workday or Active Directory), OKTA (Okta
itself, whatever the user's sources) or OVERRIDE (the first entry of `master.priority` that
applies to the user: an APP the user is assigned to, or OKTA). A value sourced by an app is
put back by the app's next import, so an edit made in Okta does not last.

The System Log names changed attributes without values: an edit is an update_profile by a
person (actor type `User`); an import that put the source's value back is a later
update_profile naming the attribute by anyone else (the source app, its agent, Okta's import
job), or a later `application.provision.user.import_profile` from the source app.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from checks.expressions import UNSURE
from checks.facts import PROFILE_IMPORT, PROFILE_UPDATE
from checks.model import App, AttributeSource, LogEvent, User

KNOWN_MASTERS = frozenset({"PROFILE_MASTER", "OKTA", "OVERRIDE"})
USERNAME_ATTRIBUTES = frozenset({"userName", "login"})
"""An app user's username (`credentials.userName`, shown as `userName`) and Okta's login."""
_TEMPLATE_READS = re.compile(r"\b(?:source|user)\.([A-Za-z_][A-Za-z0-9_]*)")


@dataclass(frozen=True, slots=True)
class Sourcing:
    """One attribute's source for one user: `source` is the app, or None for Okta itself;
    `unknown` holds a `master.type` attrsync does not know (then nothing else is judged)."""

    attribute: str
    master: str
    source: App | None
    others: tuple[App, ...] = ()
    """Further profile sources of the user that could supply it (Okta's priority decides)."""
    unknown: str | None = None


@dataclass(frozen=True, slots=True)
class History:
    """The newest edit of an attribute by a person, and the import that followed it."""

    edit: LogEvent | None
    reverted_by: LogEvent | None


def profile_sources(apps: Iterable[App]) -> tuple[App, ...]:
    """The user's active profile-source apps, in the order Okta listed them."""
    return tuple(a for a in apps if a.profile_source and a.status == "ACTIVE")


def sourcing(name: str, prop: AttributeSource | None, sources: Sequence[App]) -> Sourcing:
    master = prop.master_type if prop is not None else "PROFILE_MASTER"
    if master not in KNOWN_MASTERS:
        return Sourcing(name, master, None, unknown=master)
    if master == "OKTA":
        return Sourcing(name, master, None)
    if master == "PROFILE_MASTER":
        return Sourcing(name, master, *_first(sources))
    by_id = {a.id: a for a in sources}
    for entry in prop.priority if prop is not None else ():
        if entry.type == "OKTA":
            return Sourcing(name, master, None)
        if entry.type == "APP" and entry.value in by_id:
            return Sourcing(name, master, by_id[entry.value])
    # No entry of the priority applies to this user: nothing imports the attribute for them.
    return Sourcing(name, master, None)


def _first(sources: Sequence[App]) -> tuple[App | None, tuple[App, ...]]:
    return (sources[0], tuple(sources[1:])) if sources else (None, ())


def history(name: str, user: User, source: App, events: Iterable[LogEvent]) -> History:
    """Events come newest first: the newest edit by a person, and the first import after it."""
    ordered = sorted(
        (e for e in events if user.id in e.target_ids), key=lambda e: e.published, reverse=True
    )
    edit = next(
        (
            e
            for e in ordered
            if e.event_type == PROFILE_UPDATE
            and name in e.changed_attributes
            and e.actor_type == "User"
        ),
        None,
    )
    if edit is None:
        return History(None, None)
    after = [e for e in reversed(ordered) if e.published > edit.published]
    reverted = next((e for e in after if _imports(e, name, source)), None)
    return History(edit, reverted)


def _imports(event: LogEvent, name: str, source: App) -> bool:
    if event.event_type == PROFILE_UPDATE:
        return name in event.changed_attributes and event.actor_type != "User"
    return (
        event.event_type == PROFILE_IMPORT
        and event.result == "SUCCESS"
        and source.id in event.target_ids
    )


def template_reads(template: str | None) -> frozenset[str]:
    """The Okta attributes a username template reads (`${source.login}` reads login)."""
    return frozenset(_TEMPLATE_READS.findall(template or ""))


ACTIVE_DIRECTORY = "active_directory"
AD_DEFAULTS: Mapping[str, object] = {"locale": "en_US"}
"""What Okta's Expression Language reads for an Active Directory-sourced user's unset
attributes. Okta's knowledge base ("Unable to Search AD Sourced Users Based on user.locale
Value Equals 'null'"): with nothing imported or entered, Okta defaults an AD-sourced user's
locale to en_US; the Admin Console, LDAP interface and Users API show it empty or null, but
a mapping's `user.locale == null` is false. Only this attribute and only this source: the
article names no other."""


def el_defaults(apps: Iterable[App] | None) -> Mapping[str, object]:
    """The defaults Okta applies in expressions for this user, given the apps they are
    assigned to (None: unknown, so each default may or may not apply)."""
    if apps is None:
        return dict.fromkeys(AD_DEFAULTS, UNSURE)
    sources = profile_sources(apps)
    if not any(a.name == ACTIVE_DIRECTORY for a in sources):
        return {}
    # With several sources Okta's profile source priority picks one: only AD first is sure.
    return (
        AD_DEFAULTS if sources[0].name == ACTIVE_DIRECTORY else dict.fromkeys(AD_DEFAULTS, UNSURE)
    )
