"""Restore a missing external ID: the article's unassign and reassign, made safe.

Deactivate Users is switched off for the duration where the features API allows it and
restored afterwards; where it cannot be (Box, custom SCIM apps) and it is on, there is no
automated fix, since the unassign would deactivate the user's account in the app.
"""

from __future__ import annotations

from checks.common import deactivate_users_on
from checks.facts import FEATURES_API_APPS, Facts, gathered
from checks.remediation.model import NotAutomatable, NothingToDo, Plan, Probe, Step

FIX = "relink"
CHECK = "external_id"
PER_USER = True
"""It changes one user's assignment: a scan's bulk fix runs it user by user."""


async def blocker(facts: Facts) -> str | None:
    """Why the relink cannot be automated for these facts now (and what to do), if it cannot."""
    user, app, feature, app_user = await gathered(
        facts.user(), facts.app(), facts.feature(), facts.app_user()
    )
    if app_user.scope == "GROUP":
        groups = ", ".join(g.name for g in await facts.granting_groups()) or "a group"
        return (
            f"{user.login} gets {app.label} through {groups}, and Okta refuses to unassign a "
            "user a group still grants the app: convert the assignment to an individual one "
            "(or remove them from the group), then re-check."
        )
    if deactivate_users_on(app, feature) and app.name not in FEATURES_API_APPS:
        return (
            f'"Deactivate Users" is on for {app.label} and Okta\'s API cannot switch it off, so '
            f"unassigning {user.login} would deactivate their {app.label} account. Switch it off "
            f"in {app.label} > Provisioning > To App, then re-check to get the automated relink."
        )
    return None


async def plan(facts: Facts) -> Plan:
    user, app, feature, app_user, mapping = await gathered(
        facts.user(), facts.app(), facts.feature(), facts.app_user(), facts.mapping()
    )
    if app_user.external_id:
        raise NothingToDo(f"{user.login}'s {app.label} account is linked already.")
    blocked = await blocker(facts)
    if blocked:
        raise NotAutomatable(blocked)
    deactivating = deactivate_users_on(app, feature)
    mapped = set(mapping.properties) if mapping else set()
    # Mapped attributes are Okta's to set; only the others are given back on reassignment.
    kept = {k: v for k, v in sorted(app_user.profile.items()) if k not in mapped and v is not None}
    features = f"/api/v1/apps/{app.id}/features/USER_PROVISIONING"
    app_user_path = f"/api/v1/apps/{app.id}/users/{user.id}"
    deactivation = "capabilities.update.lifecycleDeactivate.status"
    reassign: dict[str, object] = {"id": user.id, "scope": "USER"}
    if app_user.user_name:
        reassign["credentials"] = {"userName": app_user.user_name}
    if kept:
        reassign["profile"] = kept
    first = 1 if deactivating else 0
    steps: list[Step] = []
    if deactivating:
        steps.append(
            Step(
                f"Switch off Deactivate Users for {app.label} for the duration",
                "PUT",
                features,
                {"update": {"lifecycleDeactivate": {"status": "DISABLED"}}},
                probe=Probe(features, ((deactivation, "DISABLED"),)),
            )
        )
    steps += [
        Step(
            f"Unassign {user.login} from {app.label} (no email)",
            "DELETE",
            f"{app_user_path}?sendEmail=false",
            probe=Probe(app_user_path, absent=True),
            gone_is_done=True,
        ),
        Step(
            f"Reassign {user.login} to {app.label} with the same username",
            "POST",
            f"/api/v1/apps/{app.id}/users",
            reassign,
            probe=Probe(app_user_path, (("scope", "USER"),)),
            restores=first,
        ),
        Step(
            f"Wait for {app.label} to report the new external ID",
            "GET",
            app_user_path,
            until="externalId",
        ),
    ]
    if deactivating:
        steps.append(
            Step(
                f"Switch Deactivate Users back on for {app.label}",
                "PUT",
                features,
                {"update": {"lifecycleDeactivate": {"status": "ENABLED"}}},
                probe=Probe(features, ((deactivation, "ENABLED"),)),
                restores=0,
            )
        )
    return Plan.of(
        FIX,
        CHECK,
        user,
        app,
        summary=f"Unassign and reassign {user.login} in {app.label} to link their account.",
        affects=f"One user: {user.login}.",
        risk=(
            f"For a moment {user.login} has no {app.label} assignment; if {app.label} matches "
            "accounts by something other than the username, a new account may be created."
        ),
        steps=tuple(steps),
        holds_app=True,
        manual=(
            f"In the Okta admin console: Applications > {app.label} > Assignments > Assign > "
            f"Assign to People, assign {user.login} with username "
            f"{app_user.user_name or user.login}"
            + (
                f"; then {app.label} > Provisioning > To App: tick Deactivate Users and Save."
                if deactivating
                else "."
            )
        ),
    )
