"""Fix buttons and approvals: request, then a second person approves (queued) or rejects."""

from __future__ import annotations

import logging

from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.approvers import refusal
from bot.fixes.render import approval_request, manual_fix
from bot.services import Services
from bot.slackkit.blockkit import Message, escape, notice
from bot.slackkit.plans import plan_details
from bot.slackkit.posting import Failed, sent
from bot.store.approvals import Approval, Moved
from bot.store.diagnoses import FixOffer
from bot.workflow.fixes import APPROVE, REJECT, WITHDRAW, State
from bot.workflow.machine import Move
from checks.errors import AttrsyncError
from checks.facts import Facts
from checks.registry import CHECK_BY_ID
from checks.remediation.model import NotAutomatable, NothingToDo, Plan
from checks.remediation.registry import plan_fix

PLANNING_SECONDS = 30
"""How long one click holds a fix offer while it plans and posts the request."""

log = logging.getLogger(__name__)


async def request_fix(
    services: Services, offer: FixOffer, offer_id: str, *, clicker: str, thread_ts: str
) -> Message:
    """Plan the fix afresh and post it for approval in the thread; returns the clicker's answer.

    A fix offer has at most one open request: more clicks (one person's impatience, or
    several people's) link to it instead of asking approvers the same thing again.
    """
    if not offer.automated:
        return await _manual(services, offer, offer_id, None)
    if not await services.store.start_request(offer_id, clicker, PLANNING_SECONDS):
        return notice("A request for this fix is being posted in the thread right now.")
    try:
        return await _request(services, offer, offer_id, clicker=clicker, thread_ts=thread_ts)
    finally:
        await services.store.end_request(offer_id)


async def _request(
    services: Services, offer: FixOffer, offer_id: str, *, clicker: str, thread_ts: str
) -> Message:
    facts = Facts(services.okta, offer.user_id, offer.app_id, now=services.clock())
    try:
        async with facts:
            plan = await plan_fix(offer.fix_id, facts)
    except NotAutomatable as exc:
        return await _manual(services, offer, offer_id, str(exc))
    except NothingToDo as exc:
        return notice(f"Nothing to fix any more: {escape(exc)}")
    except AttrsyncError as exc:
        return notice(f"Could not plan the fix: {escape(exc)}")
    created = await services.approvals.create(
        plan, offer_id=offer_id, requester=clicker, channel=offer.channel, thread_ts=thread_ts
    )
    approval = await services.approvals.get(created.approval_id)
    if approval is None:
        return notice("The request vanished from Redis; ask for the fix again.")
    if not created.new:
        return await _already_open(services, approval)
    posted = await sent(_post_request(services, plan, approval, offer.channel, thread_ts))
    if isinstance(posted, Failed):
        # Nobody can see or approve a request that was never posted: take it back, and let
        # the click's answer say why.
        withdrawn = await services.approvals.move(approval.id, WITHDRAW, result="Slack refused")
        await services.audit.record("withdrawn", withdrawn.approval or approval, actor="attrsync")
        raise posted.cause
    await services.approvals.note(approval, message_ts=str(posted["ts"]))
    await services.audit.record("requested", approval, actor=clicker)
    return notice("Approval requested in the thread; an approver has to approve it.")


async def _post_request(
    services: Services, plan: Plan, approval: Approval, channel: str, thread_ts: str
) -> AsyncSlackResponse:
    # What does not fit in the request goes first: no Approve button is ever shown for
    # calls an approver could not read in full.
    for details in plan_details(plan):
        await services.slack.chat_postMessage(
            channel=channel, thread_ts=thread_ts, **details.payload()
        )
    return await services.slack.chat_postMessage(
        channel=channel, thread_ts=thread_ts, **approval_request(approval).payload()
    )


async def _manual(services: Services, offer: FixOffer, offer_id: str, why: str | None) -> Message:
    """The console steps, from what Okta says now (the offer keeps data, not words)."""
    facts = Facts(
        services.okta,
        offer.user_id,
        offer.app_id,
        offer.attribute,
        now=services.clock(),
    )
    try:
        async with facts:
            finding = await CHECK_BY_ID[offer.check](facts)
    except AttrsyncError as exc:
        return notice(f"Could not read Okta for the fix: {escape(exc)}")
    if finding.fix is None:
        return notice(f"Nothing to fix any more: `{offer.check}` says {escape(finding.title)}")
    return manual_fix(finding, offer_id, why)


async def _already_open(services: Services, approval: Approval) -> Message:
    where = "in the thread"
    if approval.message_ts:
        found = await sent(
            services.slack.chat_getPermalink(
                channel=approval.channel, message_ts=approval.message_ts
            )
        )
        if not isinstance(found, Failed):  # else the plain words still say where
            where = f"<{found['permalink']}|in the thread>"
    state = approval.state.value.lower()
    return notice(f"This fix was requested already ({state}); see the request {where}.")


async def approve(services: Services, approval_id: str, user: str) -> Message:
    """Approve and queue the fix (one move); a refusal is answered to `user` only."""
    return await _decide(services, approval_id, user, APPROVE)


async def reject(services: Services, approval_id: str, user: str) -> Message:
    return await _decide(services, approval_id, user, REJECT)


_DECIDED = {
    APPROVE: ("approved", "Approved: the fix runs now, and the thread shows how it goes."),
    REJECT: ("rejected", "Rejected: nothing will be changed."),
}


async def _decide(services: Services, approval_id: str, user: str, move: Move[State]) -> Message:
    approval = await services.approvals.get(approval_id)
    if approval is None:
        return notice("This request no longer exists; ask for the fix again.")
    refusal = await _refusal(services, approval, user, move)
    if refusal:
        return notice(refusal)
    moved = await services.approvals.move(approval_id, move, approver=user)
    if not moved.moved:
        return await _not_moved(services, moved, user)
    decided = moved.approval or approval
    event, said = _DECIDED[move]
    await services.audit.record(event, decided, actor=user)
    await show(services, decided)
    return notice(said)


async def _refusal(
    services: Services, approval: Approval, user: str, move: Move[State]
) -> str | None:
    return await refusal(services, approval.requester, user, approving=move is APPROVE)


async def expire_due(services: Services) -> int:
    """Mark the pending requests past their expiry EXPIRED, so their buttons go away."""
    count = 0
    for approval_id in await services.approvals.due():
        moved = await services.approvals.expire(approval_id)
        if moved.expired_now and moved.approval is not None:
            await services.audit.record("expired", moved.approval, actor="attrsync")
            await show(services, moved.approval)
            count += 1
    return count


async def _not_moved(services: Services, moved: Moved, user: str) -> Message:
    if moved.expired_now and moved.approval is not None:
        await services.audit.record("expired", moved.approval, actor=user)
        await show(services, moved.approval)
    state = moved.found.value.lower() if moved.found else "gone"
    return notice(f"This request is {state} already; nothing more to do here.")


async def show(services: Services, approval: Approval) -> None:
    """Bring the request message in the thread up to date with the approval's state."""
    if not approval.message_ts:
        return
    await sent(
        services.slack.chat_update(
            channel=approval.channel, ts=approval.message_ts, **approval_request(approval).payload()
        ),
        log,
        "could not update the approval message",
    )
