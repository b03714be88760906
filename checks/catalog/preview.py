"""What value would Okta send (the mapping evaluated for this user) vs the app user's value?
[Preview]"""

from __future__ import annotations

from checks import links
from checks.attributes import AttributeView, for_facts, shown
from checks.errors import Unresolved
from checks.facts import Facts
from checks.model import Finding, Status

CHECK = "preview"


def _row(view: AttributeView, label: str) -> tuple[str, str]:
    okta = f"Okta {shown(view.okta_value)}" if view.okta_name else "no Okta attribute"
    if view.prop is None:
        sends = "not mapped"
    elif view.cannot_evaluate:
        sends = view.cannot_evaluate
    else:
        sends = f"mapping gives {shown(view.would_send)}"
    return view.name, f"{okta} · {sends} · {label} user has {shown(view.app_value)}"


async def run(facts: Facts) -> Finding:
    mapped = await for_facts(facts)
    await facts.app_user()  # without an app user there is nothing to compare with
    user, app = mapped.user, mapped.app
    if mapped.mapping is None:
        raise Unresolved("there is no mapping to evaluate")
    link = links.profile_editor(facts.okta.org_url, app)
    views = [v for v in mapped.views if v.prop is not None]
    evidence = tuple(_row(v, app.label) for v in mapped.views)
    differing = [v for v in views if v.differs]
    unknown = [v for v in views if v.cannot_evaluate]
    if differing:
        names = ", ".join(v.name for v in differing)
        first = differing[0]
        title = (
            f"Okta's mapping gives {first.name} = {shown(first.would_send)} for "
            f"{user.display_name}, but Okta's {app.label} user still has "
            f"{shown(first.app_value)}."
            if len(differing) == 1
            else f"{len(differing)} {app.label} attributes differ from what the mapping gives: "
            f"{names}."
        )
        detail = (
            "Okta's copy of the app user was not updated from the mapping, so the old value is "
            "what Okta pushes."
        )
        return Finding(CHECK, Status.PROBLEM, title, detail, link=link, evidence=evidence)
    if unknown and len(unknown) == len(views):
        title = unknown[0].cannot_evaluate or "cannot evaluate locally"
        detail = "Use Preview in Profile Editor > Mappings to see the value Okta sends."
        return Finding(CHECK, Status.UNKNOWN, title, detail, link=link, evidence=evidence)
    title = (
        f"Okta's {app.label} user holds what the mapping gives for {user.display_name}."
        if views
        else f"No mapped {app.label} attribute to preview."
    )
    detail = "" if not unknown else "Not evaluated locally: " + ", ".join(v.name for v in unknown)
    return Finding(CHECK, Status.OK, title, detail, link=link, evidence=evidence)
