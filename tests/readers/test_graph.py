"""The Microsoft Graph reader against the fake Graph: the client credentials token, cached and
renewed on an injected clock, lookups, nextLink paging, and each refusal's sentence."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from checks.errors import AppForbidden, AppRateLimited, AppUnauthorized, AppUnavailable
from checks.readers.graph import GraphReader, GraphSettings
from checks.readers.model import AppUser, list_pages
from fakes.graph.server import AppFault, FakeGraph, serve_graph
from tests.readers.clocks import ManualClock, Pauses

SECRET = "graph-secret-do-not-print"
TENANT = "contoso.onmicrosoft.com"


@pytest.fixture
async def graph() -> AsyncIterator[FakeGraph]:
    async with serve_graph(FakeGraph(TENANT, "app-client", SECRET)) as fake:
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


@pytest.fixture
def reader(
    session: aiohttp.ClientSession, graph: FakeGraph, clock: ManualClock, pauses: Pauses
) -> GraphReader:
    return reader_for(session, graph, clock, pauses)


def reader_for(
    session: aiohttp.ClientSession,
    graph: FakeGraph,
    clock: ManualClock,
    pauses: Pauses,
    *,
    secret: str = SECRET,
    timeout: float = 5.0,
) -> GraphReader:
    settings = GraphSettings(
        TENANT, "app-client", secret, url=graph.url, login_url=graph.url, timeout=timeout
    )
    return GraphReader(session, "Microsoft 365", settings, clock=clock, sleep=pauses)


def token_requests(graph: FakeGraph) -> int:
    return sum(r.path.endswith("/oauth2/v2.0/token") for r in graph.requests)


async def test_found_by_id_with_the_properties_asked_for(
    graph: FakeGraph, reader: GraphReader
) -> None:
    graph.add_user("jdoe@contoso.com", surname="Smith", department="Sales", user_id="u-1")

    record = await reader.read(AppUser("u-1", "jdoe@contoso.com"), ("surname", "department"))

    assert record is not None
    assert (record.id, record.user_name, record.emails, record.found_by) == (
        "u-1",
        "jdoe@contoso.com",
        ("jdoe@contoso.com",),
        "id",
    )
    assert dict(record.attributes) == {"surname": "Smith", "department": "Sales"}
    token, read = graph.requests
    assert (token.path, token.form["scope"], token.form["grant_type"]) == (
        f"/{TENANT}/oauth2/v2.0/token",
        "https://graph.microsoft.com/.default",
        "client_credentials",
    )
    assert (read.path, read.query["$select"]) == (
        "/v1.0/users/u-1",
        "id,userPrincipalName,mail,otherMails,surname,department",
    )


async def test_found_by_user_principal_name_when_the_external_id_is_missing(
    graph: FakeGraph, reader: GraphReader
) -> None:
    graph.add_user("o'brien@contoso.com", user_id="u-1")

    record = await reader.read(AppUser(None, "o'brien@contoso.com"), ())

    assert record is not None and (record.id, record.found_by) == ("u-1", "userName")
    assert graph.requests[-1].query["$filter"] == "userPrincipalName eq 'o''brien@contoso.com'"


async def test_found_by_mail_when_the_user_principal_name_finds_nothing(
    graph: FakeGraph, reader: GraphReader
) -> None:
    user = graph.add_user("jdoe@contoso.onmicrosoft.com", user_id="u-1")
    user["mail"] = "jane.doe@contoso.com"

    record = await reader.read(AppUser("u-gone", "jdoe@contoso.com", "jane.doe@contoso.com"), ())

    assert record is not None and (record.id, record.found_by) == ("u-1", "email")
    assert [r.path for r in graph.requests[1:]] == [
        "/v1.0/users/u-gone",
        "/v1.0/users",
        "/v1.0/users",
    ]


async def test_not_found_is_none(graph: FakeGraph, reader: GraphReader) -> None:
    graph.add_user("someone@contoso.com")

    assert await reader.read(AppUser("u-9", "jdoe@contoso.com"), ()) is None


async def test_the_token_is_kept_until_shortly_before_it_expires(
    graph: FakeGraph, reader: GraphReader, clock: ManualClock
) -> None:
    graph.add_user("jdoe@contoso.com", user_id="u-1")

    await reader.read(AppUser("u-1", None), ())
    clock.now += 3599 - 61
    await reader.read(AppUser("u-1", None), ())
    assert token_requests(graph) == 1
    clock.now += 2
    await reader.read(AppUser("u-1", None), ())
    assert token_requests(graph) == 2


async def test_a_kept_token_the_app_refuses_is_renewed_within_the_read(
    graph: FakeGraph, reader: GraphReader
) -> None:
    graph.add_user("jdoe@contoso.com", user_id="u-1")
    await reader.read(AppUser("u-1", None), ())
    graph.revoke_tokens()

    assert await reader.read(AppUser("u-1", None), ()) is not None
    assert token_requests(graph) == 2
    assert [r.status for r in graph.requests if r.path == "/v1.0/users/u-1"] == [200, 401, 200]


async def test_a_new_token_the_app_refuses_is_one_sentence(
    graph: FakeGraph, reader: GraphReader
) -> None:
    graph.faults.append(
        AppFault(401, path="^/v1.0/", message="Access token validation failure. Invalid audience.")
    )

    with pytest.raises(AppUnauthorized) as caught:
        await reader.read(AppUser("u-1", None), ())

    assert str(caught.value).startswith(
        "Microsoft Graph rejected the reader's credentials (Access token validation failure. "
        "Invalid audience (InvalidAuthenticationToken)): check tenant_id"
    )
    assert (token_requests(graph), len(graph.requests)) == (1, 2)


async def test_a_wrong_client_secret_is_one_sentence_without_it(
    graph: FakeGraph, session: aiohttp.ClientSession, clock: ManualClock, pauses: Pauses
) -> None:
    reader = reader_for(session, graph, clock, pauses, secret="wrong-secret")

    with pytest.raises(AppUnauthorized) as caught:
        await reader.read(AppUser("u-1", None), ())

    assert str(caught.value) == (
        "Microsoft Graph rejected the reader's credentials (AADSTS7000215: Invalid client "
        "secret provided): check tenant_id, client_id and the client secret client_secret_env "
        "names (secrets expire in Entra ID)."
    )
    assert "wrong-secret" not in str(caught.value)


async def test_forbidden_names_the_permission(graph: FakeGraph, reader: GraphReader) -> None:
    graph.faults.append(
        AppFault(403, path="^/v1.0/", message="Insufficient privileges to complete the operation.")
    )

    with pytest.raises(AppForbidden) as caught:
        await reader.read(AppUser("u-1", None), ())

    assert str(caught.value) == (
        "Microsoft Graph refused GET /v1.0/users/u-1 (Insufficient privileges to complete the "
        "operation (Authorization_RequestDenied)): the app registration needs the "
        "User.Read.All application permission, with admin consent."
    )


async def test_throttled_with_retry_after(
    graph: FakeGraph, reader: GraphReader, pauses: Pauses
) -> None:
    graph.faults.append(AppFault(429, path="^/v1.0/", retry_after="20"))

    with pytest.raises(
        AppRateLimited,
        match=r"^Microsoft Graph is rate limiting attrsync's reads; try again in 20 s\.$",
    ):
        await reader.read(AppUser("u-1", None), ())
    assert pauses.taken == []


async def test_unavailable_after_retries(
    graph: FakeGraph, reader: GraphReader, pauses: Pauses
) -> None:
    graph.faults.append(AppFault(503, path="^/v1.0/", message="Service unavailable."))

    with pytest.raises(AppUnavailable) as caught:
        await reader.read(AppUser("u-1", None), ())

    assert str(caught.value) == (
        "Microsoft Graph answered 503 to GET /v1.0/users/u-1 (Service unavailable "
        "(serviceNotAvailable))."
    )
    assert pauses.taken == [0.5, 1.0]


async def test_a_request_that_times_out(
    graph: FakeGraph, session: aiohttp.ClientSession, clock: ManualClock, pauses: Pauses
) -> None:
    graph.faults.append(AppFault(path="^/v1.0/", wait=5.0))
    reader = reader_for(session, graph, clock, pauses, timeout=0.1)

    with pytest.raises(
        AppUnavailable, match=r"^Microsoft Graph did not answer GET /v1.0/users/u-1 within 0.1 s\.$"
    ):
        await reader.read(AppUser("u-1", None), ())


async def test_paging_follows_next_links(graph: FakeGraph, reader: GraphReader) -> None:
    for n in range(5):
        graph.add_user(f"user{n}@contoso.com", surname=f"S{n}", user_id=f"u-{n}")

    pages = [page async for page in list_pages(reader, ("surname",), page_size=2)]

    assert [[r.id for r in p.records] for p in pages] == [["u-0", "u-1"], ["u-2", "u-3"], ["u-4"]]
    assert pages[1].records[0].attributes["surname"] == "S2"
    listed = [r for r in graph.requests if r.path == "/v1.0/users"]
    assert [r.query.get("$skiptoken") for r in listed] == [None, "2", "4"]


async def test_a_cursor_of_another_host_is_refused(reader: GraphReader) -> None:
    with pytest.raises(ValueError, match="nextLinks"):
        await reader.list_page((), "https://elsewhere.example.com/v1.0/users?$skiptoken=2")
