"""The Okta adapter against the fake Okta over HTTP: auth (API token, and an OAuth 2.0 service
app with the fake's token issuer), paging, rate limits, faults and their one-sentence errors."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from bot.demo.org import build_demo_org
from checks.errors import (
    OktaForbidden,
    OktaNotFound,
    OktaRateLimited,
    OktaUnauthorized,
    OktaUnavailable,
    UsageError,
)
from checks.okta import READ_SCOPES, OktaClient, OktaSettings, env_proxy
from checks.okta_auth import RENEW_BEFORE, TOKEN_PATH
from fakes.okta.oauth import key_pair
from fakes.okta.server import FakeOkta, Fault, RecordedRequest, serve
from tests.conftest import TOKEN


async def test_reads_json_with_ssws_and_records_one_request(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    user = await okta.get("/api/v1/users/jdoe")
    assert user["profile"]["login"] == "jdoe@example.com"
    [request] = fake_okta.requests
    assert request.headers["Authorization"] == f"SSWS {TOKEN}"


async def test_paging_reads_every_link_header(okta: OktaClient, fake_okta: FakeOkta) -> None:
    apps = await okta.get_all("/api/v1/apps", {"limit": 2})
    assert len(apps) == len(fake_okta.state.apps)
    assert len({a["id"] for a in apps}) == len(apps)
    assert len(fake_okta.requests) == -(-len(apps) // 2)


async def test_a_page_names_the_next_before_its_items_are_read(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    returned = False
    heard: list[tuple[str | None, bool]] = []

    def on_next(url: str | None) -> None:
        heard.append((url, returned))

    items, next_url = await okta.get_page("/api/v1/apps", {"limit": 2}, on_next=on_next)
    returned = True
    assert len(items) == 2 and next_url is not None
    assert heard == [(next_url, False)]
    _, none = await okta.get_page("/api/v1/apps", {"limit": 500}, on_next=on_next)
    assert none is None and heard[-1][0] is None  # the last page names none


async def test_a_refused_attempt_names_no_next_page(okta: OktaClient, fake_okta: FakeOkta) -> None:
    fake_okta.faults.append(Fault.status(503, path="/api/v1/apps", method="GET", times=1))
    heard: list[str | None] = []
    _, next_url = await okta.get_page("/api/v1/apps", {"limit": 2}, on_next=heard.append)
    assert len(fake_okta.requests) == 2  # the 503, then the page
    assert heard == [next_url]


async def test_paging_stops_at_max_items(okta: OktaClient, fake_okta: FakeOkta) -> None:
    apps = await okta.get_all("/api/v1/apps", {"limit": 2}, max_items=3)
    assert len(apps) == 3
    assert len(fake_okta.requests) == 2


async def test_429_waits_for_the_reset_then_succeeds(okta: OktaClient, fake_okta: FakeOkta) -> None:
    fake_okta.faults.append(Fault.rate_limited(path="/api/v1/users", reset_in=1.0))
    started = time.monotonic()
    user = await okta.get("/api/v1/users/jdoe")
    assert user["profile"]["login"] == "jdoe@example.com"
    assert len(fake_okta.requests) == 2
    assert time.monotonic() - started >= 0.9  # honoured the reset, did not hammer


async def test_429_without_reset_header_is_retried_not_crashed(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    fake_okta.faults.append(Fault.rate_limited(path="/api/v1/users", reset_in=None))
    assert (await okta.get("/api/v1/users/jdoe"))["id"]
    assert len(fake_okta.requests) == 2


async def test_429_that_never_resets_is_a_rate_limit_error(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    fake_okta.faults.append(Fault.rate_limited(path="/api/v1/logs", times=None, reset_in=60))
    with pytest.raises(OktaRateLimited, match="rate limit"):
        await okta.get("/api/v1/logs")
    assert len(fake_okta.requests) == 1  # a 60 s wait exceeds max_wait: no pointless retry


async def test_500_is_unavailable_with_the_endpoint(okta: OktaClient, fake_okta: FakeOkta) -> None:
    fake_okta.faults.append(Fault.status(500, path="/api/v1/meta"))
    with pytest.raises(OktaUnavailable, match=r"500 to GET /api/v1/meta/schemas"):
        await okta.get("/api/v1/meta/schemas/apps/0oa1/default")


async def test_503_is_retried(okta: OktaClient, fake_okta: FakeOkta) -> None:
    fake_okta.faults.append(Fault.status(503, path="/api/v1/users", times=1))
    assert (await okta.get("/api/v1/users/jdoe"))["id"]
    assert [r.status for r in fake_okta.requests] == [503, 200]


async def test_slow_answer_times_out(okta: OktaClient, fake_okta: FakeOkta) -> None:
    fake_okta.faults.append(Fault.delay(5.0, path="/api/v1/users"))
    started = time.monotonic()
    with pytest.raises(OktaUnavailable, match="did not answer GET /api/v1/users/jdoe within 2 s"):
        await okta.get("/api/v1/users/jdoe")
    assert time.monotonic() - started < 4


async def test_404_is_not_found(okta: OktaClient) -> None:
    with pytest.raises(OktaNotFound, match="E0000007"):
        await okta.get("/api/v1/users/nobody")


async def test_rejected_token_is_unauthorized_and_never_echoed(fake_okta: FakeOkta) -> None:
    settings = OktaSettings(org_url=fake_okta.url, token="wrong-secret-token")
    async with OktaClient.open(settings) as okta:
        with pytest.raises(OktaUnauthorized) as caught:
            await okta.get("/api/v1/users/jdoe")
    assert "E0000011" in str(caught.value)
    assert "wrong-secret-token" not in str(caught.value)
    assert "wrong-secret-token" not in repr(settings)


async def test_403_names_the_missing_scope_and_role(okta: OktaClient, fake_okta: FakeOkta) -> None:
    fake_okta.faults.append(Fault.status(403, path="/api/v1/logs"))
    with pytest.raises(OktaForbidden) as caught:
        await okta.get("/api/v1/logs")
    assert "okta.logs.read" in str(caught.value)
    assert "Read-Only Administrator" in str(caught.value)


async def test_unreachable_okta() -> None:
    settings = OktaSettings(org_url="http://127.0.0.1:9", token=TOKEN, timeout=2.0)
    async with OktaClient.open(settings) as okta:
        with pytest.raises(OktaUnavailable, match="unreachable"):
            await okta.get("/api/v1/users/jdoe")


async def test_next_link_to_another_host_is_not_followed(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    assert okta._next_link(('<https://evil.example/api/v1/apps?after=x>; rel="next"',)) is None
    assert okta._next_link((f'<{fake_okta.url}/api/v1/apps?after=x>; rel="next"',))


@pytest.mark.parametrize(
    "url",
    ["http://acme.okta.com", "ftp://127.0.0.1", "https://acme.okta.com/path", "acme.okta.com"],
)
def test_plain_http_only_for_loopback(url: str) -> None:
    with pytest.raises(UsageError, match="OKTA_ORG_URL"):
        OktaSettings(org_url=url, token=TOKEN)


async def test_oauth_private_key_jwt_service_app() -> None:
    private_pem, public_pem = key_pair()
    state = build_demo_org(datetime.now(UTC))
    async with serve(state, oauth_client=("0oaservice", public_pem)) as fake:
        settings = OktaSettings(org_url=fake.url, client_id="0oaservice", private_key=private_pem)
        async with OktaClient.open(settings) as okta:
            await okta.get("/api/v1/users/jdoe")
            await okta.get("/api/v1/users/asmith")
    token_requests = [r for r in fake.requests if r.path == "/oauth2/v1/token"]
    assert len(token_requests) == 1  # the access token is reused
    api = [r for r in fake.requests if r.path.startswith("/api/")]
    assert all(r.headers["Authorization"].startswith("Bearer ") for r in api)
    assert all(r.status == 200 for r in api)


async def test_oauth_with_a_key_okta_does_not_know_is_unauthorized() -> None:
    private_pem, _ = key_pair()
    _, public_pem = key_pair()
    async with serve(
        build_demo_org(datetime.now(UTC)), oauth_client=("0oasvc", public_pem)
    ) as fake:
        settings = OktaSettings(org_url=fake.url, client_id="0oasvc", private_key=private_pem)
        async with OktaClient.open(settings) as okta:
            with pytest.raises(OktaUnauthorized, match="service app 0oasvc"):
                await okta.get("/api/v1/users/jdoe")


async def test_nulls_and_empty_values_are_sent_only_when_asked_for(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    body: dict[str, Any] = {
        "profile": {"title": None, "nickName": "", "tags": [], "n": 0, "off": False, "x": "y"}
    }
    for keep_nulls in (False, True):
        with pytest.raises(OktaNotFound):  # any path: only what was sent matters here
            await okta.request("POST", "/api/v1/nowhere", body=body, keep_nulls=keep_nulls)
    dropped, kept = fake_okta.requests
    assert dropped.body == {"profile": {"n": 0, "off": False, "x": "y"}}
    assert kept.body == body
    assert kept.headers["Content-Type"] == "application/json"


async def test_json_cut_short_is_unavailable(okta: OktaClient, fake_okta: FakeOkta) -> None:
    fake_okta.faults.append(Fault.answer('{"id": "00u1', path="^/api/v1/users/jdoe$"))
    with pytest.raises(OktaUnavailable, match="GET /api/v1/users/jdoe with malformed JSON"):
        await okta.get("/api/v1/users/jdoe")
    assert okta.health == "down"


# OAuth 2.0 service app: the token is fetched once, shared, renewed before it expires.

CLIENT_ID = "0oaservice"
FAKE_TOKEN_LIFETIME = 3600
"""Seconds the fake's tokens live (its `expires_in`, Okta's default)."""


class Clock:
    """Monotonic seconds that move only when the test moves them."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def service_key() -> tuple[str, bytes]:
    return key_pair()


