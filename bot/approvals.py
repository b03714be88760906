"""The approval state machine, kept in Redis so that any bot process can move it on.

    PENDING -> APPROVED -> RUNNING -> DONE | FAILED
    PENDING -> REJECTED | EXPIRED

Every transition is one Lua script: it checks the current state (and the expiry) and moves it
in one step, so double clicks, redeliveries and two processes racing move it at most once.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis

from bot.store import as_text
from checks.remediation.model import Plan

KEEP_FOR = 30 * 86400
"""Seconds a finished request stays readable (the audit stream keeps the history for good)."""


class State(StrEnum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    FAILED = "FAILED"
    REJECTED = "REJECTED"
    EXPIRED = "EXPIRED"


FINAL = frozenset({State.DONE, State.FAILED, State.REJECTED, State.EXPIRED})

# KEYS: approval hash, pending index. ARGV: now, allowed states (comma-separated), new state,
# approval id, then field/value pairs to set along with the state.
_TRANSITION = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'', 'missing'} end
local expired = false
if state == 'PENDING' and tonumber(redis.call('HGET', KEYS[1], 'expires')) <= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'state', 'EXPIRED')
  redis.call('ZREM', KEYS[2], ARGV[4])
  state, expired = 'EXPIRED', true
end
for allowed in string.gmatch(ARGV[2], '[^,]+') do
  if state == allowed then
    redis.call('HSET', KEYS[1], 'state', ARGV[3], unpack(ARGV, 5))
    if ARGV[3] ~= 'PENDING' then redis.call('ZREM', KEYS[2], ARGV[4]) end
    return {state, 'moved'}
  end
end
if expired then return {state, 'expired'} end
return {state, 'refused'}
"""


@dataclass(frozen=True, slots=True)
class Approval:
    id: str
    state: State
    plan: Plan
    digest: str
    requester: str
    channel: str
    thread_ts: str | None
    created: float
    expires: float
    message_ts: str | None = None
    approver: str | None = None
    result: str | None = None

    @classmethod
    def from_redis(cls, approval_id: str, raw: Mapping[Any, Any]) -> Approval:
        data = {as_text(k): as_text(v) for k, v in raw.items()}
        return cls(
            id=approval_id,
            state=State(data["state"]),
            plan=Plan.from_json(data["plan"]),
            digest=data["digest"],
            requester=data["requester"],
            channel=data["channel"],
            thread_ts=data.get("thread_ts") or None,
            created=float(data["created"]),
            expires=float(data["expires"]),
            message_ts=data.get("message_ts") or None,
            approver=data.get("approver") or None,
            result=data.get("result") or None,
        )


@dataclass(frozen=True, slots=True)
class Moved:
    """The outcome of a transition: whether it happened, the state found, and whether this
    very call found the request past its expiry (and so marked it EXPIRED)."""

    moved: bool
    found: State | None
    approval: Approval | None
    expired_now: bool = False


class Approvals:
    def __init__(self, redis: Redis, *, ttl: float, prefix: str) -> None:
        self._redis = redis
        self._ttl = ttl
        self._key = f"{prefix}approval:"
        self._pending = f"{prefix}approvals:pending"
        self._transition = redis.register_script(_TRANSITION)

    async def create(
        self, plan: Plan, *, requester: str, channel: str, thread_ts: str | None
    ) -> Approval:
        now = time.time()
        approval = Approval(
            id=secrets.token_urlsafe(12),
            state=State.PENDING,
            plan=plan,
            digest=plan.digest(),
            requester=requester,
            channel=channel,
            thread_ts=thread_ts,
            created=now,
            expires=now + self._ttl,
        )
        fields: dict[Any, Any] = {
            "state": approval.state.value,
            "plan": plan.to_json(),
            "digest": approval.digest,
            "requester": requester,
            "channel": channel,
            "thread_ts": thread_ts or "",
            "created": now,
            "expires": approval.expires,
        }
        key = self._key + approval.id
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.hset(key, mapping=fields)
            pipe.expire(key, int(self._ttl) + KEEP_FOR)
            pipe.zadd(self._pending, {approval.id: approval.expires})
            await pipe.execute()
        return approval

    async def get(self, approval_id: str) -> Approval | None:
        raw = await self._redis.hgetall(self._key + approval_id)
        return Approval.from_redis(approval_id, raw) if raw else None

    async def note_message(self, approval: Approval, message_ts: str) -> Approval:
        await self._redis.hset(self._key + approval.id, "message_ts", message_ts)
        return replace(approval, message_ts=message_ts)

    async def move(self, approval_id: str, allowed: set[State], to: State, **fields: str) -> Moved:
        """Move to `to` if the state is one of `allowed` (PENDING past its expiry is EXPIRED)."""
        args: list[Any] = [time.time(), ",".join(sorted(allowed)), to.value, approval_id]
        for name, value in fields.items():
            args += [name, value]
        found, outcome = await self._transition(
            keys=[self._key + approval_id, self._pending], args=args
        )
        state = State(as_text(found)) if found else None
        said = as_text(outcome)
        return Moved(said == "moved", state, await self.get(approval_id), said == "expired")

    async def due(self) -> list[str]:
        """Ids of pending requests past their expiry."""
        return [as_text(i) for i in await self._redis.zrangebyscore(self._pending, 0, time.time())]

    async def pending(self, limit: int = 20) -> list[Approval]:
        ids = await self._redis.zrangebyscore(
            self._pending, time.time(), "+inf", start=0, num=limit
        )
        found = [await self.get(as_text(i)) for i in ids]
        return [a for a in found if a is not None and a.state is State.PENDING]


def describe(approval: Approval) -> str:
    """The plan's calls as one JSON document, for the audit trail."""
    return json.dumps([step.call() for step in approval.plan.steps])
