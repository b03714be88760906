"""Reports and notices -> Block Kit messages (pure: data in, messages out)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from slack_sdk.models.blocks import Block, ButtonElement, DividerBlock

from bot.slackkit.blockkit import (
    MAX_SECTION_TEXT,
    Message,
    button,
    clip,
    context,
    escape,
    link,
    section,
)
from bot.slackkit.ids import FIX
from checks.model import Finding, Fix, Report, Status

EVIDENCE_SHOWN = 6
_EMOJI = {
    Status.OK: ":white_check_mark:",
    Status.PROBLEM: ":red_circle:",
    Status.WARNING: ":large_orange_circle:",
    Status.UNKNOWN: ":grey_question:",
    Status.SKIPPED: ":heavy_minus_sign:",
}


@dataclass(frozen=True, slots=True)
class Rendered:
    """The report for the channel, and what did not fit, for its thread."""

    report: Message
    thread: tuple[Message, ...] = ()


def report(
    result: Report, *, asked: str, requester: str | None, fix_ids: Mapping[str, str]
) -> Rendered:
    """The channel message: verdict, a section per finding that is not ok, and the rest in
    one line; `fix_ids` maps check ids to the opaque ids their fix buttons carry."""
    who = escape(result.user.login) if result.user else "?"
    where = escape(result.app.label) if result.app else "?"
    by = f" · asked by <@{requester}>" if requester else ""
    blocks: list[Block] = [
        section(_verdict(result)),
        context(f"*{who}* in *{where}*{by} · `{escape(asked)}`"),
        DividerBlock(),
    ]
    overflow: list[Message] = []
    for finding in result.findings:
        if finding.status in (Status.OK, Status.SKIPPED):
            continue
        text, rest = _finding_text(finding)
        fix_id = fix_ids.get(finding.check)
        blocks.append(section(text, _fix_button(finding.check, finding.fix, fix_id)))
        if rest:
            overflow.append(_continued(finding, rest))
    blocks += _passed_and_skipped(result)
    fallback = f"{escape(result.verdict.summary)} ({who} in {where})"
    return Rendered(Message(fallback, tuple(blocks)), tuple(overflow))


def _verdict(result: Report) -> str:
    summary = escape(result.verdict.summary)
    if result.verdict.check is None:
        return f":large_green_circle: *Verdict:* {summary}"
    return f":red_circle: *Cause:* {summary}"


def _finding_text(finding: Finding) -> tuple[str, list[str]]:
    """The section text, and the evidence rows left for the thread."""
    rows = [f"• {escape(label)}: {escape(value)}" for label, value in finding.evidence]
    tail = [link(finding.link, "Open in the Okta admin console")] if finding.link else []
    # The pointer to the thread and the console link must survive any cut: the title and
    # detail get what room they leave, and a cut detail goes to the thread whole.
    room = MAX_SECTION_TEXT - len("\n".join(tail)) - 80
    head = f"{_EMOJI[finding.status]} *{escape(finding.title)}*"
    if finding.detail:
        head += "\n" + escape(finding.detail)
    if len(head) > room:
        rows.insert(0, escape(finding.detail))
        head = clip(head, room)
    shown, rest = rows[:EVIDENCE_SHOWN], rows[EVIDENCE_SHOWN:]
    if len(head) >= room:
        shown, rest = [], rows
    while shown and len("\n".join([head, *shown, *tail])) > MAX_SECTION_TEXT - 60:
        rest.insert(0, shown.pop())
    if rest:
        shown.append(f"_… and {len(rest)} more in the thread_")
    return "\n".join([head, *shown, *tail]), rest


def _continued(finding: Finding, rows: list[str]) -> Message:
    title = f"*{escape(finding.title)}* (continued)"
    blocks: list[Block] = []
    chunk: list[str] = [title]
    pieces = [row[n : n + PIECE] for row in rows for n in range(0, max(len(row), 1), PIECE)]
    for piece in pieces:
        if len("\n".join([*chunk, piece])) > MAX_SECTION_TEXT:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(piece)
    blocks.append(section("\n".join(chunk)))
    return Message(f"{escape(finding.title)} (continued)", tuple(blocks))


PIECE = MAX_SECTION_TEXT - 100
"""A thread row longer than a section is split into pieces of this size, never clipped."""


def _fix_button(check: str, fix: Fix | None, fix_id: str | None) -> ButtonElement | None:
    if fix is None or fix_id is None:
        return None
    label = "Fix it…" if fix.automated else "How to fix"
    return button(label, FIX + check, fix_id, primary=fix.automated)


def _passed_and_skipped(result: Report) -> list[Block]:
    lines = []
    for status, word in ((Status.OK, "Passed"), (Status.SKIPPED, "Skipped")):
        checks = [f"`{f.check}`" for f in result.findings if f.status is status]
        if checks:
            lines.append(f"{_EMOJI[status]} {word}: {' · '.join(checks)}")
    return [context("\n".join(lines))] if lines else []
