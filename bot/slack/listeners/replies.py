"""What a listener says back when the text is not a diagnosis to run."""

from __future__ import annotations

from slack_bolt.request.async_request import AsyncBoltRequest

from bot.slack.parser import Help, ParseError, Scan, help_text
from bot.slackkit.blockkit import Message, escape, notice


def not_a_diagnosis(parsed: Help | Scan | ParseError, command: str) -> Message:
    if isinstance(parsed, ParseError):
        return notice(parsed.message)
    if isinstance(parsed, Scan):  # a mention: a scan's progress belongs in a channel, not a thread
        return notice(f"Start a scan with `/attrsync scan {escape(parsed.app)}`.")
    reason = f"{parsed.reason}\n\n" if parsed.reason else ""
    return notice(reason + help_text(command))


def is_retry(request: AsyncBoltRequest) -> bool:
    """Slack redelivers an event that was slow to be acknowledged, and says so."""
    return bool(request.headers.get("x-slack-retry-num"))
