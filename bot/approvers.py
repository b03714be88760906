"""Who may approve: the approvers of `ATTRSYNC_APPROVERS` (user ids, or user groups read from
Slack and cached for a while), and why someone may not approve or reject a request."""

from __future__ import annotations

import logging

from bot.services import Services
from bot.slackkit.posting import Failed, sent
from checks.errors import AttrsyncError

GROUP_CACHE_SECONDS = 300

log = logging.getLogger(__name__)


class ApproverCheckFailed(AttrsyncError):
    """Slack would not say who is in an approver user group."""


async def refusal(services: Services, requester: str, user: str, *, approving: bool) -> str | None:
    """Why `user` may not approve (or reject) what `requester` asked for, if they may not.
    Whoever asked may reject."""
    if not approving and user == requester:
        return None
    try:
        allowed = await is_approver(services, user)
    except ApproverCheckFailed:
        return "attrsync could not check your approver group with Slack; try again in a moment."
    if not allowed and approving:
        return "Only approvers can approve fixes (ATTRSYNC_APPROVERS); ask one of them to look."
    if not allowed:
        return "Only approvers, or whoever asked for the fix, can reject it."
    if user == requester and not services.settings.allow_self_approval:
        return "You asked for this fix, so a second person has to approve it."
    return None


async def is_approver(services: Services, user: str) -> bool:
    """Whether `user` may approve; ApproverCheckFailed when Slack cannot say."""
    approvers = services.settings.approvers
    if user in approvers:
        return True
    for group in sorted(a for a in approvers if a.startswith("S")):
        if user in await _group_members(services, group):
            return True
    return False


async def _group_members(services: Services, group: str) -> set[str]:
    cached = await services.store.group_members(group)
    if cached is not None:
        return cached
    listed = services.slack.usergroups_users_list(usergroup=group)
    answer = await sent(listed, log, f"cannot read user group {group}")
    if isinstance(answer, Failed):
        raise ApproverCheckFailed(f"Slack refused to list user group {group} ({answer.error}).")
    members = [str(u) for u in answer.get("users") or []]
    await services.store.remember_group(group, members, GROUP_CACHE_SECONDS)
    return set(members)
