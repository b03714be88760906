"""The automated fixes by fix id (the `fix.id` of a finding); every other fix is manual."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from checks.facts import Facts
from checks.remediation import (
    convert_assignment,
    mapping,
    relink,
    update_attributes,
    username_push,
)
from checks.remediation.model import NotAutomatable, Plan

Planner = Callable[[Facts], Awaitable[Plan]]

FIX_MODULES = (update_attributes, mapping, convert_assignment, relink, username_push)
"""Each module is the one truth about its fix: FIX (its id), CHECK (the check whose finding
offers it), PER_USER (whether it changes one user or the whole app), plan(facts) and, where
the fix is not always possible, blocker(facts)."""

PLANNERS: dict[str, Planner] = {module.FIX: module.plan for module in FIX_MODULES}
PER_USER_FIXES = frozenset(module.FIX for module in FIX_MODULES if module.PER_USER)
"""The fixes a scan's bulk fix runs user by user."""


async def plan_fix(fix_id: str, facts: Facts) -> Plan:
    """The exact calls that fix `fix_id` for these facts; NotAutomatable or NothingToDo if none."""
    planner = PLANNERS.get(fix_id)
    if planner is None:
        raise NotAutomatable("This fix is a manual step in the Okta admin console.")
    return await planner(facts)
