"""App user syncState/status, and pending changes (Okta profile updated after the last sync)."""

from __future__ import annotations

from checks import links
from checks.common import PENDING_GRACE, ago, provisioned_app, when
from checks.facts import Facts, gathered
from checks.model import Finding, Fix, Status

CHECK = "sync_state"


async def run(facts: Facts) -> Finding:
    asked = facts.user(), facts.app_user()  # fetched meanwhile
    app, _ = await provisioned_app(facts)
    user, app_user = await gathered(*asked)
    link = links.tasks(facts.okta.org_url)
    evidence = (
        ("Sync state", app_user.sync_state or "(not reported)"),
        ("Okta profile updated", when(user.last_updated, facts.now)),
        ("Last sync to the app", when(app_user.last_sync, facts.now)),
    )
    retry = Fix(
        "retry_push",
        False,
        "Retry the failed task in Dashboard > Tasks (Okta has no API for it), then re-check.",
    )
    if app_user.sync_state == "ERROR":
        title = f"Okta's last provisioning operation for {user.display_name} in {app.label} failed."
        detail = "The failed task must be resolved in Dashboard > Tasks before Okta retries."
        return Finding(CHECK, Status.PROBLEM, title, detail, retry, link, evidence)
    changed_since_sync = user.last_updated is not None and (
        app_user.last_sync is None or user.last_updated > app_user.last_sync
    )
    if app_user.sync_state in ("OUT_OF_SYNC", "SYNCING") or changed_since_sync:
        age = facts.now - user.last_updated if user.last_updated else None
        if age is not None and age < PENDING_GRACE:
            title = (
                f"{user.display_name}'s Okta profile changed {ago(user.last_updated, facts.now)}; "
                f"the push to {app.label} may still be on its way."
            )
            detail = "Okta pushes in the background; re-check in a few minutes."
            return Finding(CHECK, Status.WARNING, title, detail, None, link, evidence)
        title = (
            f"{user.display_name}'s Okta profile changed {ago(user.last_updated, facts.now)} "
            f"but was not pushed to {app.label} (last sync {ago(app_user.last_sync, facts.now)})."
        )
        return Finding(CHECK, Status.PROBLEM, title, "", retry, link, evidence)
    if app_user.sync_state == "DISABLED":
        title = f"Okta does not sync {user.display_name}'s {app.label} account (sync DISABLED)."
        return Finding(CHECK, Status.WARNING, title, "", None, link, evidence)
    title = f"{user.display_name}'s {app.label} account is in sync with Okta."
    return Finding(CHECK, Status.OK, title, "", None, link, evidence)
