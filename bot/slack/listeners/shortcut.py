"""The message shortcut "Diagnose with attrsync": on a message such as "my last name is still
wrong in Box", the message's author is the user (Slack profile email -> Okta user), the app
and attribute are guessed from its words, a small modal asks the person to confirm (or to
name what could not be guessed), and the report goes into the message's thread."""

from __future__ import annotations

import json
import logging
from typing import Any

from redis.exceptions import RedisError
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.runtime.services import Services
from bot.slack import render
from bot.slack.answers import Question, answer
from bot.slack.blockkit import Message
from bot.slack.failures import SLACK_FAILURES, slack_error
from bot.slack.guess import apps_named, attribute_named
from bot.slack.listeners.payloads import field
from bot.slack.modal import APP, ATTRIBUTE, USER, diagnose_modal, submitted_value
from bot.slack.parser import Why
from checks import parse
from checks.errors import AttrsyncError, OktaError
from checks.facts import quoted
from checks.model import App

CALLBACK = "diagnose_message"
ASKED = "Diagnose with attrsync"

log = logging.getLogger(__name__)


class MessageShortcut:
    def __init__(self, services: Services) -> None:
        self.services = services

    def register(self, app: AsyncApp) -> None:
        app.shortcut(CALLBACK)(self.chosen)
        app.view(CALLBACK)(self.submitted)

    async def chosen(self, ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        message = shortcut.get("message")
        trigger, channel = field(shortcut, "trigger_id"), field(shortcut, "channel", "id")
        ts = field(message, "ts")
        if trigger is None or channel is None or ts is None or not isinstance(message, dict):
            log.warning("a message shortcut without its trigger, channel or message; ignored")
            return
        text = field(message, "text") or ""
        author = field(message, "user")
        email = await self._email(author) if author else None
        login = await self._okta_login(email) if email else None
        apps = await self._apps()
        view = diagnose_modal(
            author=author,
            email=email,
            login=login,
            apps=apps_named(text, apps),
            attribute=attribute_named(text),
            excerpt=text,
            metadata=json.dumps({"channel": channel, "thread": field(message, "thread_ts") or ts}),
        )
        try:
            await client.views_open(trigger_id=trigger, view=view)
        except SLACK_FAILURES as exc:
            log.warning("could not open the diagnose modal: %s", slack_error(exc))

    async def submitted(
        self, ack: AsyncAck, view: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        user, app = submitted_value(view, USER), submitted_value(view, APP)
        errors = {}
        if not user:
            errors[USER] = "Name the Okta user: a login, email or short name."
        if not app:
            errors[APP] = "Name the app: its label or name, as in Okta."
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        submitter = field(body, "user", "id")
        try:
            where = json.loads(field(view, "private_metadata") or "")
            channel, thread = str(where["channel"]), str(where["thread"])
        except (ValueError, KeyError, TypeError):
            log.warning("a diagnose modal came back without its channel; ignored")
            return
        if submitter is None or user is None or app is None:
            return

        async def privately(message: Message) -> None:
            await client.chat_postEphemeral(
                channel=channel, user=submitter, thread_ts=thread, **message.payload()
            )

        question = Question(
            why=Why(user, app, submitted_value(view, ATTRIBUTE)),
            asked=ASKED,
            team=field(body, "team", "id"),
            channel=channel,
            requester=submitter,
            thread_ts=thread,
        )
        await privately(render.notice("Diagnosing…"))
        await answer(self.services, question, privately)

    async def _email(self, author: str) -> str | None:
        try:
            found = await self.services.slack.users_info(user=author)
        except SLACK_FAILURES as exc:
            log.warning("no Slack profile for a message's author: %s", slack_error(exc))
            return None
        return field(found.data, "user", "profile", "email")

    async def _okta_login(self, email: str) -> str | None:
        """The login of the one Okta user with this email, if there is exactly one."""
        query: dict[str, str | int] = {"search": f"profile.email eq {quoted(email)}", "limit": 2}
        try:
            found = await self.services.okta.get_all("/api/v1/users", query, max_items=2)
        except AttrsyncError as exc:
            log.warning("the Okta user of a message's author could not be looked up: %s", exc)
            return None
        if len(found) != 1:
            return None
        try:
            return parse.user(found[0]).login
        except OktaError:
            return None

    async def _apps(self) -> list[App]:
        """The org's active apps, to recognise their names in the message (cached like the
        other app-level facts)."""
        key = f"{self.services.okta.org_url}|apps:active"
        cache = self.services.store.facts
        try:
            listed = await cache.get(key)
            if listed is None:
                listed = await self.services.okta.get_all(
                    "/api/v1/apps", {"filter": 'status eq "ACTIVE"', "limit": 200}
                )
                await cache.set(key, listed)
        except (AttrsyncError, RedisError) as exc:
            log.warning("the apps could not be listed for a guess: %s", type(exc).__name__)
            return []
        apps = []
        for raw in listed:
            try:
                apps.append(parse.app(raw))
            except OktaError:
                continue
        return apps
