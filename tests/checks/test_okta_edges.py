"""What goes to Okta is safe and what comes back is checked: hostile arguments never reach a
URL path, and a 2xx answer in the wrong shape is one sentence, not a report of tracebacks."""

from __future__ import annotations

import logging

import pytest

from checks.diagnose import diagnose
from checks.errors import UsageError
from checks.facts import Facts
from checks.model import Status
from checks.okta import OktaClient
from fakes.okta.server import FakeOkta, Fault


def _facts(okta: OktaClient, fake: FakeOkta, user: str, app: str) -> Facts:
    return Facts(okta, user, app, now=fake.state.now())


@pytest.mark.parametrize(
    ("user", "app"),
    [
        (".", "box"),
        ("..", "box"),
        ("  ..  ", "box"),
        ("jdoe\x00", "box"),
        ("jdoe\nadmin", "box"),
        ("jdoe", "box\x1b[31m"),
        ("jdoe", "   "),
    ],
)
async def test_implausible_arguments_are_a_usage_answer_without_okta(
    user: str, app: str, okta: OktaClient, fake_okta: FakeOkta
) -> None:
    with pytest.raises(UsageError, match=r"cannot name an Okta|Name both"):
        await diagnose(_facts(okta, fake_okta, user, app))
    assert not fake_okta.requests


@pytest.mark.parametrize(
    "user",
    ["a/b", "../apps", "jdoe?expand=x", "jdoe#x", "%2e%2e", "jdoe/../../apps/0oa"],
)
async def test_a_user_argument_stays_one_path_segment(
    user: str, okta: OktaClient, fake_okta: FakeOkta
) -> None:
    report = await diagnose(_facts(okta, fake_okta, user, "box"))
    assert report.verdict.check == "user"
    lookups = [r for r in fake_okta.requests if r.raw_path.startswith("/api/v1/users")]
    assert lookups, "the user was looked up"
    for request in lookups:  # /api/v1/users/<one segment>, or the search
        assert request.raw_path == "/api/v1/users" or request.raw_path.count("/") == 4, (
            request.raw_path
        )
    assert not [r for r in fake_okta.requests if r.path.startswith("/api/v1/apps/0oa/")]


@pytest.mark.parametrize(
    "app",
    ["0oa/../../users/asmith?expand=x", "0oa/../users", "0oaXXXX/../../../", "0oa..%2f"],
)
async def test_an_app_argument_is_only_a_path_when_it_is_an_app_id(
    app: str, okta: OktaClient, fake_okta: FakeOkta
) -> None:
    report = await diagnose(_facts(okta, fake_okta, "jdoe", app))
    assert report.verdict.check == "app"
    app_lookups = [r.path for r in fake_okta.requests if "/apps" in r.path]
    assert app_lookups == ["/api/v1/apps"]  # a search by label, with `q`
    assert not [r for r in fake_okta.requests if r.path.startswith("/api/v1/users/asmith")]


@pytest.mark.parametrize(
    ("raw", "content_type", "said"),
    [
        ("{}", "application/json", "Okta answered with a user whose id is not an Okta id."),
        ("[]", "application/json", "Okta answered with list where a user belongs."),
        (
            '{"id": "../../users/asmith", "status": "ACTIVE"}',
            "application/json",
            "Okta answered with a user whose id is not an Okta id.",
        ),
        ('"a string"', "application/json", "Okta answered with str where a user belongs."),
        (
            "<html><body>Proxy error</body></html>",
            "text/html",
            "Okta answered GET /api/v1/users/jdoe with a page that is not JSON.",
        ),
    ],
    ids=["empty-object", "list", "hostile-id", "string", "html"],
)
async def test_a_success_in_the_wrong_shape_is_one_sentence(
    raw: str,
    content_type: str,
    said: str,
    okta: OktaClient,
    fake_okta: FakeOkta,
    caplog: pytest.LogCaptureFixture,
) -> None:
    fake_okta.faults.append(
        Fault.answer(raw, path="^/api/v1/users/jdoe$", content_type=content_type)
    )
    with caplog.at_level(logging.WARNING):
        report = await diagnose(_facts(okta, fake_okta, "jdoe", "box"))
    user_finding = next(f for f in report.findings if f.check == "user")
    assert user_finding.status is Status.UNKNOWN
    assert user_finding.detail == said
    assert not [f for f in report.findings if "internal error" in f.detail]
    assert not [r for r in caplog.records if r.exc_info], "no traceback in the logs"
    assert not [r for r in fake_okta.requests if "asmith" in r.path]
