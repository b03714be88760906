"""Does the app user have an external ID? [External ID]"""

from __future__ import annotations

import asyncio

from checks import links
from checks.common import deactivate_users_on, provisioned_app, when
from checks.facts import FEATURES_API_APPS, Facts
from checks.model import Finding, Fix, Status

CHECK = "external_id"


async def run(facts: Facts) -> Finding:
    (app, feature), user, app_user = await asyncio.gather(
        provisioned_app(facts), facts.user(), facts.app_user()
    )
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
    if app_user.scope == "GROUP":
        detail += " The assignment comes from a group, so convert it to an individual one first."
    deactivating = deactivate_users_on(app, feature)
    if deactivating and app.name not in FEATURES_API_APPS:
        detail += (
            f' "Deactivate Users" is on and Okta\'s API cannot switch it off for {app.label}: '
            f"an unassign now would deactivate the {app.label} account. Switch it off in "
            f"{app.label} > Provisioning > To App, then re-check to get the automated relink."
        )
        fix = Fix(
            "relink",
            False,
            f"Switch off Deactivate Users for {app.label}, then unassign and reassign "
            f"{user.login}.",
        )
    else:
        switch = " with Deactivate Users switched off meanwhile" if deactivating else ""
        fix = Fix(
            "relink",
            True,
            f"Unassign and reassign {user.login} in {app.label}{switch}, keeping the username.",
        )
    return Finding(CHECK, Status.PROBLEM, title, detail, fix, link, evidence)
