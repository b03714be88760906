"""App Home: fixes stalled with a user possibly unassigned (everyone), the requests waiting
for approvers, and each person's recent diagnoses; and the answer to a click made there."""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError
from slack_bolt.async_app import AsyncApp
from slack_sdk.models.blocks import DividerBlock

from bot.approvers import ApproverCheckFailed, is_approver
from bot.fixes.render import home_view
from bot.services import Services
from bot.slack.listeners.payloads import field
from bot.slackkit.blockkit import Message
from bot.slackkit.posting import sent

MAX_HOME_BLOCKS = 100
"""Slack's limit for a Home tab view."""

log = logging.getLogger(__name__)


class AppHome:
    """The `app_home_opened` event's listener."""

    def __init__(self, services: Services) -> None:
        self.services = services

    def register(self, app: AsyncApp) -> None:
        app.event("app_home_opened")(self.opened)

    async def opened(self, event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home":
            return
        user = field(event, "user")
        if user is None:
            log.warning("an app_home_opened event without a user; nobody to show it to, ignored")
            return
        await publish_home(self.services, user)


async def publish_home(services: Services, user: str, notice: Message | None = None) -> None:
    """Show `user` their Home as it is now, with `notice` (the answer to what they just did
    there) on top. Re-rendered from Redis, so a decided request is gone from it. Published
    without the view's hash: this render is the newest state, whatever was shown before."""
    view = await _home(services, user)
    if notice is not None:
        on_top = [*notice.payload()["blocks"], DividerBlock().to_dict()]
        view["blocks"] = [*on_top, *_blocks(view)][:MAX_HOME_BLOCKS]
    published = services.slack.views_publish(user_id=user, view=view)
    await sent(published, log, f"could not publish App Home for {user}")


async def _home(services: Services, user: str) -> dict[str, Any]:
    try:
        approver = await is_approver(services, user)
    except (ApproverCheckFailed, RedisError):
        approver = False
    try:
        attention = await services.approvals.attention()
        pending = await services.approvals.pending() if approver else []
        recent = await services.store.recent_diagnoses(user)
    except RedisError:
        attention, pending, recent = [], [], []
    return dict(home_view(approver, pending, recent, attention))


def _blocks(view: dict[str, Any]) -> list[Any]:
    blocks = view.get("blocks")
    return list(blocks) if isinstance(blocks, list) else []
