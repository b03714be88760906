"""The checks, in the order a person should read them, and the order causes explain each other.

Verdict ranking is causal: an earlier cause makes the later findings moot. A missing user or app
explains everything; an app without provisioning or with broken credentials sends nothing, so
its settings, mappings and errors come after; settings explain why a push never happened; a
value sourced elsewhere (Workday, AD) never stayed in Okta, which makes its mapping moot;
mappings explain why a push never happened; a missing external ID or a group assignment
explain failed or skipped pushes; failed pushes and a stale sync state are symptoms, named
when no deeper cause shows; a preview that differs is the last resort, and Deactivate Users
is only a safety note.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from checks.catalog import (
    app,
    assignment,
    credentials,
    deactivate_users,
    external_id,
    group_assignment,
    mapping,
    preview,
    profile_source,
    provisioning,
    push_errors,
    sync_state,
    update_attributes,
    user,
)
from checks.facts import Facts
from checks.model import Finding

Check = Callable[[Facts], Awaitable[Finding]]

CHECKS: tuple[tuple[str, Check], ...] = tuple(
    (module.CHECK, module.run)
    for module in (
        user,
        app,
        assignment,
        provisioning,
        credentials,
        update_attributes,
        profile_source,
        mapping,
        preview,
        external_id,
        group_assignment,
        sync_state,
        push_errors,
        deactivate_users,
    )
)

VERDICT_RANK: tuple[str, ...] = (
    "user",
    "app",
    "assignment",
    "provisioning",
    "credentials",
    "update_attributes",
    "profile_source",
    "mapping",
    "external_id",
    "group_assignment",
    "push_errors",
    "sync_state",
    "preview",
    "deactivate_users",
)

CHECK_BY_ID: dict[str, Check] = dict(CHECKS)