@pytest.fixture
async def service_app(service_key: tuple[str, bytes]) -> AsyncIterator[FakeOkta]:
    """The fake Okta with a token endpoint that trusts `service_key` for CLIENT_ID."""
    state = build_demo_org(datetime.now(UTC))
    async with serve(state, oauth_client=(CLIENT_ID, service_key[1])) as fake:
        yield fake
    assert not fake.errors, fake.errors


def _service_app(fake: FakeOkta, private_key: str, timeout: float = 2.0) -> OktaSettings:
    return OktaSettings(
        org_url=fake.url,
        client_id=CLIENT_ID,
        private_key=private_key,
        timeout=timeout,
        max_wait=5.0,
    )


def _token_requests(fake: FakeOkta) -> list[RecordedRequest]:
    return [r for r in fake.requests if r.path == TOKEN_PATH]


def _api_requests(fake: FakeOkta) -> list[RecordedRequest]:
    return [r for r in fake.requests if r.path.startswith("/api/")]


def _claims(token_request: RecordedRequest) -> dict[str, object]:
    assertion = token_request.body["client_assertion"]
    claims: dict[str, object] = jwt.decode(assertion, options={"verify_signature": False})
    return claims


async def test_oauth_one_token_request_serves_concurrent_calls(
    service_app: FakeOkta, service_key: tuple[str, bytes]
) -> None:
    async with OktaClient.open(_service_app(service_app, service_key[0])) as okta:
        logins = ("jdoe", "asmith", "jdoe", "asmith")
        await asyncio.gather(*(okta.get(f"/api/v1/users/{login}") for login in logins))
        await okta.get_all("/api/v1/apps", {"limit": 2})
    [token_request] = _token_requests(service_app)
    api = _api_requests(service_app)
    assert len(api) > len(logins)
    assert all(r.status == 200 for r in api)
    assert len({r.headers["Authorization"] for r in api}) == 1
    assert token_request.ended is not None
    assert token_request.ended <= min(r.started for r in api)  # they waited for the one token
    assert token_request.body["scope"] == " ".join(READ_SCOPES)
    claims = _claims(token_request)
    assert claims["iss"] == claims["sub"] == CLIENT_ID
    assert claims["aud"] == service_app.url + TOKEN_PATH


