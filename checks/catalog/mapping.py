"""Is the app attribute mapped from the right Okta attribute, on create *and update*?
[Attribute Mappings]"""

from __future__ import annotations

from datetime import datetime

from checks import links
from checks.attributes import AttributeView, for_facts, shown
from checks.common import ago
from checks.facts import Facts
from checks.model import Finding, Fix, Status
from checks.remediation.mapping import FIX

CHECK = "mapping"

_APPLIED = {"PUSH": "on create and update", "DONT_PUSH": "on create only"}


def _row(view: AttributeView, now: datetime) -> tuple[str, str]:
    mapped = (
        "not mapped"
        if view.prop is None
        else f"{view.prop.expression} ({_APPLIED.get(view.prop.push_status, '?')})"
    )
    if view.changed is not None:
        mapped += f" · user.{view.okta_name} changed in Okta {ago(view.changed, now)}"
    return view.name, mapped


def _values(view: AttributeView, label: str) -> str:
    """Okta's value now beside Okta's copy of the app user (what was last pushed)."""
    return f"Okta has {shown(view.okta_value)}; Okta's {label} user has {shown(view.app_value)}"


def _faults(view: AttributeView, label: str) -> list[tuple[str, str]]:
    """(what is wrong, what the fix changes) for one attribute."""
    source = f"user.{view.okta_name}"
    found = []
    if view.unmapped:
        found.append(
            (
                f"{label}'s {view.name} is not mapped from Okta, so Okta never sends it "
                f"({_values(view, label)}).",
                f"map {view.name} from {source}",
            )
        )
    if view.wrong_source and view.prop is not None:
        found.append(
            (
                f"{label}'s {view.name} is mapped from {view.prop.expression}, not {source}, so "
                f"a change to {view.okta_name} in Okta never reaches {label} "
                f"({_values(view, label)}).",
                f"map {view.name} from {source} instead of {view.prop.expression}",
            )
        )
    if view.create_only:
        found.append(
            (
                f'{label}\'s {view.name} is set to "Apply mapping on user create only", so '
                "changes after the account was created are not sent.",
                f'set {view.name} to "Apply mapping on user create and update"',
            )
        )
    return found


async def run(facts: Facts) -> Finding:
    mapped = await for_facts(facts)
    user, app = mapped.user, mapped.app
    link = links.profile_editor(facts.okta.org_url, app)
    if mapped.mapping is None:
        title = (
            f"No Okta-to-{app.label} mapping exists for {user.display_name}'s user type, so "
            "Okta sends no attributes."
        )
        fix = Fix(FIX, False, f"Create the Okta to {app.label} mappings in Profile Editor.")
        return Finding(CHECK, Status.PROBLEM, title, fix=fix, link=link)
    evidence = tuple(_row(v, facts.now) for v in mapped.views)
    faults = [fault for v in mapped.views for fault in _faults(v, app.label)]
    if not faults:
        if facts.attribute and mapped.views and mapped.views[0].prop is not None:
            view = mapped.views[0]
            title = f"{app.label}'s {view.name} is mapped from {_row(view, facts.now)[1]}."
        else:
            title = f"{app.label}'s mapped attributes are applied on create and update."
        return Finding(CHECK, Status.OK, title, link=link, evidence=evidence)
    title = (
        faults[0][0]
        if len(faults) == 1
        else (f"{len(faults)} attribute mappings keep Okta's changes from reaching {app.label}.")
    )
    listed = faults if len(faults) > 1 else []  # a single fault is the title already
    detail = "".join(f"{problem}\n" for problem, _ in listed)
    detail += f"See Directory > Profile Editor > {app.label} > Mappings > Okta to {app.label}."
    summary = "In the Okta to " + app.label + " mapping: " + "; ".join(c for _, c in faults) + "."
    fix = Fix(FIX, True, summary[0].upper() + summary[1:])
    return Finding(CHECK, Status.PROBLEM, title, detail, fix, link, evidence)
