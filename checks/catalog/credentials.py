"""Are the app's provisioning API credentials working? [API Credentials]"""

from __future__ import annotations

from checks import links
from checks.common import (
    AUTH_FAILURE_EVENTS,
    last_push_success,
    newer_than,
    provisioned_app,
    times,
    when,
    when_event,
)
from checks.facts import Facts, gathered
from checks.model import Finding, Fix, Status

CHECK = "credentials"


async def run(facts: Facts) -> Finding:
    asked = facts.user(), facts.connection(), facts.log_events()  # fetched meanwhile
    app, _ = await provisioned_app(facts)
    user, connection, events = await gathered(*asked)
    link = links.provisioning(facts.okta.org_url, app)
    fix = Fix(
        "reenter_credentials",
        False,
        f"Re-enter the {app.label} admin credentials in Provisioning > Integration "
        "and click Test API Credentials.",
    )
    last_success = last_push_success(events, user.id)
    failures = [
        e
        for e in newer_than(events, last_success)
        if e.event_type in AUTH_FAILURE_EVENTS and app.id in e.target_ids
    ]
    evidence: list[tuple[str, str]] = []
    if connection is not None:
        scheme = f" ({connection.auth_scheme})" if connection.auth_scheme else ""
        evidence.append(("Connection", f"{connection.status}{scheme}"))
    evidence.append(("Last successful push", when_event(last_success, facts.now)))
    for event in failures[:3]:
        evidence.append((when(event.published, facts.now), event.reason or event.display_message))
    if failures:
        title = (
            f"Okta could not authenticate to {app.label}'s API {times(len(failures))} since the "
            "last successful push: the provisioning credentials are wrong or expired."
        )
        detail = (
            "The admin account behind the integration must be valid and allowed to update users."
        )
        return Finding(CHECK, Status.PROBLEM, title, detail, fix, link, tuple(evidence))
    if connection is not None and connection.status == "DISABLED":
        title = f"{app.label}'s provisioning connection is disabled, so Okta cannot call its API."
        return Finding(CHECK, Status.PROBLEM, title, "", fix, link, tuple(evidence))
    title = f"No authentication failures to {app.label}'s API in the System Log (7 days)."
    detail = (
        ""
        if connection is not None and connection.status == "ENABLED"
        else "Okta offers no API to test these credentials; the console's Test API Credentials "
        "button does."
    )
    return Finding(CHECK, Status.OK, title, detail, None, link, tuple(evidence))