async def test_oauth_token_is_renewed_shortly_before_it_expires(
    service_app: FakeOkta, service_key: tuple[str, bytes]
) -> None:
    clock = Clock()
    settings = _service_app(service_app, service_key[0])
    async with OktaClient.open(settings, clock=clock) as okta:
        await okta.get("/api/v1/users/jdoe")
        clock.now += FAKE_TOKEN_LIFETIME - RENEW_BEFORE - 1
        await okta.get("/api/v1/users/jdoe")
        assert len(_token_requests(service_app)) == 1  # still comfortably valid
        clock.now += 1
        await okta.get("/api/v1/users/jdoe")
        clock.now += 1
        await okta.get("/api/v1/users/jdoe")
    assert len(_token_requests(service_app)) == 2
    first, second, renewed, reused = (
        r.headers["Authorization"] for r in _api_requests(service_app)
    )
    assert first == second != renewed == reused
    assert all(r.status == 200 for r in service_app.requests)


async def test_oauth_token_okta_refuses_is_dropped_and_asked_for_again(
    service_app: FakeOkta, service_key: tuple[str, bytes]
) -> None:
    service_app.faults.append(Fault.status(401, path="^/api/v1/users", times=1))
    async with OktaClient.open(_service_app(service_app, service_key[0])) as okta:
        with pytest.raises(OktaUnauthorized):
            await okta.get("/api/v1/users/jdoe")
        assert okta.health == "unauthorized"
        await okta.get("/api/v1/users/jdoe")
        assert okta.health == "ok"
    assert len(_token_requests(service_app)) == 2


