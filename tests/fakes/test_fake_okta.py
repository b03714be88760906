"""The fake Okta server (fakes.okta): auth, lookups, paging, filters, writes, faults."""

from __future__ import annotations

import math
import re
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import jwt
import pytest
from multidict import CIMultiDictProxy

from bot.demo.org import SCENARIOS, build_demo_org
from fakes.okta.faults import Fault
from fakes.okta.filters import FakeFilterError, parse_filter
from fakes.okta.oauth import key_pair
from fakes.okta.server import FakeOkta, serve
from fakes.okta.state import OrgState

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
TOKEN = "test-token"
JSON = dict[str, Any]


def fixed_org() -> OrgState:
    return OrgState(clock=lambda: NOW)


@asynccontextmanager
async def running(
    org: OrgState, **options: Any
) -> AsyncIterator[tuple[FakeOkta, aiohttp.ClientSession]]:
    """A fake over `org` and a client session that authenticates with SSWS."""
    async with serve(org, token=TOKEN, **options) as fake:
        headers = {"Authorization": f"SSWS {TOKEN}"}
        async with aiohttp.ClientSession(base_url=fake.url, headers=headers) as http:
            yield fake, http
        assert fake.errors == []


async def call(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    params: Mapping[str, str] | None = None,
    json: Any = None,
    headers: Mapping[str, str] | None = None,
) -> tuple[int, Any, CIMultiDictProxy[str]]:
    async with http.request(method, url, params=params, json=json, headers=headers) as response:
        body = None if response.status == 204 else await response.json()
        return response.status, body, response.headers


def next_link(headers: CIMultiDictProxy[str]) -> str | None:
    for link in headers.getall("Link", []):
        match = re.fullmatch(r'<([^>]+)>; rel="next"', link)
        if match:
            return match.group(1)
    return None


async def every_page(
    http: aiohttp.ClientSession, path: str, params: Mapping[str, str]
) -> list[list[JSON]]:
    pages: list[list[JSON]] = []
    status, body, headers = await call(http, "GET", path, params=params)
    assert status == 200
    pages.append(body)
    url = next_link(headers)
    while url:
        status, body, headers = await call(http, "GET", url)
        assert status == 200
        pages.append(body)
        url = next_link(headers)
    return pages


# Authentication


@pytest.mark.parametrize("header", [f"SSWS {TOKEN}", f"SSWS{TOKEN}"])
async def test_ssws_token_with_or_without_space_is_accepted(header: str) -> None:
    org = fixed_org()
    org.add_user("jdoe", "Jane", "Doe")
    async with running(org) as (_, http):
        status, body, _ = await call(
            http, "GET", "/api/v1/users/jdoe", headers={"Authorization": header}
        )
    assert status == 200
    assert body["profile"]["login"] == "jdoe@example.com"


@pytest.mark.parametrize(
    "header", ["SSWS wrong", "SSWS t\u00f6ken", "Bearer something", "", f"Basic {TOKEN}"]
)
async def test_wrong_or_missing_auth_is_401(header: str) -> None:
    async with running(fixed_org()) as (_, http):
        status, body, headers = await call(
            http, "GET", "/api/v1/apps", headers={"Authorization": header}
        )
    assert status == 401
    assert body["errorCode"] == "E0000011"
    assert body["errorSummary"] == "Invalid token provided"
    assert headers["X-Okta-Request-Id"]


async def test_every_answer_carries_okta_headers() -> None:
    async with running(fixed_org()) as (_, http):
        for path in ("/api/v1/apps", "/api/v1/nowhere", "/"):
            status, body, headers = await call(http, "GET", path)
            assert headers["Content-Type"] == "application/json"
            assert headers["X-Okta-Request-Id"]
            assert headers["Date"].endswith("GMT")
            assert int(headers["X-Rate-Limit-Limit"]) > 0
            assert int(headers["X-Rate-Limit-Remaining"]) >= 0
            assert int(headers["X-Rate-Limit-Reset"]) > time.time()
        assert status == 404
        assert body["errorCode"] == "E0000007"
        status, body, _ = await call(http, "PATCH", "/api/v1/apps")
        assert (status, body["errorCode"]) == (405, "E0000022")


# Users


async def test_user_lookup_by_id_login_and_unambiguous_short_name() -> None:
    org = fixed_org()
    jane = org.add_user("jdoe", "Jane", "Doe")
    org.add_user("sam@example.com", "Sam", "One")
    org.add_user("sam@other.example", "Sam", "Two")
    async with running(org) as (_, http):
        for ref in (
            jane["id"],
            "jdoe@example.com",
            "JDoe@Example.com",
            "jdoe",
            "jdoe%40example.com",
        ):
            status, body, _ = await call(http, "GET", f"/api/v1/users/{ref}")
            assert (status, body["id"]) == (200, jane["id"]), ref
        status, body, _ = await call(http, "GET", "/api/v1/users/sam")
        assert status == 404
        assert body["errorSummary"] == "Not found: Resource not found: sam (User)"
        status, body, _ = await call(http, "GET", "/api/v1/users/sam@other.example")
        assert body["profile"]["lastName"] == "Two"


