"""Fix requests in Redis, created and moved only by the workflow scripts (moves.py).

Key families (under the installation's prefix): `approval:<id>` (hash: the record),
`approvals:pending` (zset by expiry, for App Home and expiry), `approvals:attention` (zset of
runs stalled with a user possibly unassigned), `offer:<id>:approval` (the open request of a fix
button), `jobs` (stream of runs for the workers' group), `jobs:retry` (zset of stalled runs by
when to try again). A run's lease and journal are in runs.py.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from redis.asyncio import Redis

from bot.store.codec import as_text
from bot.store.keys import Keys
from bot.store.moves import Where, Workflows
from bot.workflow.fixes import EXPIRE, FIX, OPEN, State
from bot.workflow.machine import Move
from checks.remediation.model import Plan

KEEP_FOR = 30 * 86400
"""Seconds a finished request stays readable (the audit stream keeps the history for good)."""
Clock = Callable[[], datetime]


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
    stalls: int = 0
    alert_ts: str | None = None
    bulk: str | None = None
    """The bulk fix this run is one user of (it verifies them itself)."""

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
            stalls=int(data.get("stalls") or 0),
            alert_ts=data.get("alert_ts") or None,
            bulk=data.get("bulk") or None,
        )


@dataclass(frozen=True, slots=True)
class Moved:
    """The outcome of a transition: whether it happened, the state found before it, the record
    after it, and whether this very call found the request past its expiry (and expired it)."""

    moved: bool
    found: State | None
    approval: Approval | None
    expired_now: bool = False
    fenced: bool = False
    """Refused because the caller no longer holds the run's lease."""


@dataclass(frozen=True, slots=True)
class Created:
    approval_id: str
    new: bool
    """False: the fix offer already has an open request, and `approval_id` is that one."""


class Approvals:
    def __init__(self, redis: Redis, *, ttl: float, prefix: str, clock: Clock) -> None:
        self._redis = redis
        self._workflows = Workflows(redis, prefix)
        self._clock = clock
        self._ttl = ttl
        self._keys = keys = Keys(prefix)
        self._key = keys.approval_prefix
        self._pending = keys.pending
        self._attention = keys.attention
        self.jobs = keys.jobs

    def _where(self, approval_id: str, offer_id: str = "") -> Where:
        link = self._keys.offer_request(offer_id) if offer_id else ""
        return Where(self._key + approval_id, index=self._pending, link=link)

    async def create(
        self,
        plan: Plan,
        *,
        offer_id: str,
        requester: str,
        channel: str,
        thread_ts: str | None,
        bulk: str = "",
    ) -> Created:
        """A new PENDING request for this fix offer, unless one is open already."""
        now = self._now()
        approval_id = secrets.token_urlsafe(12)
        expires = now + self._ttl
        new, found = await self._workflows.create(
            FIX,
            approval_id,
            self._where(approval_id, offer_id),
            fields={
                "plan": plan.to_json(),
                "digest": plan.digest(),
                "requester": requester,
                "channel": channel,
                "thread_ts": thread_ts or "",
                "created": now,
                "expires": expires,
                "bulk": bulk,
            },
            keep=int(self._ttl) + KEEP_FOR,
            score=expires,
        )
        return Created(found, new)

    def _now(self) -> float:
        return self._clock().timestamp()

    async def get(self, approval_id: str) -> Approval | None:
        raw = await self._redis.hgetall(self._key + approval_id)
        return Approval.from_redis(approval_id, raw) if raw else None

    async def note(self, approval: Approval, **fields: str) -> None:
        """Bookkeeping that is no state change (the request message's ts, the alert's)."""
        await self._redis.hset(self._key + approval.id, mapping=dict[Any, Any](fields))

    async def move(
        self,
        approval_id: str,
        move: Move[State],
        *,
        lease: tuple[str, str] | None = None,
        entry: str = "",
        retry_at: float | None = None,
        **fields: str | int,
    ) -> Moved:
        """Make `move` if the request is in one of its source states (a PENDING request past
        its expiry is EXPIRED first). `lease` is (key, value) of the run's lease for a fenced
        move; `entry` the stream entry a finishing move acknowledges."""
        said = await self._workflows.move(
            FIX,
            move,
            approval_id,
            self._where(approval_id),
            now=self._now(),
            lease=lease,
            entry=entry,
            retry_at=retry_at,
            fields=fields,
        )
        approval = Approval.from_redis(approval_id, said.fields) if said.fields else None
        state = State(said.found) if said.found else None
        return Moved(
            said.moved, state, approval, said.outcome == "lapsed", said.outcome == "fenced"
        )

    async def expire(self, approval_id: str) -> Moved:
        return await self.move(approval_id, EXPIRE)

    async def due(self) -> list[str]:
        """Ids of pending requests past their expiry."""
        return [as_text(i) for i in await self._redis.zrangebyscore(self._pending, 0, self._now())]

    async def pending(self, limit: int = 20) -> list[Approval]:
        ids = await self._redis.zrangebyscore(
            self._pending, self._now(), "+inf", start=0, num=limit
        )
        return await self._states(ids, {State.PENDING})

    async def attention(self, limit: int = 20) -> list[Approval]:
        """Runs stalled on a step that must finish, oldest first."""
        ids = await self._redis.zrange(self._attention, 0, limit - 1)
        return await self._states(ids, OPEN)

    async def promote_retries(self, limit: int = 10) -> int:
        """Put the stalled runs that are due again on the jobs stream."""
        return await self._workflows.promote_retries(FIX, self._now(), limit)

    async def _states(
        self, ids: Sequence[Any], states: frozenset[State] | set[State]
    ) -> list[Approval]:
        found = await asyncio.gather(*(self.get(as_text(i)) for i in ids))
        return [a for a in found if a is not None and a.state in states]


def describe(approval: Approval) -> str:
    """The plan's calls as one JSON document, for the audit trail."""
    return json.dumps([step.call() for step in approval.plan.steps])