async def test_oauth_token_request_is_retried_with_a_fresh_assertion(
    service_app: FakeOkta, service_key: tuple[str, bytes]
) -> None:
    service_app.faults.append(Fault.status(503, path=TOKEN_PATH, times=1))
    async with OktaClient.open(_service_app(service_app, service_key[0])) as okta:
        assert (await okta.get("/api/v1/users/jdoe"))["id"]
    first, second = _token_requests(service_app)
    assert (first.status, second.status) == (503, 200)
    assert _claims(first)["jti"] != _claims(second)["jti"]  # Okta refuses a jti it has seen


async def test_a_slow_token_endpoint_is_unavailable_not_a_credentials_problem(
    service_app: FakeOkta, service_key: tuple[str, bytes]
) -> None:
    service_app.faults.append(Fault.delay(5.0, path=TOKEN_PATH))
    settings = _service_app(service_app, service_key[0], timeout=0.5)
    async with OktaClient.open(settings) as okta:
        with pytest.raises(
            OktaUnavailable, match=r"did not answer POST /oauth2/v1/token within 0\.5 s"
        ):
            await okta.get("/api/v1/users/jdoe")
        assert okta.health == "down"
    assert not _api_requests(service_app)


async def test_a_refused_token_request_is_one_sentence_with_okta_s_reason(
    service_app: FakeOkta,
) -> None:
    other_key, _ = key_pair()
    async with OktaClient.open(_service_app(service_app, other_key)) as okta:
        with pytest.raises(OktaUnauthorized) as caught:
            await okta.get("/api/v1/users/jdoe")
    said = str(caught.value)
    assert said == (
        f"Okta did not issue an access token to the service app {CLIENT_ID} (invalid_client: "
        "The client_assertion signature is invalid): check OKTA_CLIENT_ID, the private key and "
        "that the app is granted the scopes."
    )
    assert "PRIVATE KEY" not in said


async def test_oauth_with_a_jwk_private_key_names_its_kid(
    service_app: FakeOkta, service_key: tuple[str, bytes]
) -> None:
    private = serialization.load_pem_private_key(service_key[0].encode(), password=None)
    assert isinstance(private, rsa.RSAPrivateKey)
    jwk = json.loads(RSAAlgorithm.to_jwk(private)) | {"kid": "attrsync-1"}
    async with OktaClient.open(_service_app(service_app, json.dumps(jwk))) as okta:
        assert (await okta.get("/api/v1/users/jdoe"))["id"]
    [token_request] = _token_requests(service_app)
    assert jwt.get_unverified_header(token_request.body["client_assertion"])["kid"] == "attrsync-1"


def _unusable_key(kind: str) -> str:
    if kind == "garbled-pem":
        return "-----BEGIN PRIVATE KEY-----\nbm9wZQ==\n-----END PRIVATE KEY-----"
    if kind == "incomplete-jwk":
        return '{"kty": "RSA", "n": "AQAB"}'
    public_pem = key_pair()[1]
    if kind == "public-pem":
        return public_pem.decode()
    public = serialization.load_pem_public_key(public_pem)
    assert isinstance(public, rsa.RSAPublicKey)
    return RSAAlgorithm.to_jwk(public)  # "public-jwk"


@pytest.mark.parametrize("kind", ["garbled-pem", "incomplete-jwk", "public-pem", "public-jwk"])
async def test_a_key_attrsync_cannot_sign_with_is_a_usage_error_before_any_request(
    kind: str,
) -> None:
    key = _unusable_key(kind)
    settings = OktaSettings(org_url="https://acme.okta.com", client_id="0oa1", private_key=key)
    with pytest.raises(UsageError, match="OKTA_PRIVATE_KEY") as caught:
        async with OktaClient.open(settings):
            pass
    assert key not in str(caught.value)


@pytest.mark.parametrize(
    ("environment", "org_url", "proxy"),
    [
        ({}, "https://acme.okta.com", None),
        (
            {"HTTPS_PROXY": "http://proxy.corp:3128"},
            "https://acme.okta.com",
            "http://proxy.corp:3128",
        ),
        (
            {"HTTP_PROXY": "http://proxy.corp:3128"},
            "https://acme.okta.com",
            "http://proxy.corp:3128",
        ),
        (
            {"HTTPS_PROXY": "http://proxy.corp:3128", "NO_PROXY": "corp.example,okta.com"},
            "https://acme.okta.com",
            None,
        ),
        ({"HTTP_PROXY": "http://proxy.corp:3128"}, "http://127.0.0.1:8080", None),
    ],
    ids=["none", "https", "http", "no-proxy", "loopback"],
)
def test_the_environment_s_proxy_is_used_as_the_sdk_did(
    environment: dict[str, str], org_url: str, proxy: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert env_proxy(org_url) == proxy
