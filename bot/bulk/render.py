"""A bulk fix's message in the scan's thread, re-rendered as its state changes (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from slack_sdk.models.blocks import ActionsBlock, Block, Option, StaticSelectElement

from bot.slackkit.blockkit import Message, actions, button, clip, escape, section
from bot.slackkit.ids import BULK_APPROVE, BULK_CANARY, BULK_DECISION, BULK_REJECT, BULK_STOP
from bot.slackkit.plans import calls_text
from bot.store.bulk import BulkRecord, Target
from bot.workflow.bulk import BulkState
from checks.remediation.model import Plan

CHOICES = 100
"""Slack's most options in a static select: the first affected users offered as the canary."""
# Slack sends the clicked block's id (BULK_DECISION) with the click, as the clicker's message
# had it, so an approval binds to the step and the canary that message showed, however late
# its update reached them.


@dataclass(frozen=True, slots=True)
class Shown:
    """What the message an approver clicked showed them."""

    state: BulkState
    canary: str
    """The canary's Okta user id."""


def shown(block_id: str | None) -> Shown | None:
    """What the clicked message showed; None for a block attrsync did not name so (a message
    posted before decisions were bound)."""
    if not block_id or not block_id.startswith(BULK_DECISION):
        return None
    state, _, canary = block_id.removeprefix(BULK_DECISION).partition(":")
    if state not in BulkState.__members__ or not canary:
        return None
    return Shown(BulkState(state), canary)


def bulk_message(
    record: BulkRecord,
    targets: Sequence[Target],
    plan: Plan | None = None,
    *,
    distinct: bool = False,
) -> Message:
    """`targets` are the bulk's users, the canary first; `plan` the canary's calls, shown
    while waiting for the first approval (when the requester may still choose another);
    `distinct` when the rest need another approver than the canary's."""
    canary = targets[0].login if targets else "?"
    canary_id = targets[0].user_id if targets else ""
    second = "a second approval by another approver" if distinct else "a second approval"
    label = escape(record.app_label)
    head = (
        f":package: *Bulk fix requested by <@{record.requester}>:* `{record.fix_id}` for "
        f"{record.total} users of {label} (cause `{record.check}`)."
    )
    blocks: list[Block] = [section(head)]
    rest = record.total - 1
    state = record.state
    if state is BulkState.PENDING:
        blocks.append(
            section(
                f"Canary first: *{escape(canary)}*. A second person approves; once the canary is "
                f"fixed and verified, {second} fixes the other {rest}, one at a time, "
                "stopping at the first failure.",
                accessory=_choice(record.id, targets) if len(targets) > 1 else None,
            )
        )
        if plan is not None:
            blocks.append(section(calls_text(plan)))
        blocks.append(_decision(record, canary_id))
    elif state is BulkState.CANARY:
        blocks.append(
            section(f":gear: Approved by <@{record.approver}>; fixing {escape(canary)} first…")
        )
        blocks.append(actions(button("Stop", BULK_STOP, record.id, danger=True)))
    elif state is BulkState.CONFIRM:
        blocks.append(
            section(
                f":white_check_mark: {escape(canary)} is fixed and verified. "
                f"{_confirmer(record, distinct)} to fix the other {rest} users one at a time; "
                "it stops at the first failure."
            )
        )
        blocks.append(_decision(record, canary_id))
    elif state is BulkState.RUNNING:
        blocks.append(section(f":gear: {_counts(record)}…"))
        blocks.append(actions(button("Stop", BULK_STOP, record.id, danger=True)))
    else:
        blocks.append(section(_ended(record)))
    return Message(
        f"Bulk fix of {record.total} users in {label}: {state.value.lower()}", tuple(blocks)
    )


def _choice(bulk_id: str, targets: Sequence[Target]) -> StaticSelectElement:
    """The requester's choice of another canary among the first affected users."""
    options = [
        Option(text=clip(t.login, 75), value=f"{bulk_id}:{t.user_id}") for t in targets[:CHOICES]
    ]
    return StaticSelectElement(
        placeholder="Another canary…", action_id=BULK_CANARY, options=options
    )


def _decision(record: BulkRecord, canary_id: str) -> Block:
    return ActionsBlock(
        block_id=f"{BULK_DECISION}{record.state.value}:{canary_id}",
        elements=[
            button("Approve", BULK_APPROVE, record.id, primary=True),
            button("Reject", BULK_REJECT, record.id, danger=True),
        ],
    )


def _confirmer(record: BulkRecord, distinct: bool) -> str:
    if distinct and record.approver:
        return f"An approver other than <@{record.approver}> approves"
    return "Approve"


def _counts(record: BulkRecord) -> str:
    return (
        f"{record.done} of {record.total} done: {record.ok} fixed, {record.skipped} skipped, "
        f"{record.failed} failed"
    )


def _ended(record: BulkRecord) -> str:
    result = f" {escape(record.result)}" if record.result else ""
    if record.state is BulkState.REJECTED:
        return f":no_entry_sign: Rejected.{result}"
    if record.state is BulkState.STOPPED:
        return f":octagonal_sign: Stopped by <@{record.stop_by}>. {_counts(record)}.{result}"
    if record.state is BulkState.FAILED:
        return f":x: Stopped at a failure. {_counts(record)}.{result}"
    return f":white_check_mark: Done. {_counts(record)}."
