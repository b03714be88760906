"""Which Okta events start triage, read tolerantly from what the System Log sends."""

from __future__ import annotations

from typing import Any

import pytest

from bot.watch.triggers import AuthFailed, FailedPush, ProfileChanged, Pushed, trigger_of

USER = {"id": "00u1", "type": "User", "alternateId": "jdoe@example.com"}
APP = {"id": "0oa1", "type": "AppInstance", "alternateId": "Box", "displayName": "Box"}


def _event(kind: str, result: str = "SUCCESS", **extra: Any) -> dict[str, Any]:
    return {
        "uuid": "u1",
        "eventType": kind,
        "published": "2026-12-01T10:00:00.000Z",
        "outcome": {"result": result, "reason": extra.pop("reason", None)},
        "target": extra.pop("target", [USER, APP]),
        **extra,
    }


def test_what_each_event_asks_for() -> None:
    push = "application.provision.user.push_profile"
    assert trigger_of(_event(push, "FAILURE", reason="nope")) == FailedPush("00u1", "0oa1", "nope")
    assert trigger_of(_event(push)) == Pushed("00u1", "0oa1")
    assert trigger_of(_event("application.provision.user.sync")) == Pushed("00u1", "0oa1")
    changed = _event(
        "user.account.update_profile",
        target=[USER],
        debugContext={"debugData": {"changedAttributes": "lastName, title"}},
    )
    found = trigger_of(changed)
    assert isinstance(found, ProfileChanged)
    assert found.attributes == frozenset({"lastName", "title"}) and found.published is not None
    auth = _event("application.integration.authentication_failure", "FAILURE", target=[APP])
    assert trigger_of(auth) == AuthFailed("0oa1", "Box", "refused")


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"eventType": "user.session.start"},
        _event("application.provision.user.push_profile", "FAILURE", target=[USER]),
        _event("application.provision.user.push_profile", "FAILURE", target="nope"),
        _event("application.provision.user.push_profile", "FAILURE", target=[{"id": 7}]),
        _event("application.provision.user.push_profile", "UNKNOWN"),
        _event("user.account.update_profile", target=[APP]),
    ],
)
def test_what_is_not_a_trigger(event: dict[str, Any]) -> None:
    assert trigger_of(event) is None


def test_a_change_without_names_or_time_is_still_followed_up() -> None:
    event = _event("user.account.update_profile", target=[USER], debugContext="?", published=3)
    assert trigger_of(event) == ProfileChanged("00u1", frozenset(), None)
