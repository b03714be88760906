"""Automated fixes end to end: plan, execute through the real adapter, re-diagnose.

Every case runs against the fake Okta serving the demo org, checks the exact calls a plan
holds, the writes the fake recorded, and that a fresh diagnosis no longer names the problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

from bot.demo.org import SCENARIOS, Scenario
from checks.diagnose import diagnose
from checks.facts import Facts
from checks.model import Finding, Report, Status
from checks.okta import OktaClient
from checks.registry import CHECKS, VERDICT_RANK
from checks.remediation.execute import Entry, Outcome, execute
from checks.remediation.model import NotAutomatable, NothingToDo, Plan, Step
from checks.remediation.registry import FIX_MODULES, PLANNERS, plan_fix
from fakes.okta.server import FakeOkta, Fault, RecordedRequest
from fakes.okta.shapes import JSON

WAIT = 0.5
POLL = 0.01
GOOGLE_USER = "glink"
GOOGLE_USERNAME = "gina.link@corp.example.com"
"""Differs from the login, so keeping it on reassignment is visible."""


class MemoryJournal:
    """The Journal protocol over a dict."""

    def __init__(self) -> None:
        self.steps: dict[int, Entry] = {}

    async def entries(self) -> Mapping[int, Entry]:
        return dict(self.steps)

    async def write(self, index: int, entry: Entry) -> None:
        self.steps[index] = entry

    @property
    def done(self) -> dict[int, str]:
        """Index of each finished step -> Okta's request id ("" when found in place)."""
        return {i: e.note for i, e in self.steps.items() if e.phase == "done"}


def facts(okta: OktaClient, fake: FakeOkta, user: str, app: str) -> Facts:
    """Fresh facts (they are memoised per diagnosis, so never reuse them across a write)."""
    return Facts(okta, user, app, now=fake.state.now())


async def plan_for(okta: OktaClient, fake: FakeOkta, fix_id: str, user: str, app: str) -> Plan:
    return await plan_fix(fix_id, facts(okta, fake, user, app))


async def run(okta: OktaClient, plan: Plan, journal: MemoryJournal | None = None) -> Outcome:
    return await execute(
        okta, plan, journal or MemoryJournal(), wait_limit=WAIT, poll_interval=POLL
    )


async def finding(okta: OktaClient, fake: FakeOkta, user: str, app: str, check: str) -> Finding:
    report = await diagnose(facts(okta, fake, user, app))
    return by_check(report, check)


def by_check(report: Report, check: str) -> Finding:
    return next(f for f in report.findings if f.check == check)


def calls(plan: Plan) -> list[tuple[str, str, Any]]:
    return [(s.method, s.path, s.body) for s in plan.steps]


def writes(fake: FakeOkta) -> list[RecordedRequest]:
    return [r for r in fake.requests if r.method != "GET"]


def sent(fake: FakeOkta, method: str) -> list[RecordedRequest]:
    return [r for r in fake.requests if r.method == method]


def ids(fake: FakeOkta, user: str, app: str) -> tuple[str, str]:
    return fake.state.user(user)["id"], fake.state.app(app)["id"]


def app_user(fake: FakeOkta, user: str, app: str) -> JSON | None:
    user_id, app_id = ids(fake, user, app)
    return fake.state.app_users.get((app_id, user_id))


def deactivate_status(fake: FakeOkta, app: str) -> str:
    app_id = fake.state.app(app)["id"]
    status: str = fake.state.features[app_id]["capabilities"]["update"]["lifecycleDeactivate"][
        "status"
    ]
    return status


@pytest.fixture
def google_unlinked(fake_okta: FakeOkta) -> FakeOkta:
    """A Google Workspace user (features API, Deactivate Users on) without an external ID."""
    state = fake_okta.state
    user = state.add_user(GOOGLE_USER, "Gina", "Link")
    made = state.assign("google", user, external_id=None, sync_state="OUT_OF_SYNC")
    made["credentials"]["userName"] = GOOGLE_USERNAME
    assert deactivate_status(fake_okta, "google") == "ENABLED"
    return fake_okta


