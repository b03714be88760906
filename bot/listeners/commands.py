"""`/attrsync …`: acknowledge at once, then diagnose and post the report in the channel."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest

from bot import render
from bot.answers import Question, answer
from bot.blockkit import Message, escape
from bot.commands import Why, parse
from bot.listeners.replies import is_retry, not_a_diagnosis
from bot.services import Services

COMMAND = "/attrsync"


def register(app: AsyncApp, services: Services) -> None:
    @app.command(COMMAND)
    async def attrsync(
        ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond, request: AsyncBoltRequest
    ) -> None:
        text = str(command.get("text") or "")
        parsed = parse(text, command=COMMAND)
        if not isinstance(parsed, Why):
            await ack(response_type="ephemeral", **not_a_diagnosis(parsed, COMMAND).payload())
            return
        diagnosing = f"Diagnosing {escape(parsed.user)} in {escape(parsed.app)}…"
        await ack(response_type="ephemeral", **render.notice(diagnosing).payload())

        async def privately(message: Message) -> None:
            await respond(response_type="ephemeral", replace_original=False, **message.payload())

        question = Question(
            why=parsed,
            asked=f"{COMMAND} {text.strip()}",
            team=command.get("team_id"),
            channel=str(command["channel_id"]),
            requester=str(command["user_id"]),
            response_url=command.get("response_url"),
            retry=is_retry(request),
        )
        await answer(services, question, privately)
