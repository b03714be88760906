"""The whole engine over HTTP: real okta SDK, the fake Okta serving the demo org."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest

import checks
from bot.demo.org import SCENARIOS, Scenario
from checks.diagnose import diagnose
from checks.errors import OktaUnauthorized, UsageError
from checks.facts import Facts
from checks.json_shapes import report_json
from checks.model import Report, Status
from checks.okta import OktaClient, OktaSettings
from checks.registry import CHECKS
from fakes.okta.server import FakeOkta, Fault


async def _diagnose(
    okta: OktaClient, fake: FakeOkta, user: str, app: str, attr: str | None = None
) -> Report:
    return await diagnose(Facts(okta, user, app, attr, now=fake.state.now()))


@pytest.mark.parametrize("case", SCENARIOS, ids=lambda c: f"{c.user}-{c.app}")
async def test_every_demo_scenario_names_its_cause(
    case: Scenario, okta: OktaClient, fake_okta: FakeOkta
) -> None:
    report = await _diagnose(okta, fake_okta, case.user, case.app, case.attribute)
    assert report.verdict.check == case.expected_check, report.verdict.summary
    assert not report.faults
    assert [f.check for f in report.findings] == [check_id for check_id, _ in CHECKS]
    assert not [f for f in report.findings if f.status is Status.UNKNOWN]


@pytest.mark.parametrize(
    "case", [c for c in SCENARIOS if c.attribute], ids=lambda c: f"{c.user}-{c.app}"
)
async def test_asked_without_the_attribute_the_verdict_is_the_same(
    case: Scenario, okta: OktaClient, fake_okta: FakeOkta
) -> None:
    """Helpdesks rarely name the attribute: what changed comes from the System Log's
    update_profile events (names only, as Okta logs them), so the verdict must not move."""
    named = await _diagnose(okta, fake_okta, case.user, case.app, case.attribute)
    unnamed = await _diagnose(okta, fake_okta, case.user, case.app)
    assert unnamed.verdict.check == named.verdict.check == case.expected_check, (
        unnamed.verdict.summary
    )


async def test_no_request_is_made_twice(okta: OktaClient, fake_okta: FakeOkta) -> None:
    for case in SCENARIOS:
        fake_okta.requests.clear()
        await _diagnose(okta, fake_okta, case.user, case.app, case.attribute)
        sent = [(r.method, r.path, tuple(sorted(r.query.items()))) for r in fake_okta.requests]
        assert len(sent) == len(set(sent)), case.user
        # profile_source adds two: the user's schema and the user's apps.
        assert len(sent) <= 13, (case.user, sent)


async def test_round_trip_depth_is_three(okta: OktaClient, fake_okta: FakeOkta) -> None:
    fake_okta.latency = 0.15  # big enough that concurrent requests overlap on any machine
    await _diagnose(okta, fake_okta, "jdoe", "box")
    assert fake_okta.round_trips() == 3


async def test_json_report_follows_the_contract(okta: OktaClient, fake_okta: FakeOkta) -> None:
    report = await _diagnose(okta, fake_okta, "jdoe", "box")
    data = report_json(report)
    assert set(data) == {"user", "app", "verdict", "findings"}
    assert data["user"]["login"] == "jdoe@example.com"
    assert data["app"]["name"] == "boxnet"
    assert data["app"]["label"] == "Box"
    assert data["verdict"]["check"] == "external_id"
    external = next(f for f in data["findings"] if f["check"] == "external_id")
    assert set(external) == {"check", "status", "title", "detail", "fix"}
    assert external["fix"] == {
        "id": "relink",
        "automated": False,
        "summary": external["fix"]["summary"],
    }
    assert "/admin/app/boxnet/instance/" in external["detail"]


async def test_preview_of_the_articles_example(okta: OktaClient, fake_okta: FakeOkta) -> None:
    report = await _diagnose(okta, fake_okta, "jdoe", "box", "lastname")
    preview = next(f for f in report.findings if f.check == "preview")
    assert preview.evidence == (
        ("lastName", 'Okta "Anderson" · mapping gives "Anderson" · Box user has "Anderson"'),
    )


async def test_create_only_mapping_previews_the_stale_value(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    report = await _diagnose(okta, fake_okta, "hcreate", "hr portal")
    by_check = {f.check: f for f in report.findings}
    assert by_check["mapping"].status is Status.PROBLEM
    assert by_check["preview"].status is Status.PROBLEM
    assert '"Research"' in str(by_check["preview"].evidence)
    assert '"Engineering"' in str(by_check["preview"].evidence)


async def test_a_failing_endpoint_only_costs_its_checks(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    fake_okta.faults.append(Fault.status(500, path="/api/v1/logs", times=None))
    report = await _diagnose(okta, fake_okta, "jdoe", "box")
    by_check = {f.check: f.status for f in report.findings}
    assert by_check["push_errors"] is Status.UNKNOWN
    assert by_check["credentials"] is Status.UNKNOWN
    assert by_check["external_id"] is Status.PROBLEM
    assert report.verdict.check == "external_id"
    assert report.faults == (
        "Okta answered 500 to GET /api/v1/logs (Internal Server Error (E0000009)).",
    )


async def test_rejected_token_stops_the_diagnosis(fake_okta: FakeOkta) -> None:
    async with OktaClient.open(OktaSettings(org_url=fake_okta.url, token="nope")) as okta:
        with pytest.raises(OktaUnauthorized):
            await _diagnose(okta, fake_okta, "jdoe", "box")


async def test_ambiguous_app_lists_candidates(okta: OktaClient, fake_okta: FakeOkta) -> None:
    report = await _diagnose(okta, fake_okta, "jdoe", "g")
    app = next(f for f in report.findings if f.check == "app")
    assert app.status is Status.PROBLEM
    assert "GitHub (github, 0oa" in app.detail
    assert "Google Workspace (google, 0oa" in app.detail
    assert app.detail.endswith("Name the app by its full label, its name or its id.")
    assert report.verdict.check == "app"


ENGINE = Path(checks.__file__).parent


def _engine_tasks() -> set[asyncio.Task[object]]:
    """The running tasks of checks/ (a fact's fetch, a check): not the fake Okta's handlers."""
    return {
        task
        for task in asyncio.all_tasks()
        if Path(task.get_coro().cr_code.co_filename).is_relative_to(ENGINE)  # type: ignore[union-attr]
    }


@pytest.mark.parametrize(
    ("user", "app", "attr"),
    [("nobody", "box", None), ("jdoe", "g", None), ("jdoe", "box", "lastNme")],
    ids=["missing-user", "ambiguous-app", "unknown-attribute"],
)
async def test_a_diagnosis_that_stops_early_leaves_no_fetch_running(
    okta: OktaClient, fake_okta: FakeOkta, user: str, app: str, attr: str | None
) -> None:
    """The facts fetched on speculation are still on the wire when the answer is known: they
    end with the diagnosis, and Okta hears nothing from it after."""
    fake_okta.latency = 0.05
    with contextlib.suppress(UsageError):
        await _diagnose(okta, fake_okta, user, app, attr)
    sent = len(fake_okta.requests)
    assert not _engine_tasks()
    await asyncio.sleep(fake_okta.latency * 4)
    assert len(fake_okta.requests) == sent


async def test_user_by_email_and_by_id(okta: OktaClient, fake_okta: FakeOkta) -> None:
    by_login = await _diagnose(okta, fake_okta, "jdoe@example.com", "Box")
    assert by_login.user is not None
    by_id = await _diagnose(okta, fake_okta, by_login.user.id, "boxnet")
    assert by_id.user == by_login.user
    assert by_id.verdict == by_login.verdict


async def test_ambiguous_short_name_lists_the_logins(okta: OktaClient, fake_okta: FakeOkta) -> None:
    fake_okta.state.add_user("jdoe@partner.example.org", "John", "Doe")
    report = await _diagnose(okta, fake_okta, "jdoe", "box")
    user = next(f for f in report.findings if f.check == "user")
    assert user.status is Status.PROBLEM
    assert (
        user.title
        == "'jdoe' matches several Okta users: jdoe@example.com, jdoe@partner.example.org."
    )
    assert report.user is None


async def test_a_label_several_apps_share_lists_only_them_and_resolves_by_id(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    """Real orgs hold duplicate labels (a recorded one has two "My Web App 1" and three "My Web
    App 10"): the tie lists the tied instances only, each with its id, and the id resolves."""
    state = fake_okta.state
    ones = [
        state.add_app("app_one", "My Web App 1", sign_on_mode=mode)
        for mode in ("SAML_2_0", "AUTO_LOGIN")
    ]
    for _ in range(3):
        state.add_app("app_ten", "My Web App 10")

    report = await _diagnose(okta, fake_okta, "jdoe", "my web app 1")

    found = next(f for f in report.findings if f.check == "app")
    assert found.status is Status.PROBLEM
    assert found.title == "2 Okta apps are labelled 'my web app 1'."
    for one in ones:
        assert f"My Web App 1 (app_one, {one['id']}, {one['signOnMode']})" in found.detail
    assert "app_ten" not in found.detail
    assert found.detail.count("My Web App 1 (") == 2
    assert (
        f"by its id instead, e.g. `why USER {sorted(o['id'] for o in ones)[0]}`" in (found.detail)
        or "by its id instead" in found.detail
    )

    by_id = await _diagnose(okta, fake_okta, "jdoe", ones[1]["id"])
    assert by_id.app is not None and by_id.app.id == ones[1]["id"]


async def test_app_groups_are_read_in_pages_of_200_and_the_linked_group_is_named(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    report = await _diagnose(okta, fake_okta, "bwayne", "box")
    [groups] = [r for r in fake_okta.requests if r.path.endswith("/groups") and "apps" in r.path]
    assert groups.query.get("limit") == "200"  # Okta's default page holds only 20
    found = next(f for f in report.findings if f.check == "group_assignment")
    assert ("Profile from", "Sales (the group Okta names on the assignment)") in found.evidence
