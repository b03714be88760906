"""profile_source over HTTP: the fake Okta serving the demo org's Workday, Active Directory and
create-only-username cases, its 403s, and the round trips a cold diagnosis costs."""

from __future__ import annotations

from typing import Any

from checks.diagnose import diagnose
from checks.facts import Facts
from checks.json_shapes import report_json
from checks.model import Finding, Report, Status
from checks.okta import OktaClient
from fakes.okta.server import FakeOkta, Fault


async def _diagnose(
    okta: OktaClient, fake: FakeOkta, user: str, app: str, attr: str | None = None, **kw: Any
) -> Report:
    return await diagnose(Facts(okta, user, app, attr, now=fake.state.now(), **kw))


def _finding(report: Report) -> Finding:
    return next(f for f in report.findings if f.check == "profile_source")


async def test_workday_put_the_title_back(okta: OktaClient, fake_okta: FakeOkta) -> None:
    report = await _diagnose(okta, fake_okta, "wtitle", "box", "title")
    finding = _finding(report)
    assert report.verdict.check == "profile_source"
    assert finding.status is Status.PROBLEM
    assert "Wendy Title's title comes from Workday" in finding.title
    assert "2 hours ago" in finding.title and "6 hours ago" in finding.title
    data = report_json(report)
    found = next(f for f in data["findings"] if f["check"] == "profile_source")
    assert found["fix"]["id"] == "source_priority" and found["fix"]["automated"] is False
    assert "/admin/universaldirectory#okta/oty" in found["detail"]


async def test_active_directory_sources_the_last_name_by_override(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    finding = _finding(await _diagnose(okta, fake_okta, "olast", "box", "lastName"))
    assert finding.status is Status.PROBLEM
    assert "comes from Active Directory" in finding.title
    assert dict(finding.evidence)["lastName"].startswith("sourced by Active Directory (OVERRIDE)")
    # The same override leaves Okta the source for a user Active Directory does not source.
    other = _finding(await _diagnose(okta, fake_okta, "dstale", "box", "lastName"))
    assert other.status is Status.OK
    assert ("lastName", "sourced in Okta (OVERRIDE)") in other.evidence


async def test_a_create_only_username(okta: OktaClient, fake_okta: FakeOkta) -> None:
    for attribute in ("userName", None):
        report = await _diagnose(okta, fake_okta, "uma.lake", "jira", attribute)
        finding = _finding(report)
        assert report.verdict.check == "profile_source", attribute
        assert "updates usernames on create only" in finding.title
        assert finding.fix is not None and finding.fix.automated
        assert finding.fix.id == "username_push"


async def test_missing_schema_scope_makes_it_unknown_naming_the_scope(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    fake_okta.faults.append(Fault.status(403, path="^/api/v1/meta/schemas/user/", times=None))
    report = await _diagnose(okta, fake_okta, "wtitle", "box", "title")
    finding = _finding(report)
    assert finding.status is Status.UNKNOWN
    assert "okta.schemas.read" in finding.detail
    assert {f.check: f.status for f in report.findings}["mapping"] is Status.OK


async def test_missing_apps_scope_makes_it_unknown_naming_the_scope(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    # The app's own lookup goes first (round one); the user's apps are the second listing.
    refused = Fault.status(403, path="^/api/v1/apps$", times=1)
    refused.skip = 1
    fake_okta.faults.append(refused)
    finding = _finding(await _diagnose(okta, fake_okta, "wtitle", "box", "title"))
    assert finding.status is Status.UNKNOWN
    assert "okta.apps.read" in finding.detail


async def test_cold_diagnosis_of_a_sourced_user_is_still_three_round_trips(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    fake_okta.latency = 0.15  # big enough that concurrent requests overlap on any machine
    await _diagnose(okta, fake_okta, "wtitle", "box", "title")
    assert fake_okta.round_trips() == 3
    paths = [r.path for r in fake_okta.requests]
    assert sum(p.startswith("/api/v1/meta/schemas/user/") for p in paths) == 1
    assert not [p for p in paths if p.startswith("/api/v1/meta/types/user")]


async def test_without_the_users_schema_link_the_type_names_it(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    """Okta names the schema on the user; where a user comes without it, the user type's
    `_links.schema` does (its id is not derived from the type's)."""
    del fake_okta.state.user("olast")["_links"]["schema"]
    finding = _finding(await _diagnose(okta, fake_okta, "olast", "box", "lastName"))
    assert finding.status is Status.PROBLEM
    assert any(r.path.startswith("/api/v1/meta/types/user/oty") for r in fake_okta.requests)


class DictCache:
    def __init__(self) -> None:
        self.values: dict[str, Any] = {}

    async def get(self, key: str) -> Any | None:
        return self.values.get(key)

    async def set(self, key: str, value: Any) -> None:
        self.values[key] = value


async def test_the_user_schema_is_an_org_level_fact_from_the_cache(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    cache = DictCache()
    await _diagnose(okta, fake_okta, "wtitle", "box", "title", cache=cache)
    fake_okta.requests.clear()
    finding = _finding(await _diagnose(okta, fake_okta, "olast", "box", "lastName", cache=cache))
    assert finding.status is Status.PROBLEM  # same user type: its schema from the cache
    assert not [r for r in fake_okta.requests if r.path.startswith("/api/v1/meta/schemas/user")]
    # A user's apps are a per-user fact: asked for every time.
    assert [r.query.get("filter") for r in fake_okta.requests if r.path == "/api/v1/apps"][-1:] == [
        f'user.id eq "{fake_okta.state.user("olast")["id"]}"'
    ]
