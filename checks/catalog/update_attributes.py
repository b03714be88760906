"""Is "Update User Attributes" enabled? [Update User Attributes]"""

from __future__ import annotations

from checks import links
from checks.common import provisioned_app, update_attributes_on
from checks.facts import Facts
from checks.model import Finding, Fix, Status
from checks.remediation import update_attributes

CHECK = "update_attributes"


async def run(facts: Facts) -> Finding:
    app, feature = await provisioned_app(facts)
    link = links.provisioning(facts.okta.org_url, app)
    source = "features API" if feature is not None else "app features"
    if update_attributes_on(app, feature):
        title = f"Update User Attributes is on for {app.label}."
        return Finding(CHECK, Status.OK, title, link=link, evidence=(("Read from", source),))
    title = (
        f'"Update User Attributes" is off for {app.label}, so Okta never sends changed '
        "attributes to it."
    )
    blocked = await update_attributes.blocker(facts)
    if blocked:
        fix = Fix(update_attributes.FIX, False, blocked)
        detail = f"Okta's API cannot change this setting for {app.label}; it is a console step."
    else:
        fix = Fix(
            update_attributes.FIX,
            True,
            f"Turn on Update User Attributes for {app.label} through Okta's features API.",
        )
        detail = "attrsync can switch it on after a second person approves."
    return Finding(CHECK, Status.PROBLEM, title, detail, fix, link, (("Read from", source),))
