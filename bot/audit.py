"""The audit trail: every approval transition in the trail (Redis), and in a channel if set."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from redis.asyncio import Redis
from slack_sdk.web.async_client import AsyncWebClient

from bot.slackkit.blockkit import escape
from bot.slackkit.posting import sent
from bot.store.approvals import Approval, describe
from bot.store.audit import AuditTrail
from bot.store.bulk import BulkRecord

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
        self.trail = AuditTrail(redis, prefix)
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
        await self._append(entry, announce=announce)

    async def record_bulk(
        self, event: str, bulk: BulkRecord, *, actor: str, result: str = ""
    ) -> None:
        """A bulk fix's own steps (each user's run is recorded as a fix of its own)."""
        entry = {
            "at": f"{self._clock().timestamp():.3f}",
            "event": f"bulk-{event}",
            "approval": f"bulk:{bulk.id}",
            "actor": actor,
            "fix": bulk.fix_id,
            "user": f"{bulk.total} users",
            "app": bulk.app_label,
            "plan": "[]",
            "digest": "",
            "result": result,
            "okta_request_ids": "[]",
        }
        await self._append(entry, announce=True)

    async def _append(self, entry: dict[str, str], *, announce: bool) -> None:
        await self.trail.append(entry)
        if not (self._channel and announce):
            return
        actor, result = entry["actor"], entry["result"]
        who = f"<@{actor}>" if actor.startswith(("U", "W")) else escape(actor)
        loud = ":rotating_light: " if entry["event"] == "stalled" else ""
        text = loud + (
            f"attrsync {entry['event']}: `{entry['fix']}` for {escape(entry['user'])} in "
            f"{escape(entry['app'])} by {who}" + (f" — {escape(result)}" if result else "")
        )
        # The stream has it; the channel is a convenience.
        await sent(
            self._slack.chat_postMessage(channel=self._channel, text=text),
            log,
            "audit channel refused the entry",
        )
