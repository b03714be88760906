"""Apply a mapping on create and update, or map an attribute from the Okta one that changed."""

from __future__ import annotations

from typing import Any

from checks.attributes import AttributeView, for_facts
from checks.facts import Facts
from checks.remediation.model import NothingToDo, Plan, Probe, Step

FIX = "mapping"
CHECK = "mapping"
PER_USER = False
"""It changes the app for every user at once."""


def _property(view: AttributeView) -> dict[str, Any] | None:
    """The mapping property that mends this attribute, or None if it needs nothing."""
    if (view.unmapped or view.wrong_source) and view.okta_name:
        return {"expression": f"user.{view.okta_name}", "pushStatus": "PUSH"}
    if view.create_only and view.prop is not None:
        return {"expression": view.prop.expression, "pushStatus": "PUSH"}
    return None


async def plan(facts: Facts) -> Plan:
    mapped = await for_facts(facts)
    user, app, mapping = mapped.user, mapped.app, mapped.mapping
    mends = {v.name: p for v in mapped.views if (p := _property(v)) is not None}
    if mapping is None or not mends:
        raise NothingToDo(f"The Okta to {app.label} mapping needs no change.")
    described = "; ".join(
        f"{name} from {p['expression']} on create and update" for name, p in sorted(mends.items())
    )
    path = f"/api/v1/mappings/{mapping.id}"
    expect = tuple(
        (f"properties.{name}.{field}", prop[field])
        for name, prop in sorted(mends.items())
        for field in ("expression", "pushStatus")
    )
    return Plan.of(
        FIX,
        CHECK,
        user,
        app,
        summary=f"In the Okta to {app.label} mapping, map {described}.",
        affects=f"Every user assigned to {app.label} whose profile has these attributes.",
        risk=(
            f"Saving a mapping can trigger a profile push to every user assigned to {app.label}, "
            "overwriting values edited in the app."
        ),
        steps=(
            Step(
                f"Update the Okta to {app.label} mapping: {described}",
                "POST",
                path,
                {"properties": dict(sorted(mends.items()))},
                probe=Probe(path, expect),
            ),
        ),
    )
