"""The SCIM reader against the fake SCIM server: lookups, paging, and each refusal's sentence."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from checks.errors import (
    AppForbidden,
    AppMalformed,
    AppRateLimited,
    AppUnauthorized,
    AppUnavailable,
    UsageError,
)
from checks.readers.model import AppUser, list_pages
from checks.readers.scim import ScimReader, ScimSettings
from fakes.scim.server import ENTERPRISE_USER, AppFault, FakeScim, serve_scim
from tests.readers.clocks import Pauses

TOKEN = "scim-secret-do-not-print"
ASKED = ("name.familyName", 'emails[type eq "work"].value', f"{ENTERPRISE_USER}:department")


@pytest.fixture
async def scim() -> AsyncIterator[FakeScim]:
    async with serve_scim(FakeScim(token=TOKEN)) as fake:
        yield fake


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


@pytest.fixture
def pauses() -> Pauses:
    return Pauses()


def reader_for(
    session: aiohttp.ClientSession,
    scim: FakeScim,
    pauses: Pauses,
    *,
    token: str = TOKEN,
    timeout: float = 5.0,
) -> ScimReader:
    settings = ScimSettings(url=scim.url, token=token, timeout=timeout, max_wait=5.0)
    return ScimReader(session, "Custom SCIM App", settings, sleep=pauses)


async def test_found_by_the_external_id_with_the_values_asked_for(
    scim: FakeScim, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    scim.add_user("jdoe@example.com", family_name="Smith", department="Sales", user_id="u-1")
    reader = reader_for(session, scim, pauses)

    record = await reader.read(AppUser("u-1", "jdoe@example.com"), ASKED)

    assert record is not None
    assert (record.id, record.user_name, record.emails, record.found_by) == (
        "u-1",
        "jdoe@example.com",
        ("jdoe@example.com",),
        "id",
    )
    assert dict(record.attributes) == dict(
        zip(ASKED, ("Smith", "jdoe@example.com", "Sales"), strict=True)
    )
    [request] = scim.requests
    assert request.path == "/Users/u-1"
    assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert request.query["attributes"] == f"userName,emails,name,{ENTERPRISE_USER}:department"


async def test_found_by_user_name_when_the_external_id_is_missing(
    scim: FakeScim, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    scim.add_user("other@example.com", user_id="u-0")
    scim.add_user("jdoe@example.com", family_name="Smith", user_id="u-1")

    record = await reader_for(session, scim, pauses).read(
        AppUser(None, "JDoe@example.com"), ("name.familyName",)
    )

    assert record is not None
    assert (record.id, record.found_by, record.attributes["name.familyName"]) == (
        "u-1",
        "userName",
        "Smith",
    )
    [request] = scim.requests
    assert request.path == "/Users"
    assert request.query["filter"] == 'userName eq "JDoe@example.com"'


async def test_an_external_id_the_app_does_not_hold_falls_back_to_the_user_name(
    scim: FakeScim, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    scim.add_user("jdoe@example.com", user_id="u-1")

    record = await reader_for(session, scim, pauses).read(AppUser("u-gone", "jdoe@example.com"), ())

    assert record is not None and (record.id, record.found_by) == ("u-1", "userName")
    assert [r.path for r in scim.requests] == ["/Users/u-gone", "/Users"]


async def test_found_by_email_when_neither_id_nor_user_name_finds_it(
    scim: FakeScim, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    scim.add_user("jdoe", work_email="jane.doe@example.com", user_id="u-1")

    record = await reader_for(session, scim, pauses).read(
        AppUser(None, "jane.doe", "jane.doe@example.com"), ()
    )

    assert record is not None and (record.id, record.found_by) == ("u-1", "email")
    assert scim.requests[-1].query["filter"] == 'emails.value eq "jane.doe@example.com"'


async def test_not_found_is_none(
    scim: FakeScim, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    scim.add_user("someone@example.com")

    assert (
        await reader_for(session, scim, pauses).read(AppUser("u-9", "jdoe@example.com"), ()) is None
    )


async def test_a_filter_value_with_quotes_is_escaped(
    scim: FakeScim, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    scim.add_user('o"brien\\x', user_id="u-1")

    record = await reader_for(session, scim, pauses).read(AppUser(None, 'o"brien\\x'), ())

    assert record is not None and record.id == "u-1"
    assert scim.requests[0].query["filter"] == 'userName eq "o\\"brien\\\\x"'


async def test_paging_lists_every_user_once(
    scim: FakeScim, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    for n in range(5):
        scim.add_user(f"user{n}@example.com", family_name=f"F{n}", user_id=f"u-{n}")
    reader = reader_for(session, scim, pauses)

    pages = [page async for page in list_pages(reader, ("name.familyName",), page_size=2)]

    assert [[r.id for r in page.records] for page in pages] == [
        ["u-0", "u-1"],
        ["u-2", "u-3"],
        ["u-4"],
    ]
    assert pages[2].records[0].attributes["name.familyName"] == "F4"
    assert [(r.query["startIndex"], r.query["count"]) for r in scim.requests] == [
        ("1", "2"),
        ("3", "2"),
        ("5", "2"),
    ]


async def test_a_listing_resumes_from_a_kept_cursor(
    scim: FakeScim, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    for n in range(3):
        scim.add_user(f"user{n}@example.com", user_id=f"u-{n}")
    reader = reader_for(session, scim, pauses)

    first = await reader.list_page((), page_size=2)
    rest = await reader.list_page((), first.next, page_size=2)

    assert first.next == "3"
    assert ([r.id for r in rest.records], rest.next) == (["u-2"], None)


async def test_a_wrong_token_is_one_sentence_without_the_token(
    scim: FakeScim, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    with pytest.raises(AppUnauthorized) as caught:
        await reader_for(session, scim, pauses, token="wrong-token").read(AppUser("u-1", None), ())

    assert str(caught.value) == (
        "The SCIM server rejected the reader's credentials (Authorization failure. The "
        "authorization header is invalid or missing): check the bearer token the reader's "
        "token_env names."
    )
    assert caught.value.app == "Custom SCIM App"
    assert "wrong-token" not in str(caught.value)


async def test_forbidden(scim: FakeScim, session: aiohttp.ClientSession, pauses: Pauses) -> None:
    scim.faults.append(AppFault(403, message="Insufficient scope"))

    with pytest.raises(AppForbidden) as caught:
        await reader_for(session, scim, pauses).read(AppUser("u-1", None), ())

    assert str(caught.value) == (
        "The SCIM server refused GET /Users/u-1 (Insufficient scope): the token must be "
        "allowed to read /Users."
    )


async def test_no_users_endpoint_at_the_url_says_to_check_it(
    scim: FakeScim, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    scim.faults.append(AppFault(404, path="^/Users$", message="No such endpoint"))

    with pytest.raises(AppUnavailable) as caught:
        await reader_for(session, scim, pauses).read(AppUser(None, "jdoe@example.com"), ())

    assert str(caught.value) == (
        "The SCIM server has no /Users (No such endpoint): check the reader's url for "
        "'Custom SCIM App'."
    )


async def test_rate_limited_longer_than_a_read_may_wait(
    scim: FakeScim, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    scim.faults.append(AppFault(429, retry_after="120"))

    with pytest.raises(AppRateLimited) as caught:
        await reader_for(session, scim, pauses).read(AppUser("u-1", None), ())

    assert (
        str(caught.value)
        == "The SCIM server is rate limiting attrsync's reads; try again in 120 s."
    )
    assert caught.value.retry_after == 120.0
    assert (len(scim.requests), pauses.taken) == (1, [])


async def test_a_short_retry_after_is_waited_out(
    scim: FakeScim, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    scim.add_user("jdoe@example.com", user_id="u-1")
    scim.faults.append(AppFault(429, retry_after="2", times=1))

    record = await reader_for(session, scim, pauses).read(AppUser("u-1", None), ())

    assert record is not None and record.id == "u-1"
    assert (len(scim.requests), pauses.taken) == (2, [2.0])


async def test_a_server_error_that_lasts_is_unavailable(
    scim: FakeScim, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    scim.faults.append(AppFault(503, message="Down for maintenance"))

    with pytest.raises(AppUnavailable) as caught:
        await reader_for(session, scim, pauses).read(AppUser("u-1", None), ())

    assert str(caught.value) == (
        "The SCIM server answered 503 to GET /Users/u-1 (Down for maintenance)."
    )
    assert (len(scim.requests), pauses.taken) == (3, [0.5, 1.0])


async def test_a_500_is_not_retried(
    scim: FakeScim, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    scim.faults.append(AppFault(500))

    with pytest.raises(AppUnavailable, match=r"^The SCIM server answered 500 to GET /Users/u-1"):
        await reader_for(session, scim, pauses).read(AppUser("u-1", None), ())
    assert len(scim.requests) == 1


async def test_a_request_that_times_out(
    scim: FakeScim, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    scim.faults.append(AppFault(wait=5.0))

    with pytest.raises(AppUnavailable) as caught:
        await reader_for(session, scim, pauses, timeout=0.1).read(AppUser("u-1", None), ())

    assert str(caught.value) == "The SCIM server did not answer GET /Users/u-1 within 0.1 s."


async def test_a_read_keeps_to_its_budget(
    scim: FakeScim, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    scim.faults.append(AppFault(wait=5.0))

    with pytest.raises(AppUnavailable) as caught:
        await reader_for(session, scim, pauses).read(AppUser("u-1", None), (), budget=0.1)

    assert str(caught.value) == "The SCIM server did not give the user's record within 0.1 s."


async def test_an_unreadable_path_is_a_usage_error(
    scim: FakeScim, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    scim.add_user("jdoe@example.com", user_id="u-1")

    with pytest.raises(UsageError, match="not a SCIM attribute path"):
        await reader_for(session, scim, pauses).read(AppUser("u-1", None), ("name..family",))


async def test_a_slow_server_times_out_the_read(
    scim: FakeScim, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    scim.recorder.latency = 5.0

    with pytest.raises(AppUnavailable, match=r"^The SCIM server did not answer GET /Users\b"):
        await reader_for(session, scim, pauses, timeout=0.1).read(AppUser(None, "jdoe"), ())


async def test_a_filter_the_server_did_not_apply_is_malformed_not_a_guess(
    scim: FakeScim, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    scim.add_user("jdoe@example.com", user_id="u-1")
    scim.add_user("jdoe@example.com", user_id="u-2")  # userName must be unique; this server errs

    with pytest.raises(AppMalformed) as caught:
        await reader_for(session, scim, pauses).read(AppUser(None, "jdoe@example.com"), ())

    assert str(caught.value) == (
        "The SCIM server answered a filter on userName with several users."
    )
