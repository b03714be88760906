"""Helpdesk messages as people write them, each with what the message shortcut should make of
it, against an org like a real one: profile sources, the Okta dashboard, apps with generic
labels, apps Okta does not provision, apps the author does not have.

`python -m tests.harness.shortcut_corpus` prints the score (right / asked / wrong), which
docs/scans-and-triage.md gives.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.slack.guess import candidates, guess_app, guess_attribute
from checks.model import App

_PUSH = frozenset({"PUSH_NEW_USERS", "PUSH_PROFILE_UPDATES", "PUSH_USER_DEACTIVATION"})
_SOURCE = frozenset(
    {"IMPORT_NEW_USERS", "IMPORT_PROFILE_UPDATES", "PROFILE_MASTERING", "PUSH_PROFILE_UPDATES"}
)


def _app(n: int, name: str, label: str, features: frozenset[str] = frozenset()) -> App:
    return App(f"0oa{n:017d}", name, label, "ACTIVE", "SAML_2_0", features)


ORG: tuple[App, ...] = (
    _app(1, "boxnet", "Box", _PUSH),
    _app(2, "office365", "Microsoft Office 365"),  # the features API tells (might_provision)
    _app(3, "google", "Google Workspace", _PUSH),
    _app(4, "slack", "Slack", _PUSH),
    _app(5, "zoomus", "Zoom"),
    _app(6, "salesforce", "Salesforce", _PUSH),
    _app(7, "workday", "Workday", _SOURCE),  # writes email back, but values come from it
    _app(8, "active_directory", "Active Directory", _SOURCE | {"PUSH_NEW_USERS"}),
    _app(9, "okta_enduser", "Okta Dashboard"),
    _app(10, "acme_myapp_1", "My App", _PUSH | {"SCIM_PROVISIONING"}),
    _app(11, "acme_example_1", "example", _PUSH),
    _app(12, "acme_approvalflow_1", "Approval Flow", _PUSH | {"SCIM_PROVISIONING"}),
    _app(13, "acme_hrportal_1", "HR Portal", _PUSH | {"SCIM_PROVISIONING"}),
    _app(14, "zendesk", "Zendesk"),  # assigned, provisioning off
    _app(15, "salesforce", "Salesforce Sandbox", _PUSH),
    _app(16, "github", "GitHub", _PUSH),
    _app(17, "dropbox_for_business", "Dropbox", _PUSH),
    _app(18, "acme_jira_1", "Jira", _PUSH | {"SCIM_PROVISIONING"}),
    _app(19, "bookmark", "Expenses", frozenset()),
)
"""The org; the author is assigned to the first fourteen."""
AUTHOR_APPS: tuple[App, ...] = ORG[:14]


@dataclass(frozen=True, slots=True)
class Case:
    """A message; `app` the label to pre-fill, or a tuple: ask, offering these labels first
    (in any order); `attribute` the Okta attribute to pre-fill, or None (none pre-filled)."""

    text: str
    app: str | tuple[str, ...]
    attribute: str | None


CASES: tuple[Case, ...] = (
    Case("my last name is still wrong in Box :(", "Box", "lastName"),
    Case(
        "Hi team, I got married and changed my surname in Workday last week but Box still "
        "shows Smith",
        "Box",
        "lastName",
    ),
    Case(
        "<@U0HELPDESK> my job title is right in Workday but Slack still says Analyst",
        "Slack",
        "title",
    ),
    Case(
        "outlook still has my old dept, can someone look? :pray:",
        "Microsoft Office 365",
        "department",
    ),
    Case("o365 shows my old cell number", "Microsoft Office 365", "mobilePhone"),
    Case(
        "anyone know why my desk phone # in teams is outdated?",
        "Microsoft Office 365",
        "primaryPhone",
    ),
    Case("gmail signature pulls the wrong job title", "Google Workspace", "title"),
    Case("GSUITE HAS MY OLD LAST NAME!!!", "Google Workspace", "lastName"),
    Case(
        "In Okta Dashboard everything looks right but zoom shows my maiden name",
        "Zoom",
        "lastName",
    ),
    Case("sfdc has the wrong manager for me since the reorg", "Salesforce", "manager"),
    Case(
        "my title changed in the approval flow yesterday, salesforce still shows the old one",
        "Salesforce",
        "title",
    ),
    Case("My App still shows my old employee id", (), "employeeNumber"),
    Case("for example, my cost center in box is the old one", "Box", "costCenter"),
    Case("hey, my office moved and the city in google is wrong", "Google Workspace", "city"),
    Case("my phone number is wrong in slack", "Slack", None),
    Case("surname wrong in o365 and slack", ("Microsoft Office 365", "Slack"), "lastName"),
    Case("Since Friday my title in Slack and in Zoom is the old one", ("Slack", "Zoom"), "title"),
    Case("google is fine but zoom still has my old display name", "Zoom", "displayName"),
    Case("the HR portal has my new department but Box doesn't", "Box", "department"),
    Case("Active Directory updated my title but Slack didn't pick it up", "Slack", "title"),
    Case("my mobile number in Box is still the old one", "Box", "mobilePhone"),
    Case("Workday says my manager is Dana, Salesforce says Bob", "Salesforce", "manager"),
    Case("my name is wrong everywhere", (), None),
    Case("can someone check why my profile isn't syncing? thx", (), None),
    Case(
        "i changed teams last month and my department is still wrong in outlook",
        "Microsoft Office 365",
        "department",
    ),
    Case("I moved to a new team and my department is wrong in Box", "Box", "department"),
    Case("zoom display name still shows my old last name 🙃", "Zoom", "lastName"),
    Case("Box: title wrong", "Box", "title"),
    Case("BOX STILL SHOWS MY OLD TITLE", "Box", "title"),
    Case("my emplyee id is missing in salesforce", "Salesforce", "employeeNumber"),
    Case("salesfroce has my old manager", "Salesforce", "manager"),
    Case("title is correct in slack, wrong in zoom", "Zoom", "title"),
    Case(
        "got an email from Box saying my account was updated but the last name there is "
        "still Smith",
        "Box",
        "lastName",
    ),
    Case(
        "Can you check <https://acme.app.box.com/profile|my Box profile>? the job title is the "
        "old one",
        "Box",
        "title",
    ),
    Case("my cost centre is wrong in the salesforce sandbox", (), "costCenter"),
    Case("Workday -> Okta -> Box: my department never arrives in box", "Box", "department"),
    Case("Why does Zoom have my old surname when Okta has the new one?", "Zoom", "lastName"),
    Case("my first name is misspelled in google workspace", "Google Workspace", "firstName"),
    Case("hi! nickname not updating on slack 😅", "Slack", "nickName"),
    Case("the example app shows my old title", (), "title"),
    Case(
        "office 365 has my old job title and so does the okta dashboard",
        "Microsoft Office 365",
        "title",
    ),
    Case("SLACK PROFILE STILL SAYS SENIOR ENGINEER, NEW TITLE IS STAFF ENGINEER", "Slack", "title"),
    Case("my work phone is wrong on my Salesforce profile", "Salesforce", "primaryPhone"),
    Case("Box and Slack both have my old last name", ("Box", "Slack"), "lastName"),
    Case("my location is wrong in teams", "Microsoft Office 365", None),
    Case(
        "the approval flow for my title change is stuck, Slack still shows the old title",
        "Slack",
        "title",
    ),
    Case("hey <!here> box keeps reverting my dept to Sales", "Box", "department"),
    Case("my cellphone in google is wrong", "Google Workspace", "mobilePhone"),
    Case("Zoom still shows my old title but my manager says Workday is correct", "Zoom", "title"),
    Case(
        "i updated my surname in okta dashboard, still old in gmail and g suite",
        "Google Workspace",
        "lastName",
    ),
    Case("my employee number isn't in box yet", "Box", "employeeNumber"),
    Case(
        "Please help, the okta dashboard shows my new name but salesforce hasnt changed",
        "Salesforce",
        None,
    ),
    Case("my given name is wrong in slack AND zoom AND box", ("Slack", "Zoom", "Box"), "firstName"),
    Case(
        "Box says my title is Manager but it should be Director (Workday has it right)",
        "Box",
        "title",
    ),
    Case(
        "all my stuff is wrong in microsoft 365 after the name change", "Microsoft Office 365", None
    ),
    Case("my zip code in Box is wrong, i moved", "Box", "zipCode"),
    Case(
        "sorry to post in this slack channel again but my title in box is still old",
        "Box",
        "title",
    ),
    Case("my timezone is wrong in slack", "Slack", "timezone"),
    Case(
        "hi, my surname was updated in AD but outlook still has the old one",
        "Microsoft Office 365",
        "lastName",
    ),
    Case("the flow that approves title changes ran, but my new title isn't in box", "Box", "title"),
    Case("my title is wrong in Jira and in Box", ("Box",), "title"),
    Case("my department is wrong in zendesk", (), "department"),
    Case("Expenses still has my old cost center", (), "costCenter"),
    Case("is the new title in slack yet? zoom has it", "Slack", "title"),
    # Written after the guessing was tuned on the ones above, and scored as they came out.
    Case("quick q - why is my surname in zoom different from okta?", "Zoom", "lastName"),
    Case("my boss changed but box still lists the old one", "Box", None),
    Case(
        "Hello! I'm a new joiner and my title on Slack says Intern, I'm a Senior Analyst",
        "Slack",
        "title",
    ),
    Case(
        "Changed my last name 2 weeks ago. Outlook, Teams and Box are all still wrong",
        ("Microsoft Office 365", "Box"),
        "lastName",
    ),
    Case("can u check my dept in sales force pls", "Salesforce", "department"),
    Case(
        "the workday change went through but google still shows my maiden name",
        "Google Workspace",
        "lastName",
    ),
    Case("my title in my app is outdated", (), "title"),
    Case("Box is showing my old email address", "Box", "email"),
    Case("I sent an email to IT about my title in Zoom, still wrong", "Zoom", "title"),
    Case("my phone number in workday is correct but slack has an old one", "Slack", None),
    Case("Why does my Slack profile say I'm in Marketing? I moved to Finance", "Slack", None),
    Case("my office is in Berlin now but google says Munich", "Google Workspace", None),
    Case("my mobile in zoom still shows the old number", "Zoom", "mobilePhone"),
    Case("plz help!!! gmial still has my old surname", "Google Workspace", "lastName"),
    Case("Following up on my ticket: Box still has Smith as my last name", "Box", "lastName"),
    Case("DROPBOX still shows my old name", (), None),
    Case("Box shows the right title now, thanks! But Slack is still old", "Slack", "title"),
    Case("ms teams displays my old job title", "Microsoft Office 365", "title"),
    Case("the new cost center from workday hasn't reached salesforce", "Salesforce", "costCenter"),
    Case("<@U0ALICE> can you look at this? my department in box is from 2019", "Box", "department"),
)


@dataclass(slots=True)
class Tally:
    """right: the expected guess (or, where a message leaves doubt, no guess); asked: no
    guess where one was expected; wrong: a guess other than the expected one."""

    right: int = 0
    asked: int = 0
    wrong: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, expected: str | None, got: str | None, text: str) -> None:
        if got == expected:
            self.right += 1
        elif got is None:
            self.asked += 1
        else:
            self.wrong += 1
            self.misses.append(f"{text!r}: expected {expected!r}, got {got!r}")

    def __str__(self) -> str:
        return f"{self.right} right / {self.asked} asked / {self.wrong} wrong"


@dataclass(slots=True)
class Score:
    app: Tally = field(default_factory=Tally)
    attribute: Tally = field(default_factory=Tally)
    unoffered: list[str] = field(default_factory=list)
    """Asked cases whose named apps did not come first in the menu."""


def score(cases: Sequence[Case] = CASES) -> Score:
    choices = candidates(AUTHOR_APPS)
    others = [app for app in ORG if app not in choices]
    result = Score()
    for case in cases:
        guess = guess_app(case.text, choices, others)
        expected = case.app if isinstance(case.app, str) else None
        result.app.add(expected, guess.app.label if guess.app else None, case.text)
        if not isinstance(case.app, str):
            first = {app.label for app in guess.first[: len(case.app)]}
            if first != set(case.app):
                result.unoffered.append(f"{case.text!r}: first {sorted(first)}")
        result.attribute.add(case.attribute, guess_attribute(case.text, ORG), case.text)
    return result


if __name__ == "__main__":
    figures = score()
    print(f"{len(CASES)} messages")
    print(f"app:       {figures.app}")
    print(f"attribute: {figures.attribute}")
    for miss in [*figures.app.misses, *figures.attribute.misses, *figures.unoffered]:
        print(" ", miss)
