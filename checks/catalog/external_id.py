"""Does the app user have an external ID? [External ID]"""

from __future__ import annotations

from checks import links
from checks.common import deactivate_users_on, provisioned_app, when
from checks.facts import Facts, gathered
from checks.model import Finding, Fix, Status
from checks.remediation import relink

CHECK = "external_id"


async def run(facts: Facts) -> Finding:
    asked = facts.user(), facts.app_user()  # fetched meanwhile
    app, feature = await provisioned_app(facts)
    user, app_user = await gathered(*asked)
    link = links.assignments(facts.okta.org_url, app)
    evidence = (
        ("External ID", app_user.external_id or "(none)"),
        ("App user status", app_user.status),
        ("Last sync", when(app_user.last_sync, facts.now)),
    )
    if app_user.external_id:
        title = f"{user.display_name}'s {app.label} account is linked (external ID present)."
        return Finding(CHECK, Status.OK, title, link=link, evidence=evidence)
    title = (
        f"{user.display_name}'s {app.label} assignment has no external ID, so Okta cannot tell "
        f"which {app.label} account to update."
    )
    detail = (
        "This happens when a user is assigned before provisioning is enabled. The cure is to "
        "unassign and reassign the user while provisioning is on (test with one user first)."
    )
    # The relink module alone decides whether the relink can be automated now.
    blocked = await relink.blocker(facts)
    if blocked:
        detail += " " + blocked
        fix = Fix(relink.FIX, False, blocked)
    else:
        switch = (
            " with Deactivate Users switched off meanwhile"
            if deactivate_users_on(app, feature)
            else ""
        )
        fix = Fix(
            relink.FIX,
            True,
            f"Unassign and reassign {user.login} in {app.label}{switch}, keeping the username.",
        )
    return Finding(CHECK, Status.PROBLEM, title, detail, fix, link, evidence)
