"""The message shortcut "Diagnose with attrsync": on a message such as "my last name is still
wrong in Box", the message's author is the user (Slack profile email -> Okta user), the app
and attribute are guessed from its words, a small modal asks the person to confirm (or to
name what could not be guessed), and the report goes into the message's thread."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Final

from redis.exceptions import RedisError
from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.reports.answers import Asked, answer
from bot.services import Services
from bot.slack.guess import AppGuess, candidates, guess_app, guess_attribute
from bot.slack.listeners.payloads import field
from bot.slack.modal import diagnose_modal, is_menu, submitted_value
from bot.slackkit.blockkit import Message, notice
from bot.slackkit.ids import MODAL_APP as APP
from bot.slackkit.ids import MODAL_ATTRIBUTE as ATTRIBUTE
from bot.slackkit.ids import MODAL_USER as USER
from bot.slackkit.ids import SHORTCUT
from bot.slackkit.posting import Failed, sent
from checks import parse
from checks.errors import AttrsyncError, OktaError
from checks.facts import quoted
from checks.model import App, Question, User

ASKED = "Diagnose with attrsync"
APPS_LISTED: Final = 1000
"""At most this many apps are read for a guess (a page holds 200)."""

log = logging.getLogger(__name__)


class MessageShortcut:
    def __init__(self, services: Services) -> None:
        self.services = services

    def register(self, app: AsyncApp) -> None:
        app.shortcut(SHORTCUT)(self.chosen)
        app.view(SHORTCUT)(self.submitted)

    async def chosen(self, ack: AsyncAck, shortcut: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        message = shortcut.get("message")
        trigger, channel = field(shortcut, "trigger_id"), field(shortcut, "channel", "id")
        ts = field(message, "ts")
        if trigger is None or channel is None or ts is None or not isinstance(message, dict):
            log.warning("a message shortcut without its trigger, channel or message; ignored")
            return
        text = field(message, "text") or ""
        where = json.dumps({"channel": channel, "thread": field(message, "thread_ts") or ts})
        view = await self._modal(text, field(message, "user"), where)
        opened = client.views_open(trigger_id=trigger, view=view)
        await sent(opened, log, "could not open the diagnose modal")

    async def submitted(
        self, ack: AsyncAck, view: dict[str, Any], body: dict[str, Any], client: AsyncWebClient
    ) -> None:
        user, app = submitted_value(view, USER), submitted_value(view, APP)
        errors = {}
        if not user:
            errors[USER] = "Name the Okta user: a login, email or short name."
        if not app:
            errors[APP] = (
                "Choose the app."
                if is_menu(view, APP)
                else "Name the app: its label or name, as in Okta."
            )
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

        asked = Asked(
            question=Question(user, app, submitted_value(view, ATTRIBUTE)),
            text=ASKED,
            team=field(body, "team", "id"),
            channel=channel,
            requester=submitter,
            thread_ts=thread,
        )
        await privately(notice("Diagnosing…"))
        await answer(self.services, asked, privately)

    async def _modal(self, text: str, author: str | None, metadata: str) -> dict[str, Any]:
        """The modal for a message: its author's Okta user, and the app and attribute guessed
        among the apps Okta provisions to them (the org's other apps are only recognised)."""
        email = await self._email(author) if author else None
        user = await self._okta_user(email) if email else None
        mine, org = await asyncio.gather(
            self._apps(f'user.id eq "{user.id}"', f"apps:user:{user.id}") if user else _none(),
            self._apps('status eq "ACTIVE"', "apps:active"),
        )
        choices = candidates(mine) if mine is not None else None
        chosen = {app.id for app in choices or ()}
        others = [app for app in org or () if app.id not in chosen]
        return diagnose_modal(
            author=author,
            email=email,
            login=user.login if user else None,
            apps=choices,
            guess=guess_app(text, choices, others) if choices else AppGuess(None),
            attribute=guess_attribute(text, [*(mine or ()), *others]),
            excerpt=text,
            metadata=metadata,
        )

    async def _email(self, author: str) -> str | None:
        found = await sent(
            self.services.slack.users_info(user=author),
            log,
            "no Slack profile for a message's author",
        )
        if isinstance(found, Failed):
            return None
        return field(found.data, "user", "profile", "email")

    async def _okta_user(self, email: str) -> User | None:
        """The one Okta user with this email, if there is exactly one."""
        query: dict[str, str | int] = {"search": f"profile.email eq {quoted(email)}", "limit": 2}
        try:
            found = await self.services.okta.get_all("/api/v1/users", query, max_items=2)
        except AttrsyncError as exc:
            log.warning("the Okta user of a message's author could not be looked up: %s", exc)
            return None
        if len(found) != 1:
            return None
        try:
            return parse.user(found[0])
        except OktaError:
            return None

    async def _apps(self, okta_filter: str, name: str) -> list[App] | None:
        """The apps Okta lists for a filter (cached like the other app-level facts); None
        when they cannot be read, which is not the same as none."""
        key = f"{self.services.okta.org_url}|{name}"
        cache = self.services.store.facts
        try:
            listed = await cache.get(key)
            if listed is None:
                listed = await self.services.okta.get_all(
                    "/api/v1/apps", {"filter": okta_filter, "limit": 200}, max_items=APPS_LISTED
                )
                await cache.set(key, listed)
        except (AttrsyncError, RedisError) as exc:
            log.warning("the apps could not be listed for a guess: %s", type(exc).__name__)
            return None
        apps = []
        for raw in listed:
            try:
                apps.append(parse.app(raw))
            except OktaError:
                continue
        return apps


async def _none() -> None:
    return None
