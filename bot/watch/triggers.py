"""Which Okta events start triage, read from the System Log event's own fields (pure).

Every provisioning failure Okta logs for a user and an app is triaged at once: a failed
`push_profile` (an update), `push` (a create, e.g. "user not found"), `sync`, `reactivate` or
`deactivate`, each with outcome FAILURE. Outcomes RATE_LIMIT and DEFERRED say "not yet": Okta
tries again, nothing has failed and nothing has gone through. Only a later successful push of
the profile (`push_profile` SUCCESS) resolves a report: Okta's legacy catalogue calls `sync`
"synchronizing user with app" (created or updated from the app), which proves nothing about
the profile reaching the app.

`application.integration.authentication_failure`, `.rate_limit_exceeded` and
`.general_failure` concern the app's API as a whole (their only target is the AppInstance, and
the event itself is the failure: a rate-limit event is logged with outcome SUCCESS). No Event
Hook sends them; `attrsync watch` reads them from the System Log.

`user.account.update_profile` names the changed attributes in `debugData.changedAttributes`
(without values); it is followed up after ATTRSYNC_WATCH_GRACE.

An event of a watched type that triage cannot use (no user or app among its targets, `target:
null`) is `Unusable`, so that it is counted and logged, never dropped silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from checks.parse import timestamp

PUSH = "application.provision.user.push_profile"
CREATE = "application.provision.user.push"
SYNC = "application.provision.user.sync"
REACTIVATE = "application.provision.user.reactivate"
DEACTIVATE = "application.provision.user.deactivate"
PROFILE_UPDATE = "user.account.update_profile"
AUTH_FAILURE = "application.integration.authentication_failure"
RATE_LIMITED = "application.integration.rate_limit_exceeded"
GENERAL_FAILURE = "application.integration.general_failure"

USER_FAILURES: Final[Mapping[str, str]] = {
    PUSH: "a failed profile push",
    CREATE: "a failed create",
    SYNC: "a failed sync",
    REACTIVATE: "a failed reactivation",
    DEACTIVATE: "a failed deactivation",
}
"""Provisioning of one user to one app, and what its FAILURE is called in a report."""
APP_FAILURES: Final[Mapping[str, str]] = {
    AUTH_FAILURE: "credentials",
    RATE_LIMITED: "rate_limit",
    GENERAL_FAILURE: "integration",
}
"""Failures of an app's API as a whole, and the cause each app-level message stands for."""
WATCHED: Final = (*USER_FAILURES, PROFILE_UPDATE, *APP_FAILURES)
"""Every event type triage acts on (the poller reads these)."""
NOT_YET: Final = frozenset({"RATE_LIMIT", "DEFERRED"})


@dataclass(frozen=True, slots=True)
class FailedPush:
    user_id: str
    app_id: str
    reason: str
    kind: str = PUSH
    """The event type that failed (a create, a sync, …)."""

    @property
    def what(self) -> str:
        return USER_FAILURES.get(self.kind, "a failed push")


@dataclass(frozen=True, slots=True)
class Pushed:
    user_id: str
    app_id: str


@dataclass(frozen=True, slots=True)
class ProfileChanged:
    user_id: str
    attributes: frozenset[str]
    published: datetime | None
    """When Okta logged the change (the grace runs from then)."""


@dataclass(frozen=True, slots=True)
class AppFailed:
    """Okta's calls to the app's API fail (credentials, its rate limit, anything else): every
    user's pushes wait."""

    app_id: str
    app_label: str
    reason: str
    cause: str = "credentials"
    """One of APP_FAILURES' values."""


@dataclass(frozen=True, slots=True)
class Ignored:
    """Nothing for triage. `result` is how it is counted: `other` (a type triage does not
    watch, or an outcome that changes nothing), `not_yet` (Okta will try again) or `unusable`
    (a watched type without the user or app it should name)."""

    result: str
    why: str = ""


Trigger = FailedPush | Pushed | ProfileChanged | AppFailed
OTHER = Ignored("other")


def trigger_of(event: Mapping[str, Any]) -> Trigger | Ignored:
    """What the event asks of triage, or why it asks nothing."""
    kind = event.get("eventType")
    if kind not in WATCHED:
        return OTHER
    targets = _targets(event)
    outcome = event.get("outcome")
    outcome = outcome if isinstance(outcome, Mapping) else {}
    result, reason = outcome.get("result"), outcome.get("reason")
    said = str(reason or event.get("displayMessage") or "")
    if kind in APP_FAILURES:
        app = targets.get("AppInstance")
        if app is None:
            return Ignored("unusable", f"{kind} names no AppInstance")
        return AppFailed(app, _label(event, app), said or "refused", APP_FAILURES[kind])
    user = targets.get("User")
    if kind == PROFILE_UPDATE:
        if user is None:
            return Ignored("unusable", f"{kind} names no User")
        return ProfileChanged(user, _changed(event), timestamp(event.get("published")))
    app = targets.get("AppInstance")
    if user is None or app is None:
        return Ignored("unusable", f"{kind} names no User and AppInstance")
    if not isinstance(result, str):
        return Ignored("unusable", f"{kind} has no outcome.result")
    if result in NOT_YET:
        return Ignored("not_yet", f"{kind} {result}")
    if result == "FAILURE":
        return FailedPush(user, app, said or "the push failed", kind)
    if result == "SUCCESS" and kind == PUSH:
        return Pushed(user, app)
    return OTHER


def _label(event: Mapping[str, Any], app_id: str) -> str:
    targets = event.get("target")
    for target in targets if isinstance(targets, list) else []:
        if isinstance(target, Mapping) and target.get("id") == app_id:
            name = target.get("displayName") or target.get("alternateId")
            if isinstance(name, str) and name.strip():
                return name.strip()
    return app_id


def _targets(event: Mapping[str, Any]) -> dict[str, str]:
    """The first usable target id of each type (User, AppInstance, …). An id is usable when
    it is one printable word of an Okta id's length: a control character, a space or a
    kilobyte of text is no Okta id, and must not reach a Redis key or a query."""
    found: dict[str, str] = {}
    targets = event.get("target")
    for target in targets if isinstance(targets, list) else []:
        if isinstance(target, Mapping):
            kind, target_id = target.get("type"), target.get("id")
            if isinstance(kind, str) and isinstance(target_id, str) and _okta_id(target_id):
                found.setdefault(kind, target_id)
    return found


def _okta_id(value: str) -> bool:
    return 0 < len(value) <= 64 and value.isascii() and value.isalnum()


def _changed(event: Mapping[str, Any]) -> frozenset[str]:
    debug = event.get("debugContext")
    data = debug.get("debugData") if isinstance(debug, Mapping) else None
    names = data.get("changedAttributes") if isinstance(data, Mapping) else None
    if not isinstance(names, str):
        return frozenset()
    return frozenset(n.strip() for n in names.split(",") if n.strip())
