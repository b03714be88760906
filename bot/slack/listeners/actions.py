"""Buttons: `fix:<check>` asks for a fix, `recheck:<check>` diagnoses again,
`approval:approve` / `approval:reject` decide a request.

A click is answered privately where it was made. On a message, Slack gives a response_url.
In App Home (the container is a view; there is no response_url and no channel) the Home is
published again for the clicker with the answer on top. Not a direct message: the manifest
turns the app's Messages tab off, so a DM would land where nobody looks, while the clicker is
looking at Home, which has to be re-rendered anyway so that a decided request leaves it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from redis.exceptions import RedisError
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.bulk.render import shown
from bot.bulk.requests import choose_canary, decide_bulk, request_bulk, stop_bulk
from bot.fixes import requests as fixes
from bot.reports.answers import Asked, Reply, answer
from bot.scan.requests import request_scan, stop_scan
from bot.services import Services
from bot.slack.listeners.home import publish_home
from bot.slack.listeners.payloads import field
from bot.slackkit.blockkit import Message, notice
from bot.slackkit.failures import answered, sentence_for
from bot.slackkit.ids import (
    APPROVE,
    BULK_APPROVE,
    BULK_CANARY,
    BULK_FIX,
    BULK_REJECT,
    BULK_STOP,
    FIX,
    RECHECK,
    REJECT,
    SCAN_START,
    SCAN_STOP,
)
from checks.model import Question

EXPIRED = "This fix offer has expired; run the diagnosis again."
INCOMPLETE = (
    "Slack did not say who clicked or which request this button is for, "
    "so attrsync did nothing; please click again."
)
NOT_ON_A_REPORT = (
    "Ask for a fix from the button on the report in its channel: "
    "the approval request goes in that report's thread."
)

log = logging.getLogger(__name__)

Decide = Callable[[Services, str, str], Awaitable[Message]]


@dataclass(frozen=True, slots=True)
class Click:
    user: str
    value: str
    """The button's value: a fix offer's id, or an approval's."""
    thread: str | None
    """The thread of the message the button is on; None outside messages (App Home)."""
    reply: Reply
    channel: str | None = None
    """The channel of the message the button is on; None outside messages."""