async def test_user_search_and_paging() -> None:
    org = fixed_org()
    for n in range(5):
        org.add_user(f"user{n}", "User", f"Number{n}")
    async with running(org) as (_, http):
        status, body, _ = await call(
            http, "GET", "/api/v1/users", params={"search": 'profile.email eq "USER3@example.com"'}
        )
        assert status == 200
        assert [user["profile"]["lastName"] for user in body] == ["Number3"]
        _status, body, _ = await call(
            http, "GET", "/api/v1/users", params={"search": 'profile.login eq "user1@example.com"'}
        )
        assert [user["profile"]["lastName"] for user in body] == ["Number1"]
        pages = await every_page(http, "/api/v1/users", {"limit": "2"})
    assert [len(page) for page in pages] == [2, 2, 1]


async def test_user_groups() -> None:
    org = fixed_org()
    jane = org.add_user("jdoe", "Jane", "Doe")
    org.add_group("Sales", [jane])
    org.add_group("Empty")
    async with running(org) as (_, http):
        status, body, _ = await call(http, "GET", f"/api/v1/users/{jane['id']}/groups")
        assert [group["profile"]["name"] for group in body] == ["Sales"]
        assert body[0]["objectClass"] == ["okta:user_group"]
        assert body[0]["type"] == "OKTA_GROUP"
        status, body, _ = await call(http, "GET", "/api/v1/users/nobody/groups")
        assert status == 404


# Apps


def org_with_apps(count: int) -> OrgState:
    org = fixed_org()
    for n in range(count):
        org.add_app(f"app{n}", f"App {n}")
    return org


async def test_apps_paging_follows_next_links() -> None:
    org = org_with_apps(7)
    async with running(org) as (fake, http):
        status, first, headers = await call(http, "GET", "/api/v1/apps", params={"limit": "3"})
        assert status == 200
        links = headers.getall("Link")
        assert links[0] == f'<{fake.url}/api/v1/apps?limit=3>; rel="self"'
        assert links[1] == f'<{fake.url}/api/v1/apps?after={first[-1]["id"]}&limit=3>; rel="next"'
        pages = await every_page(http, "/api/v1/apps", {"limit": "3"})
        _status, everything, headers = await call(http, "GET", "/api/v1/apps")
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [app["id"] for page in pages for app in page] == list(org.apps)
    assert len(everything) == 7
    assert next_link(headers) is None


async def test_apps_q_and_filter() -> None:
    org = build_demo_org(NOW)
    async with running(org) as (_, http):

        async def labels(params: Mapping[str, str]) -> list[str]:
            status, body, _ = await call(http, "GET", "/api/v1/apps", params=params)
            assert status == 200, body
            return sorted(app["label"] for app in body)

        assert await labels({"q": "g"}) == ["GitHub", "Google Workspace"]
        assert await labels({"q": "BOX"}) == ["Box"]
        assert await labels({"q": "micro"}) == ["Microsoft Office 365"]
        assert await labels({"q": "acme_hr"}) == ["HR Portal"]
        assert await labels({"filter": 'name eq "boxnet"'}) == ["Box"]
        assert "Legacy CRM" not in await labels({"filter": 'status eq "ACTIVE"'})
        assert await labels({"filter": 'status eq "INACTIVE"'}) == ["Legacy CRM"]
        both = 'status eq "ACTIVE" and name eq "acme_legacycrm_1"'
        assert await labels({"filter": both}) == []
        jdoe = org.user("jdoe")["id"]
        assert await labels({"filter": f'user.id eq "{jdoe}"'}) == ["Box"]
        status, body, _ = await call(http, "GET", "/api/v1/apps", params={"filter": "label eq 1"})
        assert (status, body["errorCode"]) == (400, "E0000001")


async def test_app_user_get_list_and_expand() -> None:
    org = build_demo_org(NOW)
    box, jdoe = org.app("boxnet")["id"], org.user("jdoe")
    async with running(org) as (_, http):
        status, body, _ = await call(
            http, "GET", f"/api/v1/apps/{box}/users/{jdoe['id']}", params={"expand": "user"}
        )
        assert status == 200
        assert body["externalId"] is None
        assert body["_embedded"]["user"]["id"] == jdoe["id"]
        pages = await every_page(http, f"/api/v1/apps/{box}/users", {"limit": "2"})
        _status, body, _ = await call(http, "GET", f"/api/v1/apps/{box}/users", params={"q": "car"})
    assert sum(len(page) for page in pages) == sum(
        1 for app_id, _ in org.app_users if app_id == box
    )
    assert [found["profile"]["firstName"] for found in body] == ["Carol"]


