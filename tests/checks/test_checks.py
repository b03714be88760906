"""Each check over hand-built facts: healthy, each way it can go wrong, and what it skips."""

from __future__ import annotations

import pytest

from checks.catalog import (
    app,
    assignment,
    credentials,
    deactivate_users,
    external_id,
    group_assignment,
    mapping,
    preview,
    provisioning,
    push_errors,
    sync_state,
    update_attributes,
    user,
)
from checks.diagnose import diagnose
from checks.errors import (
    AppNotFound,
    NotAssigned,
    NotProvisioned,
    OktaForbidden,
    UsageError,
    UserNotFound,
)
from checks.model import Status
from checks.registry import CHECKS
from tests.harness import builders as b


async def test_healthy_box_user_passes_every_check() -> None:
    report = await diagnose(b.facts())
    assert {f.check: f.status for f in report.findings} == {
        "user": Status.OK,
        "app": Status.OK,
        "assignment": Status.OK,
        "provisioning": Status.OK,
        "credentials": Status.OK,
        "update_attributes": Status.OK,
        "profile_source": Status.OK,
        "mapping": Status.OK,
        "preview": Status.OK,
        "external_id": Status.OK,
        "group_assignment": Status.OK,
        "sync_state": Status.OK,
        "push_errors": Status.OK,
        "deactivate_users": Status.OK,
    }
    assert report.verdict.check is None
    assert not report.faults


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("ACTIVE", Status.OK),
        ("LOCKED_OUT", Status.OK),
        ("STAGED", Status.WARNING),
        ("DEPROVISIONED", Status.PROBLEM),
        ("SUSPENDED", Status.PROBLEM),
    ],
)
async def test_user_status(status: str, expected: Status) -> None:
    finding = await user.run(b.facts(user=b.user(status=status)))
    assert finding.status is expected
    assert finding.link and b.USER_ID in finding.link


async def test_unknown_user_is_a_problem_and_skips_what_depends_on_it() -> None:
    report = await diagnose(b.facts(user=UserNotFound("No Okta user has the login 'x'.")))
    statuses = {f.check: f.status for f in report.findings}
    assert statuses["user"] is Status.PROBLEM
    assert statuses["assignment"] is Status.SKIPPED
    assert statuses["app"] is Status.OK
    assert statuses["update_attributes"] is Status.OK  # app-level checks still answer
    assert report.verdict.check == "user"
    assert report.user is None


async def test_ambiguous_app_lists_the_candidates() -> None:
    missing = AppNotFound("'g' matches several apps.", ("GitHub (github)", "Google (google)"))
    finding = await app.run(b.facts(app=missing))
    assert finding.status is Status.PROBLEM
    assert "GitHub (github)" in finding.detail and "Google (google)" in finding.detail


async def test_inactive_app() -> None:
    finding = await app.run(b.facts(app=b.app(status="INACTIVE")))
    assert finding.status is Status.PROBLEM
    assert "INACTIVE" in finding.title


async def test_not_assigned() -> None:
    report = await diagnose(b.facts(app_user=NotAssigned("not assigned")))
    statuses = {f.check: f.status for f in report.findings}
    assert statuses["assignment"] is Status.PROBLEM
    assert statuses["external_id"] is Status.SKIPPED
    assert statuses["sync_state"] is Status.SKIPPED
    assert report.verdict.check == "assignment"


async def test_deprovisioned_app_user() -> None:
    finding = await assignment.run(b.facts(app_user=b.app_user(status="DEPROVISIONED")))
    assert finding.status is Status.PROBLEM


async def test_provisioning_off_skips_provisioning_checks() -> None:
    report = await diagnose(b.facts(app=b.app(features=frozenset())))
    statuses = {f.check: f.status for f in report.findings}
    assert statuses["provisioning"] is Status.PROBLEM
    for check in ("credentials", "update_attributes", "external_id", "sync_state"):
        assert statuses[check] is Status.SKIPPED, check
    assert report.verdict.check == "provisioning"


async def test_provisioning_read_from_features_api() -> None:
    facts = b.facts(app=b.app(name="zoomus", features=frozenset()), feature=b.feature())
    assert (await provisioning.run(facts)).status is Status.OK


