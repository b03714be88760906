"""Which Okta events start triage. Every event here is built the way the System Log shows it
(the fake's `log_event`: System Log fields per Okta's LogEvent schema, targets AppUser,
AppInstance and User in any order, legacyEventType values from Okta's event-type catalogue's
mappings; the app's API failures name only the AppInstance, and a rate-limit event is logged
with outcome SUCCESS), so the triggers read what Okta sends, not a convenient variant."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot.watch.triggers import (
    OTHER,
    AppFailed,
    FailedPush,
    Ignored,
    ProfileChanged,
    Pushed,
    trigger_of,
)
from fakes.okta.shapes import log_event

USER = {"id": "00u1a2b3c4D5e6F7g8h9", "type": "User", "alternateId": "jdoe@example.com"}
APP_USER = {"id": "0ua1a2b3c4D5e6F7g8h9", "type": "AppUser", "alternateId": "jdoe@box.example"}
APP = {
    "id": "0oa1a2b3c4D5e6F7g8h9",
    "type": "AppInstance",
    "alternateId": "Box",
    "displayName": "Box",
}
U, A = USER["id"], APP["id"]
PROVISION = "application.provision.user."
INTEGRATION = "application.integration."


def _event(
    kind: str,
    result: str = "FAILURE",
    targets: Any = (APP_USER, APP, USER),
    legacy: str | None = None,
    reason: str | None = None,
    **debug: str,
) -> dict[str, Any]:
    event = log_event(
        uuid="9f0c2a4e-6b1d-4c3e-8f5a-0d7b2c9e1a34",
        published=datetime(2026, 12, 1, 10, 0, tzinfo=UTC),
        event_type=kind,
        result=result,
        targets=targets if isinstance(targets, tuple) else (),
        reason=reason,
        legacy_event_type=legacy,
        debug_data=debug,
    )
    if not isinstance(targets, tuple):
        event["target"] = targets  # Okta sends `null` for an event without targets
    return event


@pytest.mark.parametrize(
    ("kind", "legacy", "reason"),
    [
        (
            "push_profile",
            "app.user_management.push_profile_failure",
            "Automatic profile push failed",
        ),
        ("push", "app.api.error.user.not_found", "User was not found in app."),
        ("push", "app.boxnet.api.error.create_new_user", None),
        ("sync", "app.user_management.provision_user_failed", "Could not synchronize user"),
        ("reactivate", "app.api.error.reactivate_user", "Error while reactivating user."),
        ("deactivate", "app.user_management.deactivate_user_failed", None),
    ],
)
def test_every_failed_provisioning_of_a_user_is_triaged(
    kind: str, legacy: str, reason: str | None
) -> None:
    for order in ((APP_USER, APP, USER), (USER, APP, APP_USER)):
        found = trigger_of(_event(PROVISION + kind, targets=order, legacy=legacy, reason=reason))
        assert isinstance(found, FailedPush)
        assert (found.user_id, found.app_id, found.kind) == (U, A, PROVISION + kind)
        assert found.reason == (reason or _event(PROVISION + kind)["displayMessage"])
        assert found.what.startswith("a failed ")


@pytest.mark.parametrize(
    ("kind", "legacy", "result", "cause"),
    [
        ("authentication_failure", "app.api.error.auth", "FAILURE", "credentials"),
        ("rate_limit_exceeded", "app.api.error.rate.limit.exceeded", "SUCCESS", "rate_limit"),
        ("general_failure", "app.api.error.general", "FAILURE", "integration"),
    ],
)
def test_the_failures_of_an_apps_api_are_one_message_per_app(
    kind: str, legacy: str, result: str, cause: str
) -> None:
    found = trigger_of(_event(INTEGRATION + kind, result, targets=(APP,), legacy=legacy))
    assert isinstance(found, AppFailed)
    assert (found.app_id, found.app_label, found.cause) == (A, "Box", cause)


def test_only_a_successful_push_of_the_profile_resolves() -> None:
    assert trigger_of(_event(PROVISION + "push_profile", "SUCCESS")) == Pushed(U, A)
    for kind in ("sync", "push", "reactivate", "import_profile"):
        assert trigger_of(_event(PROVISION + kind, "SUCCESS")) == OTHER, kind


@pytest.mark.parametrize("result", ["RATE_LIMIT", "DEFERRED"])
def test_rate_limited_or_deferred_is_not_yet(result: str) -> None:
    for kind in ("push_profile", "push", "sync"):
        assert trigger_of(_event(PROVISION + kind, result)) == Ignored(
            "not_yet", f"{PROVISION}{kind} {result}"
        )


def test_a_profile_change_names_its_attributes() -> None:
    event = _event(
        "user.account.update_profile",
        "SUCCESS",
        targets=(USER,),
        changedAttributes="lastName,title",
    )
    found = trigger_of(event)
    assert isinstance(found, ProfileChanged)
    assert found.attributes == frozenset({"lastName", "title"}) and found.published is not None
    bare = _event("user.account.update_profile", "SUCCESS", targets=(USER,))
    bare["debugContext"], bare["published"] = "?", 3
    assert trigger_of(bare) == ProfileChanged(U, frozenset(), None)


@pytest.mark.parametrize(
    "targets",
    [
        None,  # Okta's `target: null`
        [],
        "nope",
        (USER,),
        (APP_USER, APP),
        ({"id": 7, "type": "User"}, APP),
        ({"id": "00u1\x00evil", "type": "User"}, APP),
        ({"id": "00u1\nline", "type": "User"}, APP),
        ({"id": "00u 1", "type": "User"}, APP),
        ({"id": "x" * 65, "type": "User"}, APP),
        ({"id": "00u1é", "type": "User"}, APP),
    ],
)
def test_a_watched_event_triage_cannot_use_is_unusable_not_ignored(targets: Any) -> None:
    found = trigger_of(_event(PROVISION + "push_profile", targets=targets))
    assert isinstance(found, Ignored) and found.result == "unusable"
    app_level = trigger_of(_event(INTEGRATION + "general_failure", targets=targets))
    if not (isinstance(targets, tuple) and APP in targets):
        assert isinstance(app_level, Ignored) and app_level.result == "unusable"


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"eventType": "user.session.start"},
        {"eventType": ["not", "a", "string"]},
        _event("application.user_membership.add", "SUCCESS"),
        _event(PROVISION + "push_profile", "UNKNOWN"),
        _event(PROVISION + "push_profile", "SKIPPED"),
    ],
)
def test_what_is_not_a_trigger(event: dict[str, Any]) -> None:
    assert trigger_of(event) == OTHER


@pytest.mark.parametrize("result", [["FAILURE"], {"a": 1}, None, 7])
def test_an_outcome_that_is_not_a_string_is_unusable(result: Any) -> None:
    event = _event(PROVISION + "push_profile")
    event["outcome"] = {"result": result}
    found = trigger_of(event)
    assert isinstance(found, Ignored) and found.result == "unusable"
