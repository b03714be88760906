"""The audit trail: every approval transition in a Redis stream, and in a channel if set."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from redis.asyncio import Redis
from slack_sdk.web.async_client import AsyncWebClient

from bot.approvals.store import Approval, describe
from bot.slack.blockkit import escape
from bot.slack.failures import SLACK_FAILURES, slack_error
from bot.store.diagnoses import as_text
from bot.store.keys import Keys

MAX_ENTRIES = 100_000

log = logging.getLogger(__name__)


class Audit:
    def __init__(
        self,
        redis: Redis,
        slack: AsyncWebClient,
        channel: str | None,
        prefix: str,
        clock: Callable[[], datetime],
    ) -> None:
        self._clock = clock
        self._redis = redis
        self._stream = Keys(prefix).audit
        self._slack = slack
        self._channel = channel

    async def record(
        self,
        event: str,
        approval: Approval,
        *,
        actor: str,
        result: str = "",
        request_ids: Sequence[str] = (),
        announce: bool = True,
    ) -> None:
        """Append to the stream; post in the audit channel too unless `announce` is False."""
        plan = approval.plan
        entry = {
            "at": f"{self._clock().timestamp():.3f}",
            "event": event,
            "approval": approval.id,
            "actor": actor,
            "fix": plan.fix,
            "user": plan.user_login,
            "app": plan.app_label,
            "plan": describe(approval),
            "digest": approval.digest,
            "result": result,
            "okta_request_ids": json.dumps(list(request_ids)),
        }
        await self._redis.xadd(self._stream, cast(Any, entry), maxlen=MAX_ENTRIES, approximate=True)
        if self._channel and announce:
            who = f"<@{actor}>" if actor.startswith(("U", "W")) else escape(actor)
            loud = ":rotating_light: " if event == "stalled" else ""
            text = loud + (
                f"attrsync {event}: `{plan.fix}` for {escape(plan.user_login)} in "
                f"{escape(plan.app_label)} by {who}" + (f" — {escape(result)}" if result else "")
            )
            try:
                await self._slack.chat_postMessage(channel=self._channel, text=text)
            except SLACK_FAILURES as exc:  # the stream has it; the channel is a convenience
                log.warning("audit channel refused the entry: %s", slack_error(exc))


async def read(redis: Redis, prefix: str, count: int) -> list[dict[str, Any]]:
    """The newest `count` audit entries, oldest first."""
    entries = await redis.xrevrange(Keys(prefix).audit, count=count) or []
    return [
        {"id": as_text(entry_id), **{as_text(k): as_text(v) for k, v in (fields or {}).items()}}
        for entry_id, fields in reversed(entries)
    ]