async def test_update_attributes_off_box_is_a_manual_fix() -> None:
    facts = b.facts(app=b.app(features=frozenset({"PUSH_NEW_USERS"})))
    finding = await update_attributes.run(facts)
    assert finding.status is Status.PROBLEM
    assert finding.fix is not None and not finding.fix.automated


async def test_update_attributes_off_zoom_is_automated() -> None:
    zoom = b.app(name="zoomus", label="Zoom")
    facts = b.facts(app=zoom, feature=b.feature(update_attributes="DISABLED"))
    finding = await update_attributes.run(facts)
    assert finding.status is Status.PROBLEM
    assert finding.fix is not None and finding.fix.automated


async def test_credentials_auth_failure_after_last_success() -> None:
    failure = b.event(
        "application.integration.authentication_failure",
        b.ago(minutes=10),
        "FAILURE",
        targets=(b.APP_ID,),
        reason="Invalid credentials",
    )
    facts = b.facts(log=(failure, b.push(b.ago(hours=5))))
    finding = await credentials.run(facts)
    assert finding.status is Status.PROBLEM
    assert "Invalid credentials" in str(finding.evidence)


async def test_credentials_failure_before_last_success_is_fine() -> None:
    failure = b.event(
        "application.integration.authentication_failure",
        b.ago(hours=10),
        "FAILURE",
        targets=(b.APP_ID,),
    )
    finding = await credentials.run(b.facts(log=(b.push(b.ago(hours=5)), failure)))
    assert finding.status is Status.OK


async def test_credentials_disabled_connection() -> None:
    facts = b.facts(app=b.app(name="slack"), connection=b.connection("DISABLED"))
    assert (await credentials.run(facts)).status is Status.PROBLEM


async def test_credentials_unknown_when_log_is_forbidden() -> None:
    forbidden = OktaForbidden("Okta refused GET /api/v1/logs: needs okta.logs.read.")
    report = await diagnose(b.facts(log=forbidden))
    statuses = {f.check: f for f in report.findings}
    assert statuses["credentials"].status is Status.UNKNOWN
    assert "okta.logs.read" in statuses["credentials"].detail
    assert statuses["push_errors"].status is Status.UNKNOWN
    assert statuses["mapping"].status is Status.OK  # does without the log
    assert report.faults == (str(forbidden),)


async def test_mapping_create_only() -> None:
    facts = b.facts(
        attribute="title",
        mapping=b.mapping(title=("user.title", "DONT_PUSH")),
        app_user=b.app_user(profile={"title": "Intern"}),
    )
    finding = await mapping.run(facts)
    assert finding.status is Status.PROBLEM
    assert "create only" in finding.title
    assert finding.fix is not None and finding.fix.automated


async def test_mapping_create_only_is_fine_when_nothing_changed() -> None:
    facts = b.facts(mapping=b.mapping(title=("user.title", "DONT_PUSH")))
    assert (await mapping.run(facts)).status is Status.OK


async def test_mapping_reads_a_different_attribute_than_the_one_that_changed() -> None:
    facts = b.facts(
        mapping=b.mapping(lastName=("user.nickName", "PUSH")),
        log=(b.profile_change(b.ago(days=1), "lastName"),),
    )
    finding = await mapping.run(facts)
    assert finding.status is Status.PROBLEM
    assert "user.nickName" in finding.title and "user.lastName" in finding.title


async def test_mapping_missing_attribute_that_changed() -> None:
    facts = b.facts(
        mapping=b.mapping(lastName=("", "")),
        log=(b.profile_change(b.ago(days=1), "lastName"),),
    )
    finding = await mapping.run(facts)
    assert finding.status is Status.PROBLEM
    assert "not mapped" in finding.title


async def test_a_changed_attribute_the_app_knows_by_another_name_is_traced() -> None:
    """Google Workspace calls it familyName: a lastName change with familyName unmapped is
    the mapping's fault, and the evidence sets Okta's value beside the app user's."""
    facts = b.facts(
        schema=b.schema("familyName"),
        app_user=b.app_user(profile={"familyName": "Smith"}),
        log=(b.profile_change(b.ago(days=1), "lastName"),),
    )
    finding = await mapping.run(facts)
    assert finding.status is Status.PROBLEM
    assert "familyName is not mapped" in finding.title
    assert 'Okta has "Anderson"' in finding.title and 'user has "Smith"' in finding.title
    assert finding.fix is not None and "map familyName from user.lastName" in finding.fix.summary


