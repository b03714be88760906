"""App Home: approvers see the requests waiting for them; everyone sees their recent diagnoses."""

from __future__ import annotations

from typing import Any

from redis.exceptions import RedisError
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import fixes
from bot.render_approvals import home_view
from bot.services import Services


def register(app: AsyncApp, services: Services) -> None:
    @app.event("app_home_opened")
    async def home(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user = str(event["user"])
        try:
            approver = await fixes.is_approver(services, user)
            pending = await services.approvals.pending() if approver else []
            recent = await services.store.recent_diagnoses(user)
        except RedisError:
            pending, recent, approver = [], [], False
        await client.views_publish(user_id=user, view=home_view(approver, pending, recent))