@pytest.fixture
def box_deactivate_off(fake_okta: FakeOkta) -> FakeOkta:
    fake_okta.state.set_provisioning("boxnet", deactivate=False)
    return fake_okta


def relink_paths(fake: FakeOkta, user: str, app: str) -> tuple[str, str, str]:
    user_id, app_id = ids(fake, user, app)
    return (
        f"/api/v1/apps/{app_id}/features/USER_PROVISIONING",
        f"/api/v1/apps/{app_id}/users/{user_id}",
        f"/api/v1/apps/{app_id}/users",
    )


# 1. Update User Attributes -------------------------------------------------------------------


async def test_update_attributes_is_switched_on_for_zoom(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    _, zoom_id = ids(fake_okta, "iupd", "zoom")
    plan = await plan_for(okta, fake_okta, "enable_update_attributes", "iupd", "zoom")
    path = f"/api/v1/apps/{zoom_id}/features/USER_PROVISIONING"
    body = {"update": {"profile": {"status": "ENABLED"}}}
    assert plan.check == "update_attributes"
    assert calls(plan) == [("PUT", path, body)]

    outcome = await run(okta, plan)

    assert outcome.ok, outcome.error
    assert len(outcome.request_ids) == 1
    assert [(m.method, m.path, m.body) for m in fake_okta.mutations] == [("PUT", path, body)]
    report = await diagnose(facts(okta, fake_okta, "iupd", "zoom"))
    assert report.verdict.check != "update_attributes"
    assert by_check(report, "update_attributes").status is Status.OK


async def test_update_attributes_for_box_is_a_console_step(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    with pytest.raises(NotAutomatable, match=r"Box > Provisioning > To App"):
        await plan_for(okta, fake_okta, "enable_update_attributes", "jdoe", "box")
    assert not writes(fake_okta)


# 2. Mappings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user", "app", "app_name", "attribute"),
    [
        pytest.param("hcreate", "hr portal", "acme_hrportal_1", "department", id="create-only"),
        pytest.param("gmap", "office", "office365", "lastName", id="wrong-source"),
        pytest.param("ptype", "box", "boxnet", "lastName", id="missing"),
    ],
)
async def test_mapping_is_mended(
    okta: OktaClient, fake_okta: FakeOkta, user: str, app: str, app_name: str, attribute: str
) -> None:
    state = fake_okta.state
    okta_user, okta_app = state.user(user), state.app(app_name)
    # Each keeps (create-only) or names (wrong source, missing) the same-named Okta attribute.
    expression = f"user.{attribute}"
    mapping = state.user_mapping(okta_user, okta_app["id"])
    assert mapping is not None
    assert (await finding(okta, fake_okta, user, app, "mapping")).status is Status.PROBLEM

    plan = await plan_for(okta, fake_okta, "mapping", user, app)

    body = {"properties": {attribute: {"expression": expression, "pushStatus": "PUSH"}}}
    assert plan.check == "mapping"
    assert calls(plan) == [("POST", f"/api/v1/mappings/{mapping['id']}", body)]
    outcome = await run(okta, plan)
    assert outcome.ok, outcome.error
    assert [(m.method, m.path, m.body) for m in fake_okta.mutations] == calls(plan)
    assert mapping["properties"][attribute] == {"expression": expression, "pushStatus": "PUSH"}
    assert (await finding(okta, fake_okta, user, app, "mapping")).status is Status.OK


# 3. Group assignment -------------------------------------------------------------------------


async def test_group_assignment_is_converted(okta: OktaClient, fake_okta: FakeOkta) -> None:
    user_id, box_id = ids(fake_okta, "bwayne", "box")
    assert (await finding(okta, fake_okta, "bwayne", "box", "group_assignment")).fix is not None

    plan = await plan_for(okta, fake_okta, "convert_assignment", "bwayne", "box")

    path = f"/api/v1/apps/{box_id}/users/{user_id}"
    assert plan.check == "group_assignment"
    assert calls(plan) == [("POST", path, {"scope": "USER"})]
    outcome = await run(okta, plan)
    assert outcome.ok, outcome.error
    assert [(m.method, m.path, m.body) for m in fake_okta.mutations] == calls(plan)
    assert fake_okta.state.app_users[(box_id, user_id)]["scope"] == "USER"
    after = await finding(okta, fake_okta, "bwayne", "box", "group_assignment")
    assert after.status is Status.OK
    assert "individually" in after.title


# 4. Relink -----------------------------------------------------------------------------------


async def test_relink_refused_while_box_would_deactivate(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    with pytest.raises(NotAutomatable, match="Deactivate Users") as caught:
        await plan_for(okta, fake_okta, "relink", "jdoe", "box")
    assert "deactivate their Box account" in str(caught.value)
    assert not sent(fake_okta, "DELETE")
    assert not writes(fake_okta)


async def test_relink_refused_for_a_group_assignment(
    okta: OktaClient, box_deactivate_off: FakeOkta
) -> None:
    with pytest.raises(NotAutomatable, match="through Sales"):
        await plan_for(okta, box_deactivate_off, "relink", "bwayne", "box")
    assert not sent(box_deactivate_off, "DELETE")
    assert not writes(box_deactivate_off)


async def test_relink_box_with_deactivate_users_off(
    okta: OktaClient, box_deactivate_off: FakeOkta
) -> None:
    fake = box_deactivate_off
    user_id, _ = ids(fake, "jdoe", "box")
    _, one, assign = relink_paths(fake, "jdoe", "box")
    before = app_user(fake, "jdoe", "box")
    assert before is not None and before["externalId"] is None
    user_name = before["credentials"]["userName"]

    plan = await plan_for(okta, fake, "relink", "jdoe", "box")

    reassign = {"id": user_id, "scope": "USER", "credentials": {"userName": user_name}}
    assert plan.check == "external_id"
    assert calls(plan) == [
        ("DELETE", f"{one}?sendEmail=false", None),
        ("POST", assign, reassign),
        ("GET", one, None),
    ]
    assert plan.steps[0].gone_is_done
    assert plan.steps[1].restores == 0
    assert plan.steps[2].until == "externalId"

    outcome = await run(okta, plan)

    assert outcome.ok, outcome.error
    assert [(m.method, m.path, m.query, m.body) for m in fake.mutations] == [
        ("DELETE", one, {"sendEmail": "false"}, None),
        ("POST", assign, {}, reassign),
    ]
    after = app_user(fake, "jdoe", "box")
    assert after is not None and after["externalId"]
    assert after["credentials"]["userName"] == user_name
    assert (await finding(okta, fake, "jdoe", "box", "external_id")).status is Status.OK


def google_plan_calls(fake: FakeOkta) -> list[tuple[str, str, Any]]:
    features, one, assign = relink_paths(fake, GOOGLE_USER, "google")
    user_id, _ = ids(fake, GOOGLE_USER, "google")
    reassign = {"id": user_id, "scope": "USER", "credentials": {"userName": GOOGLE_USERNAME}}
    return [
        ("PUT", features, {"update": {"lifecycleDeactivate": {"status": "DISABLED"}}}),
        ("DELETE", f"{one}?sendEmail=false", None),
        ("POST", assign, reassign),
        ("GET", one, None),
        ("PUT", features, {"update": {"lifecycleDeactivate": {"status": "ENABLED"}}}),
    ]


def assert_relinked(fake: FakeOkta) -> None:
    after = app_user(fake, GOOGLE_USER, "google")
    assert after is not None and after["externalId"]
    assert after["scope"] == "USER"
    assert after["credentials"]["userName"] == GOOGLE_USERNAME
    assert deactivate_status(fake, "google") == "ENABLED"
    assert "PUSH_USER_DEACTIVATION" in fake.state.app("google")["features"]
    # Deactivate Users was off while the user was unassigned: no deprovisioning happened.
    deprovisioned = [e for e in fake.state.logs if e["eventType"].endswith("user.deactivate")]
    assert not deprovisioned


async def test_relink_switches_deactivate_users_off_and_back_on(
    okta: OktaClient, google_unlinked: FakeOkta
) -> None:
    fake = google_unlinked
    plan = await plan_for(okta, fake, "relink", GOOGLE_USER, "google")

    assert calls(plan) == google_plan_calls(fake)
    assert [s.restores for s in plan.steps] == [None, None, 1, None, 0]

    outcome = await run(okta, plan)

    assert outcome.ok, outcome.error
    assert [(m.method, m.path, m.body) for m in fake.mutations] == [
        (method, path.split("?")[0], body) for method, path, body in calls(plan) if method != "GET"
    ]
    assert_relinked(fake)
    report = await diagnose(facts(okta, fake, GOOGLE_USER, "google"))
    assert by_check(report, "external_id").status is Status.OK
    assert report.verdict.check != "external_id"


async def test_relink_resumes_after_a_crash_between_unassign_and_reassign(
    okta: OktaClient, google_unlinked: FakeOkta
) -> None:
    fake = google_unlinked
    plan = await plan_for(okta, fake, "relink", GOOGLE_USER, "google")
    unassign = next(i for i, s in enumerate(plan.steps) if s.method == "DELETE")
    journal = MemoryJournal()
    # The process dies right after Okta answered the unassign (and it was journalled).
    crashed = await run(okta, replace(plan, steps=plan.steps[: unassign + 1]), journal)
    assert crashed.ok, crashed.error
    assert set(journal.done) == set(range(unassign + 1))
    assert app_user(fake, GOOGLE_USER, "google") is None
    assert deactivate_status(fake, "google") == "DISABLED"

    resumed = await run(okta, plan, journal)

    assert resumed.ok, resumed.error
    assert set(journal.done) == set(range(len(plan.steps)))
    assert len(sent(fake, "DELETE")) == 1
    assert_relinked(fake)
    assert (await finding(okta, fake, GOOGLE_USER, "google", "external_id")).status is Status.OK


async def test_an_unassign_applied_before_a_crash_is_read_back_not_sent_again(
    okta: OktaClient, google_unlinked: FakeOkta
) -> None:
    fake = google_unlinked
    plan = await plan_for(okta, fake, "relink", GOOGLE_USER, "google")
    unassign = next(i for i, s in enumerate(plan.steps) if s.method == "DELETE")
    journal = MemoryJournal()
    await run(okta, replace(plan, steps=plan.steps[: unassign + 1]), journal)
    # The crash came after Okta unassigned but before the journal heard of it: the journal
    # holds the intent only, so the resumed run reads Okta instead of unassigning again.
    journal.steps[unassign] = Entry("sent")

    resumed = await run(okta, plan, journal)

    assert resumed.ok, resumed.error
    assert [r.status for r in sent(fake, "DELETE")] == [204]
    assert journal.done[unassign] == ""
    assert_relinked(fake)


async def test_a_refused_reassign_stalls_the_run_and_restores_deactivate_users(
    okta: OktaClient, google_unlinked: FakeOkta
) -> None:
    fake = google_unlinked
    features, one, assign = relink_paths(fake, GOOGLE_USER, "google")
    fake.faults.append(Fault.status(500, path=f"^{assign}$", method="POST", times=None))
    plan = await plan_for(okta, fake, "relink", GOOGLE_USER, "google")
    journal = MemoryJournal()

    outcome = await run(okta, plan, journal)

    # Not failed: stalled. The reassign must finish, so the run is to be tried again.
    assert not outcome.ok
    assert outcome.error is None
    assert outcome.stalled is not None
    assert outcome.stalled.startswith(
        f"Reassign {GOOGLE_USER}@example.com to Google Workspace with the same username failed:"
    )
    assert "500" in outcome.stalled
    assert [(r.method, r.path, r.status) for r in writes_of(fake)] == [
        ("PUT", features, 200),
        ("DELETE", one, 204),
        *[("POST", assign, 500)] * 3,  # retried, then left for later
        ("PUT", features, 200),  # no waiting for an external ID that cannot come
    ]
    assert deactivate_status(fake, "google") == "ENABLED"
    assert app_user(fake, GOOGLE_USER, "google") is None

    # Okta accepts the reassign on a later try: the run resumes there and finishes.
    fake.faults.clear()
    resumed = await run(okta, plan, journal)

    assert resumed.ok, (resumed.error, resumed.stalled)
    assert [r.status for r in writes_of(fake) if r.method == "POST"] == [500, 500, 500, 200]
    assert [r.method for r in writes_of(fake)].count("DELETE") == 1
    assert_relinked(fake)


def writes_of(fake: FakeOkta) -> list[RecordedRequest]:
    """Every request that asked for a change, whatever Okta answered."""
    return [r for r in fake.requests if r.method != "GET"]


async def test_waiting_for_the_external_id_is_bounded_by_wait_limit(
    okta: OktaClient, google_unlinked: FakeOkta
) -> None:
    fake = google_unlinked
    fake.state.set_provisioning("google", create=False)  # reassigning creates no account
    _, one, _ = relink_paths(fake, GOOGLE_USER, "google")
    plan = await plan_for(okta, fake, "relink", GOOGLE_USER, "google")
    planned = len(fake.requests)
    limit, interval = 0.2, 0.05

    outcome = await execute(okta, plan, MemoryJournal(), wait_limit=limit, poll_interval=interval)

    assert not outcome.ok
    assert outcome.error is not None
    assert "did not report externalId within 0.2 s" in outcome.error
    polls = [r for r in fake.requests[planned:] if r.method == "GET" and r.path == one]
    assert len(polls) >= 2
    # One bounded wait, not one per retry of the step (that took three times as long).
    assert polls[-1].started - polls[0].started < 2 * limit
    assert deactivate_status(fake, "google") == "ENABLED"


async def test_a_run_that_never_unassigned_gives_nothing_back(
    okta: OktaClient, google_unlinked: FakeOkta
) -> None:
    fake = google_unlinked
    features, _, _ = relink_paths(fake, GOOGLE_USER, "google")
    plan = await plan_for(okta, fake, "relink", GOOGLE_USER, "google")
    # Switching Deactivate Users off fails (every attempt): no unassign may follow, and the
    # restore finds Deactivate Users still on, so it sends nothing.
    fake.faults.append(Fault.status(500, path=f"^{features}$", method="PUT", times=3))
    journal = MemoryJournal()
    failed = await run(okta, plan, journal)
    assert not failed.ok
    assert failed.error is not None and "Switch off Deactivate Users" in failed.error
    assert set(journal.done) == {4}  # the restore, found in place
    assert not sent(fake, "DELETE")
    assert not sent(fake, "POST")

    # The worker died before it could mark the run failed, so the job is resumed.
    resumed = await run(okta, plan, journal)

    assert not resumed.ok
    assert resumed.error is not None and "Switch off Deactivate Users" in resumed.error
    assert [r.status for r in writes_of(fake)] == [500, 500, 500]
    found = app_user(fake, GOOGLE_USER, "google")
    assert found is not None and found["credentials"]["userName"] == GOOGLE_USERNAME
    assert deactivate_status(fake, "google") == "ENABLED"


async def test_the_wait_for_the_external_id_rides_out_a_transient_error(
    okta: OktaClient, box_deactivate_off: FakeOkta
) -> None:
    fake = box_deactivate_off
    _, one, _ = relink_paths(fake, "jdoe", "box")
    plan = await plan_for(okta, fake, "relink", "jdoe", "box")
    fake.faults.append(Fault.status(500, path=f"^{one}$", method="GET", times=2))

    outcome = await run(okta, plan)

    assert outcome.ok, outcome.error
    faulted = [(r.method, r.path, r.status) for r in fake.requests if r.fault is not None]
    assert faulted == [("GET", one, 500)] * 2
    assert (await finding(okta, fake, "jdoe", "box", "external_id")).status is Status.OK


# 5. Nothing to do ----------------------------------------------------------------------------


async def test_nothing_to_do_once_a_fix_is_in_place(
    okta: OktaClient, google_unlinked: FakeOkta
) -> None:
    fake = google_unlinked
    cases = [
        ("enable_update_attributes", "iupd", "zoom"),
        ("mapping", "gmap", "office"),
        ("convert_assignment", "bwayne", "box"),
        ("relink", GOOGLE_USER, "google"),
    ]
    for fix_id, user, app in cases:
        outcome = await run(okta, await plan_for(okta, fake, fix_id, user, app))
        assert outcome.ok, (fix_id, outcome.error)
    applied = len(fake.mutations)

    for fix_id, user, app in cases:
        with pytest.raises(NothingToDo):
            await plan_for(okta, fake, fix_id, user, app)
    assert len(fake.mutations) == applied


async def test_manual_fixes_are_not_automated(okta: OktaClient, fake_okta: FakeOkta) -> None:
    with pytest.raises(NotAutomatable, match="admin console"):
        await plan_for(okta, fake_okta, "provisioning", "lnoprov", "zendesk")


# 6. Plans as approved --------------------------------------------------------------------------


async def test_digest_is_stable_and_follows_the_state(
    okta: OktaClient, box_deactivate_off: FakeOkta
) -> None:
    fake = box_deactivate_off
    first = await plan_for(okta, fake, "relink", "jdoe", "box")
    again = await plan_for(okta, fake, "relink", "jdoe", "box")
    assert again == first
    assert again.digest() == first.digest()

    found = app_user(fake, "jdoe", "box")
    assert found is not None
    found["credentials"]["userName"] = "jane.smith@example.com"
    changed = await plan_for(okta, fake, "relink", "jdoe", "box")

    assert changed.digest() != first.digest()
    assert changed.steps[1].body["credentials"] == {"userName": "jane.smith@example.com"}


async def test_plans_survive_json(okta: OktaClient, google_unlinked: FakeOkta) -> None:
    fake = google_unlinked
    fake.state.set_provisioning("boxnet", deactivate=False)
    for fix_id, user, app in [
        ("enable_update_attributes", "iupd", "zoom"),
        ("mapping", "hcreate", "hr portal"),
        ("convert_assignment", "bwayne", "box"),
        ("relink", "jdoe", "box"),
        ("relink", GOOGLE_USER, "google"),
    ]:
        plan = await plan_for(okta, fake, fix_id, user, app)
        restored = Plan.from_json(plan.to_json())
        assert restored == plan
        assert all(isinstance(s, Step) for s in restored.steps)
        assert restored.digest() == plan.digest()
    assert not writes(fake)


# 6. One truth per fix ------------------------------------------------------------------------


def test_check_ids_ranking_and_fix_planners_agree() -> None:
    check_ids = [check_id for check_id, _ in CHECKS]
    assert sorted(check_ids) == sorted(VERDICT_RANK)
    assert len(set(check_ids)) == len(check_ids)
    for module in FIX_MODULES:
        assert module.CHECK in check_ids, module.__name__
        assert PLANNERS[module.FIX] is module.plan


@pytest.mark.parametrize("case", SCENARIOS, ids=lambda c: f"{c.user}-{c.app}")
async def test_a_fix_button_is_automated_exactly_when_its_planner_plans(
    case: Scenario, okta: OktaClient, fake_okta: FakeOkta
) -> None:
    """The check's Fix and the planner read the same blocker: no "Fix it…" button the planner
    then refuses, no console step the planner could have done."""
    report = await diagnose(facts(okta, fake_okta, case.user, case.app))
    for finding in report.findings:
        if finding.fix is None or finding.fix.id not in PLANNERS:
            continue
        try:
            planned: Plan | None = await plan_fix(
                finding.fix.id, facts(okta, fake_okta, case.user, case.app)
            )
        except NotAutomatable:
            planned = None
        except NothingToDo:
            continue
        assert (planned is not None) == finding.fix.automated, (finding.check, finding.fix)
        if planned is not None:
            assert planned.check == finding.check
