"""Okta's JSON as the spec and its examples give it -> attrsync's model, including the shapes
real Okta sends that a convenient fake would not."""

from __future__ import annotations

from typing import Any

import pytest

from checks import parse
from checks.errors import OktaMalformed


def test_a_connection_without_a_profile_has_no_auth_scheme() -> None:
    """`GET …/connections/default` of a connection never set up answers only its status."""
    assert parse.connection({"status": "DISABLED"}).auth_scheme is None
    found = parse.connection({"status": "ENABLED", "profile": {"authScheme": "TOKEN"}})
    assert (found.status, found.auth_scheme) == ("ENABLED", "TOKEN")


def _app_user(**extra: Any) -> dict[str, Any]:
    return {"id": "00u1", "scope": "GROUP", "status": "PROVISIONED", "profile": {}} | extra


def test_a_group_assignment_names_its_group_in_links() -> None:
    href = "https://acme.okta.com/api/v1/groups/00gSales01"
    found = parse.app_user(_app_user(_links={"group": {"href": href}, "app": {"href": "x"}}))
    assert found.group_id == "00gSales01"
    assert parse.app_user(_app_user(_links={})).group_id is None
    assert parse.app_user(_app_user(_links={"group": {"href": None}})).group_id is None


def test_update_profile_names_changed_attributes_without_values() -> None:
    event = parse.log_event(
        {
            "uuid": "e1",
            "published": "2026-11-30T10:00:00.000Z",
            "eventType": "user.account.update_profile",
            "outcome": {"result": "SUCCESS"},
            "target": [{"id": "00u1", "type": "User"}],
            "debugContext": {"debugData": {"changedAttributes": "lastName, title,,"}},
        }
    )
    assert event.changed_attributes == frozenset({"lastName", "title"})
    bare = parse.log_event({"eventType": "user.account.update_profile", "debugContext": {}})
    assert bare.changed_attributes == frozenset()


@pytest.mark.parametrize("bad", ["", "../../users/x", "0oa/..", "00u 1", None, 12, "a" * 65])
def test_only_okta_shaped_ids_are_taken(bad: object) -> None:
    with pytest.raises(OktaMalformed):
        parse.app({"id": bad, "label": "Box"})
    with pytest.raises(OktaMalformed):
        parse.mapping({"id": bad, "properties": {}})
