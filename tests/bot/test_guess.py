"""The shortcut's guess never pre-fills a wrong app or attribute: only the author's apps that
Okta pushes to are candidates, every doubt becomes a question, and the helpdesk corpus keeps
the score honest."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.slack.guess import (
    APP_NICKNAMES,
    ATTRIBUTE_WORDS,
    WEAK_NICKNAMES,
    candidates,
    guess_app,
    guess_attribute,
    menu,
)
from tests.harness.shortcut_corpus import AUTHOR_APPS, CASES, ORG, score

BY_LABEL = {app.label: app for app in ORG}
OKTA_NAMES = [(app.label, app.name) for app in ORG]
CHOICES = candidates(AUTHOR_APPS)
OTHERS = [app for app in ORG if app not in CHOICES]


def _guessed(text: str) -> str | None:
    found = guess_app(text, CHOICES, OTHERS).app
    return found.label if found else None


def test_the_corpus_is_never_wrong_and_mostly_right() -> None:
    assert len(CASES) >= 40
    result = score()
    for tally in (result.app, result.attribute):
        assert tally.misses == []
        assert tally.wrong == 0
        assert tally.right >= 0.75 * len(CASES), str(tally)
    assert result.unoffered == []


def test_only_the_authors_provisioned_apps_are_candidates() -> None:
    labels = [app.label for app in CHOICES]
    assert "Workday" not in labels and "Active Directory" not in labels  # profile sources
    assert "Okta Dashboard" not in labels and "Zendesk" not in labels  # no push to them
    assert "Jira" not in labels  # not assigned to the author
    # Office 365 and Zoom list no push feature: their provisioning settings are read apart.
    assert {"Microsoft Office 365", "Zoom", "Box"} <= set(labels)
    inactive = replace(BY_LABEL["Box"], status="INACTIVE")
    assert candidates([inactive]) == []


@pytest.mark.parametrize(
    "text",
    [
        "my title is right in Workday",
        "the Okta Dashboard shows my old title",
        "My App shows the old title",
        "for example my title is wrong",
        "the approval flow did not update my title",
        "my title is wrong in Jira",
        "my title is wrong in the salesforce sandbox",
    ],
)
def test_what_is_no_candidate_is_never_guessed(text: str) -> None:
    assert _guessed(text) is None


def test_a_source_named_beside_the_app_leaves_the_app() -> None:
    assert _guessed("Workday has my new title but Box still shows the old one") == "Box"
    assert _guessed("title is right in slack, wrong in zoom") == "Zoom"
    assert _guessed("synced from slack to zoom and my title is off there") == "Zoom"


def test_two_apps_named_are_asked_with_both_first() -> None:
    guess = guess_app("my title is old in Slack and in Zoom", CHOICES, OTHERS)
    assert guess.app is None
    assert [app.label for app in guess.first] == ["Slack", "Zoom"]
    ordered = menu(guess, CHOICES, 100)
    assert [app.label for app in ordered[:2]] == ["Slack", "Zoom"]
    assert sorted(app.id for app in ordered) == sorted(app.id for app in CHOICES)
    assert len(menu(guess, CHOICES, 3)) == 3


def test_an_app_named_as_the_source_only_is_offered_not_guessed() -> None:
    guess = guess_app("Box has the right title", CHOICES, OTHERS)
    assert guess.app is None and [app.label for app in guess.first] == ["Box"]


def test_a_nickname_shared_by_two_instances_names_the_authors_one() -> None:
    assert _guessed("sfdc shows my old title") == "Salesforce"
    both = candidates([BY_LABEL["Salesforce"], BY_LABEL["Salesforce Sandbox"]])
    guess = guess_app("sfdc shows my old title", both)
    assert guess.app is None and len(guess.first) == 2


def test_everyday_names_reach_the_okta_app() -> None:
    for text, label in [
        ("O365 has my old title", "Microsoft Office 365"),
        ("my title in ms teams is old", "Microsoft Office 365"),
        ("gsuite still shows my old title", "Google Workspace"),
        ("G Suite still shows my old title", "Google Workspace"),
        ("box.com still shows my old title", "Box"),
        ("zoom still shows my old title", "Zoom"),
    ]:
        assert _guessed(text) == label, text


def test_office_alone_is_offered_but_neither_guessed_nor_a_city() -> None:
    guess = guess_app("my office moved and my title is old", CHOICES, OTHERS)
    assert guess.app is None
    assert [app.label for app in guess.first] == ["Microsoft Office 365"]
    assert guess_attribute("my office moved") is None
    assert _guessed("my title is still wrong in office") == "Microsoft Office 365"


def test_slack_markup_is_not_read_as_words() -> None:
    text = "<@U0BOXER> <#C0ZOOM|zoom-help> :slack: my title in <https://box.com/x|Box> is old"
    assert _guessed(text) == "Box"
    assert _guessed("see <https://zoom.us/profile> my title is old") is None


@pytest.mark.parametrize(
    ("text", "attribute"),
    [
        ("my desk phone is wrong", "primaryPhone"),
        ("my work phone is wrong", "primaryPhone"),
        ("my cell is wrong", "mobilePhone"),
        ("my surname is wrong", "lastName"),
        ("my job title is wrong", "title"),
        ("my employee id is wrong", "employeeNumber"),
        ("my cost center is wrong", "costCenter"),
        ("my dept is wrong", "department"),
        ("my depatment is wrong", "department"),
        ("my phone number is wrong", None),
        ("my office location is wrong", None),
        ("I got an email about my account", None),
        ("my title and my department are wrong", None),
        ("my title is Manager but should be Director", "title"),
        ("gmail is wrong", None),
    ],
)
def test_attribute_words(text: str, attribute: str | None) -> None:
    assert guess_attribute(text, ORG) == attribute


def test_the_attribute_table_holds_no_app_name() -> None:
    app_names = {
        name.casefold()
        for names in (*APP_NICKNAMES.values(), *WEAK_NICKNAMES.values(), *OKTA_NAMES)
        for name in names
    }
    assert not set(ATTRIBUTE_WORDS) & app_names
