"""The Okta adapter on the real okta SDK against the fake Okta over HTTP: auth, paging,
rate limits, faults and their one-sentence errors."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from bot.demo.org import build_demo_org
from bot.demo.server import FakeOkta, Fault, serve
from checks.errors import (
    OktaForbidden,
    OktaNotFound,
    OktaRateLimited,
    OktaUnauthorized,
    OktaUnavailable,
    UsageError,
)
from checks.okta import OktaClient, OktaSettings
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


def _key_pair() -> tuple[str, bytes]:
    """(private key PEM for attrsync, public key PEM for the fake Okta)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return private_pem, public_pem


async def test_oauth_private_key_jwt_service_app() -> None:
    private_pem, public_pem = _key_pair()
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
    private_pem, _ = _key_pair()
    _, public_pem = _key_pair()
    async with serve(
        build_demo_org(datetime.now(UTC)), oauth_client=("0oasvc", public_pem)
    ) as fake:
        settings = OktaSettings(org_url=fake.url, client_id="0oasvc", private_key=private_pem)
        async with OktaClient.open(settings) as okta:
            with pytest.raises(OktaUnauthorized, match="service app 0oasvc"):
                await okta.get("/api/v1/users/jdoe")
