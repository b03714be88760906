"""The demo's Salesforce: 240 assigned users, some of them stuck for one reason or another, so
that `attrsync scan salesforce --demo` has something worth counting.

Provisioning was switched on after the first wave of assignments (those users have no external
ID), the title mapping applies on create only (everyone whose title changed since keeps the old
one), and a handful of pushes failed on a validation error.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from fakes.okta.shapes import JSON
from fakes.okta.state import OrgState

FIRST = ("Ana", "Ben", "Chen", "Dara", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jo", "Kai", "Lena")
LAST = ("Adams", "Baker", "Cruz", "Diaz", "Evans", "Fox", "Gray", "Hill", "Ito", "Jones", "Khan")
TITLES = ("Account Executive", "Sales Engineer", "Solutions Architect", "Sales Manager")
USERS = 240
BEFORE_PROVISIONING = 26
"""The first wave: assigned before provisioning was on, so they have no external ID."""
TITLE_CHANGED = 17
PUSH_FAILED = 6


def crowd_app(org: OrgState, name: str, label: str, now: datetime) -> JSON:
    """An app provisioned with pushes (Deactivate Users off) whose title mapping applies on
    create only."""
    app = org.add_app(
        name,
        label,
        features=("PUSH_NEW_USERS", "PUSH_PROFILE_UPDATES"),
        created=now - timedelta(days=700),
    )
    org.set_schema(app, custom={"title": {}})
    org.set_mapping(
        None,
        app,
        {
            "firstName": ("user.firstName", "PUSH"),
            "lastName": ("user.lastName", "PUSH"),
            "email": ("user.email", "PUSH"),
            "title": ("user.title", "DONT_PUSH"),
        },
    )
    return app


def add_salesforce(org: OrgState, now: datetime) -> None:
    rng = random.Random(4711)
    app = crowd_app(org, "salesforce", "Salesforce", now)
    for n in range(USERS):
        if n < BEFORE_PROVISIONING:
            kind = UNLINKED
        elif n < BEFORE_PROVISIONING + TITLE_CHANGED:
            kind = NEW_TITLE
        elif n < BEFORE_PROVISIONING + TITLE_CHANGED + PUSH_FAILED:
            kind = FAILED_PUSH
        else:
            kind = IN_SYNC
        first, last = rng.choice(FIRST), rng.choice(LAST)
        add_member(org, app, f"{first.lower()}.{last.lower()}{n:03d}", first, last, kind, rng, now)


UNLINKED, NEW_TITLE, FAILED_PUSH, IN_SYNC = "unlinked", "new title", "failed push", "in sync"


def add_member(
    org: OrgState,
    app: JSON,
    login: str,
    first: str,
    last: str,
    kind: str,
    rng: random.Random,
    now: datetime,
) -> JSON:
    """A user assigned to a crowd app: assigned before provisioning was on (`UNLINKED`), whose
    title changed since (`NEW_TITLE`: the create-only mapping kept the old one), whose last
    push failed (`FAILED_PUSH`), or `IN_SYNC`."""
    title = rng.choice(TITLES)
    created = now - timedelta(days=rng.uniform(30, 600))
    user = org.add_user(
        login,
        first,
        last,
        profile={"title": title},
        created=created - timedelta(days=1),
        last_updated=created - timedelta(days=1),
    )
    if kind == UNLINKED:
        org.assign(
            app, user, external_id=None, sync_state="OUT_OF_SYNC", last_sync=None, created=created
        )
        return user
    synced = created + timedelta(days=1)
    org.assign(app, user, created=created, last_updated=synced, last_sync=synced)
    if kind == NEW_TITLE:
        changed = now - timedelta(hours=rng.uniform(2, 120))
        promoted = "Senior " + title if not title.startswith("Senior") else title
        org.change_profile(user, {"title": promoted}, at=changed)
        # The push went out, carrying the app user's title as it was: create only.
        org.push_succeeded(app["id"], user, changed + timedelta(minutes=1))
    elif kind == FAILED_PUSH:
        changed = now - timedelta(hours=rng.uniform(2, 48))
        org.change_profile(user, {"lastName": last + "-Lee"}, at=changed)
        app_user = org.app_users[(app["id"], user["id"])]
        app_user["profile"]["lastName"] = last + "-Lee"
        app_user["syncState"] = "ERROR"
        label = app["label"]
        org.log_push(
            app,
            user,
            changed + timedelta(minutes=1),
            "FAILURE",
            legacy="app.api.error.push_profile_update",
            reason=(
                f"Automatic profile push of user {first} {last}-Lee to app {label} failed: "
                f"INVALID_FIELD: LastName contains a character {label} does not accept"
            ),
        )
    return user
