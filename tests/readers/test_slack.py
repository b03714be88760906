"""The Slack reader against the fake Slack: users.info by the externalId, users.lookupByEmail
without it, custom profile fields from users.profile.get, and each refusal's sentence."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from checks.errors import AppForbidden, AppRateLimited, AppUnauthorized, AppUnavailable, UsageError
from checks.readers.model import AppUser
from checks.readers.slack import SlackReader, SlackReaderSettings
from fakes.slack.server import FakeSlack, Hold, serve_slack
from tests.readers.clocks import Pauses

TOKEN = "xoxb-reader-do-not-print"


def slack_user(user_id: str, email: str, title: str = "Engineer") -> dict[str, Any]:
    return {
        "id": user_id,
        "team_id": "T0ACME",
        "name": email.split("@")[0],
        "deleted": False,
        "real_name": "Jane Smith",
        "profile": {
            "title": title,
            "real_name": "Jane Smith",
            "display_name": "jane",
            "email": email,
            "fields": {"Xf01": {"value": "Sales", "alt": ""}},
        },
    }


@pytest.fixture
async def slack() -> AsyncIterator[FakeSlack]:
    async with serve_slack(bot_token=TOKEN) as fake:
        fake.known_users_only = True
        yield fake
    assert not fake.errors, fake.errors


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as opened:
        yield opened


@pytest.fixture
def pauses() -> Pauses:
    return Pauses()


def reader_for(
    session: aiohttp.ClientSession,
    slack: FakeSlack,
    pauses: Pauses,
    *,
    token: str = TOKEN,
    timeout: float = 5.0,
    max_wait: float = 5.0,
) -> SlackReader:
    settings = SlackReaderSettings(token, slack.api_url, timeout=timeout, max_wait=max_wait)
    return SlackReader(session, "Slack", settings, sleep=pauses)


async def test_found_by_id_with_the_values_asked_for(
    slack: FakeSlack, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    slack.users["U0JDOE"] = slack_user("U0JDOE", "jdoe@example.com", title="Engineer")

    record = await reader_for(session, slack, pauses).read(
        AppUser("U0JDOE", "jdoe@example.com"), ("profile.title", "profile.fields.Xf01.value")
    )

    assert record is not None
    assert (record.id, record.user_name, record.emails, record.found_by) == (
        "U0JDOE",
        "jdoe@example.com",
        ("jdoe@example.com",),
        "id",
    )
    assert dict(record.attributes) == {
        "profile.title": "Engineer",
        "profile.fields.Xf01.value": "Sales",
    }
    assert [c.method for c in slack.calls] == ["users.info", "users.profile.get"]
    assert all(c.token == TOKEN for c in slack.calls)


async def test_found_by_address_when_the_external_id_is_missing_or_stale(
    slack: FakeSlack, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    slack.users["U0JDOE"] = slack_user("U0JDOE", "jdoe@example.com")
    reader = reader_for(session, slack, pauses)

    missing = await reader.read(AppUser(None, "JDoe@example.com"), ("profile.title",))
    stale = await reader.read(AppUser("U0GONE", "jdoe@example.com"), ())

    assert missing is not None and (missing.id, missing.found_by) == ("U0JDOE", "userName")
    assert stale is not None and (stale.id, stale.found_by) == ("U0JDOE", "userName")
    assert [c.method for c in slack.calls] == [
        "users.lookupByEmail",
        "users.info",
        "users.lookupByEmail",
    ]
    assert slack.calls[0].args["email"] == "JDoe@example.com"


async def test_not_found_is_none(
    slack: FakeSlack, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    reader = reader_for(session, slack, pauses)

    assert await reader.read(AppUser("U0NONE", "jdoe", "jdoe@example.com"), ()) is None
    assert [c.method for c in slack.calls] == ["users.info", "users.lookupByEmail"]


async def test_a_wrong_token_is_one_sentence_without_it(
    slack: FakeSlack, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    with pytest.raises(AppUnauthorized) as caught:
        await reader_for(session, slack, pauses, token="xoxb-wrong").read(
            AppUser("U0JDOE", None), ()
        )

    assert str(caught.value) == (
        "Slack rejected the reader's credentials (invalid_auth): check the bot token "
        "token_env names (xoxb-…)."
    )
    assert caught.value.app == "Slack"


async def test_a_missing_scope(
    slack: FakeSlack, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    slack.fail_next["users.lookupByEmail"] = "missing_scope"

    with pytest.raises(AppForbidden) as caught:
        await reader_for(session, slack, pauses).read(AppUser(None, "jdoe@example.com"), ())

    assert str(caught.value) == (
        "Slack refused users.lookupByEmail (missing_scope): the bot token needs users:read."
    )


async def test_a_short_rate_limit_is_waited_out(
    slack: FakeSlack, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    slack.users["U0JDOE"] = slack_user("U0JDOE", "jdoe@example.com")
    slack.fail_next["users.info"] = "ratelimited"

    record = await reader_for(session, slack, pauses).read(AppUser("U0JDOE", None), ())

    assert record is not None and pauses.taken == [1.0]


async def test_a_rate_limit_longer_than_the_read_may_wait(
    slack: FakeSlack, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    slack.fail_next["users.info"] = "ratelimited"

    with pytest.raises(AppRateLimited) as caught:
        await reader_for(session, slack, pauses, max_wait=0.5).read(AppUser("U0JDOE", None), ())

    assert str(caught.value) == "Slack is rate limiting attrsync's reads; try again in 1 s."
    assert caught.value.retry_after == 1.0


async def test_slacks_own_failure(
    slack: FakeSlack, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    slack.fail_next["users.info"] = "fatal_error"

    with pytest.raises(AppUnavailable, match=r"^Slack answered users\.info with fatal_error\.$"):
        await reader_for(session, slack, pauses).read(AppUser("U0JDOE", None), ())


async def test_a_call_that_times_out(
    slack: FakeSlack, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    slack.holds["users.info"] = Hold()

    with pytest.raises(
        AppUnavailable, match=r"^Slack did not answer GET /api/users\.info within 0\.1 s\.$"
    ):
        await reader_for(session, slack, pauses, timeout=0.1).read(AppUser("U0JDOE", None), ())


async def test_slack_cannot_be_listed(
    slack: FakeSlack, session: aiohttp.ClientSession, pauses: Pauses
) -> None:
    reader = reader_for(session, slack, pauses)

    assert reader.can_list is False
    with pytest.raises(UsageError, match="cannot list Slack"):
        await reader.list_page(())
