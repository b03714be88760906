"""Turn on "Update User Attributes" through the features API (the apps Okta supports)."""

from __future__ import annotations

from checks.common import update_attributes_on
from checks.facts import FEATURES_API_APPS, Facts, gathered
from checks.remediation.model import NotAutomatable, NothingToDo, Plan, Probe, Step

FIX = "enable_update_attributes"
CHECK = "update_attributes"
PER_USER = False
"""It changes the app for every user at once."""


async def blocker(facts: Facts) -> str | None:
    app = await facts.app()
    if app.name in FEATURES_API_APPS:
        return None
    return (
        f"Okta's API cannot change Update User Attributes for {app.label}: in {app.label} > "
        "Provisioning > To App: Edit, tick Update User Attributes, Save; then re-check."
    )


async def plan(facts: Facts) -> Plan:
    user, app, feature = await gathered(facts.user(), facts.app(), facts.feature())
    blocked = await blocker(facts)
    if blocked:
        raise NotAutomatable(blocked)
    if update_attributes_on(app, feature):
        raise NothingToDo(f"Update User Attributes is already on for {app.label}.")
    features = f"/api/v1/apps/{app.id}/features/USER_PROVISIONING"
    return Plan.of(
        FIX,
        CHECK,
        user,
        app,
        summary=f"Turn on Update User Attributes for {app.label}.",
        affects=f"Every user assigned to {app.label}: Okta pushes their profile changes from now.",
        risk=(
            f"Values edited directly in {app.label} for mapped attributes are overwritten by "
            "Okta's values at the next change."
        ),
        steps=(
            Step(
                f"Turn on Update User Attributes for {app.label}",
                "PUT",
                features,
                {"update": {"profile": {"status": "ENABLED"}}},
                probe=Probe(features, (("capabilities.update.profile.status", "ENABLED"),)),
            ),
        ),
    )
