"""What the fake SCIM server emits is SCIM 2.0 as scim2-models reads RFC 7643/7644: each User,
each ListResponse and each Error validates in the context it is answered in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from scim2_models import Context, EnterpriseUser, Error, ListResponse, User

from fakes.scim.server import AppFault, FakeScim, serve_scim

TOKEN = "contract-token"


@pytest.fixture
async def scim() -> AsyncIterator[FakeScim]:
    async with serve_scim(FakeScim(token=TOKEN)) as fake:
        fake.add_user("jdoe@example.com", family_name="Smith", department="Sales", user_id="u-1")
        fake.add_user("asmith@example.com", user_id="u-2")
        yield fake


async def _get(
    fake: FakeScim, path: str, token: str = TOKEN, **params: str
) -> tuple[int, str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            fake.url + path, params=params, headers={"Authorization": f"Bearer {token}"}
        ) as response,
    ):
        return response.status, response.content_type, await response.json(content_type=None)


async def test_a_user_is_a_query_response(scim: FakeScim) -> None:
    status, content_type, body = await _get(scim, "/Users/u-1")

    assert (status, content_type) == (200, "application/scim+json")
    user = User[EnterpriseUser].model_validate(body, scim_ctx=Context.RESOURCE_QUERY_RESPONSE)
    assert user.name is not None and user.name.family_name == "Smith"
    assert user[EnterpriseUser].department == "Sales"
    assert user.meta is not None and str(user.meta.location).endswith("/Users/u-1")


async def test_a_filtered_page_is_a_search_response(scim: FakeScim) -> None:
    status, _, body = await _get(
        scim, "/Users", filter='userName eq "asmith@example.com"', attributes="userName,name"
    )

    assert status == 200
    page = ListResponse[User[EnterpriseUser]].model_validate(body, scim_ctx=Context.SEARCH_RESPONSE)
    assert (page.total_results, page.start_index, page.items_per_page) == (1, 1, 1)
    assert page.resources is not None and [u.id for u in page.resources] == ["u-2"]
    assert set(body["Resources"][0]) == {"schemas", "id", "meta", "userName", "name"}


async def test_an_unknown_filter_is_refused_as_scim_says(scim: FakeScim) -> None:
    status, _, body = await _get(scim, "/Users", filter='title sw "x"')

    assert status == 400
    error = Error.model_validate(body)
    assert (body["status"], error.scim_type) == ("400", "invalidFilter")


@pytest.mark.parametrize(
    ("setup", "path", "token", "status"),
    [
        (None, "/Users/u-9", TOKEN, 404),
        (None, "/Users/u-1", "wrong", 401),
        (AppFault(403), "/Users/u-1", TOKEN, 403),
        (AppFault(429, retry_after="3"), "/Users", TOKEN, 429),
        (AppFault(503), "/Users", TOKEN, 503),
    ],
)
async def test_every_error_is_scims_error_schema_with_a_string_status(
    scim: FakeScim, setup: AppFault | None, path: str, token: str, status: int
) -> None:
    if setup is not None:
        scim.faults.append(setup)

    answered, content_type, body = await _get(scim, path, token)

    assert (answered, content_type) == (status, "application/scim+json")
    Error.model_validate(body)
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == str(status)  # RFC 7644 §3.12: a string, which Error also takes
    assert scim.requests[-1].status == status
