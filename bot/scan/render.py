"""A scan in Slack: the progress message (with Stop) and, in its place at the end, the summary
with a bar per cause."""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk.models.blocks import Block, HeaderBlock

from bot.slackkit.blockkit import Message, actions, button, context, escape, section
from bot.slackkit.ids import BULK_FIX, SCAN_STOP
from checks.model import Finding, Status
from checks.remediation.registry import PER_USER_FIXES
from checks.scan_tally import Tally

BAR = 20


@dataclass(frozen=True, slots=True)
class Progress:
    app_label: str
    tally: Tally
    elapsed: float
    expected_users: int | None
    """How many users the app's last complete scan listed (for the time left), if known."""
    budget: str | None
    """How much of Okta's apps bucket attrsync has used this minute, if known."""


def queued(scan_id: str, app_label: str, requester: str) -> Message:
    text = f"Scan of {escape(app_label)} queued by <@{requester}>…"
    return Message(
        text,
        (
            section(f":hourglass_flowing_sand: {text}"),
            actions(button("Stop", SCAN_STOP, scan_id, danger=True)),
        ),
    )


def progress(scan_id: str, shown: Progress) -> Message:
    tally = shown.tally
    lines = [
        f"{tally.pages} pages read, {tally.listed} users checked, {tally.affected} affected so far",
        f"running for {_duration(shown.elapsed)}",
    ]
    left = _time_left(shown)
    if left is not None:
        lines.append(left)
    if shown.budget:
        lines.append(shown.budget)
    text = f"Scanning {escape(shown.app_label)}…"
    return Message(
        text,
        (
            section(f":mag: *{text}*"),
            context(" · ".join(lines)),
            actions(button("Stop", SCAN_STOP, scan_id, danger=True)),
        ),
    )


def summary(
    scan_id: str,
    app_label: str,
    tally: Tally,
    app_findings: tuple[Finding, ...],
    *,
    unread: str | None,
    log_complete: bool,
) -> Message:
    label = escape(app_label)
    head = f"Scan of {label}: {tally.affected} of {tally.listed} users affected"
    blocks: list[Block] = [HeaderBlock(text=head[:150])]
    if unread:
        blocks.append(section(f":warning: *Incomplete.* {escape(unread)}"))
    for finding in app_findings:
        if finding.status is Status.PROBLEM:
            blocks.append(section(f":x: *For every user:* {escape(finding.title)}"))
    if tally.causes:
        most = max(c.count for c in tally.causes.values())
        for cause in tally.ordered():
            bar = "█" * max(1, round(BAR * cause.count / most))
            examples = ", ".join(escape(e) for e in cause.examples)
            fix = ""
            if cause.fix is not None:
                how = f"automated for {cause.automatable}" if cause.automatable else "a manual step"
                fix = f"\nFix ({how}): {escape(cause.fix.summary)}"
            bulk = None
            if cause.fix is not None and cause.fix.id in PER_USER_FIXES and cause.automatable:
                bulk = button(f"Fix {cause.automatable} users…", BULK_FIX + cause.check, scan_id)
            blocks.append(
                section(
                    f"`{cause.check}` *{cause.count}* `{bar}`\n"
                    f"e.g. {escape(cause.title)}\n_{examples}_{fix}",
                    accessory=bulk,
                )
            )
    elif not unread:
        blocks.append(section(":white_check_mark: Nobody affected: every user checked is in sync."))
    notes = []
    if not log_complete:
        notes.append(
            "The System Log held more events than a scan reads: push errors and changed "
            "attributes were judged from the newest ones."
        )
    notes.append(
        "Checked from Okta's pages of app users, with no request per user; group-based mapping "
        "expressions are not evaluated in a scan."
    )
    blocks.append(context(" ".join(notes)))
    return Message(head, tuple(blocks))


def failed(app_label: str, reason: str) -> Message:
    text = f"The scan of {escape(app_label)} could not run: {escape(reason)}"
    return Message(text, (section(f":x: {text}"),))


def _time_left(shown: Progress) -> str | None:
    expected, done = shown.expected_users, shown.tally.listed
    if not expected or done == 0 or done >= expected or shown.elapsed <= 0:
        return None
    seconds = (expected - done) / (done / shown.elapsed)
    return f"about {_duration(seconds)} left (the last scan found {expected} users)"


def _duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{seconds // 60:.0f} min {seconds % 60:.0f} s"
