"""Is the assignment group-based (unassign greyed out)? [External ID, last steps]"""

from __future__ import annotations

from checks import links
from checks.facts import Facts, gathered
from checks.model import Finding, Fix, Status
from checks.remediation import convert_assignment

CHECK = "group_assignment"


async def run(facts: Facts) -> Finding:
    # The groups are asked for alongside the app user, not after it (see Facts.granting_groups).
    user, app, app_user, groups = await gathered(
        facts.user(), facts.app(), facts.app_user(), facts.granting_groups()
    )
    link = links.assignments(facts.okta.org_url, app)
    if app_user.scope != "GROUP":
        title = f"{user.display_name} is assigned to {app.label} individually."
        return Finding(CHECK, Status.OK, title, link=link, evidence=(("Scope", app_user.scope),))
    names = ", ".join(g.name for g in groups) or "a group (not readable)"
    evidence: tuple[tuple[str, str], ...] = (("Scope", "GROUP"), ("Through", names))
    if app_user.group_id:
        linked = next((g.name for g in groups if g.id == app_user.group_id), app_user.group_id)
        evidence += (("Profile from", f"{linked} (the group Okta names on the assignment)"),)
    title = f"{user.display_name} gets {app.label} through {names}, so Unassign is greyed out."
    if app_user.external_id:
        return Finding(CHECK, Status.OK, title, link=link, evidence=evidence)
    detail = (
        "Relinking needs an unassign; convert the assignment to an individual one first "
        "(pencil icon > Assignment Master: Administrator), or unassign the group."
    )
    fix = Fix(
        convert_assignment.FIX,
        True,
        f"Convert {user.login}'s {app.label} assignment from group to individual.",
    )
    return Finding(CHECK, Status.WARNING, title, detail, fix, link, evidence)
