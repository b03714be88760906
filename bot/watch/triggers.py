"""Which Okta events start triage, read from the System Log event's own fields (pure).

- `application.provision.user.push_profile` with outcome FAILURE: a push failed; triage at once.
- the same with SUCCESS (or `application.provision.user.sync`): a push went through; a triage
  post about that user and app is resolved by itself.
- `user.account.update_profile`: the profile changed (its `debugData.changedAttributes` names
  what, without values); followed up after ATTRSYNC_WATCH_GRACE.
- `application.integration.authentication_failure` (System Log only: no hook sends it): Okta
  could not authenticate to the app's API; one message for the app.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from checks.parse import timestamp

PUSH = "application.provision.user.push_profile"
SYNC = "application.provision.user.sync"
PROFILE_UPDATE = "user.account.update_profile"
AUTH_FAILURE = "application.integration.authentication_failure"
"""Not sent by Event Hooks: read by polling the System Log (`attrsync watch`)."""


@dataclass(frozen=True, slots=True)
class FailedPush:
    user_id: str
    app_id: str
    reason: str


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
class AuthFailed:
    """Okta could not authenticate to the app's API: every user's pushes wait."""

    app_id: str
    app_label: str
    reason: str


Trigger = FailedPush | Pushed | ProfileChanged | AuthFailed


def trigger_of(event: Mapping[str, Any]) -> Trigger | None:
    """What the event asks of triage, or None (another event type, or not enough to act on)."""
    kind = event.get("eventType")
    targets = _targets(event)
    user = targets.get("User")
    if kind in (PUSH, SYNC):
        app = targets.get("AppInstance")
        if user is None or app is None:
            return None
        outcome = event.get("outcome")
        outcome = outcome if isinstance(outcome, Mapping) else {}
        if outcome.get("result") == "FAILURE" and kind == PUSH:
            reason = outcome.get("reason") or event.get("displayMessage") or "the push failed"
            return FailedPush(user, app, str(reason))
        return Pushed(user, app) if outcome.get("result") == "SUCCESS" else None
    if kind == PROFILE_UPDATE and user is not None:
        return ProfileChanged(user, _changed(event), timestamp(event.get("published")))
    if kind == AUTH_FAILURE and "AppInstance" in targets:
        app = targets["AppInstance"]
        outcome = event.get("outcome")
        reason = outcome.get("reason") if isinstance(outcome, Mapping) else None
        label = _label(event, app)
        return AuthFailed(app, label, str(reason or event.get("displayMessage") or "refused"))
    return None


def _label(event: Mapping[str, Any], app_id: str) -> str:
    targets = event.get("target")
    for target in targets if isinstance(targets, list) else []:
        if isinstance(target, Mapping) and target.get("id") == app_id:
            name = target.get("displayName") or target.get("alternateId")
            if isinstance(name, str) and name:
                return name
    return app_id


def _targets(event: Mapping[str, Any]) -> dict[str, str]:
    """The first target id of each type (User, AppInstance, …)."""
    found: dict[str, str] = {}
    targets = event.get("target")
    for target in targets if isinstance(targets, list) else []:
        if isinstance(target, Mapping):
            kind, target_id = target.get("type"), target.get("id")
            if isinstance(kind, str) and isinstance(target_id, str) and target_id:
                found.setdefault(kind, target_id)
    return found


def _changed(event: Mapping[str, Any]) -> frozenset[str]:
    debug = event.get("debugContext")
    data = debug.get("debugData") if isinstance(debug, Mapping) else None
    names = data.get("changedAttributes") if isinstance(data, Mapping) else None
    if not isinstance(names, str):
        return frozenset()
    return frozenset(n.strip() for n in names.split(",") if n.strip())
