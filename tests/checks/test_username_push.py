"""The username_push fix end to end: the plan's one full PUT of the app, run through the real
adapter against the fake Okta, then a re-diagnosis that no longer names the cause."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from checks.diagnose import diagnose
from checks.facts import Facts
from checks.model import Status
from checks.okta import OktaClient
from checks.remediation.execute import Entry, execute
from checks.remediation.model import NotAutomatable, NothingToDo
from checks.remediation.registry import plan_fix
from checks.remediation.username_push import ASSIGNED_BY_OKTA
from fakes.okta.server import FakeOkta


class MemoryJournal:
    def __init__(self) -> None:
        self.steps: dict[int, Entry] = {}

    async def entries(self) -> Mapping[int, Entry]:
        return dict(self.steps)

    async def write(self, index: int, entry: Entry) -> None:
        self.steps[index] = entry


def _facts(okta: OktaClient, fake: FakeOkta) -> Facts:
    return Facts(okta, "uma.lake", "jira", "userName", now=fake.state.now())


async def test_the_plan_replaces_the_app_with_only_the_push_status_changed(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    jira = fake_okta.state.app("Jira")
    plan = await plan_fix("username_push", _facts(okta, fake_okta))
    (step,) = plan.steps
    assert (step.method, step.path) == ("PUT", f"/api/v1/apps/{jira['id']}")
    expected = {k: v for k, v in jira.items() if k not in ASSIGNED_BY_OKTA}
    expected["credentials"] = {
        **jira["credentials"],
        "userNameTemplate": {**jira["credentials"]["userNameTemplate"], "pushStatus": "PUSH"},
    }
    assert step.body == expected
    assert plan.scopes() == (f"{jira['id']}:{fake_okta.state.user('uma.lake')['id']}", jira["id"])

    outcome = await execute(okta, plan, MemoryJournal(), wait_limit=0.5, poll_interval=0.01)
    assert outcome.ok, outcome.error
    assert [(r.method, r.path) for r in fake_okta.mutations] == [("PUT", step.path)]
    assert jira["credentials"]["userNameTemplate"]["pushStatus"] == "PUSH"
    assert jira["signOnMode"] == "SAML_2_0" and "PUSH_PROFILE_UPDATES" in jira["features"]

    report = await diagnose(_facts(okta, fake_okta))
    finding = next(f for f in report.findings if f.check == "profile_source")
    assert finding.status is Status.OK
    with pytest.raises(NothingToDo):
        await plan_fix("username_push", _facts(okta, fake_okta))


async def test_a_changed_app_changes_the_digest(okta: OktaClient, fake_okta: FakeOkta) -> None:
    """The body is the app as it is: an approval is void once anything in it changes."""
    first = await plan_fix("username_push", _facts(okta, fake_okta))
    fake_okta.state.app("Jira")["label"] = "Jira Cloud"
    again = await plan_fix("username_push", _facts(okta, fake_okta))
    assert again.digest() != first.digest()


async def test_an_app_without_a_push_setting_is_left_to_the_console(
    okta: OktaClient, fake_okta: FakeOkta
) -> None:
    del fake_okta.state.app("Jira")["credentials"]["userNameTemplate"]["pushStatus"]
    with pytest.raises(NotAutomatable, match="Sign On > Settings"):
        await plan_fix("username_push", _facts(okta, fake_okta))
