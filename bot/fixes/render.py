"""Approval requests, their states, manual fixes and verification -> Block Kit (pure)."""

from __future__ import annotations

from collections.abc import Sequence

from slack_sdk.models.blocks import Block

from bot.slackkit.blockkit import (
    Message,
    actions,
    button,
    clip,
    context,
    escape,
    link,
    section,
)
from bot.slackkit.ids import APPROVE, RECHECK, REJECT
from bot.slackkit.plans import calls_text
from bot.store.approvals import Approval
from bot.workflow.fixes import State
from checks.model import Finding, Status

_STATE_LINE = {
    State.PENDING: ":hourglass_flowing_sand: Waiting for an approver.",
    State.APPROVED: ":white_check_mark: Approved by {approver}; queued.",
    State.RUNNING: ":gear: Approved by {approver}; running now.",
    State.DONE: ":white_check_mark: Done (approved by {approver}).",
    State.FAILED: ":x: Failed (approved by {approver}): {result}",
    State.STALLED: (":rotating_light: Approved by {approver}; stalled, retrying: {result}"),
    State.REJECTED: ":no_entry_sign: Rejected by {approver}.",
    State.WITHDRAWN: ":wastebasket: Withdrawn: the request could not be posted; ask again.",
    State.EXPIRED: ":alarm_clock: Expired without approval; ask again to start over.",
}


def approval_request(approval: Approval) -> Message:
    """The request as posted in the report's thread, updated in place as its state changes."""
    plan = approval.plan
    deadline = int(approval.expires)
    blocks: list[Block] = [
        section(
            f":lock: *Fix requested by <@{approval.requester}>:* "
            f"{escape(clip(plan.summary, 1500))}\n"
            "A second person must approve it before attrsync changes anything."
        ),
        section(calls_text(plan)),
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
    state = approval.state.value.lower()
    return Message(f"Fix requested: {escape(plan.summary)} ({state})", tuple(blocks))


def _state_line(approval: Approval) -> str:
    who = f"<@{approval.approver}>" if approval.approver else "someone"
    return _STATE_LINE[approval.state].format(
        approver=who, result=escape(approval.result or "see the thread")
    )


def manual_fix(finding: Finding, offer_id: str, why: str | None) -> Message:
    """A fix attrsync cannot make (now): the console steps, and a Re-check button."""
    check, summary = finding.check, finding.fix.summary if finding.fix else finding.title
    text = f"*Fix for `{check}`:* {escape(summary)}"
    said = why or finding.detail
    if said and said != summary:
        text += f"\n{escape(said)}"
    if finding.link:
        text += "\n" + link(finding.link, "Open in the Okta admin console")
    blocks = (
        section(text),
        actions(button("Re-check", RECHECK + check, offer_id)),
    )
    return Message(f"Fix for {check}: {escape(summary)}", blocks)


_NOT_VERIFIED = {
    Status.PROBLEM: "still finds the problem",
    Status.WARNING: "still warns",
    Status.UNKNOWN: "could not be checked",
    Status.SKIPPED: "was skipped, so nothing was verified",
}


def verification(check: str, finding: Finding | None, remaining: list[Finding]) -> Message:
    """'Verified' only when the re-diagnosis shows the cause's check ok; anything else says
    what it shows (a skipped or unknown check verifies nothing)."""
    if finding is not None and finding.status is Status.OK:
        text = (
            f":white_check_mark: Verified: the cause is gone (`{check}`: {escape(finding.title)})"
        )
    elif finding is None:
        text = f":warning: Not verified: `{check}` did not run in the re-check."
    else:
        said = _NOT_VERIFIED[finding.status]
        text = f":warning: Not verified: `{check}` {said}: {escape(finding.title)}"
    if remaining:
        text += "\nStill to look at: " + "; ".join(
            f"`{f.check}` {escape(f.title)}" for f in remaining[:5]
        )
    return Message(text, (section(text),))


def stalled_alert(approval: Approval, done: list[str], retry_in: float) -> Message:
    """The loud message while a step that must finish (the reassign) keeps failing."""
    plan = approval.plan
    minutes = max(1, round(retry_in / 60))
    text = (
        f":rotating_light: *Needs attention: {escape(plan.summary)}* "
        f"(try {approval.stalls}, approved by <@{approval.approver}>)\n"
        f"*Not done yet:* {escape(approval.result or 'a step that must finish')}\n"
        f"*Done:* {escape('; '.join(done) or 'nothing')}\n"
        f"attrsync tries again in about {minutes} min and keeps trying; it notices when "
        f"someone does it by hand. *By hand:* {escape(plan.manual or 'see the steps above')}"
    )
    return Message(f"Needs attention: {escape(plan.summary)}", (section(text),))


def stall_resolved(approval: Approval) -> Message:
    """What the alert becomes once the run got past its stall."""
    plan = approval.plan
    outcome = "done" if approval.state is State.DONE else "over, see the thread"
    text = (
        f":white_check_mark: Resolved after {approval.stalls} "
        f"{'try' if approval.stalls == 1 else 'tries'}: every step that had to finish did "
        f"({escape(plan.summary)}: {outcome})."
    )
    return Message(text, (section(text),))


def home_view(
    approver: bool,
    pending: list[Approval],
    recent: list[dict[str, str]],
    attention: Sequence[Approval] = (),
) -> dict[str, object]:
    """The App Home tab: stalled runs first (a user may be unassigned), requests to decide
    (approvers), then the person's recent diagnoses."""
    blocks: list[Block] = []
    if attention:
        blocks.append(section(f":rotating_light: *Fixes that need attention* ({len(attention)})"))
        for approval in attention[:10]:
            blocks += list(approval_request(approval).blocks)
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
