"""Which apps a profile change concerns, over hand-built facts: the mapping's reads, the app's
attribute names and their known equivalents, and every doubt resolved towards looking."""

from __future__ import annotations

from checks.concerns import bulk_concerned, concerns
from checks.errors import OktaUnavailable
from tests.harness import builders as b

TITLE_ONLY = b.mapping(email=("", ""), firstName=("", ""), lastName=("", ""))


async def test_a_change_the_mapping_reads_concerns_the_app() -> None:
    assert await concerns(b.facts(mapping=TITLE_ONLY), frozenset({"title"}))


async def test_a_change_the_mapping_does_not_read_does_not() -> None:
    assert not await concerns(b.facts(mapping=TITLE_ONLY), frozenset({"department", "mobile"}))


async def test_an_attribute_read_inside_an_expression_counts() -> None:
    mapping = b.mapping(costCenter=('user.department + "-" + user.division', "PUSH"))
    assert await concerns(b.facts(mapping=mapping), frozenset({"division"}))


async def test_an_app_attribute_of_the_changed_name_counts_whatever_it_reads() -> None:
    mapping = b.mapping(title=("user.jobCode", "PUSH"))
    assert await concerns(b.facts(mapping=mapping), frozenset({"title"}))


async def test_an_app_attribute_known_by_another_name_counts() -> None:
    mapping = b.mapping(lastName=("", ""), familyName=("user.nickName", "PUSH"))
    assert await concerns(b.facts(mapping=mapping), frozenset({"lastName"}))


async def test_a_change_that_names_nothing_concerns_every_app() -> None:
    assert await concerns(b.facts(mapping=TITLE_ONLY), frozenset())


async def test_an_app_without_a_mapping_is_looked_at() -> None:
    assert await concerns(b.facts(mapping=None), frozenset({"department"}))


async def test_an_unreadable_mapping_is_looked_at() -> None:
    facts = b.facts(mapping=OktaUnavailable("Okta could not be reached."))
    assert await concerns(facts, frozenset({"department"}))


async def test_an_expression_it_cannot_read_may_read_the_change() -> None:
    mapping = b.mapping(costCenter=("user.department +", "PUSH"))
    assert await concerns(b.facts(mapping=mapping), frozenset({"division"}))


def _listed(app_id: str, name: str, *features: str) -> dict[str, object]:
    return {"id": app_id, "name": name, "status": "ACTIVE", "features": list(features)}


def test_a_bulk_change_concerns_the_apps_that_may_provision() -> None:
    pushes = _listed("0oa1box0000000000001", "boxnet", "PUSH_PROFILE_UPDATES")
    features_api = _listed("0oa2o365000000000002", "office365")  # its features API tells
    sso_only = _listed("0oa3wiki000000000003", "wiki", "IMPORT_NEW_USERS")
    no_id = {"name": "broken"}
    concerned = bulk_concerned([pushes, features_api, sso_only, no_id, "not an app"])
    assert [app.name for app in concerned] == ["boxnet", "office365"]
