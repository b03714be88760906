"""Fix buttons (`fix:<check id>`): say, to the person who clicked, what the fix would do."""

from __future__ import annotations

import re
from typing import Any

from redis.exceptions import RedisError
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot import render
from bot.answers import REDIS_DOWN
from bot.services import Services


def register(app: AsyncApp, services: Services) -> None:
    @app.action(re.compile(r"^fix:"))
    async def fix(ack: AsyncAck, action: dict[str, Any], respond: AsyncRespond) -> None:
        await ack()
        try:
            offer = await services.store.load_offer(str(action.get("value") or ""))
        except RedisError:
            message = render.notice(REDIS_DOWN)
        else:
            message = (
                render.fix_explanation(offer.check, offer.fix, offer.detail)
                if offer is not None
                else render.notice("This fix offer has expired; run the diagnosis again.")
            )
        await respond(response_type="ephemeral", replace_original=False, **message.payload())
