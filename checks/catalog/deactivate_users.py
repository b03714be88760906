"""Is "Deactivate Users" on, so that an unassign would deprovision in the app? (safety)"""

from __future__ import annotations

from checks import links
from checks.common import deactivate_users_on, provisioned_app
from checks.facts import Facts
from checks.model import Finding, Status

CHECK = "deactivate_users"


async def run(facts: Facts) -> Finding:
    app, feature = await provisioned_app(facts)
    link = links.provisioning(facts.okta.org_url, app)
    if deactivate_users_on(app, feature):
        title = (
            f'"Deactivate Users" is on for {app.label}: unassigning a user deactivates their '
            f"{app.label} account."
        )
        detail = "Switch it off before any unassign/reassign, and back on afterwards."
        return Finding(CHECK, Status.WARNING, title, detail, link=link)
    title = f'"Deactivate Users" is off for {app.label}: an unassign leaves the account alone.'
    return Finding(CHECK, Status.OK, title, link=link)
