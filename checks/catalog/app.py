"""Does the app instance exist, is it unambiguous and ACTIVE?"""

from __future__ import annotations

from checks import links
from checks.errors import AppNotFound
from checks.facts import Facts
from checks.model import Finding, Status

CHECK = "app"


async def run(facts: Facts) -> Finding:
    try:
        app = await facts.app()
    except AppNotFound as exc:
        listed = "Candidates: " + "; ".join(exc.candidates) + ". " if exc.candidates else ""
        detail = listed + exc.advice
        return Finding(CHECK, Status.PROBLEM, str(exc), detail)
    link = links.app_tab(facts.okta.org_url, app, "general")
    evidence = (("App", f"{app.label} ({app.name}, {app.id})"), ("Status", app.status))
    if app.status == "ACTIVE":
        return Finding(
            CHECK, Status.OK, f"{app.label} is an active app.", link=link, evidence=evidence
        )
    title = f"{app.label} is {app.status} in Okta, so Okta pushes nothing to it."
    detail = "Activate the app in Applications > Applications > Active if it is still in use."
    return Finding(CHECK, Status.PROBLEM, title, detail, link=link, evidence=evidence)