async def test_what_changed_never_claims_an_old_value() -> None:
    facts = b.facts(
        mapping=b.mapping(lastName=("user.nickName", "PUSH")),
        log=(b.profile_change(b.ago(days=1), "lastName"),),
    )
    finding = await mapping.run(facts)
    said = " ".join([finding.title, finding.detail, *(v for _, v in finding.evidence)])
    assert "changed in Okta 1 day ago" in said
    assert " from " not in said.replace("mapped from", "")  # no "changed from X to Y"


async def test_mapping_absent_for_the_user_type() -> None:
    assert (await mapping.run(b.facts(mapping=None))).status is Status.PROBLEM


async def test_unknown_attribute_is_a_usage_error_listing_what_the_app_has() -> None:
    with pytest.raises(UsageError, match="lastName") as caught:
        await diagnose(b.facts(attribute="lastNme"))
    assert "has no attribute 'lastNme'" in str(caught.value)


async def test_attribute_is_matched_case_insensitively() -> None:
    finding = await mapping.run(b.facts(attribute="LASTNAME"))
    assert finding.status is Status.OK
    assert "lastName" in finding.title


async def test_preview_shows_okta_mapping_and_app_values_side_by_side() -> None:
    facts = b.facts(attribute="lastName", app_user=b.app_user(profile={"lastName": "Smith"}))
    finding = await preview.run(facts)
    assert finding.status is Status.PROBLEM
    assert finding.evidence == (
        ("lastName", 'Okta "Anderson" · mapping gives "Anderson" · Box user has "Smith"'),
    )


async def test_preview_cannot_evaluate_says_so() -> None:
    expression = 'Arrays.contains(user.groups, "x") ? "a" : "b"'
    facts = b.facts(attribute="title", mapping=b.mapping(title=(expression, "PUSH")))
    finding = await preview.run(facts)
    assert finding.status is Status.UNKNOWN
    assert finding.title.startswith(f"cannot evaluate locally: {expression}")


async def test_group_functions_are_evaluated_with_the_users_groups() -> None:
    expression = 'isMemberOfGroupName("Sales") ? "Sales team" : "Staff"'
    facts = b.facts(
        attribute="title",
        mapping=b.mapping(title=(expression, "PUSH")),
        member_of=b.groups("Sales", "Everyone"),
        app_user=b.app_user(profile={"title": "Staff"}),
    )
    finding = await preview.run(facts)
    assert finding.status is Status.PROBLEM
    assert finding.evidence == (
        ("title", 'Okta "Engineer" · mapping gives "Sales team" · Box user has "Staff"'),
    )


async def test_unreadable_groups_leave_a_group_expression_unevaluated() -> None:
    expression = 'isMemberOfGroupName("Sales") ? "Sales team" : "Staff"'
    facts = b.facts(
        attribute="title",
        mapping=b.mapping(title=(expression, "PUSH")),
        member_of=OktaForbidden("Okta refused GET /api/v1/users/x/groups (no scope)."),
    )
    finding = await preview.run(facts)
    assert finding.status is Status.UNKNOWN
    assert "needs the user's groups" in finding.title


async def test_external_id_missing_on_box_with_deactivate_users_is_manual() -> None:
    box = b.app(features=b.app().features | {"PUSH_USER_DEACTIVATION"})
    facts = b.facts(app=box, app_user=b.app_user(external_id=None))
    finding = await external_id.run(facts)
    assert finding.status is Status.PROBLEM
    assert finding.fix is not None and not finding.fix.automated
    assert "Deactivate Users" in finding.detail


async def test_external_id_missing_without_deactivate_users_is_automated() -> None:
    finding = await external_id.run(b.facts(app_user=b.app_user(external_id=None)))
    assert finding.fix is not None and finding.fix.automated


async def test_external_id_on_google_with_deactivate_users_is_automated() -> None:
    google = b.app(name="google", label="Google Workspace")
    facts = b.facts(
        app=google,
        feature=b.feature(deactivate_users="ENABLED"),
        app_user=b.app_user(external_id=None),
    )
    finding = await external_id.run(facts)
    assert finding.fix is not None and finding.fix.automated
    assert "switched off" in finding.fix.summary