class Buttons:
    """The listeners of the buttons on reports, approval requests and App Home."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def register(self, app: AsyncApp) -> None:
        app.action(re.compile(f"^{FIX}"))(self.fix)
        app.action(re.compile(f"^{RECHECK}"))(self.recheck)
        app.action(APPROVE)(self.decide)
        app.action(REJECT)(self.decide)
        app.action(SCAN_STOP)(self.stop_scan)
        app.action(re.compile(f"^{BULK_FIX}"))(self.bulk_fix)
        app.action(BULK_APPROVE)(self.bulk_decide)
        app.action(BULK_REJECT)(self.bulk_decide)
        app.action(BULK_STOP)(self.bulk_stop)
        app.action(BULK_CANARY)(self.bulk_canary)
        app.action(SCAN_START)(self.start_scan)

    async def fix(
        self, ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        click = await read_click(self.services, action, body, respond)
        if click is not None:
            await click.reply(await _request_fix(self.services, click))

    async def recheck(
        self, ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        click = await read_click(self.services, action, body, respond)
        if click is not None:
            await _recheck(self.services, click)

    async def stop_scan(
        self, ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await self._answer(ack, action, body, respond, "the stop", self._stop_scan)

    async def bulk_fix(
        self, ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await self._answer(ack, action, body, respond, "the bulk fix", self._bulk_fix)

    async def bulk_decide(
        self, ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await self._answer(ack, action, body, respond, "the decision", self._bulk_decide)

    async def bulk_stop(
        self, ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await self._answer(ack, action, body, respond, "the stop", self._bulk_stop)

    async def bulk_canary(
        self, ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await self._answer(ack, action, body, respond, "the choice", self._bulk_canary)

    async def start_scan(
        self, ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await self._answer(ack, action, body, respond, "the scan", self._start_scan)

    async def _answer(
        self,
        ack: AsyncAck,
        action: dict[str, Any],
        body: dict[str, Any],
        respond: AsyncRespond,
        doing: str,
        work: Callable[[dict[str, Any], Click], Awaitable[Message]],
    ) -> None:
        """Acknowledge, read the click, and answer the clicker with what `work` says (or the
        one sentence for a Redis or Slack failure on the way)."""
        await ack()
        click = await read_click(self.services, action, body, respond)
        if click is not None:
            await click.reply(await answered(work(action, click), doing))

    async def _stop_scan(self, action: dict[str, Any], click: Click) -> Message:
        return await stop_scan(self.services, click.value, click.user)

    async def _bulk_fix(self, action: dict[str, Any], click: Click) -> Message:
        check = str(action.get("action_id", ""))[len(BULK_FIX) :]
        return await request_bulk(self.services, click.value, check, click.user)

    async def _bulk_decide(self, action: dict[str, Any], click: Click) -> Message:
        approving = action.get("action_id") == BULK_APPROVE
        return await decide_bulk(
            self.services,
            click.value,
            click.user,
            approving=approving,
            shown=shown(field(action, "block_id")),
        )

    async def _bulk_stop(self, action: dict[str, Any], click: Click) -> Message:
        return await stop_bulk(self.services, click.value, click.user)

    async def _start_scan(self, action: dict[str, Any], click: Click) -> Message:
        if click.channel is None:
            return notice(INCOMPLETE)
        return await request_scan(self.services, click.value, click.channel, click.user)

    async def _bulk_canary(self, action: dict[str, Any], click: Click) -> Message:
        return await choose_canary(self.services, click.value, click.user)

    async def decide(
        self, ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        click = await read_click(self.services, action, body, respond)
        if click is not None:
            move = fixes.approve if action.get("action_id") == APPROVE else fixes.reject
            await click.reply(await _decide(self.services, click, move))


async def read_click(
    services: Services, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
) -> Click | None:
    """Who clicked which button, and how to answer them; None when the payload lacks it (the
    clicker is told when they can be, else one line is logged)."""
    # A button has a value; a select menu, the value of the option chosen.
    value = field(action, "value") or field(action, "selected_option", "value")
    user = field(body, "user", "id")
    reply = _answer_where_clicked(services, body, respond, user)
    if reply is None:
        where = field(body, "container", "type") or "unknown container"
        log.warning("a click on %s in a %s with nowhere to answer; ignored", _id(action), where)
        return None
    if user is None or value is None:
        log.warning("a click on %s without a user or value; told the clicker", _id(action))
        await reply(notice(INCOMPLETE))
        return None
    channel = field(body, "channel", "id") or field(body, "container", "channel_id")
    return Click(user, value, _thread(body), reply, channel)


def _answer_where_clicked(
    services: Services, body: dict[str, Any], respond: AsyncRespond, user: str | None
) -> Reply | None:
    if field(body, "response_url"):

        async def in_the_conversation(message: Message) -> None:
            await respond(response_type="ephemeral", replace_original=False, **message.payload())

        return in_the_conversation
    if (
        user
        and field(body, "container", "type") == "view"
        and field(body, "view", "type") == "home"
    ):

        async def in_app_home(message: Message) -> None:
            await publish_home(services, user, message)

        return in_app_home
    return None


async def _request_fix(services: Services, click: Click) -> Message:
    if click.thread is None:
        return notice(NOT_ON_A_REPORT)
    return await answered(_offer_and_request(services, click, click.thread), "the approval request")


async def _offer_and_request(services: Services, click: Click, thread: str) -> Message:
    offer = await services.store.load_offer(click.value)
    if offer is None:
        return notice(EXPIRED)
    return await fixes.request_fix(
        services, offer, click.value, clicker=click.user, thread_ts=thread
    )


async def _recheck(services: Services, click: Click) -> None:
    try:
        offer = await services.store.load_offer(click.value)
    except RedisError as exc:
        await click.reply(notice(sentence_for(exc, "the re-check")))
        return
    if offer is None:
        await click.reply(notice(EXPIRED))
        return
    await click.reply(notice("Diagnosing again…"))
    asked = Asked(
        question=Question(offer.user_id, offer.app_id, offer.attribute),
        text=offer.asked,
        team=None,
        channel=offer.channel,
        requester=click.user,
        thread_ts=click.thread,
        recheck=True,
    )
    await answer(services, asked, click.reply)


async def _decide(services: Services, click: Click, move: Decide) -> Message:
    return await answered(move(services, click.value, click.user), "the decision")


def _thread(body: dict[str, Any]) -> str | None:
    """The thread of the message the button is on (the report's, or the report itself)."""
    return (
        field(body, "message", "thread_ts")
        or field(body, "container", "thread_ts")
        or field(body, "container", "message_ts")
    )


def _id(action: dict[str, Any]) -> str:
    return field(action, "action_id") or "(no action_id)"
