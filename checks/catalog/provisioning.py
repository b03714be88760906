"""Is provisioning (To App) enabled for the app at all?"""

from __future__ import annotations

from checks import links
from checks.common import TO_APP_FEATURES, provisioning_on
from checks.facts import Facts, gathered
from checks.model import Finding, Fix, Status

CHECK = "provisioning"


async def run(facts: Facts) -> Finding:
    app, feature = await gathered(facts.app(), facts.feature())
    link = links.provisioning(facts.okta.org_url, app)
    enabled = sorted(app.features & TO_APP_FEATURES)
    evidence = (("To App features", ", ".join(enabled) or "none"),)
    if provisioning_on(app, feature):
        title = f"Provisioning to {app.label} is on."
        return Finding(CHECK, Status.OK, title, link=link, evidence=evidence)
    title = f"Provisioning to {app.label} is off, so Okta never sends profile changes to it."
    detail = (
        f"In {app.label} > Provisioning, enable API integration, then under To App enable "
        "Update User Attributes. If the app does not offer provisioning, changes must be made "
        "in the app itself."
    )
    fix = Fix("enable_provisioning", False, f"Enable provisioning for {app.label} in the console.")
    return Finding(CHECK, Status.PROBLEM, title, detail, fix=fix, link=link, evidence=evidence)
