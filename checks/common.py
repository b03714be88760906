"""Small judgements several checks share, so that they agree with each other."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from checks.errors import NotProvisioned
from checks.facts import FEATURES_API_APPS, gathered
from checks.model import App, LogEvent, ProvisioningFeature

if TYPE_CHECKING:
    from checks.facts import Facts

TO_APP_FEATURES = frozenset(
    {"PUSH_NEW_USERS", "PUSH_PROFILE_UPDATES", "PUSH_USER_DEACTIVATION", "PUSH_PASSWORD_UPDATES"}
)
PENDING_GRACE = timedelta(hours=1)
"""How long a profile change may wait for its push before it counts as not pushed."""


def provisioning_on(app: App, feature: ProvisioningFeature | None) -> bool:
    if feature is not None and feature.status == "ENABLED":
        return True
    return bool(app.features & TO_APP_FEATURES)


def might_provision(app: App) -> bool:
    """Whether the app may push to its users at all, as far as the app object tells (the
    features API apps say it in their provisioning settings, read apart)."""
    return bool(app.features & TO_APP_FEATURES) or app.name in FEATURES_API_APPS


async def provisioned_app(facts: Facts) -> tuple[App, ProvisioningFeature | None]:
    """The app and its provisioning settings; NotProvisioned (the check is skipped) if off."""
    app, feature = await gathered(facts.app(), facts.feature())
    if not provisioning_on(app, feature):
        raise NotProvisioned(f"provisioning to {app.label} is off")
    return app, feature


def update_attributes_on(app: App, feature: ProvisioningFeature | None) -> bool:
    if feature is not None:
        return feature.update_attributes == "ENABLED"
    return "PUSH_PROFILE_UPDATES" in app.features


def deactivate_users_on(app: App, feature: ProvisioningFeature | None) -> bool:
    if feature is not None:
        return feature.deactivate_users == "ENABLED"
    return "PUSH_USER_DEACTIVATION" in app.features


def times(count: int) -> str:
    """'once', 'twice', '3 times'."""
    return {1: "once", 2: "twice"}.get(count, f"{count} times")


def ago(moment: datetime | None, now: datetime) -> str:
    """'4 minutes ago', '3 hours ago', '2 days ago' (or 'never')."""
    if moment is None:
        return "never"
    seconds = max(0, int((now - moment).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def when(moment: datetime | None, now: datetime) -> str:
    """'2026-11-26 10:00 UTC (2 days ago)'."""
    if moment is None:
        return "never"
    # Not strftime: a scan writes this evidence several times for each of its users.
    at = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    day = f"{at.year:04d}-{at.month:02d}-{at.day:02d} {at.hour:02d}:{at.minute:02d}"
    return f"{day} UTC ({ago(moment, now)})"


PUSH_EVENTS = frozenset(
    {
        "application.provision.user.push_profile",
        "application.provision.user.push",
        "application.provision.user.sync",
        "app.office365.api.error.push.profile",
        "app.office365.api.error.sync.user",
    }
)
AUTH_FAILURE_EVENTS = frozenset(
    {"application.integration.authentication_failure", "app.office365.api.error.validate.creds"}
)


def last_push_success(events: Iterable[LogEvent], user_id: str) -> LogEvent | None:
    """The newest successful push of this user's profile (events come newest first)."""
    return next(
        (
            e
            for e in events
            if e.event_type in PUSH_EVENTS and e.result == "SUCCESS" and user_id in e.target_ids
        ),
        None,
    )


def when_event(event: LogEvent | None, now: datetime) -> str:
    return when(event.published if event else None, now)


def newer_than(events: Iterable[LogEvent], mark: LogEvent | None) -> list[LogEvent]:
    return [e for e in events if mark is None or e.published > mark.published]