async def test_app_user_pages_go_on_in_id_order_while_users_come_and_go() -> None:
    """Okta lists app users by id, and a next link goes on after its cursor's id: users
    assigned since behind the cursor are not listed, users ahead are; unassigned ones are not,
    the cursor's own user included; a changed or re-assigned app user keeps its place."""
    org = fixed_org()
    box = org.add_app("boxnet", "Box")["id"]
    users = [org.add_user(f"user{n}", "Pat", f"Doe{n}")["id"] for n in range(30)]
    for user_id in users[:12]:
        org.assign(box, user_id)
    path = f"/api/v1/apps/{box}/users"

    def assigned() -> list[str]:
        return sorted(user_id for app_id, user_id in org.app_users if app_id == box)

    def listed(pages: list[list[JSON]]) -> list[list[str]]:
        return [[found["id"] for found in page] for page in pages]

    def in_pages(user_ids: list[str]) -> list[list[str]]:
        return [user_ids[n : n + 5] for n in range(0, len(user_ids), 5)]

    async with running(org) as (fake, http):
        before = await every_page(http, path, {"limit": "5"})
        assert listed(before) == in_pages(assigned())
        _status, first, headers = await call(http, "GET", path, params={"limit": "5"})
        cursor = first[-1]["id"]
        url = next_link(headers)
        assert url == f"{fake.url}{path}?after={cursor}&limit=5"
        behind = [user_id for user_id in users[12:] if user_id < cursor]
        ahead = [user_id for user_id in users[12:] if user_id > cursor]
        listed_ahead = [user_id for user_id in assigned() if user_id > cursor]
        for user_id in (behind[0], ahead[0]):
            status, _, _ = await call(http, "POST", path, json={"id": user_id, "scope": "USER"})
            assert status == 200
        for user_id in (cursor, listed_ahead[0]):
            status, _, _ = await call(http, "DELETE", f"{path}/{user_id}")
            assert status == 204
        profile = {"profile": {"nickName": "Pat"}}
        status, _, _ = await call(http, "POST", f"{path}/{listed_ahead[1]}", json=profile)
        assert status == 200
        org.assign(box, ahead[1])
        org.assign(box, listed_ahead[2])
        del org.app_users[(box, listed_ahead[3])]
        rest: list[list[JSON]] = []
        while url:
            status, body, headers = await call(http, "GET", url)
            assert status == 200
            rest.append(body)
            url = next_link(headers)
        after = await every_page(http, path, {"limit": "5"})
    went_on = {user_id for page in listed(rest) for user_id in page}
    assert {ahead[0], ahead[1], listed_ahead[1], listed_ahead[2]} <= went_on
    assert {behind[0], cursor, listed_ahead[0], listed_ahead[3]}.isdisjoint(went_on)
    assert listed(rest) == in_pages([user_id for user_id in assigned() if user_id > cursor])
    assert listed(after) == in_pages(assigned())
    assert behind[0] in assigned()


class _CountedId(str):
    """A user id that counts the comparisons made with it, however the fake searches or sorts
    the app's users."""

    compared = 0

    def __lt__(self, other: str) -> bool:
        _CountedId.compared += 1
        return str.__lt__(self, other)

    def __gt__(self, other: str) -> bool:
        _CountedId.compared += 1
        return str.__gt__(self, other)

    def __eq__(self, other: object) -> bool:
        _CountedId.compared += 1
        return str.__eq__(self, other)

    __hash__ = str.__hash__


class _CountedAppUser(dict[str, Any]):
    """An app user that counts the reads of its fields: a route that looks at every app user
    (to sort them, say) reads them all."""

    read = 0

    def __getitem__(self, key: str) -> Any:
        _CountedAppUser.read += 1
        return super().__getitem__(key)


class _CountingOrg(OrgState):
    def new_id(self, prefix: str) -> str:
        made = super().new_id(prefix)
        return _CountedId(made) if prefix == "00u" else made


