"""The Box reader against the fake Box: the client credentials token, cached and renewed on an
injected clock, lookups, marker paging, and each refusal's sentence."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import pytest

from checks.errors import AppForbidden, AppRateLimited, AppUnauthorized, AppUnavailable
from checks.readers.box import BoxReader, BoxSettings
from checks.readers.model import AppUser, list_pages
from fakes.box.server import AppFault, FakeBox, serve_box
from tests.readers.clocks import ManualClock, Pauses

SECRET = "box-secret-do-not-print"


@pytest.fixture
async def box() -> AsyncIterator[FakeBox]:
    async with serve_box(FakeBox("box-client", SECRET, "1234")) as fake:
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


def reader_for(
    session: aiohttp.ClientSession,
    box: FakeBox,
    clock: ManualClock,
    pauses: Pauses,
    *,
    secret: str = SECRET,
    timeout: float = 5.0,
) -> BoxReader:
    settings = BoxSettings("box-client", secret, "1234", url=box.url, timeout=timeout)
    return BoxReader(session, "Box", settings, clock=clock, sleep=pauses)


def token_requests(box: FakeBox) -> int:
    return sum(r.path == "/oauth2/token" for r in box.requests)


async def test_found_by_id_with_the_fields_asked_for(
    box: FakeBox, session: aiohttp.ClientSession, clock: ManualClock, pauses: Pauses
) -> None:
    box.add_user("jdoe@example.com", "Jane Smith", job_title="Engineer", user_id="111")

    record = await reader_for(session, box, clock, pauses).read(
        AppUser("111", "jdoe@example.com"), ("name", "job_title")
    )

    assert record is not None
    assert (record.id, record.user_name, record.emails, record.found_by) == (
        "111",
        "jdoe@example.com",
        ("jdoe@example.com",),
        "id",
    )
    assert dict(record.attributes) == {"name": "Jane Smith", "job_title": "Engineer"}
    token, read = box.requests
    assert token.form == {
        "grant_type": "client_credentials",
        "client_id": "box-client",
        "client_secret": SECRET,
        "box_subject_type": "enterprise",
        "box_subject_id": "1234",
    }
    assert (read.path, read.query["fields"]) == ("/2.0/users/111", "id,type,login,name,job_title")
    assert read.headers["Authorization"].startswith("Bearer ")


async def test_found_by_login_when_the_external_id_is_missing(
    box: FakeBox, session: aiohttp.ClientSession, clock: ManualClock, pauses: Pauses
) -> None:
    box.add_user("jdoe@example.com.au", "Jane Other", user_id="110")  # a longer login, same start
    box.add_user("jdoe@example.com", "Jane Smith", user_id="111")

    record = await reader_for(session, box, clock, pauses).read(
        AppUser(None, "JDOE@example.com"), ("name",)
    )

    assert record is not None
    assert (record.id, record.found_by, record.attributes["name"]) == (
        "111",
        "userName",
        "Jane Smith",
    )
    assert box.requests[-1].query["filter_term"] == "JDOE@example.com"


async def test_a_stale_external_id_falls_back_to_the_login_and_says_so(
    box: FakeBox, session: aiohttp.ClientSession, clock: ManualClock, pauses: Pauses
) -> None:
    box.add_user("jdoe@example.com", "Jane Smith", user_id="111")

    record = await reader_for(session, box, clock, pauses).read(
        AppUser("999", "jdoe@example.com"), ()
    )

    assert record is not None and (record.id, record.found_by) == ("111", "userName")


async def test_not_found_is_none(
    box: FakeBox, session: aiohttp.ClientSession, clock: ManualClock, pauses: Pauses
) -> None:
    box.add_user("someone@example.com", "Some One")

    reader = reader_for(session, box, clock, pauses)

    assert await reader.read(AppUser("999", "jdoe@example.com", "jdoe@example.com"), ()) is None


async def test_the_token_is_kept_until_shortly_before_it_expires(
    box: FakeBox, session: aiohttp.ClientSession, clock: ManualClock, pauses: Pauses
) -> None:
    box.add_user("jdoe@example.com", "Jane Smith", user_id="111")
    reader = reader_for(session, box, clock, pauses)

    await reader.read(AppUser("111", None), ())
    clock.now += 3600 - 61  # Box's hour, less the minute of margin, not yet over
    await reader.read(AppUser("111", None), ())
    assert token_requests(box) == 1

    clock.now += 2
    await reader.read(AppUser("111", None), ())
    assert token_requests(box) == 2


async def test_a_kept_token_the_app_refuses_is_renewed_within_the_read(
    box: FakeBox, session: aiohttp.ClientSession, clock: ManualClock, pauses: Pauses
) -> None:
    box.add_user("jdoe@example.com", "Jane Smith", user_id="111")
    reader = reader_for(session, box, clock, pauses)
    await reader.read(AppUser("111", None), ())
    box.revoke_tokens()

    record = await reader.read(AppUser("111", None), ())

    assert record is not None and token_requests(box) == 2
    assert [r.status for r in box.requests if r.path == "/2.0/users/111"] == [200, 401, 200]


async def test_a_new_token_the_app_refuses_is_one_sentence(
    box: FakeBox, session: aiohttp.ClientSession, clock: ManualClock, pauses: Pauses
) -> None:
    box.faults.append(AppFault(401, path="^/2.0/", message="Unauthorized"))

    with pytest.raises(AppUnauthorized) as caught:
        await reader_for(session, box, clock, pauses).read(AppUser("111", None), ())

    assert str(caught.value) == (
        "Box rejected the reader's credentials (Unauthorized (unauthorized)): check client_id, "
        "the secret client_secret_env names and enterprise_id, and that the app is authorized "
        "in the Box Admin Console."
    )
    assert (token_requests(box), len(box.requests)) == (1, 2)


async def test_wrong_client_credentials_are_one_sentence_without_the_secret(
    box: FakeBox, session: aiohttp.ClientSession, clock: ManualClock, pauses: Pauses
) -> None:
    with pytest.raises(AppUnauthorized) as caught:
        await reader_for(session, box, clock, pauses, secret="wrong-secret").read(
            AppUser("111", None), ()
        )

    assert str(caught.value) == (
        "Box rejected the reader's credentials (The client credentials are invalid "
        "(invalid_client)): check client_id, the secret client_secret_env names and "
        "enterprise_id, and that the app is authorized in the Box Admin Console."
    )
    assert "wrong-secret" not in str(caught.value)


async def test_forbidden(
    box: FakeBox, session: aiohttp.ClientSession, clock: ManualClock, pauses: Pauses
) -> None:
    box.faults.append(
        AppFault(403, path="^/2.0/", message="Access denied - insufficient permission")
    )

    with pytest.raises(AppForbidden) as caught:
        await reader_for(session, box, clock, pauses).read(AppUser("111", None), ())

    assert str(caught.value) == (
        "Box refused GET /2.0/users/111 (Access denied - insufficient permission (forbidden)): "
        "the Box app needs the Manage users scope and App + Enterprise access."
    )


async def test_no_users_endpoint_says_to_check_the_url(
    box: FakeBox, session: aiohttp.ClientSession, clock: ManualClock, pauses: Pauses
) -> None:
    box.faults.append(AppFault(404, path="^/2.0/users$"))

    with pytest.raises(AppUnavailable, match=r"^Box has no /2.0/users \(Not Found \(not_found\)\)"):
        await reader_for(session, box, clock, pauses).read(AppUser(None, "jdoe@example.com"), ())


async def test_rate_limited_with_retry_after(
    box: FakeBox, session: aiohttp.ClientSession, clock: ManualClock, pauses: Pauses
) -> None:
    box.faults.append(AppFault(429, path="^/2.0/", retry_after="30"))

    with pytest.raises(AppRateLimited) as caught:
        await reader_for(session, box, clock, pauses).read(AppUser("111", None), ())

    assert str(caught.value) == "Box is rate limiting attrsync's reads; try again in 30 s."
    assert (caught.value.retry_after, pauses.taken) == (30.0, [])


async def test_a_server_error(
    box: FakeBox, session: aiohttp.ClientSession, clock: ManualClock, pauses: Pauses
) -> None:
    box.faults.append(AppFault(500, path="^/2.0/", message="Internal Server Error"))

    with pytest.raises(AppUnavailable) as caught:
        await reader_for(session, box, clock, pauses).read(AppUser("111", None), ())

    assert str(caught.value) == (
        "Box answered 500 to GET /2.0/users/111 (Internal Server Error (internal_server_error))."
    )


async def test_the_token_request_timing_out(
    box: FakeBox, session: aiohttp.ClientSession, clock: ManualClock, pauses: Pauses
) -> None:
    box.faults.append(AppFault(path="^/oauth2/token$", wait=5.0))

    with pytest.raises(AppUnavailable) as caught:
        await reader_for(session, box, clock, pauses, timeout=0.1).read(AppUser("111", None), ())

    assert str(caught.value) == "Box did not answer POST /oauth2/token within 0.1 s."


async def test_paging_by_marker(
    box: FakeBox, session: aiohttp.ClientSession, clock: ManualClock, pauses: Pauses
) -> None:
    for n in range(5):
        box.add_user(f"user{n}@example.com", f"User {n}", user_id=f"20{n}")
    reader = reader_for(session, box, clock, pauses)

    pages = [page async for page in list_pages(reader, ("name",), page_size=2)]

    assert [[r.id for r in p.records] for p in pages] == [["200", "201"], ["202", "203"], ["204"]]
    listed = [r for r in box.requests if r.path == "/2.0/users"]
    assert [r.query.get("marker") for r in listed] == [None, "2", "4"]
    assert all(r.query["usemarker"] == "true" for r in listed)
    assert token_requests(box) == 1


async def test_reads_at_the_same_moment_share_one_token_request(
    box: FakeBox, session: aiohttp.ClientSession, clock: ManualClock, pauses: Pauses
) -> None:
    box.add_user("jdoe@example.com", "Jane Smith", user_id="111")
    box.faults.append(AppFault(path="^/oauth2/token$", wait=0.05))  # both arrive while it is due
    reader = reader_for(session, box, clock, pauses)

    records = await asyncio.gather(*(reader.read(AppUser("111", None), ()) for _ in range(3)))

    assert all(r is not None for r in records)
    assert token_requests(box) == 1