async def test_group_assignment_names_the_group_when_a_relink_is_needed() -> None:
    facts = b.facts(app_user=b.app_user(scope="GROUP", external_id=None), groups=b.groups("Sales"))
    finding = await group_assignment.run(facts)
    assert finding.status is Status.WARNING
    assert "Sales" in finding.title
    assert finding.fix is not None and finding.fix.id == "convert_assignment"


async def test_group_assignment_linked_is_fine() -> None:
    facts = b.facts(app_user=b.app_user(scope="GROUP"), groups=b.groups("Sales"))
    assert (await group_assignment.run(facts)).status is Status.OK


@pytest.mark.parametrize(
    ("changed", "sync", "last_sync", "expected"),
    [
        ({"days": 2}, "SYNCHRONIZED", {"days": 1}, Status.OK),
        ({"minutes": 4}, "OUT_OF_SYNC", {"days": 1}, Status.WARNING),
        ({"hours": 3}, "OUT_OF_SYNC", {"days": 1}, Status.PROBLEM),
        ({"hours": 3}, "SYNCHRONIZED", {"days": 1}, Status.PROBLEM),
        ({"days": 2}, "ERROR", {"days": 1}, Status.PROBLEM),
        ({"days": 2}, "DISABLED", {"days": 1}, Status.WARNING),
    ],
)
async def test_sync_state(
    changed: dict[str, float], sync: str, last_sync: dict[str, float], expected: Status
) -> None:
    facts = b.facts(
        user=b.user(last_updated=b.ago(**changed)),
        app_user=b.app_user(sync_state=sync, last_sync=b.ago(**last_sync)),
    )
    assert (await sync_state.run(facts)).status is expected


async def test_push_errors_newest_first_with_reason_and_legacy_type() -> None:
    failures = tuple(
        b.event(
            "application.provision.user.push_profile",
            b.ago(hours=h),
            "FAILURE",
            reason=f"failure {h}",
            legacy="app.boxnet.api.error.push.profile.update",
        )
        for h in (1, 2)
    )
    finding = await push_errors.run(b.facts(log=(*failures, b.push(b.ago(days=3)))))
    assert finding.status is Status.PROBLEM
    assert "failure 1" in finding.title
    assert "[app.boxnet.api.error.push.profile.update]" in finding.evidence[1][1]


async def test_push_errors_before_the_last_success_are_history() -> None:
    old = b.push(b.ago(days=3), "FAILURE", "old failure")
    assert (await push_errors.run(b.facts(log=(b.push(b.ago(days=1)), old)))).status is Status.OK


async def test_deactivate_users_on_is_a_warning() -> None:
    box = b.app(features=b.app().features | {"PUSH_USER_DEACTIVATION"})
    assert (await deactivate_users.run(b.facts(app=box))).status is Status.WARNING


async def test_skip_reason_for_provisioning_off() -> None:
    report = await diagnose(b.facts(app=b.app(features=frozenset())))
    skipped = next(f for f in report.findings if f.check == "deactivate_users")
    assert skipped.title == "Skipped: provisioning to Box is off."
    assert isinstance(NotProvisioned("x"), Exception)


async def test_verdict_ranks_causes_before_symptoms() -> None:
    facts = b.facts(
        app_user=b.app_user(external_id=None, sync_state="ERROR"),
        log=(b.push(b.ago(hours=1), "FAILURE", "no such user"),),
    )
    report = await diagnose(facts)
    assert report.verdict.check == "external_id"


async def test_pending_push_is_not_a_cause() -> None:
    facts = b.facts(
        user=b.user(last_updated=b.ago(minutes=4)),
        app_user=b.app_user(sync_state="OUT_OF_SYNC"),
    )
    report = await diagnose(facts)
    assert report.verdict.check is None
    assert report.verdict.summary.startswith("No cause found yet")


async def test_a_crashing_check_costs_only_its_own_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    async def broken(facts: object) -> object:
        raise RuntimeError("bug")

    crashed = tuple((c, broken if c == "mapping" else run) for c, run in CHECKS)
    monkeypatch.setattr("checks.diagnose.CHECKS", crashed)
    report = await diagnose(b.facts())
    statuses = {f.check: f.status for f in report.findings}
    assert statuses["mapping"] is Status.UNKNOWN
    assert statuses["preview"] is Status.OK
    assert report.faults == ("attrsync hit an internal error; the log has the details.",)
