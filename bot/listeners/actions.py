"""Buttons: `fix:<check>` asks for a fix, `recheck:<check>` diagnoses again,
`approval:approve` / `approval:reject` decide a request."""

from __future__ import annotations

import re
from typing import Any

from redis.exceptions import RedisError, ResponseError
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot import render
from bot.answers import REDIS_DOWN, REDIS_REFUSED, Question, answer
from bot.approvals import requests as fixes
from bot.approvals.render import APPROVE, RECHECK, REJECT
from bot.blockkit import Message
from bot.commands import Why
from bot.services import Services
from bot.slackapi import SLACK_FAILURES, slack_error

EXPIRED = "This fix offer has expired; run the diagnosis again."


def register(app: AsyncApp, services: Services) -> None:
    async def private(respond: AsyncRespond, message: Message) -> None:
        await respond(response_type="ephemeral", replace_original=False, **message.payload())

    @app.action(re.compile(r"^fix:"))
    async def fix(
        ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        offer_id = str(action.get("value") or "")
        try:
            offer = await services.store.load_offer(offer_id)
            if offer is None:
                await private(respond, render.notice(EXPIRED))
                return
            reply = await fixes.request_fix(
                services, offer, offer_id, clicker=_user(body), thread_ts=_thread(body)
            )
        except ResponseError:  # Redis answered, but refused (a key of the wrong type, OOM)
            reply = render.notice(REDIS_REFUSED)
        except RedisError:
            reply = render.notice(REDIS_DOWN)
        except SLACK_FAILURES as exc:
            reply = render.notice(
                f"Slack refused the approval request ({slack_error(exc)}); try again."
            )
        await private(respond, reply)

    @app.action(re.compile(rf"^{RECHECK}:"))
    async def recheck(
        ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        try:
            offer = await services.store.load_offer(str(action.get("value") or ""))
        except RedisError:
            await private(respond, render.notice(REDIS_DOWN))
            return
        if offer is None or offer.user_id is None or offer.app_id is None:
            await private(respond, render.notice(EXPIRED))
            return
        await private(respond, render.notice("Diagnosing again…"))
        question = Question(
            why=Why(offer.user_id, offer.app_id, None),
            asked=offer.asked,
            team=None,
            channel=offer.channel,
            requester=_user(body),
            thread_ts=_thread(body),
            recheck=True,
        )
        await answer(services, question, lambda message: private(respond, message))

    @app.action(APPROVE)
    async def approve(
        ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        try:
            reply = await fixes.approve(services, str(action.get("value") or ""), _user(body))
        except ResponseError:  # Redis answered, but refused (a key of the wrong type, OOM)
            reply = render.notice(REDIS_REFUSED)
        except RedisError:
            reply = render.notice(REDIS_DOWN)
        await private(respond, reply)

    @app.action(REJECT)
    async def reject(
        ack: AsyncAck, action: dict[str, Any], body: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        try:
            reply = await fixes.reject(services, str(action.get("value") or ""), _user(body))
        except ResponseError:  # Redis answered, but refused (a key of the wrong type, OOM)
            reply = render.notice(REDIS_REFUSED)
        except RedisError:
            reply = render.notice(REDIS_DOWN)
        await private(respond, reply)


def _user(body: dict[str, Any]) -> str:
    return str(body.get("user", {}).get("id") or "")


def _thread(body: dict[str, Any]) -> str:
    """The thread of the message the button is on (the report's, or the report itself)."""
    message = body.get("message") or {}
    container = body.get("container") or {}
    return str(
        message.get("thread_ts") or container.get("thread_ts") or container.get("message_ts")
    )
