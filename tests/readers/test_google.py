"""The Google reader against the fake Google: the service account's JWT grant for a delegated
admin, cached and renewed on an injected clock, lookups by id, address or alias, pageToken
paging, and each refusal's sentence."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import aiohttp
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from checks.errors import AppForbidden, AppRateLimited, AppUnauthorized, AppUnavailable, UsageError
from checks.readers.google import GoogleReader, GoogleSettings
from checks.readers.model import AppUser, list_pages
from fakes.google.server import AppFault, FakeGoogle, serve_google
from tests.readers.clocks import ManualClock, Pauses

ACCOUNT = "attrsync-reader@acme-project.iam.gserviceaccount.com"
ADMIN = "it-admin@acme.example"
WALL = float(int(time.time()))  # the fake checks exp against its own clock, as Google does


@pytest.fixture(scope="module")
def keys() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture
async def google(keys: tuple[str, str]) -> AsyncIterator[FakeGoogle]:
    async with serve_google(FakeGoogle(ACCOUNT, keys[1], delegated={ADMIN})) as fake:
        yield fake


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def pauses() -> Pauses:
    return Pauses()


class Wall:
    def __init__(self) -> None:
        self.now = WALL

    def __call__(self) -> float:
        return self.now


def reader_for(
    session: aiohttp.ClientSession,
    google: FakeGoogle,
    keys: tuple[str, str],
    clock: ManualClock,
    pauses: Pauses,
    *,
    subject: str = ADMIN,
    timeout: float = 5.0,
) -> GoogleReader:
    settings = GoogleSettings(
        ACCOUNT, keys[0], subject, url=google.url, token_url=f"{google.url}/token", timeout=timeout
    )
    return GoogleReader(session, "Google Workspace", settings, clock=clock, sleep=pauses)


@pytest.fixture
def reader(
    session: aiohttp.ClientSession,
    google: FakeGoogle,
    keys: tuple[str, str],
    clock: ManualClock,
    pauses: Pauses,
) -> GoogleReader:
    return reader_for(session, google, keys, clock, pauses)


def token_requests(google: FakeGoogle) -> int:
    return sum(r.path == "/token" for r in google.requests)


async def test_found_by_id_with_the_values_asked_for(
    google: FakeGoogle, reader: GoogleReader
) -> None:
    google.add_user("jdoe@acme.example", family_name="Smith", department="Sales", user_id="1001")

    record = await reader.read(
        AppUser("1001", "jdoe@acme.example"),
        ("name.familyName", "organizations[primary eq true].department"),
    )

    assert record is not None
    assert (record.id, record.user_name, record.emails, record.found_by) == (
        "1001",
        "jdoe@acme.example",
        ("jdoe@acme.example",),
        "id",
    )
    assert list(record.attributes.values()) == ["Smith", "Sales"]
    token, read = google.requests
    assert read.path == "/admin/directory/v1/users/1001"
    assert (read.query["projection"], read.query["viewType"]) == ("full", "admin_view")
    assert token.form["grant_type"] == "urn:ietf:params:oauth:grant-type:jwt-bearer"


async def test_the_assertion_asks_for_the_read_only_scope_for_the_delegated_admin(
    google: FakeGoogle,
    session: aiohttp.ClientSession,
    keys: tuple[str, str],
    clock: ManualClock,
    pauses: Pauses,
) -> None:
    google.add_user("jdoe@acme.example", user_id="1001")
    wall = Wall()
    settings = GoogleSettings(
        ACCOUNT, keys[0], ADMIN, url=google.url, token_url=f"{google.url}/token"
    )
    reader = GoogleReader(
        session, "Google Workspace", settings, clock=clock, wall=wall, sleep=pauses
    )

    await reader.read(AppUser("1001", None), ())

    assertion = google.requests[0].form["assertion"]
    claims = jwt.decode(
        assertion,
        keys[1],
        algorithms=["RS256"],
        audience=f"{google.url}/token",
        options={"verify_exp": False, "verify_iat": False},
    )
    assert claims == {
        "iss": ACCOUNT,
        "sub": ADMIN,
        "scope": "https://www.googleapis.com/auth/admin.directory.user.readonly",
        "aud": f"{google.url}/token",
        "iat": int(WALL),
        "exp": int(WALL) + 3600,
    }


async def test_found_by_primary_address_or_alias_when_the_external_id_is_missing(
    google: FakeGoogle, reader: GoogleReader
) -> None:
    google.add_user("jane.smith@acme.example", aliases=("jdoe@acme.example",), user_id="1001")

    record = await reader.read(AppUser(None, "jdoe@acme.example"), ())

    assert record is not None
    assert (record.id, record.found_by, record.user_name) == (
        "1001",
        "userName",
        "jane.smith@acme.example",
    )
    assert record.emails == ("jane.smith@acme.example", "jdoe@acme.example")
    assert google.requests[-1].path == "/admin/directory/v1/users/jdoe@acme.example"


async def test_not_found_is_none(google: FakeGoogle, reader: GoogleReader) -> None:
    google.add_user("someone@acme.example")

    assert await reader.read(AppUser("999", "jdoe@acme.example", "jd@acme.example"), ()) is None
    assert [r.path.rsplit("/", 1)[1] for r in google.requests[1:]] == [
        "999",
        "jdoe@acme.example",
        "jd@acme.example",
    ]


async def test_the_token_is_kept_until_shortly_before_it_expires(
    google: FakeGoogle, reader: GoogleReader, clock: ManualClock
) -> None:
    google.add_user("jdoe@acme.example", user_id="1001")

    await reader.read(AppUser("1001", None), ())
    clock.now += 3599 - 61
    await reader.read(AppUser("1001", None), ())
    assert token_requests(google) == 1
    clock.now += 2
    await reader.read(AppUser("1001", None), ())
    assert token_requests(google) == 2


async def test_a_kept_token_the_app_refuses_is_renewed_within_the_read(
    google: FakeGoogle, reader: GoogleReader
) -> None:
    google.add_user("jdoe@acme.example", user_id="1001")
    await reader.read(AppUser("1001", None), ())
    google.revoke_tokens()

    assert await reader.read(AppUser("1001", None), ()) is not None
    assert token_requests(google) == 2
    reads = [r.status for r in google.requests if r.path == "/admin/directory/v1/users/1001"]
    assert reads == [200, 401, 200]


async def test_a_new_token_the_app_refuses_is_one_sentence(
    google: FakeGoogle, reader: GoogleReader
) -> None:
    google.faults.append(AppFault(401, path="^/admin/", message="Invalid Credentials"))

    with pytest.raises(
        AppUnauthorized,
        match=r"^Google's Directory API rejected the reader's credentials \(Invalid Credentials "
        r"\(authError\)\): check client_email",
    ):
        await reader.read(AppUser("1001", None), ())
    assert (token_requests(google), len(google.requests)) == (1, 2)


async def test_a_subject_without_delegation_is_one_sentence(
    google: FakeGoogle,
    session: aiohttp.ClientSession,
    keys: tuple[str, str],
    clock: ManualClock,
    pauses: Pauses,
) -> None:
    reader = reader_for(session, google, keys, clock, pauses, subject="someone@acme.example")

    with pytest.raises(AppUnauthorized) as caught:
        await reader.read(AppUser("1001", None), ())

    assert str(caught.value) == (
        "Google's Directory API rejected the reader's credentials (Client is unauthorized to "
        "retrieve access tokens using this method, or client not authorized for any of the "
        "scopes requested (unauthorized_client)): check client_email, the key private_key_env "
        "names, and that the service account's client ID has domain-wide delegation of "
        "admin.directory.user.readonly in the Admin console."
    )


async def test_forbidden(google: FakeGoogle, reader: GoogleReader) -> None:
    google.faults.append(
        AppFault(403, path="^/admin/", message="Not Authorized to access this resource/api")
    )

    with pytest.raises(AppForbidden) as caught:
        await reader.read(AppUser("1001", None), ())

    assert str(caught.value) == (
        "Google's Directory API refused GET /admin/directory/v1/users/1001 (Not Authorized to "
        "access this resource/api (forbidden)): the subject must be an admin allowed to read "
        "users, and the delegation must grant admin.directory.user.readonly."
    )


async def test_rate_limited_with_retry_after(
    google: FakeGoogle, reader: GoogleReader, pauses: Pauses
) -> None:
    google.faults.append(AppFault(429, path="^/admin/", retry_after="60"))

    with pytest.raises(AppRateLimited) as caught:
        await reader.read(AppUser("1001", None), ())

    assert (
        str(caught.value)
        == "Google's Directory API is rate limiting attrsync's reads; try again in 60 s."
    )
    assert pauses.taken == []


async def test_a_server_error(google: FakeGoogle, reader: GoogleReader) -> None:
    google.faults.append(AppFault(500, path="^/admin/", message="Backend Error"))

    with pytest.raises(AppUnavailable) as caught:
        await reader.read(AppUser("1001", None), ())

    assert str(caught.value) == (
        "Google's Directory API answered 500 to GET /admin/directory/v1/users/1001 (Backend "
        "Error (backendError))."
    )


async def test_a_request_that_times_out(
    google: FakeGoogle,
    session: aiohttp.ClientSession,
    keys: tuple[str, str],
    clock: ManualClock,
    pauses: Pauses,
) -> None:
    google.faults.append(AppFault(path="^/token$", wait=5.0))
    reader = reader_for(session, google, keys, clock, pauses, timeout=0.1)

    with pytest.raises(
        AppUnavailable, match=r"^Google's Directory API did not answer POST /token within 0.1 s\.$"
    ):
        await reader.read(AppUser("1001", None), ())


async def test_paging_by_page_token(google: FakeGoogle, reader: GoogleReader) -> None:
    for n in range(5):
        google.add_user(f"user{n}@acme.example", user_id=f"10{n}")

    pages = [page async for page in list_pages(reader, ("name.familyName",), page_size=2)]

    assert [[r.id for r in p.records] for p in pages] == [["100", "101"], ["102", "103"], ["104"]]
    listed = [r for r in google.requests if r.path == "/admin/directory/v1/users"]
    assert [r.query.get("pageToken") for r in listed] == [None, "2", "4"]
    assert all(r.query["customer"] == "my_customer" for r in listed)


def test_a_key_that_is_no_pem_is_refused() -> None:
    with pytest.raises(UsageError, match="PEM block"):
        GoogleSettings(ACCOUNT, "not a key", ADMIN)
