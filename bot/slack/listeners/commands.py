"""`/attrsync …`: acknowledge at once, then diagnose and post the report in the channel."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.reports.answers import Asked, Reply, answer
from bot.scan.requests import request_scan
from bot.services import Services
from bot.slack.listeners.payloads import field
from bot.slack.listeners.replies import is_retry, not_a_diagnosis
from bot.slack.parser import Scan, parse
from bot.slackkit.blockkit import Message, escape, notice
from bot.slackkit.failures import answered
from checks.model import Question

COMMAND = "/attrsync"
INCOMPLETE = (
    "Slack did not say which channel or person this command came from, "
    "so attrsync cannot answer it; please try again."
)

log = logging.getLogger(__name__)


class SlashCommand:
    """The `/attrsync` command's listener."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def register(self, app: AsyncApp) -> None:
        app.command(COMMAND)(self.attrsync)

    async def attrsync(
        self,
        ack: AsyncAck,
        command: dict[str, Any],
        respond: AsyncRespond,
        request: AsyncBoltRequest,
    ) -> None:
        channel, user = field(command, "channel_id"), field(command, "user_id")
        if channel is None or user is None:
            # The ack's text still reaches whoever typed the command, whoever they are.
            log.warning("a %s command without channel_id or user_id; told the sender", COMMAND)
            await ack(response_type="ephemeral", **notice(INCOMPLETE).payload())
            return
        text = field(command, "text") or ""
        parsed = parse(text, command=COMMAND)
        response_url = field(command, "response_url")
        reply = _privately(
            self.services, respond, channel, user, with_response_url=bool(response_url)
        )
        if isinstance(parsed, Scan):
            await ack(response_type="ephemeral", **notice("Starting the scan…").payload())
            scanning = request_scan(self.services, parsed.app, channel, user)
            await reply(await answered(scanning, "the scan"))
            return
        if not isinstance(parsed, Question):
            await ack(response_type="ephemeral", **not_a_diagnosis(parsed, COMMAND).payload())
            return
        diagnosing = f"Diagnosing {escape(parsed.user)} in {escape(parsed.app)}…"
        await ack(response_type="ephemeral", **notice(diagnosing).payload())
        asked = Asked(
            question=parsed,
            text=f"{COMMAND} {text.strip()}",
            team=field(command, "team_id"),
            channel=channel,
            requester=user,
            response_url=response_url,
            retry=is_retry(request),
        )
        await answer(self.services, asked, reply)


def _privately(
    services: Services, respond: AsyncRespond, channel: str, user: str, *, with_response_url: bool
) -> Reply:
    """The command's response_url answers only the sender; without one (Slack always sends
    it, but a payload may lack it), an ephemeral message in the channel does the same."""

    async def by_response_url(message: Message) -> None:
        await respond(response_type="ephemeral", replace_original=False, **message.payload())

    async def by_ephemeral(message: Message) -> None:
        await services.slack.chat_postEphemeral(channel=channel, user=user, **message.payload())

    return by_response_url if with_response_url else by_ephemeral
