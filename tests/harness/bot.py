"""The bot as Slack sees it: Bolt behind aiohttp on a real port, talking to the fake Slack,
the fake Okta and a real Redis."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp

from bot.config import DEFAULT_REDIS_URL, Settings
from bot.runtime.processes import http_server
from bot.services import Services, open_services
from bot.slack.app import build_app
from fakes.slack.payloads import post_signed, slash_command
from fakes.slack.server import FakeSlack

SIGNING_SECRET = "test-signing-secret-0123456789"
BOT_TOKEN = "xoxb-test"


APPROVER, HELPDESK_GROUP, GROUP_MEMBER = "U0APPROVER", "S0HELPDESK", "U0CAROL"


def bot_settings(
    okta_url: str, slack: FakeSlack, redis_url: str | None = None, **extra: str
) -> Settings:
    """The bot's settings for one test: its own Redis key prefix, so tests never meet."""
    return Settings.from_env(
        {
            "OKTA_ORG_URL": okta_url,
            "OKTA_API_TOKEN": "test-token-do-not-print",
            "SLACK_BOT_TOKEN": BOT_TOKEN,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_APP_TOKEN": "xapp-test",
            "SLACK_API_URL": slack.api_url,
            "REDIS_URL": redis_url or os.environ.get("REDIS_URL", DEFAULT_REDIS_URL),
            "ATTRSYNC_REDIS_PREFIX": f"attrsync-test-{uuid.uuid4().hex[:8]}:",
            "ATTRSYNC_APPROVERS": f"{APPROVER} {HELPDESK_GROUP}",
        }
        | extra
    )


def buttons(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The section buttons of a posted message, by action_id."""
    return {
        b["accessory"]["action_id"]: b["accessory"]
        for b in blocks
        if b.get("accessory", {}).get("type") == "button"
    }


def new_channel() -> str:
    """A channel of its own per test: the duplicate guard must not link to another test's report."""
    return "C" + uuid.uuid4().hex[:10].upper()


@dataclass
class Bot:
    url: str
    services: Services
    slack: FakeSlack
    http: aiohttp.ClientSession

    async def post(
        self, body: str, *, secret: str = SIGNING_SECRET, **kwargs: object
    ) -> tuple[int, str, float]:
        return await post_signed(self.http, f"{self.url}/slack/events", body, secret, **kwargs)  # type: ignore[arg-type]

    async def command(
        self, text: str, *, channel: str, user: str = "U0ALICE"
    ) -> tuple[int, str, str]:
        """Send `/attrsync <text>`; return status, ack body and the response_url used."""
        response_url = self.slack.new_response_url()
        body = slash_command(text, response_url=response_url, channel_id=channel, user_id=user)
        status, answer, _ = await self.post(body)
        return status, answer, response_url


@asynccontextmanager
async def running_bot(
    settings: Settings, slack: FakeSlack, *, clock: Callable[[], datetime] | None = None
) -> AsyncIterator[Bot]:
    async with open_services(settings, settings.require_okta(), clock=clock) as services:
        bolt = build_app(services)
        async with (
            http_server(bolt, services, "127.0.0.1", 0) as url,
            aiohttp.ClientSession() as http,
        ):
            yield Bot(url, services, slack, http)
