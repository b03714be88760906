"""build_app(services) -> the Bolt AsyncApp, for HTTP and Socket Mode alike."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp, AsyncBoltContext
from slack_bolt.response import BoltResponse

from bot.listeners import actions, commands, events, home
from bot.logs import new_request_id
from bot.services import Services

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
    )
    app.use(_tag_request)
    app.error(_log_error)
    commands.register(app, services)
    actions.register(app, services)
    events.register(app, services)
    home.register(app, services)
    return app


def _token_notice(record: logging.LogRecord) -> bool:
    """Bolt also reads SLACK_BOT_TOKEN from the environment and warns that our client's token
    wins over it; that is the intent, so the warning is noise for whoever runs the bot."""
    return not record.getMessage().startswith("As you gave `client`")


async def _tag_request(
    context: AsyncBoltContext, next: Callable[[], Awaitable[BoltResponse]]
) -> BoltResponse:
    context["request_id"] = new_request_id()
    return await next()


async def _log_error(error: Exception, body: dict[str, Any]) -> None:
    kind = body.get("type") or body.get("command") or "request"
    log.error("unhandled error in a %s listener", kind, exc_info=error)
