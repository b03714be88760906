"""The fake Graph answers in the shapes of Microsoft Graph's v1.0 metadata
(microsoftgraph/msgraph-metadata, schemas/v1.0-Prod.csdl; the excerpt in
tests/fixtures/graph-v1.0-csdl-user.xml names its commit). The token endpoint belongs to the
identity platform, which that metadata does not describe."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from fakes.graph.server import AppFault, FakeGraph, serve_graph
from tests.harness.csdl import Csdl

METADATA = Csdl("graph-v1.0-csdl-user.xml")
TENANT = "contoso.onmicrosoft.com"
USER = frozenset({"user"})
FORM = {
    "client_id": "cid",
    "client_secret": "secret",
    "scope": "https://graph.microsoft.com/.default",
    "grant_type": "client_credentials",
}


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    async with serve_graph(FakeGraph(TENANT, "cid", "secret")) as fake:
        fake.add_user("jdoe@contoso.com", surname="Smith", department="Sales", user_id="u-1")
        fake.add_user("asmith@contoso.com", user_id="u-2")
        yield fake


async def _get(graph: FakeGraph, path: str, token: str, **params: str) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            graph.url + path, params=params, headers={"Authorization": f"Bearer {token}"}
        ) as response,
    ):
        return response.status, await response.json()


async def _token(graph: FakeGraph) -> str:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{graph.url}/{TENANT}/oauth2/v2.0/token", data=FORM) as response,
    ):
        body = await response.json()
    token: str = body["access_token"]
    return token


def test_the_checker_sees_what_it_is_for() -> None:
    invented = {"id": "u", "surname": 3, "otherMails": None, "nickname": "x"}
    assert METADATA.faults("user", invented) == [
        "$.surname is not Edm.String",
        "$.otherMails is null but not nullable",
    ]
    assert METADATA.faults("user", invented, closed=USER) == [
        "$.surname is not Edm.String",
        "$.otherMails is null but not nullable",
        "$.nickname is not a property of user",
    ]


@pytest.mark.parametrize(
    "params", [{}, {"$select": "id,userPrincipalName,mail,otherMails,surname,department"}]
)
async def test_a_user_is_a_user(graph: FakeGraph, params: dict[str, str]) -> None:
    status, body = await _get(graph, "/v1.0/users/u-1", await _token(graph), **params)

    assert status == 200
    assert METADATA.faults("user", body, closed=USER) == []
    assert body["@odata.context"].endswith("/$entity")


async def test_a_page_is_a_collection_of_users(graph: FakeGraph) -> None:
    status, body = await _get(graph, "/v1.0/users", await _token(graph), **{"$top": "1"})

    assert status == 200
    assert set(body) == {"@odata.context", "@odata.nextLink", "value"}
    assert [f for user in body["value"] for f in METADATA.faults("user", user, closed=USER)] == []


@pytest.mark.parametrize(
    ("fault", "path", "status"),
    [
        (None, "/v1.0/users/u-9", 404),
        (AppFault(403), "/v1.0/users/u-1", 403),
        (AppFault(429, retry_after="3"), "/v1.0/users", 429),
        (AppFault(503), "/v1.0/users", 503),
    ],
)
async def test_every_error_is_a_public_error_response(
    graph: FakeGraph, fault: AppFault | None, path: str, status: int
) -> None:
    token = await _token(graph)
    if fault is not None:
        graph.faults.append(fault)

    answered, body = await _get(graph, path, token)

    assert answered == status
    assert METADATA.faults("publicErrorResponse", body) == []
    assert set(body["error"]) >= {"code", "message"}


async def test_a_bad_token_is_a_public_error_response(graph: FakeGraph) -> None:
    status, body = await _get(graph, "/v1.0/users/u-1", "not-a-token")

    assert status == 401
    assert METADATA.faults("publicErrorResponse", body) == []
    assert body["error"]["code"] == "InvalidAuthenticationToken"
