"""Recent failed profile pushes / integration errors for this user and app in the System Log."""

from __future__ import annotations

from checks import links
from checks.common import (
    PUSH_EVENTS,
    last_push_success,
    newer_than,
    provisioned_app,
    times,
    when,
    when_event,
)
from checks.facts import Facts, gathered
from checks.model import Finding, Fix, Status

CHECK = "push_errors"
SHOWN = 5


async def run(facts: Facts) -> Finding:
    asked = facts.user(), facts.log_events()  # fetched meanwhile
    app, _ = await provisioned_app(facts)
    user, events = await gathered(*asked)
    link = links.system_log(facts.okta.org_url, user.id, app.id)
    mine = [e for e in events if e.event_type in PUSH_EVENTS and user.id in e.target_ids]
    last_success = last_push_success(mine, user.id)
    failed = [e for e in newer_than(mine, last_success) if e.result == "FAILURE"]
    evidence = [("Last successful push", when_event(last_success, facts.now))]
    for event in failed[:SHOWN]:
        legacy = f" [{event.legacy_event_type}]" if event.legacy_event_type else ""
        evidence.append(
            (when(event.published, facts.now), f"{event.reason or event.display_message}{legacy}")
        )
    if len(failed) > SHOWN:
        evidence.append(("…", f"{len(failed) - SHOWN} more failed pushes"))
    if not failed:
        older = sum(1 for e in mine if e.result == "FAILURE")
        title = (
            f"No failed pushes to {app.label} for {user.display_name} since the last success."
            if older
            else f"No failed pushes to {app.label} for {user.display_name} in the last 7 days."
        )
        return Finding(CHECK, Status.OK, title, link=link, evidence=tuple(evidence))
    newest = failed[0]
    title = (
        f"Okta's push of {user.display_name}'s profile to {app.label} failed {times(len(failed))} "
        f"since the last success: {newest.reason or newest.display_message}"
    )
    detail = (
        "The newest failure's reason names what the app refused; fix that, then retry the task."
    )
    fix = Fix(
        "retry_push",
        False,
        "Fix the cause the error names, then retry the task in Dashboard > Tasks.",
    )
    return Finding(CHECK, Status.PROBLEM, title, detail, fix, link, tuple(evidence))
