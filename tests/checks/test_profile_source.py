"""The profile_source check over hand-built facts: where each attribute is sourced for the user,
whether an import put an Okta edit back, and usernames an app sets on create only."""

from __future__ import annotations

from dataclasses import replace

from checks.attributes import for_facts
from checks.catalog import profile_source
from checks.diagnose import diagnose
from checks.errors import OktaForbidden, OktaUnavailable
from checks.model import Status
from checks.remediation import username_push
from tests.harness import builders as b

SOURCES = (b.app(), b.workday())
"""Jane is assigned to Box and to Workday, a profile source."""


async def test_without_a_profile_source_okta_is_the_source() -> None:
    finding = await profile_source.run(b.facts("title"))
    assert finding.status is Status.OK
    assert ("Profile sources", "none: Okta is the source") in finding.evidence
    assert ("title", "sourced in Okta (PROFILE_MASTER)") in finding.evidence


async def test_an_import_that_put_the_value_back_is_the_problem() -> None:
    log = (*b.imported(b.ago(hours=2), "title"), b.edit(b.ago(hours=6), "title"))
    facts = b.facts("title", user_apps=SOURCES, log=log)
    finding = await profile_source.run(facts)
    assert finding.status is Status.PROBLEM
    assert "title comes from Workday" in finding.title
    assert "put Workday's value back" in finding.title
    assert finding.fix is not None and finding.fix.id == "source_priority"
    assert not finding.fix.automated
    assert '"Source priority"' in finding.detail
    assert (
        finding.link
        == "https://acme-admin.okta.com/admin/universaldirectory#okta/oty1default000000001"
    )
    row = dict(finding.evidence)["title"]
    assert "sourced by Workday (PROFILE_MASTER)" in row and "imported from Workday" in row


async def test_an_import_profile_event_alone_counts_as_the_import() -> None:
    """Okta's import_profile names no attributes: from the source, after the edit, it is the
    import that applied the source's values."""
    log = (*b.imported(b.ago(hours=1)), b.edit(b.ago(hours=3), "title"))
    finding = await profile_source.run(b.facts("title", user_apps=SOURCES, log=log))
    assert finding.status is Status.PROBLEM
    assert "put Workday's value back" in finding.title


async def test_an_import_before_the_edit_has_not_reverted_it() -> None:
    source = b.workday(features=frozenset({"IMPORT_NEW_USERS", "PROFILE_MASTERING"}))
    log = (b.edit(b.ago(hours=1), "title"), *b.imported(b.ago(hours=5), "title"))
    finding = await profile_source.run(b.facts("title", user_apps=(b.app(), source), log=log))
    assert finding.status is Status.WARNING
    assert "comes from Workday: change it there" in finding.title


async def test_a_source_that_imports_updates_will_put_an_edit_back() -> None:
    log = (b.edit(b.ago(hours=1), "title"),)
    finding = await profile_source.run(b.facts("title", user_apps=SOURCES, log=log))
    assert finding.status is Status.PROBLEM
    assert "will be put back by Workday's next import, and Box with it" in finding.title


async def test_sourced_elsewhere_without_an_edit_is_a_warning() -> None:
    finding = await profile_source.run(b.facts("title", user_apps=SOURCES))
    assert finding.status is Status.WARNING
    assert finding.fix is not None and finding.fix.id == "source_priority"


async def test_an_attribute_okta_masters_stays_in_okta_whatever_the_sources() -> None:
    facts = b.facts(
        "title",
        user_apps=SOURCES,
        user_schema=b.user_schema(title="OKTA"),
        log=(b.edit(b.ago(hours=1), "title"),),
    )
    finding = await profile_source.run(facts)
    assert finding.status is Status.OK
    assert ("title", "sourced in Okta (OKTA)") in finding.evidence


async def test_override_takes_the_first_source_of_its_priority_that_applies() -> None:
    directory = replace(b.workday(), id=b.AD_ID, name="active_directory", label="AD")
    schema = b.user_schema(lastName=("OVERRIDE", (("APP", b.AD_ID), ("OKTA", None))))
    log = (b.edit(b.ago(hours=1), "lastName"),)
    by_ad = await profile_source.run(
        b.facts("lastName", user_schema=schema, user_apps=(b.app(), directory), log=log)
    )
    assert by_ad.status is Status.PROBLEM
    assert "lastName comes from AD" in by_ad.title
    # Not assigned to AD: the next entry, OKTA, applies (Workday is no entry of it).
    by_okta = await profile_source.run(
        b.facts("lastName", user_schema=schema, user_apps=SOURCES, log=log)
    )
    assert by_okta.status is Status.OK
    assert ("lastName", "sourced in Okta (OVERRIDE)") in by_okta.evidence
    okta_first = b.user_schema(lastName=("OVERRIDE", (("OKTA", None), ("APP", b.AD_ID))))
    first = await profile_source.run(
        b.facts("lastName", user_schema=okta_first, user_apps=(b.app(), directory), log=log)
    )
    assert first.status is Status.OK


async def test_an_unknown_master_type_is_reported_not_guessed() -> None:
    facts = b.facts("title", user_apps=SOURCES, user_schema=b.user_schema(title="FEDERATED"))
    finding = await profile_source.run(facts)
    assert finding.status is Status.UNKNOWN
    assert "title (FEDERATED)" in finding.title
    assert ("title", "source type FEDERATED (not known to attrsync)") in finding.evidence


