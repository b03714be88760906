"""Is the user assigned to the app at all?"""

from __future__ import annotations

from checks import links
from checks.common import when
from checks.errors import NotAssigned
from checks.facts import Facts, gathered
from checks.model import Finding, Fix, Status

CHECK = "assignment"

_GONE = frozenset({"DEPROVISIONED", "REVOKED", "UNASSIGNED"})
_PAUSED = frozenset({"INACTIVE", "SUSPENDED"})


async def run(facts: Facts) -> Finding:
    user, app = await gathered(facts.user(), facts.app())
    link = links.assignments(facts.okta.org_url, app)
    try:
        app_user = await facts.app_user()
    except NotAssigned:
        title = f"{user.display_name} is not assigned to {app.label}, so Okta sends them nothing."
        fix = Fix("assign", False, f"Assign {user.login} to {app.label} (Assignments > Assign).")
        return Finding(CHECK, Status.PROBLEM, title, fix=fix, link=link)
    how = "through a group" if app_user.scope == "GROUP" else "individually"
    evidence = (
        ("Assigned", how),
        ("App user status", f"{app_user.status} since {when(app_user.status_changed, facts.now)}"),
        ("App username", app_user.user_name or "(none)"),
    )
    if app_user.status in _GONE:
        title = f"{user.display_name}'s {app.label} account is {app_user.status}."
        detail = "Okta no longer manages this account; reassigning the user re-provisions it."
        return Finding(CHECK, Status.PROBLEM, title, detail, link=link, evidence=evidence)
    if app_user.status in _PAUSED:
        title = f"{user.display_name}'s {app.label} account is {app_user.status}."
        return Finding(CHECK, Status.WARNING, title, link=link, evidence=evidence)
    title = f"{user.display_name} is assigned to {app.label} {how}."
    return Finding(CHECK, Status.OK, title, link=link, evidence=evidence)
