"""Convert a group assignment to an individual one (`{"scope": "USER"}` on the app user)."""

from __future__ import annotations

from checks.facts import Facts, gathered
from checks.remediation.model import NothingToDo, Plan, Probe, Step

FIX = "convert_assignment"
CHECK = "group_assignment"
PER_USER = True
"""It changes one user's assignment: a scan's bulk fix runs it user by user."""


async def plan(facts: Facts) -> Plan:
    user, app, app_user = await gathered(facts.user(), facts.app(), facts.app_user())
    if app_user.scope != "GROUP":
        raise NothingToDo(f"{user.login} is already assigned to {app.label} individually.")
    path = f"/api/v1/apps/{app.id}/users/{user.id}"
    return Plan.of(
        FIX,
        CHECK,
        user,
        app,
        summary=f"Convert {user.login}'s {app.label} assignment from group to individual.",
        affects=f"One user: {user.login}.",
        risk=(
            f"{user.login} keeps {app.label} even after leaving the group, until unassigned "
            "individually."
        ),
        steps=(
            Step(
                f"Make {user.login}'s {app.label} assignment individual",
                "POST",
                path,
                {"scope": "USER"},
                probe=Probe(path, (("scope", "USER"),)),
            ),
        ),
    )
