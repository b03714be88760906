"""`@attrsync why jdoe box` in a channel: the same diagnosis, answered in the thread."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot.reports.answers import Asked, Reply, answer
from bot.services import Services
from bot.slack.listeners.payloads import field
from bot.slack.listeners.replies import is_retry, not_a_diagnosis
from bot.slack.parser import parse, strip_mention
from bot.slackkit.blockkit import Message, escape, notice
from checks.model import Question

MENTION = "@attrsync"

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Mention:
    channel: str
    asker: str
    text: str | None
    ts: str | None
    thread: str | None
    """The mention's thread, or the mention itself: where the answers go."""

    def missing(self) -> str | None:
        """What Slack left out that the diagnosis needs ("text", "timestamp"), if anything."""
        gone = [name for name, value in (("text", self.text), ("timestamp", self.ts)) if not value]
        return " and ".join(gone) or None


class Mentions:
    """The `app_mention` event's listener."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def register(self, app: AsyncApp) -> None:
        app.event("app_mention")(self.mentioned)

    async def mentioned(
        self,
        event: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        request: AsyncBoltRequest,
    ) -> None:
        mention = _read(event)
        if mention is None:
            # An ephemeral message needs both; Bolt has acknowledged the event already.
            log.warning("an app_mention without channel or user; nobody to answer, ignored")
            return

        async def privately(message: Message) -> None:
            await client.chat_postEphemeral(
                channel=mention.channel,
                user=mention.asker,
                thread_ts=mention.thread,
                **message.payload(),
            )

        missing = mention.missing()
        if missing is not None:
            log.warning("an app_mention without its %s; told the sender", missing)
            await privately(notice(_incomplete(missing)))
            return
        await _diagnose(self.services, mention, context, request, privately)


def _read(event: dict[str, Any]) -> Mention | None:
    channel, asker, ts = field(event, "channel"), field(event, "user"), field(event, "ts")
    if channel is None or asker is None:
        return None
    thread = field(event, "thread_ts") or ts
    return Mention(channel, asker, field(event, "text"), ts, thread)


async def _diagnose(
    services: Services,
    mention: Mention,
    context: AsyncBoltContext,
    request: AsyncBoltRequest,
    privately: Reply,
) -> None:
    text = strip_mention(mention.text or "", context.bot_user_id or "")
    parsed = parse(text, command=MENTION)
    if not isinstance(parsed, Question):
        await privately(not_a_diagnosis(parsed, MENTION))
        return
    if not is_retry(request):
        await privately(notice(f"Diagnosing {escape(parsed.user)} in {escape(parsed.app)}…"))
    asked = Asked(
        question=parsed,
        text=f"{MENTION} {text.strip()}",
        team=context.team_id,
        channel=mention.channel,
        requester=mention.asker,
        thread_ts=mention.thread,
        retry=is_retry(request),
    )
    await answer(services, asked, privately)


def _incomplete(missing: str) -> str:
    return (
        f"Slack sent attrsync this mention without its {missing}, so it cannot tell what you "
        f"asked; please mention {MENTION} again."
    )
