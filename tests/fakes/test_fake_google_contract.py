"""The fake Google answers in the shapes of the Directory API's discovery document
(googleapis/google-api-python-client, googleapiclient/discovery_cache/documents/
admin.directory_v1.json; the excerpt in tests/fixtures names its revision). Errors follow
Google's JSON error format, which discovery documents do not describe: checked by shape."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from fakes.google.server import AppFault, FakeGoogle, serve_google
from tests.harness.discovery import Discovery

DIRECTORY = Discovery("google-admin-directory-v1-users.json")
ACCOUNT = "reader@acme-project.iam.gserviceaccount.com"
ADMIN = "admin@acme.example"


@pytest.fixture(scope="module")
def private_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
async def google(private_key: rsa.RSAPrivateKey) -> AsyncIterator[FakeGoogle]:
    public = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    async with serve_google(FakeGoogle(ACCOUNT, public, delegated={ADMIN})) as fake:
        fake.add_user("jdoe@acme.example", family_name="Smith", department="Sales", user_id="1001")
        fake.add_user("asmith@acme.example", aliases=("al@acme.example",), user_id="1002")
        yield fake


async def _token(google: FakeGoogle, private_key: rsa.RSAPrivateKey) -> str:
    now = int(time.time())
    claims = {
        "iss": ACCOUNT,
        "sub": ADMIN,
        "scope": DIRECTORY.method("users", "get")["scopes"][1],
        "aud": f"{google.url}/token",
        "iat": now,
        "exp": now + 3600,
    }
    form = {
        "grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
        "assertion": jwt.encode(claims, private_key, algorithm="RS256"),
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{google.url}/token", data=form) as response,
    ):
        body = await response.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    token: str = body["access_token"]
    return token


async def _get(google: FakeGoogle, path: str, token: str, **params: str) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            google.url + path, params=params, headers={"Authorization": f"Bearer {token}"}
        ) as response,
    ):
        return response.status, await response.json()


def test_the_scope_asked_for_is_one_users_get_and_list_accept() -> None:
    for method in ("get", "list"):
        assert (
            "https://www.googleapis.com/auth/admin.directory.user.readonly"
            in DIRECTORY.method("users", method)["scopes"]
        )
    assert DIRECTORY.faults("User", {"id": "1", "name": {"surname": "x"}, "isAdmin": "no"}) == [
        "$.name.surname is not a property of UserName",
        "$.isAdmin is not boolean",
    ]


@pytest.mark.parametrize("key", ["1001", "jdoe@acme.example", "al@acme.example"])
async def test_users_get_answers_a_user(
    google: FakeGoogle, private_key: rsa.RSAPrivateKey, key: str
) -> None:
    params = {"projection": "full", "viewType": "admin_view"}
    for name in params:
        assert name in DIRECTORY.method("users", "get")["parameters"]

    status, body = await _get(
        google,
        f"/{DIRECTORY.method('users', 'get')['path'].replace('{userKey}', key)}",
        await _token(google, private_key),
        **params,
    )

    assert status == 200
    assert DIRECTORY.faults("User", body) == []
    assert body["kind"] == "admin#directory#user"


async def test_users_list_answers_users(google: FakeGoogle, private_key: rsa.RSAPrivateKey) -> None:
    params = {"customer": "my_customer", "maxResults": "1", "projection": "full"}
    assert set(params) <= set(DIRECTORY.method("users", "list")["parameters"])

    status, body = await _get(
        google,
        "/" + DIRECTORY.method("users", "list")["path"],
        await _token(google, private_key),
        **params,
    )

    assert status == 200
    assert DIRECTORY.faults("Users", body) == []
    assert (body["kind"], len(body["users"]), body["nextPageToken"]) == (
        "admin#directory#users",
        1,
        "1",
    )


@pytest.mark.parametrize(
    ("fault", "path", "status"),
    [
        (None, "/admin/directory/v1/users/999", 404),
        (AppFault(403), "/admin/directory/v1/users/1001", 403),
        (AppFault(429, retry_after="3"), "/admin/directory/v1/users/1001", 429),
        (AppFault(503), "/admin/directory/v1/users/1001", 503),
    ],
)
async def test_every_error_is_googles_error_format(
    google: FakeGoogle,
    private_key: rsa.RSAPrivateKey,
    fault: AppFault | None,
    path: str,
    status: int,
) -> None:
    token = await _token(google, private_key)
    if fault is not None:
        google.faults.append(fault)

    answered, body = await _get(google, path, token)

    assert answered == status
    error = body["error"]
    assert set(error) == {"code", "message", "errors", "status"}
    assert error["code"] == status and isinstance(error["message"], str)
    assert [set(e) for e in error["errors"]] == [{"message", "domain", "reason"}]