async def test_serving_a_page_of_app_users_costs_the_same_in_a_big_app() -> None:
    """Counted, not timed: the page in the middle of 2,000 app users reads as many of them as
    in an app of 60, and finds its cursor in a few more comparisons of ids (a search's log n,
    where sorting them would be n log n)."""
    compared: dict[int, int] = {}
    read: dict[int, int] = {}
    for size in (60, 2000):
        org = _CountingOrg(clock=lambda: NOW)
        box = org.add_app("boxnet", "Box")["id"]
        for n in range(size):
            org.assign(box, org.add_user(f"user{n}", "Pat", f"Doe{n}"))
        for key, found in list(org.app_users.items()):
            org.app_users[key] = _CountedAppUser(found)
        listed = sorted(user_id for _, user_id in org.app_users)
        middle = {"limit": "20", "after": listed[size // 2], "expand": "user"}
        async with running(org) as (_, http):
            _CountedId.compared = _CountedAppUser.read = 0
            status, body, _ = await call(http, "GET", f"/api/v1/apps/{box}/users", params=middle)
            compared[size], read[size] = _CountedId.compared, _CountedAppUser.read
        assert status == 200
        assert [found["id"] for found in body] == listed[size // 2 + 1 : size // 2 + 21]
    assert read[2000] == read[60] <= 2 * 20
    assert compared[2000] <= compared[60] + math.ceil(math.log2(2000))


# System Log


async def test_logs_filter_for_user_and_app_events() -> None:
    org = build_demo_org(NOW)
    slack, frank = org.app("slack")["id"], org.user("fcreds")["id"]
    query = (
        f'(target.id eq "{frank}" and target.id eq "{slack}") or '
        f'(target.id eq "{slack}" and eventType sw "application.integration")'
    )
    since = (NOW - timedelta(days=7)).isoformat()
    async with running(org) as (_, http):
        status, body, headers = await call(
            http,
            "GET",
            "/api/v1/logs",
            params={"since": since, "until": NOW.isoformat(), "filter": query},
        )
    assert status == 200
    types = [event["eventType"] for event in body]
    assert types == [
        "application.provision.user.push_profile",
        "application.integration.authentication_failure",
        "application.integration.authentication_failure",
        "application.provision.user.push_profile",
    ]
    published = [event["published"] for event in body]
    assert published == sorted(published)
    assert [event["outcome"]["result"] for event in body][-1] == "FAILURE"
    assert next_link(headers) is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ('eventType eq "user.account.update_profile" and target.id eq "{efail}"', 1),
        ('outcome.result eq "FAILURE" and target.id eq "{efail}"', 2),
        ('legacyEventType eq "app.google.user_management.error.push_profile_update"', 2),
        ('outcome.reason co "Not Authorized"', 2),
        ('actor.id eq "00u1admin000000000g1" and target.id eq "{efail}"', 1),
        ('not (eventType sw "user.") and target.id eq "{efail}"', 3),
    ],
)
async def test_logs_filter_attributes(query: str, expected: int) -> None:
    org = build_demo_org(NOW)
    text = query.replace("{efail}", org.user("efail")["id"])
    since = (NOW - timedelta(days=7)).isoformat()
    async with running(org) as (_, http):
        status, body, _ = await call(
            http,
            "GET",
            "/api/v1/logs",
            params={"since": since, "until": NOW.isoformat(), "filter": text},
        )
    assert status == 200, body
    assert len(body) == expected


async def test_logs_sort_order_and_bounded_paging() -> None:
    org = build_demo_org(NOW)
    since, until = (NOW - timedelta(days=30)).isoformat(), NOW.isoformat()
    async with running(org) as (_, http):
        pages = await every_page(
            http,
            "/api/v1/logs",
            {"since": since, "until": until, "limit": "4", "sortOrder": "DESCENDING"},
        )
        _status, ascending, _ = await call(
            http, "GET", "/api/v1/logs", params={"since": since, "until": until}
        )
    descending = [event for page in pages for event in page]
    assert all(len(page) <= 4 for page in pages)
    assert len(descending) == len(org.logs) == len(ascending)
    assert [event["uuid"] for event in descending] == [
        event["uuid"] for event in reversed(ascending)
    ]
    assert [event["published"] for event in ascending] == sorted(e["published"] for e in ascending)


async def test_logs_polling_query_always_offers_next_and_bad_queries_fail() -> None:
    org = fixed_org()
    user = org.add_user("jdoe", "Jane", "Doe")
    org.change_profile(user, {"lastName": "Roe"}, at=NOW - timedelta(hours=1))
    async with running(org) as (_, http):
        status, body, headers = await call(http, "GET", "/api/v1/logs")
        assert len(body) == 1
        assert "after=" in (next_link(headers) or "")
        status, body, _ = await call(
            http, "GET", "/api/v1/logs", params={"filter": "eventType eqq 1"}
        )
        assert (status, body["errorCode"]) == (400, "E0000053")
        assert "Unrecognized attribute operator 'eqq'" in body["errorSummary"]
        status, body, _ = await call(
            http, "GET", "/api/v1/logs", params={"filter": 'published gt "2025-01-01"'}
        )
        assert (status, body["errorCode"]) == (400, "E0000053")
        old = (NOW - timedelta(days=200)).isoformat()
        status, body, _ = await call(http, "GET", "/api/v1/logs", params={"since": old})
        assert (status, body["errorCode"]) == (400, "E0000053")
        status, body, _ = await call(http, "GET", "/api/v1/logs", params={"until": "yesterday"})
        assert (status, body["errorCode"]) == (400, "E0000001")


def test_filter_parser() -> None:
    event = {"eventType": "a.b", "target": [{"id": "1"}, {"id": "2"}], "n": 3, "flag": True}
    assert parse_filter('target.id eq "2" and target.id eq "1"')(event)
    assert not parse_filter('target.id eq "3" or (eventType eq "x")')(event)
    assert parse_filter('eventType sw "a." and eventType ew ".b" and eventType co "."')(event)
    assert parse_filter("n gt 2 and flag eq true and missing pr or n eq 3")(event)
    assert parse_filter('eventType eq "A.B"', ignore_case=True)(event)
    assert not parse_filter('eventType eq "A.B"')(event)
    assert parse_filter('eventType eq "a\\"b"')({"eventType": 'a"b'})
    for bad in (
        "",
        "eventType",
        "eventType eq",
        '(eventType eq "a"',
        'eventType eq "a" and',
        "a ~ b",
    ):
        with pytest.raises(FakeFilterError):
            parse_filter(bad)


# Mappings


async def test_mappings_list_get_and_partial_update() -> None:
    org = build_demo_org(NOW)
    box = org.app("boxnet")
    default_type = org.default_type_id
    async with running(org) as (fake, http):
        status, listed, _ = await call(
            http,
            "GET",
            "/api/v1/mappings",
            params={"sourceId": default_type, "targetId": box["id"]},
        )
        assert len(listed) == 1
        assert "properties" not in listed[0]
        assert listed[0]["source"] == {
            **listed[0]["source"],
            "id": default_type,
            "name": "user",
            "type": "user",
        }
        assert listed[0]["target"]["name"] == "boxnet"
        assert listed[0]["target"]["type"] == "appuser"
        path = f"/api/v1/mappings/{listed[0]['id']}"
        status, full, _ = await call(http, "GET", path)
        assert full["properties"]["lastName"] == {
            "expression": "user.lastName",
            "pushStatus": "PUSH",
        }

        change = {
            "properties": {
                "department": {"expression": "user.department", "pushStatus": "PUSH"},
                "title": {"expression": None, "pushStatus": None},
            }
        }
        status, updated, _ = await call(http, "POST", path, json=change)
        assert status == 200
        assert updated["properties"]["department"]["pushStatus"] == "PUSH"
        assert "title" not in updated["properties"]
        assert "lastName" in updated["properties"]

        bad = {"properties": {"noSuchAttribute": {"expression": "user.x", "pushStatus": "PUSH"}}}
        status, body, _ = await call(http, "POST", path, json=bad)
        assert (status, body["errorCode"]) == (400, "E0000001")
        bad = {"properties": {"title": {"expression": "user.title", "pushStatus": "SOMETIMES"}}}
        status, body, _ = await call(http, "POST", path, json=bad)
        assert status == 400
        status, every, _ = await call(http, "GET", "/api/v1/mappings", params={"limit": "200"})
    assert len(every) == len(org.mappings)
    assert [r.status for r in fake.mutations] == [200]


# App users


async def test_app_user_profile_update_and_mapped_attribute_guard() -> None:
    org = build_demo_org(NOW)
    box, jdoe = org.app("boxnet")["id"], org.user("jdoe")["id"]
    path = f"/api/v1/apps/{box}/users/{jdoe}"
    async with running(org) as (_, http):
        status, body, _ = await call(http, "POST", path, json={"profile": {"department": "Ops"}})
        assert status == 200
        assert body["profile"]["department"] == "Ops"
        assert body["profile"]["lastName"] == "Anderson"
        status, body, _ = await call(http, "POST", path, json={"profile": {"lastName": "Smith"}})
        assert (status, body["errorCode"]) == (403, "E0000075")
        assert "lastName" in body["errorSummary"]
        status, body, _ = await call(http, "POST", path, json={"profile": {"department": None}})
        assert "department" not in body["profile"]


async def test_group_assignment_converts_to_user_and_cannot_be_deleted_while_granted() -> None:
    org = build_demo_org(NOW)
    box, bruce = org.app("boxnet")["id"], org.user("bwayne")["id"]
    path = f"/api/v1/apps/{box}/users/{bruce}"
    async with running(org) as (fake, http):
        status, body, _ = await call(http, "GET", path)
        assert body["scope"] == "GROUP"
        assert "group" in body["_links"]
        status, body, _ = await call(http, "POST", path, json={"scope": "USER"})
        assert (status, body["scope"]) == (200, "USER")
        assert "group" not in body["_links"]
        status, body, _ = await call(http, "DELETE", path, params={"sendEmail": "false"})
        assert (status, body["errorCode"]) == (403, "E0000046")
        assert org.app_users[(box, bruce)]["scope"] == "USER"
    assert [(r.method, r.status) for r in fake.mutations] == [("POST", 200)]


async def test_unassign_and_reassign_while_provisioning_gets_an_external_id() -> None:
    org = build_demo_org(NOW)
    box, jane = org.app("boxnet")["id"], org.user("jdoe")["id"]
    path = f"/api/v1/apps/{box}/users/{jane}"
    async with running(org) as (fake, http):
        status, body, headers = await call(http, "DELETE", path, params={"sendEmail": "false"})
        assert (status, body) == (204, None)
        assert "Content-Type" not in headers
        status, body, _ = await call(http, "GET", path)
        assert (status, body["errorCode"]) == (404, "E0000007")
        assign = {"id": jane, "scope": "USER", "credentials": {"userName": "jdoe@example.com"}}
        status, body, _ = await call(http, "POST", f"/api/v1/apps/{box}/users", json=assign)
        assert status == 200
        assert body["externalId"]
        assert (body["status"], body["syncState"]) == ("PROVISIONED", "SYNCHRONIZED")
        assert body["profile"]["lastName"] == "Anderson"
    recorded = fake.mutations
    assert [(r.method, r.path, r.query) for r in recorded] == [
        ("DELETE", path, {"sendEmail": "false"}),
        ("POST", f"/api/v1/apps/{box}/users", {}),
    ]
    assert recorded[1].body == assign
    removal = [e for e in org.logs if e["eventType"] == "application.user_membership.remove"]
    assert len(removal) == 1


async def test_scope_user_on_an_unassigned_user_creates_an_individual_assignment() -> None:
    org = build_demo_org(NOW)
    box, jack = org.app("boxnet")["id"], org.user("jnoassign")["id"]
    async with running(org) as (_, http):
        status, body, _ = await call(
            http, "POST", f"/api/v1/apps/{box}/users/{jack}", json={"scope": "USER"}
        )
    assert (status, body["scope"], body["status"]) == (200, "USER", "PROVISIONED")
    assert (box, jack) in org.app_users


def test_builders_keep_both_views_of_the_toggles_in_step() -> None:
    org = fixed_org()
    slack = org.add_app("slack", "Slack")
    assert org.apps[slack["id"]]["features"] == []
    assert slack["id"] not in org.features
    assert org.connections[slack["id"]]["status"] == "DISABLED"
    org.set_provisioning(slack, create=True, update_profile=True)
    capabilities = org.features[slack["id"]]["capabilities"]
    assert capabilities["update"]["profile"]["status"] == "ENABLED"
    assert capabilities["update"]["lifecycleDeactivate"]["status"] == "DISABLED"
    org.set_provisioning(slack, update_profile=False)
    assert slack["features"] == ["PUSH_NEW_USERS"]
    assert capabilities["update"]["profile"]["status"] == "DISABLED"
    box = org.add_app("boxnet", "Box", features=["PUSH_NEW_USERS"])
    assert box["id"] not in org.features
    assert box["id"] not in org.connections
    jane = org.add_user("jdoe", "Jane", "Doe")
    org.set_mapping(None, box, {"lastName": "user.lastName"})
    made = org.assign(box, jane)
    assert made["externalId"]
    assert (made["status"], made["syncState"]) == ("PROVISIONED", "SYNCHRONIZED")
    assert made["profile"] == {"lastName": "Doe"}
    assert repr(org).startswith("OrgState(users=1, apps=2")


# Features and connections


async def test_feature_update_keeps_app_features_in_step() -> None:
    org = build_demo_org(NOW)
    zoom = org.app("zoomus")["id"]
    path = f"/api/v1/apps/{zoom}/features/USER_PROVISIONING"
    async with running(org) as (_, http):
        status, body, _ = await call(http, "GET", path)
        assert body["capabilities"]["update"]["profile"]["status"] == "DISABLED"
        status, app, _ = await call(http, "GET", f"/api/v1/apps/{zoom}")
        assert "PUSH_PROFILE_UPDATES" not in app["features"]

        change = {
            "update": {
                "profile": {"status": "ENABLED"},
                "lifecycleDeactivate": {"status": "DISABLED"},
            }
        }
        status, body, _ = await call(http, "PUT", path, json=change)
        assert status == 200
        assert body["capabilities"]["update"]["profile"]["status"] == "ENABLED"
        assert body["capabilities"]["create"]["lifecycleCreate"]["status"] == "ENABLED"
        status, app, _ = await call(http, "GET", f"/api/v1/apps/{zoom}")
        assert "PUSH_PROFILE_UPDATES" in app["features"]
        assert "PUSH_USER_DEACTIVATION" not in app["features"]
        assert "PUSH_NEW_USERS" in app["features"]

        status, body, _ = await call(
            http, "PUT", path, json={"update": {"profile": {"status": "ON"}}}
        )
        assert (status, body["errorCode"]) == (400, "E0000001")
        status, listed, _ = await call(http, "GET", f"/api/v1/apps/{zoom}/features")
        assert [feature["name"] for feature in listed] == ["USER_PROVISIONING"]


async def test_features_api_errors_for_unsupported_apps() -> None:
    org = build_demo_org(NOW)
    async with running(org) as (_, http):
        for name, status, code in (
            ("zendesk", 400, "E0000001"),
            ("boxnet", 404, "E0000007"),
            ("acme_hrportal_1", 404, "E0000007"),
        ):
            app_id = org.app(name)["id"]
            got, body, _ = await call(http, "GET", f"/api/v1/apps/{app_id}/features")
            assert (got, body["errorCode"]) == (status, code), name
        zendesk = org.app("zendesk")["id"]
        got, body, _ = await call(http, "GET", f"/api/v1/apps/{zendesk}/features")
        assert body["errorSummary"] == "Api validation failed: feature"
        assert body["errorCauses"] == [
            {"errorSummary": "Provisioning is not enabled for the app instance."}
        ]


async def test_connections() -> None:
    org = build_demo_org(NOW)
    async with running(org) as (_, http):
        box = org.app("boxnet")["id"]
        status, body, _ = await call(http, "GET", f"/api/v1/apps/{box}/connections/default")
        assert (status, body["status"], body["profile"]["authScheme"]) == (
            200,
            "UNKNOWN",
            "UNKNOWN",
        )
        google = org.app("google")["id"]
        status, body, _ = await call(http, "GET", f"/api/v1/apps/{google}/connections/default")
        assert (body["status"], body["profile"]["authScheme"]) == ("ENABLED", "OAUTH2")


# Faults, latency, recording


async def test_429_fault_with_reset_then_normal_answers() -> None:
    async with running(fixed_org()) as (fake, http):
        fake.faults.append(Fault.rate_limited(path=r"^/api/v1/apps$", times=1, reset_in=1.0))
        before = time.time()
        status, body, headers = await call(http, "GET", "/api/v1/apps")
        assert (status, body["errorCode"]) == (429, "E0000047")
        assert headers["X-Rate-Limit-Remaining"] == "0"
        assert int(before) <= int(headers["X-Rate-Limit-Reset"]) <= before + 2
        assert headers["Date"]
        status, _, _ = await call(http, "GET", "/api/v1/apps")
        assert status == 200
    assert fake.faults[0].hits == 1
    assert fake.requests[0].fault is fake.faults[0]


async def test_429_fault_without_reset_header() -> None:
    async with running(fixed_org()) as (fake, http):
        fake.faults.append(Fault.status(429, path="/api/v1/logs"))
        status, body, headers = await call(http, "GET", "/api/v1/logs")
        assert (status, body["errorCode"]) == (429, "E0000047")
        assert "X-Rate-Limit-Reset" not in headers
        status, body, headers = await call(http, "GET", "/api/v1/logs")
        assert status == 429


@pytest.mark.parametrize(
    ("status", "code"), [(500, "E0000009"), (403, "E0000006"), (401, "E0000011")]
)
async def test_status_faults_answer_okta_errors(status: int, code: str) -> None:
    async with running(fixed_org()) as (fake, http):
        fake.faults.append(Fault.status(status, path="^/api/v1/apps", method="POST", times=2))
        got, _, _ = await call(http, "GET", "/api/v1/apps")
        assert got == 200
        for _ in range(2):
            got, body, _ = await call(http, "POST", "/api/v1/apps/0oa1/users", json={})
            assert (got, body["errorCode"]) == (status, code)
        got, _, _ = await call(http, "POST", "/api/v1/apps/0oa1/users", json={})
        assert got == 404


async def test_delay_fault_makes_clients_time_out() -> None:
    async with running(fixed_org()) as (fake, http):
        fake.faults.append(Fault.delay(5.0, path="/api/v1/users", times=1))
        with pytest.raises(TimeoutError):
            async with http.get("/api/v1/users", timeout=aiohttp.ClientTimeout(total=0.2)):
                pass
        status, _, _ = await call(http, "GET", "/api/v1/users")
        assert status == 200


async def test_latency_applies_to_every_answer_and_is_recorded() -> None:
    async with running(fixed_org(), latency=0.15) as (fake, http):
        started = time.monotonic()
        await call(http, "GET", "/api/v1/apps", params={"q": "x"})
        assert time.monotonic() - started >= 0.15
        fake.latency = 0.0
        await call(http, "GET", "/api/v1/users/nobody")
    first, second = fake.requests
    assert (first.method, first.path, first.query, first.status) == (
        "GET",
        "/api/v1/apps",
        {"q": "x"},
        200,
    )
    assert first.headers["Authorization"] == f"SSWS {TOKEN}"
    assert first.duration is not None
    assert first.duration >= 0.15
    assert second.status == 404
    assert fake.mutations == []


# OAuth 2.0 service app


def _keys() -> tuple[bytes, str]:
    private, public = key_pair()
    return private.encode(), public.decode()


def _assertion(private: bytes, client_id: str, audience: str, jti: str | None = None) -> str:
    issued = int(time.time())
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": issued,
        "exp": issued + 300,
        "jti": jti or str(uuid.uuid4()),
    }
    return jwt.encode(claims, private, algorithm="RS256")


