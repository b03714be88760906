"""The built-in demo org: one user per reason an attribute change does not reach an app.

All timestamps are relative to `now`, so "changed 4 minutes ago" stays recent whenever the
demo runs. Ids are deterministic (seeded), so the same user has the same id every run.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from bot.demo.crowd import add_salesforce
from fakes.okta.shapes import JSON
from fakes.okta.state import OrgState

_BOX_FEATURES: Final = (
    "PUSH_NEW_USERS",
    "PUSH_PROFILE_UPDATES",
    "PUSH_USER_DEACTIVATION",
    "IMPORT_NEW_USERS",
)
_FULL_PUSH: Final = ("PUSH_NEW_USERS", "PUSH_PROFILE_UPDATES", "PUSH_USER_DEACTIVATION")
_PROFILE_SOURCE: Final = ("IMPORT_NEW_USERS", "IMPORT_PROFILE_UPDATES", "PROFILE_MASTERING")
"""A profile source's features as Okta lists Workday's (its Apps API documentation)."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """A demo user, the app a person would name, and the check that should explain it."""

    user: str
    app: str
    attribute: str | None
    expected_check: str | None
    story: str


SCENARIOS: Final[tuple[Scenario, ...]] = (
    Scenario(
        "jdoe",
        "box",
        "lastName",
        "external_id",
        "Jane's last name changed from Smith to Anderson in Okta, but Box still shows Smith.",
    ),
    Scenario(
        "asmith",
        "box",
        "title",
        None,
        "Alex got a new title in Okta last week and wants to be sure Box has it.",
    ),
    Scenario(
        "bwayne",
        "box",
        "title",
        "external_id",
        "Bruce's title changed to Regional Director in Okta, but Box still shows Sales Manager.",
    ),
    Scenario(
        "cnew",
        "box",
        "title",
        None,
        "Carol's title was changed in Okta a few minutes ago and Box does not show it yet.",
    ),
    Scenario(
        "dstale",
        "box",
        "lastName",
        "sync_state",
        "Dan's last name changed from Stahl to Stale this morning, but Box still shows Stahl.",
    ),
    Scenario(
        "efail",
        "google",
        "lastName",
        "push_errors",
        "Eve's last name changed from Foster to Fail in Okta, but Google Workspace still "
        "shows Foster.",
    ),
    Scenario(
        "fcreds",
        "slack",
        "title",
        "credentials",
        "Frank's new title is in Okta, but his Slack profile still shows the old one.",
    ),
    Scenario(
        "gmap",
        "office",
        "lastName",
        "mapping",
        "Grace's last name changed from Brown to Green in Okta, but Office 365 still shows Brown.",
    ),
    Scenario(
        "hcreate",
        "hr portal",
        "department",
        "mapping",
        "Henry moved from Engineering to Research in Okta, but the HR Portal still says "
        "Engineering.",
    ),
    Scenario(
        "iupd",
        "zoom",
        "lastName",
        "update_attributes",
        "Ivy's last name changed from Upton to Update in Okta, but Zoom still shows Upton.",
    ),
    Scenario(
        "jnoassign",
        "box",
        None,
        "assignment",
        "Jack's title changed in Okta, but nothing about him changes in Box.",
    ),
    Scenario(
        "kgone",
        "box",
        "lastName",
        "user",
        "Kate's last name was corrected in Okta, but Box still shows the old spelling.",
    ),
    Scenario(
        "lnoprov",
        "zendesk",
        "lastName",
        "provisioning",
        "Leo's last name changed from Nolan to Noprov in Okta, but Zendesk still shows Nolan.",
    ),
    Scenario(
        "ptype",
        "box",
        "lastName",
        "mapping",
        "Pat, a contractor, changed last name from Taylor to Type in Okta, but Box still "
        "shows Taylor.",
    ),
    Scenario(
        "wtitle",
        "box",
        "title",
        "profile_source",
        "An admin changed Wendy's title to Staff Engineer in Okta, but Box still shows "
        "Engineer: Workday's import put it back.",
    ),
    Scenario(
        "olast",
        "box",
        "lastName",
        "profile_source",
        "An admin corrected Omar's last name in Okta this morning; Active Directory, his "
        "profile source, will import the old one again.",
    ),
    Scenario(
        "uma.lake",
        "jira",
        "userName",
        "profile_source",
        "Uma's login changed to uma.lake@example.com in Okta, but Jira still knows her as "
        "uma.river.",
    ),
)


def build_demo_org(now: datetime) -> OrgState:
    """The demo org as it looks at `now`; from then on its clock runs in real time."""
    org = OrgState(clock=lambda: now, seed=20240601)
    ago = _Ago(now)
    contractor = org.add_user_type("contractor", "Contractor", created=ago.days(900))

    box = org.add_app("boxnet", "Box", features=_BOX_FEATURES, created=ago.days(500))
    google = org.add_app("google", "Google Workspace", features=_FULL_PUSH, created=ago.days(480))
    slack = org.add_app("slack", "Slack", features=_FULL_PUSH, created=ago.days(470))
    office = org.add_app(
        "office365", "Microsoft Office 365", features=_FULL_PUSH, created=ago.days(460)
    )
    hr_portal = org.add_app(
        "acme_hrportal_1",
        "HR Portal",
        features=("PUSH_NEW_USERS", "PUSH_PROFILE_UPDATES", "SCIM_PROVISIONING"),
        created=ago.days(300),
    )
    zoom = org.add_app(
        "zoomus",
        "Zoom",
        features=("PUSH_NEW_USERS", "PUSH_USER_DEACTIVATION"),
        created=ago.days(250),
    )
    zendesk = org.add_app("zendesk", "Zendesk", created=ago.days(600))
    org.add_app("github", "GitHub", created=ago.days(200))
    org.add_app(
        "acme_legacycrm_1",
        "Legacy CRM",
        status="INACTIVE",
        sign_on_mode="AUTO_LOGIN",
        created=ago.days(1200),
    )

    person = {"firstName": ("user.firstName", "PUSH"), "email": ("user.email", "PUSH")}
    org.set_schema(
        box,
        base={
            "userName": {"scope": "SELF", "required": True},
            "firstName": {},
            "lastName": {},
            "email": {},
        },
        custom={"department": {"scope": "NONE"}, "title": {}},
    )
    org.set_mapping(
        None,
        box,
        {
            **person,
            "lastName": ("user.lastName", "PUSH"),
            "title": ("user.title", "PUSH"),
        },
    )
    org.set_mapping(contractor, box, {**person, "title": ("user.title", "PUSH")})
    for app in (google, slack, zoom):
        org.set_mapping(None, app, {**person, "lastName": ("user.lastName", "PUSH")})
    org.set_schema(slack, custom={"title": {}})
    org.set_mapping(
        None,
        slack,
        {**person, "lastName": ("user.lastName", "PUSH"), "title": ("user.title", "PUSH")},
    )
    org.set_mapping(None, office, {**person, "lastName": ("user.nickName", "PUSH")})
    org.set_schema(hr_portal, custom={"department": {}})
    org.set_mapping(
        None,
        hr_portal,
        {
            **person,
            "lastName": ("user.lastName", "PUSH"),
            "department": ("user.department", "DONT_PUSH"),
        },
    )
    org.set_mapping(None, zendesk, {**person, "lastName": ("user.lastName", "PUSH")})

    _box_users(org, ago, contractor["id"])
    _other_app_users(org, ago)
    _sourced_users(org, ago)
    add_salesforce(org, now)
    # Changes made through the API later (a fix, a re-assignment) must come after `now`.
    started = time.monotonic()
    org.clock = lambda: now + timedelta(seconds=time.monotonic() - started)
    return org


class _Ago:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def days(self, n: float) -> datetime:
        return self.now - timedelta(days=n)

    def hours(self, n: float) -> datetime:
        return self.now - timedelta(hours=n)

    def minutes(self, n: float) -> datetime:
        return self.now - timedelta(minutes=n)


def _box_users(org: OrgState, ago: _Ago, contractor_id: str) -> None:
    box = org.app("boxnet")

    # The article's example: assigned before provisioning was on, so no external id.
    jdoe = org.add_user("jdoe", "Jane", "Smith", profile={"title": "Analyst"})
    org.assign(
        box,
        jdoe,
        external_id=None,
        status="ACTIVE",
        sync_state="OUT_OF_SYNC",
        last_sync=None,
        created=ago.days(300),
    )
    org.change_profile(jdoe, {"lastName": "Anderson"}, at=ago.days(2))
    # Okta recomputed the app user; it just cannot push it without an external id.
    _pending(org, box["id"], jdoe, {"lastName": "Anderson"})

    asmith = org.add_user("asmith", "Alex", "Smith", profile={"title": "Account Executive"})
    org.change_profile(asmith, {"title": "Senior Account Executive"}, at=ago.days(5))
    org.assign(
        box, asmith, created=ago.days(120), last_updated=ago.days(5), last_sync=ago.days(4.99)
    )
    org.log_push(box, asmith, ago.days(4.99))

    bwayne = org.add_user("bwayne", "Bruce", "Wayne", profile={"title": "Sales Manager"})
    sales = org.add_group("Sales", [bwayne], description="Sales team", created=ago.days(400))
    org.assign_group(box, sales, created=ago.days(350))
    org.assign(
        box,
        bwayne,
        scope="GROUP",
        group=sales,
        external_id=None,
        status="ACTIVE",
        sync_state="OUT_OF_SYNC",
        last_sync=None,
        created=ago.days(350),
    )
    org.change_profile(bwayne, {"title": "Regional Director"}, at=ago.days(1))
    _pending(org, box["id"], bwayne, {"title": "Regional Director"})

    cnew = org.add_user("cnew", "Carol", "New", profile={"title": "Engineer"})
    org.assign(box, cnew, created=ago.days(60), last_sync=ago.days(1), last_updated=ago.days(1))
    org.change_profile(cnew, {"title": "Senior Engineer"}, at=ago.minutes(4))
    _pending(org, box["id"], cnew, {"title": "Senior Engineer"})

    dstale = org.add_user("dstale", "Dan", "Stahl", profile={"title": "Designer"})
    org.assign(box, dstale, created=ago.days(90), last_sync=ago.days(2), last_updated=ago.days(2))
    org.change_profile(dstale, {"lastName": "Stale"}, at=ago.hours(3))
    _pending(org, box["id"], dstale, {"lastName": "Stale"})

    jnoassign = org.add_user("jnoassign", "Jack", "Noassign", profile={"title": "Intern"})
    org.change_profile(jnoassign, {"title": "Junior Analyst"}, at=ago.days(1))

    kgone = org.add_user(
        "kgone",
        "Kate",
        "Gon",
        status="DEPROVISIONED",
        status_changed=ago.days(7),
        profile={"title": "Consultant"},
    )
    # Box has Deactivate Users on, so deactivating Kate in Okta deprovisioned her in Box.
    org.assign(
        box,
        kgone,
        status="DEPROVISIONED",
        created=ago.days(200),
        last_updated=ago.days(7),
        last_sync=ago.days(7),
    )
    org.change_profile(kgone, {"lastName": "Gone"}, at=ago.days(1))

    ptype = org.add_user(
        "ptype", "Pat", "Taylor", type_id=contractor_id, profile={"title": "Contractor"}
    )
    # The Contractor mapping has no lastName, so the app user keeps what it got at creation.
    org.assign(box, ptype, created=ago.days(100), profile={"lastName": "Taylor"})
    org.change_profile(ptype, {"lastName": "Type"}, at=ago.days(1))
    org.push_succeeded(box["id"], ptype, ago.days(1) + timedelta(minutes=1))


def _pending(org: OrgState, app_id: str, user: JSON, values: dict[str, str]) -> None:
    """Okta recomputed the app user right after the change; the push has not happened yet."""
    app_user = org.app_users[(app_id, user["id"])]
    app_user["profile"].update(values)
    app_user["lastUpdated"] = user["lastUpdated"]
    app_user["syncState"] = "OUT_OF_SYNC"


def _other_app_users(org: OrgState, ago: _Ago) -> None:
    google, slack, office = org.app("google"), org.app("slack"), org.app("office365")
    hr_portal, zoom, zendesk = org.app("HR Portal"), org.app("zoomus"), org.app("zendesk")

    efail = org.add_user("efail", "Eve", "Foster", profile={"title": "Controller"})
    org.assign(
        google, efail, created=ago.days(200), last_updated=ago.days(3), last_sync=ago.days(3)
    )
    org.log_push(google, efail, ago.days(3))
    org.change_profile(efail, {"lastName": "Fail"}, at=ago.hours(2.1))
    _pending(org, google["id"], efail, {"lastName": "Fail"})
    org.app_users[(google["id"], efail["id"])]["syncState"] = "ERROR"
    for hours in (2, 1):
        org.log_push(
            google,
            efail,
            ago.hours(hours),
            "FAILURE",
            legacy="app.google.user_management.error.push_profile_update",
            reason=(
                "Automatic profile push of user Eve Fail to app Google Workspace failed: "
                "Error while trying to push profile update for efail@example.com: "
                "Not Authorized to access this resource/api"
            ),
        )

    fcreds = org.add_user("fcreds", "Frank", "Creds", profile={"title": "Support Agent"})
    org.assign(
        slack, fcreds, created=ago.days(150), last_updated=ago.days(2), last_sync=ago.days(2)
    )
    org.log_push(slack, fcreds, ago.days(2))
    org.change_profile(fcreds, {"title": "Support Lead"}, at=ago.minutes(40))
    _pending(org, slack["id"], fcreds, {"title": "Support Lead"})
    org.app_users[(slack["id"], fcreds["id"])]["syncState"] = "ERROR"
    for minutes in (30, 10):
        org.log(
            "application.integration.authentication_failure",
            ago.minutes(minutes),
            "FAILURE",
            [slack],
            reason="Authentication failed: invalid_auth (the Slack API token was revoked)",
        )
    org.log_push(
        slack,
        fcreds,
        ago.minutes(10),
        "FAILURE",
        legacy="app.api.error.push_profile_update",
        reason=(
            "Automatic profile push of user Frank Creds to app Slack failed: Error while "
            "trying to push profile update for fcreds@example.com: Authentication failed: "
            "invalid_auth"
        ),
    )

    gmap = org.add_user("gmap", "Grace", "Brown", profile={"nickName": "Gracie"})
    org.assign(
        office,
        gmap,
        created=ago.days(300),
        profile={"lastName": "Brown"},
        last_updated=ago.days(30),
    )
    # The mapping reads nickName, so changing lastName left the app user's lastName alone.
    org.change_profile(gmap, {"lastName": "Green"}, at=ago.days(1))
    org.push_succeeded(office["id"], gmap, ago.days(1) + timedelta(minutes=2))

    hcreate = org.add_user("hcreate", "Henry", "Create", profile={"department": "Engineering"})
    org.assign(hr_portal, hcreate, created=ago.days(180), last_updated=ago.days(20))
    org.change_profile(hcreate, {"department": "Research"}, at=ago.days(1))
    # DONT_PUSH: the push carried the app user's stale department.
    org.push_succeeded(hr_portal["id"], hcreate, ago.days(1) + timedelta(minutes=1))

    iupd = org.add_user("iupd", "Ivy", "Upton")
    org.assign(zoom, iupd, created=ago.days(120), last_updated=ago.days(10), last_sync=ago.days(10))
    org.change_profile(iupd, {"lastName": "Update"}, at=ago.days(1))
    # Recomputed in Okta, never pushed: Update User Attributes is off for Zoom.
    app_user = org.app_users[(zoom["id"], iupd["id"])]
    app_user["profile"]["lastName"] = "Update"
    app_user["lastUpdated"] = iupd["lastUpdated"]

    lnoprov = org.add_user("lnoprov", "Leo", "Nolan")
    org.assign(zendesk, lnoprov, created=ago.days(365))
    org.change_profile(lnoprov, {"lastName": "Noprov"}, at=ago.days(1))


def _sourced_users(org: OrgState, ago: _Ago) -> None:
    """Values that come from elsewhere: Workday and Active Directory as profile sources, and an
    app that sets usernames on create only."""
    box = org.app("boxnet")
    workday = org.add_app("workday", "Workday", features=_PROFILE_SOURCE, created=ago.days(700))
    directory = org.add_app(
        "active_directory", "Active Directory", features=_PROFILE_SOURCE, created=ago.days(900)
    )
    # Okta keeps an edited last name only for users Active Directory does not source.
    org.set_attribute_source(
        None, "lastName", "OVERRIDE", [("APP", directory["id"]), ("OKTA", None)]
    )

    wtitle = org.add_user("wtitle", "Wendy", "Title", profile={"title": "Engineer"})
    org.assign(workday, wtitle, external_id="21001", created=ago.days(400))
    org.assign(box, wtitle, created=ago.days(300), last_updated=ago.days(3), last_sync=ago.days(3))
    org.change_profile(wtitle, {"title": "Staff Engineer"}, at=ago.hours(6))
    org.push_succeeded(box["id"], wtitle, ago.hours(6) + timedelta(minutes=1))
    org.import_profile(workday, wtitle, {"title": "Engineer"}, at=ago.hours(2))
    _pending(org, box["id"], wtitle, {"title": "Engineer"})
    org.push_succeeded(box["id"], wtitle, ago.hours(2) + timedelta(minutes=1))

    olast = org.add_user("olast", "Omar", "Haddad", profile={"title": "Buyer"})
    org.assign(directory, olast, external_id="8f1c2a-omar", created=ago.days(500))
    org.assign(box, olast, created=ago.days(200), last_updated=ago.days(9), last_sync=ago.days(9))
    org.change_profile(olast, {"lastName": "Hadad"}, at=ago.hours(4))
    _pending(org, box["id"], olast, {"lastName": "Hadad"})
    org.push_succeeded(box["id"], olast, ago.hours(4) + timedelta(minutes=1))

    jira = org.add_app(
        "acme_jira_1",
        "Jira",
        features=_FULL_PUSH,
        created=ago.days(400),
        # "Update application username on: Create only"
        username_template={"template": "user.login", "type": "CUSTOM", "pushStatus": "DONT_PUSH"},
    )
    org.set_mapping(
        None,
        jira,
        {
            "firstName": ("user.firstName", "PUSH"),
            "lastName": ("user.lastName", "PUSH"),
            "email": ("user.email", "PUSH"),
        },
    )
    ulogin = org.add_user("uma.river", "Uma", "River")
    org.assign(jira, ulogin, created=ago.days(250), last_updated=ago.days(20))
    changed = {"login": "uma.lake@example.com", "email": "uma.lake@example.com", "lastName": "Lake"}
    org.change_profile(ulogin, changed, at=ago.days(1))
    # Okta recomputed the profile and pushed it; the username stayed as created.
    _pending(org, jira["id"], ulogin, {"email": changed["email"], "lastName": "Lake"})
    org.push_succeeded(jira["id"], ulogin, ago.days(1) + timedelta(minutes=1))
