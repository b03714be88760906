"""The fake Box answers in the shapes of Box's OpenAPI description (box/box-openapi,
openapi.json; the excerpt in tests/fixtures/box-openapi-users.json names its commit)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from jsonschema import ValidationError

from fakes.box.server import AppFault, FakeBox, serve_box
from tests.harness.openapi_excerpt import Excerpt

SPEC = Excerpt("box-openapi-users.json")
FORM = {
    "grant_type": "client_credentials",
    "client_id": "cid",
    "client_secret": "secret",
    "box_subject_type": "enterprise",
    "box_subject_id": "1234",
}


@pytest.fixture
async def box() -> AsyncIterator[FakeBox]:
    async with serve_box(FakeBox("cid", "secret", "1234")) as fake:
        fake.add_user("jdoe@example.com", "Jane Smith", job_title="Engineer", user_id="111")
        fake.add_user("asmith@example.com", "Al Smith", user_id="112")
        yield fake


async def _call(
    box: FakeBox, method: str, path: str, *, token: str | None = None, **params: str
) -> tuple[int, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession() as session:
        if method == "POST":
            request = session.post(box.url + path, data=params)
        else:
            request = session.get(box.url + path, params=params, headers=headers)
        async with request as response:
            return response.status, await response.json(content_type=None)


async def _token(box: FakeBox) -> str:
    status, body = await _call(box, "POST", "/oauth2/token", **FORM)
    assert status == 200
    token: str = body["access_token"]
    return token


def test_the_excerpt_is_what_it_claims_to_be() -> None:
    assert SPEC.document["x-source"]["repository"] == "box/box-openapi"
    with pytest.raises(ValidationError):
        SPEC.validate("User--Full", {"type": "user"})  # id is required
    with pytest.raises(ValidationError):
        SPEC.validate("ClientError", {"type": "error", "status": "404"})  # an integer


async def test_the_token_answer_is_an_access_token(box: FakeBox) -> None:
    status, body = await _call(box, "POST", "/oauth2/token", **FORM)

    assert status == 200
    SPEC.validate("AccessToken", body)
    assert SPEC.undeclared("AccessToken", body) == set()
    SPEC.validate("PostOAuth2Token", FORM)  # what the reader sends


async def test_a_refused_grant_is_an_oauth2_error(box: FakeBox) -> None:
    status, body = await _call(box, "POST", "/oauth2/token", **(FORM | {"client_secret": "no"}))

    assert status == 400
    SPEC.validate("OAuth2Error", body)
    assert SPEC.undeclared("OAuth2Error", body) == set()


async def test_a_user_is_a_full_user(box: FakeBox) -> None:
    token = await _token(box)

    for fields in ({}, {"fields": "id,type,login,name,job_title"}):
        status, body = await _call(box, "GET", "/2.0/users/111", token=token, **fields)
        assert status == 200
        SPEC.validate("User--Full", body)
        assert SPEC.undeclared("User--Full", body) == set()
    assert set(body) == {"id", "type", "login", "name", "job_title"}


@pytest.mark.parametrize(
    "params",
    [
        {"filter_term": "jdoe"},
        {"usemarker": "true", "limit": "1", "fields": "id,type,login"},
        {"offset": "1", "limit": "1"},
    ],
)
async def test_a_listing_is_users(box: FakeBox, params: dict[str, str]) -> None:
    token = await _token(box)

    status, body = await _call(box, "GET", "/2.0/users", token=token, **params)

    assert status == 200
    SPEC.validate("Users", body)
    assert SPEC.undeclared("Users", body) == set()
    for entry in body["entries"]:
        assert SPEC.undeclared("User--Full", entry) == set()


@pytest.mark.parametrize("status", [403, 404, 429, 500, 503])
async def test_every_error_is_a_client_error(box: FakeBox, status: int) -> None:
    token = await _token(box)
    box.faults.append(AppFault(status, path="^/2.0/"))

    answered, body = await _call(box, "GET", "/2.0/users/111", token=token)

    assert answered == status
    SPEC.validate("ClientError", body)
    assert SPEC.undeclared("ClientError", body) == set()
    assert (body["type"], body["status"]) == ("error", status)


async def test_an_unknown_user_is_a_client_error(box: FakeBox) -> None:
    status, body = await _call(box, "GET", "/2.0/users/999", token=await _token(box))

    assert status == 404
    SPEC.validate("ClientError", body)
    assert body["code"] == "not_found"
