"""build_app(services) -> the Bolt AsyncApp, for HTTP and Socket Mode alike."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.error import BoltUnhandledRequestError

from bot.services import Services
from bot.slack.listeners.actions import Buttons
from bot.slack.listeners.commands import SlashCommand
from bot.slack.listeners.events import Mentions
from bot.slack.listeners.home import AppHome
from bot.slack.listeners.payloads import Intake, describe
from bot.slack.listeners.shortcut import MessageShortcut

log = logging.getLogger(__name__)


def build_app(services: Services) -> AsyncApp:
    slack = services.settings.require_slack()
    bolt_log = logging.getLogger("attrsync.bolt")
    if _token_notice not in bolt_log.filters:
        bolt_log.addFilter(_token_notice)
    app = AsyncApp(
        client=services.slack,  # carries the bot token
        signing_secret=slack.signing_secret,
        logger=bolt_log,
        before_authorize=Intake(),
        # Bolt's own warning for a request no listener takes prints the payload and a code
        # sample; as an error it reaches _log_error, which says it in one line.
        raise_error_for_unhandled_request=True,
    )
    app.error(_log_error)
    for listener in (SlashCommand, Buttons, Mentions, AppHome, MessageShortcut):
        listener(services).register(app)
    return app


def _token_notice(record: logging.LogRecord) -> bool:
    """Bolt also reads SLACK_BOT_TOKEN from the environment and warns that our client's token
    wins over it; that is the intent, so the warning is noise for whoever runs the bot."""
    return not record.getMessage().startswith("As you gave `client`")


async def _log_error(error: Exception, body: dict[str, Any]) -> None:
    if isinstance(error, BoltUnhandledRequestError):
        # Bolt answers 404 (its default for a request no listener takes), so Slack knows.
        log.warning("no listener takes this %s; answered 404", describe(body))
        return
    log.error("unhandled error in a %s listener", describe(body), exc_info=error)
