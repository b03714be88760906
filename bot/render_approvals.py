"""Approval requests, their states, manual fixes and verification -> Block Kit (pure)."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.approvals import Approval, State
from bot.blockkit import Message, actions, button, context, escape, section
from checks.model import Finding, Fix, Status

APPROVE, REJECT, RECHECK = "approval:approve", "approval:reject", "recheck"

_STATE_LINE = {
    State.PENDING: ":hourglass_flowing_sand: Waiting for an approver.",
    State.APPROVED: ":white_check_mark: Approved by {approver}; queued.",
    State.RUNNING: ":gear: Approved by {approver}; running now.",
    State.DONE: ":white_check_mark: Done (approved by {approver}).",
    State.FAILED: ":x: Failed (approved by {approver}): {result}",
    State.REJECTED: ":no_entry_sign: Rejected by {approver}.",
    State.EXPIRED: ":alarm_clock: Expired without approval; ask again to start over.",
}


def approval_request(approval: Approval) -> Message:
    """The request as posted in the report's thread, updated in place as its state changes."""
    plan = approval.plan
    calls = "\n".join(
        f"{i}. {escape(step.summary)}\n    `{escape(step.method)} {escape(step.path)}`"
        for i, step in enumerate(plan.steps, 1)
    )
    deadline = int(approval.expires)
    blocks: list[Block] = [
        section(
            f":lock: *Fix requested by <@{approval.requester}>:* {escape(plan.summary)}\n"
            "A second person must approve it before attrsync changes anything."
        ),
        section(f"*What will change* (the exact Okta calls):\n{calls}"),
        section(
            f"*Who is affected:* {escape(plan.affects)}\n*Risk:* {escape(plan.risk)}\n"
            f"*Expires:* <!date^{deadline}^{{date_short_pretty}} {{time}}|in a while>"
        ),
        context(_state_line(approval)),
    ]
    if approval.state is State.PENDING:
        blocks.append(
            actions(
                button("Approve", APPROVE, approval.id, primary=True),
                button("Reject", REJECT, approval.id, danger=True),
            )
        )
    return Message(f"Fix requested: {plan.summary} ({approval.state.value.lower()})", tuple(blocks))


def _state_line(approval: Approval) -> str:
    who = f"<@{approval.approver}>" if approval.approver else "someone"
    return _STATE_LINE[approval.state].format(
        approver=who, result=escape(approval.result or "see the thread")
    )


def manual_fix(check: str, fix: Fix, detail: str, offer_id: str, why: str | None) -> Message:
    """A fix attrsync cannot make (now): the console steps, and a Re-check button."""
    text = f"*Fix for `{check}`:* {escape(fix.summary)}"
    if why:
        text += f"\n{escape(why)}"
    elif detail:
        text += f"\n{escape(detail)}"
    blocks = (
        section(text),
        actions(button("Re-check", f"{RECHECK}:{check}", offer_id)),
    )
    return Message(f"Fix for {check}: {fix.summary}", blocks)


def verification(check: str, finding: Finding | None, remaining: list[Finding]) -> Message:
    if finding is not None and finding.status is not Status.PROBLEM:
        text = (
            f":white_check_mark: Verified: the cause is gone (`{check}`: {escape(finding.title)})"
        )
    else:
        title = finding.title if finding else "the check could not run"
        text = f":warning: Not verified: `{check}` still says {escape(title)}"
    if remaining:
        text += "\nStill to look at: " + "; ".join(
            f"`{f.check}` {escape(f.title)}" for f in remaining[:5]
        )
    return Message(text, (section(text),))


def home_view(
    approver: bool, pending: list[Approval], recent: list[dict[str, str]]
) -> dict[str, object]:
    """The App Home tab: requests to decide (approvers), then the person's recent diagnoses."""
    blocks: list[Block] = []
    if approver:
        blocks.append(section(f"*Fixes waiting for approval* ({len(pending)})"))
        for approval in pending[:10]:
            blocks += list(approval_request(approval).blocks)
    blocks.append(section("*Your recent diagnoses*"))
    if not recent:
        blocks.append(context("None yet: try `/attrsync why USER APP` in a channel."))
    for entry in recent:
        where = f" <{entry['permalink']}|report>" if entry.get("permalink") else ""
        blocks.append(
            context(
                f"`{escape(entry['asked'])}` · {escape(entry['verdict'])}{where} · {entry['at']}"
            )
        )
    return {"type": "home", "blocks": [block.to_dict() for block in blocks[:100]]}