async def test_oauth_private_key_jwt_token_and_bearer_calls() -> None:
    private, public = _keys()
    other_private, _ = _keys()
    client_id = "0oaservice0000000001"
    org = fixed_org()
    org.add_user("jdoe", "Jane", "Doe")
    async with running(org, oauth_client=(client_id, public)) as (fake, http):
        token_url = f"{fake.url}/oauth2/v1/token"

        async def token(
            assertion: str, scope: str = "okta.users.read okta.apps.manage"
        ) -> tuple[int, JSON]:
            form = {
                "grant_type": "client_credentials",
                "scope": scope,
                "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                "client_assertion": assertion,
            }
            async with aiohttp.ClientSession() as bare, bare.post(token_url, data=form) as response:
                assert response.content_type == "application/json"
                body: JSON = await response.json()
                return response.status, body

        jti = str(uuid.uuid4())
        status, granted = await token(_assertion(private, client_id, token_url, jti))
        assert status == 200
        assert granted["token_type"] == "Bearer"
        assert granted["expires_in"] == 3600
        assert granted["scope"] == "okta.users.read okta.apps.manage"
        bearer = {"Authorization": f"Bearer {granted['access_token']}"}
        status, body, _ = await call(http, "GET", "/api/v1/users/jdoe", headers=bearer)
        assert status == 200
        status, body, _ = await call(http, "GET", "/api/v1/apps", headers=bearer)
        assert status == 200
        status, body, _ = await call(http, "GET", "/api/v1/logs", headers=bearer)
        assert (status, body["errorCode"]) == (403, "E0000006")
        status, body, _ = await call(
            http, "GET", "/api/v1/apps", headers={"Authorization": "Bearer not-issued"}
        )
        assert (status, body["errorCode"]) == (401, "E0000011")

        status, body = await token(_assertion(private, client_id, token_url, jti))
        assert (status, body["error"]) == (401, "invalid_client")
        status, body = await token(_assertion(other_private, client_id, token_url))
        assert (status, body["error"]) == (401, "invalid_client")
        status, body = await token(
            _assertion(private, client_id, "https://elsewhere/oauth2/v1/token")
        )
        assert status == 401
        status, body = await token(_assertion(private, "someone-else", token_url))
        assert status == 401
        status, body = await token(_assertion(private, client_id, token_url), scope="")
        assert (status, body["error"]) == (400, "invalid_scope")


