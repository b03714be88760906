"""`@attrsync why jdoe box` in a channel: the same diagnosis, answered in the thread."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.web.async_client import AsyncWebClient

from bot import render
from bot.answers import Question, answer
from bot.blockkit import Message, escape
from bot.commands import Why, parse, strip_mention
from bot.listeners.replies import is_retry, not_a_diagnosis
from bot.services import Services

MENTION = "@attrsync"


def register(app: AsyncApp, services: Services) -> None:
    @app.event("app_mention")
    async def mentioned(
        event: dict[str, Any],
        context: AsyncBoltContext,
        client: AsyncWebClient,
        request: AsyncBoltRequest,
    ) -> None:
        text = strip_mention(str(event.get("text") or ""), context.bot_user_id or "")
        channel, asker = str(event["channel"]), str(event.get("user") or "")
        thread = str(event.get("thread_ts") or event["ts"])

        async def privately(message: Message) -> None:
            await client.chat_postEphemeral(
                channel=channel, user=asker, thread_ts=thread, **message.payload()
            )

        parsed = parse(text, command=MENTION)
        if not isinstance(parsed, Why):
            await privately(not_a_diagnosis(parsed, MENTION))
            return
        if not is_retry(request):
            await privately(
                render.notice(f"Diagnosing {escape(parsed.user)} in {escape(parsed.app)}…")
            )
        question = Question(
            why=parsed,
            asked=f"{MENTION} {text.strip()}",
            team=context.team_id,
            channel=channel,
            requester=asker,
            thread_ts=thread,
            retry=is_retry(request),
        )
        await answer(services, question, privately)
