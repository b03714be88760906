"""Push username changes to the app: its username template's `pushStatus` set to PUSH.

Okta changes an app's settings only by replacing the whole app (`PUT /api/v1/apps/{id}`),
so the body is the app exactly as Okta holds it now with that one field changed; the fields
Okta assigns itself are left out (it ignores them). An approval is for that exact body: if
anything in the app changes before the run, the plan's digest changes and it does not run.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from checks.facts import Facts, gathered
from checks.remediation.model import NotAutomatable, NothingToDo, Plan, Probe, Step

FIX = "username_push"
CHECK = "profile_source"
PER_USER = False
"""It changes the app for every user at once."""

ASSIGNED_BY_OKTA = ("id", "created", "lastUpdated", "status", "features", "_links", "_embedded")
"""Read-only fields of an app (the spec: Okta ignores them in a PUT)."""
_SECRET = re.compile(r"secret|password|token|private", re.IGNORECASE)


async def blocker(facts: Facts) -> str | None:
    app = await facts.app()
    manual = (
        f'In {app.label} > Sign On > Settings: Edit, set "Update application username on" to '
        '"Create and update", Save; then re-check.'
    )
    if app.username_push is None:
        return f"Okta names no username push setting for {app.label}. {manual}"
    if _holds_secret(await facts.app_object()):
        # The body of a full PUT is shown to the approvers and kept with the request.
        return f"{app.label}'s settings hold a secret that a fix request must not show. {manual}"
    return None


async def plan(facts: Facts) -> Plan:
    user, app = await gathered(facts.user(), facts.app())
    if app.username_push == "PUSH":
        raise NothingToDo(f"{app.label} already pushes username changes.")
    blocked = await blocker(facts)
    if blocked:
        raise NotAutomatable(blocked)
    body = _replacement(await facts.app_object())
    path = f"/api/v1/apps/{app.id}"
    return Plan.of(
        FIX,
        CHECK,
        user,
        app,
        summary=f"Make {app.label} update usernames on create and update.",
        affects=f"Every user assigned to {app.label}: a login change in Okta reaches it.",
        risk=(
            f"{app.label} usernames that differ from the username template are changed to "
            "the template's value at the user's next update."
        ),
        steps=(
            Step(
                f"Set {app.label}'s username template to push on update",
                "PUT",
                path,
                body,
                probe=Probe(path, (("credentials.userNameTemplate.pushStatus", "PUSH"),)),
            ),
        ),
    )


def _replacement(current: dict[str, Any]) -> dict[str, Any]:
    body = {k: copy.deepcopy(v) for k, v in current.items() if k not in ASSIGNED_BY_OKTA}
    body["credentials"]["userNameTemplate"]["pushStatus"] = "PUSH"
    return body


def _holds_secret(value: Any) -> bool:
    if isinstance(value, dict):
        return any(
            (_SECRET.search(k) is not None and isinstance(v, str) and v != "") or _holds_secret(v)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return any(_holds_secret(v) for v in value)
    return False