async def test_without_oauth_client_there_is_no_token_endpoint() -> None:
    async with running(fixed_org()) as (fake, http):
        status, body, _ = await call(http, "POST", f"{fake.url}/oauth2/v1/token")
    assert (status, body["errorCode"]) == (404, "E0000007")


# The demo org


def test_demo_org_has_one_user_per_scenario_and_the_article_example_first() -> None:
    org = build_demo_org(NOW)
    assert SCENARIOS[0].user == "jdoe"
    assert SCENARIOS[0].expected_check == "external_id"
    assert len({scenario.user for scenario in SCENARIOS}) == len(SCENARIOS) == 17
    for scenario in SCENARIOS:
        user = org.find_user(scenario.user)
        assert user is not None, scenario.user
        assert scenario.story.endswith(".")
        apps = [
            app
            for app in org.apps.values()
            if app["label"].casefold().startswith(scenario.app)
            or app["name"].casefold().startswith(scenario.app)
        ]
        assert len(apps) == 1, scenario.app
    app_user = org.app_users[(org.app("boxnet")["id"], org.user("jdoe")["id"])]
    assert (app_user["externalId"], app_user["syncState"], app_user["lastSync"]) == (
        None,
        "OUT_OF_SYNC",
        None,
    )
    assert app_user["profile"]["lastName"] == "Anderson"
    change = next(
        event
        for event in org.logs
        if event["eventType"] == "user.account.update_profile"
        and event["target"][0]["id"] == org.user("jdoe")["id"]
    )
    # Okta's shape: the changed attributes' names in debugData, no old or new values.
    assert "changeDetails" not in change["target"][0]
    assert change["debugContext"]["debugData"]["changedAttributes"] == "lastName"
    assert change["published"].startswith((NOW - timedelta(days=2)).date().isoformat())


def test_demo_org_is_deterministic_and_relative_to_now() -> None:
    first, second = build_demo_org(NOW), build_demo_org(NOW + timedelta(days=30))
    assert list(first.users) == list(second.users)
    assert list(first.apps) == list(second.apps)
    cnew_first = first.user("cnew")["lastUpdated"]
    cnew_second = second.user("cnew")["lastUpdated"]
    assert cnew_first.startswith("2025-06-02T11:56")
    assert cnew_second.startswith("2025-07-02T11:56")
