"""App Home: fixes stalled with a user possibly unassigned (everyone), the requests waiting
for approvers, and each person's recent diagnoses."""

from __future__ import annotations

from typing import Any

from redis.exceptions import RedisError
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.approvals.render import home_view
from bot.approvals.requests import ApproverCheckFailed, is_approver
from bot.services import Services


def register(app: AsyncApp, services: Services) -> None:
    @app.event("app_home_opened")
    async def home(event: dict[str, Any], client: AsyncWebClient) -> None:
        if event.get("tab", "home") != "home":
            return
        user = str(event["user"])
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
        await client.views_publish(
            user_id=user, view=home_view(approver, pending, recent, attention)
        )