async def test_an_inactive_profile_source_sources_nothing() -> None:
    facts = b.facts("title", user_apps=(b.app(), b.workday(status="INACTIVE")))
    assert (await profile_source.run(facts)).status is Status.OK


async def test_unasked_it_judges_the_attributes_the_log_names_and_the_app_maps() -> None:
    log = (*b.imported(b.ago(hours=2), "title"), b.edit(b.ago(hours=6), "title", "nickName"))
    finding = await profile_source.run(b.facts(user_apps=SOURCES, log=log))
    assert finding.status is Status.PROBLEM
    assert [name for name, _ in finding.evidence[1:]] == ["title"]  # Box maps no nickName


async def test_an_unreadable_log_still_tells_the_source() -> None:
    facts = b.facts("title", user_apps=SOURCES, log=OktaUnavailable("Okta is down."))
    finding = await profile_source.run(facts)
    assert finding.status is Status.WARNING
    assert dict(finding.evidence)["System Log"].startswith("could not be read")


async def test_a_sourced_value_outranks_the_mapping_in_the_verdict() -> None:
    log = (*b.imported(b.ago(hours=2), "title"), b.edit(b.ago(hours=6), "title"))
    mapping = b.mapping(title=("user.title", "DONT_PUSH"))
    report = await diagnose(b.facts("title", user_apps=SOURCES, log=log, mapping=mapping))
    statuses = {f.check: f.status for f in report.findings}
    assert statuses["mapping"] is Status.PROBLEM
    assert report.verdict.check == "profile_source"


JIRA_JSON: dict[str, object] = {
    "id": b.APP_ID,
    "name": "boxnet",
    "label": "Box",
    "signOnMode": "SAML_2_0",
    "credentials": {"userNameTemplate": {"template": "user.login", "pushStatus": "DONT_PUSH"}},
    "settings": {"app": {}},
}
CREATE_ONLY = b.app(username_template="user.login", username_push="DONT_PUSH")


async def test_a_username_asked_about_under_a_create_only_template_is_the_problem() -> None:
    facts = b.facts("userName", app=CREATE_ONLY, app_object=JIRA_JSON)
    finding = await profile_source.run(facts)
    assert finding.status is Status.PROBLEM
    assert "updates usernames on create only" in finding.title
    assert finding.fix is not None
    assert (finding.fix.id, finding.fix.automated) == (username_push.FIX, True)
    assert finding.link and finding.link.endswith("#tab-signon")


async def test_a_login_change_in_the_log_under_a_create_only_template_is_the_problem() -> None:
    log = (b.profile_change(b.ago(hours=3), "login", "email"),)
    facts = b.facts(app=CREATE_ONLY, app_object=JIRA_JSON, log=log)
    finding = await profile_source.run(facts)
    assert finding.status is Status.PROBLEM
    assert "(login changed in Okta)" in finding.title


async def test_usernames_pushed_on_update_are_no_problem() -> None:
    log = (b.profile_change(b.ago(hours=3), "login"),)
    pushed = b.app(username_template="user.login", username_push="PUSH")
    assert (await profile_source.run(b.facts(app=pushed, log=log))).status is Status.OK
    # Create only, but nothing about the username changed or was asked.
    quiet = b.facts("title", app=CREATE_ONLY, app_object=JIRA_JSON)
    assert (await profile_source.run(quiet)).status is Status.OK


async def test_an_app_holding_a_secret_makes_the_username_fix_manual() -> None:
    """A full PUT's body is shown to approvers: an app whose JSON holds a secret is left to
    the admin console."""
    template = {"template": "user.login", "pushStatus": "DONT_PUSH"}
    oauth = {"userNameTemplate": template, "oauthClient": {"client_secret": "s3"}}
    secret = {**JIRA_JSON, "credentials": oauth}
    facts = b.facts("userName", app=CREATE_ONLY, app_object=secret)
    finding = await profile_source.run(facts)
    assert finding.fix is not None and not finding.fix.automated
    assert "Sign On > Settings" in finding.fix.summary


async def test_an_ad_sourced_users_unset_locale_is_en_us_to_mappings() -> None:
    """Okta's knowledge base: the Users API shows an AD-sourced user's unset locale as null,
    but mapping expressions read en_US."""
    directory = replace(b.workday(), id=b.AD_ID, name="active_directory", label="AD")
    known = {
        "schema": b.schema("locale"),
        "mapping": b.mapping(locale=('user.locale == null ? "none" : user.locale', "PUSH")),
        "user": b.user(profile={"locale": None}),
    }
    for apps, sent in (((b.app(), directory), "en_US"), ((b.app(),), "none")):
        mapped = await for_facts(b.facts("locale", user_apps=apps, **known))
        assert mapped.views[0].would_send == sent
    unread = await for_facts(b.facts("locale", user_apps=OktaForbidden("no apps"), **known))
    assert "profile source" in (unread.views[0].cannot_evaluate or "")


async def test_a_source_at_risk_is_the_verdicts_summary_not_a_cause() -> None:
    report = await diagnose(b.facts("title", user_apps=SOURCES))
    assert report.verdict.check is None
    assert report.verdict.summary.startswith("No cause found yet: Jane Doe's title comes from")
