"""Fix requests in Redis, moved only by the scripts here so that every process agrees.

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
from bot.workflow.fixes import EXPIRE, OPEN, Move, State
from checks.remediation.model import Plan

KEEP_FOR = 30 * 86400
"""Seconds a finished request stays readable (the audit stream keeps the history for good)."""
JOBS_MAXLEN = 10_000
"""The jobs stream is trimmed to about this many entries (acknowledged ones are history)."""
GROUP = "workers"
Clock = Callable[[], datetime]

# Every script checks before it writes and makes the fallible writes (XADD to a key that may
# be of the wrong type) first: Redis does not roll a script back, so nothing may fail after
# the state has changed.

# KEYS: approval, pending, attention, jobs, retry, lease ("" when unfenced).
# ARGV: now, sources (comma-separated), to, id, lease value, enqueue, ack entry, retry at,
# attention (add|remove|""), maxlen, group, then field/value pairs to set with the state.
_MOVE = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return {'missing', ''} end
local expired = false
if state == 'PENDING' and tonumber(redis.call('HGET', KEYS[1], 'expires')) <= tonumber(ARGV[1]) then
  redis.call('HSET', KEYS[1], 'state', 'EXPIRED')
  redis.call('ZREM', KEYS[2], ARGV[4])
  state, expired = 'EXPIRED', true
end
local allowed = false
for source in string.gmatch(ARGV[2], '[^,]+') do
  if state == source then allowed = true end
end
if not allowed then
  if expired then return {'expired', state, redis.call('HGETALL', KEYS[1])} end
  return {'refused', state, redis.call('HGETALL', KEYS[1])}
end
if KEYS[6] ~= '' and redis.call('GET', KEYS[6]) ~= ARGV[5] then
  return {'fenced', state, redis.call('HGETALL', KEYS[1])}
end
if ARGV[6] == '1' then
  redis.call('XADD', KEYS[4], 'MAXLEN', '~', ARGV[10], '*', 'approval', ARGV[4])
end
if ARGV[7] ~= '' then redis.call('XACK', KEYS[4], ARGV[11], ARGV[7]) end
if ARGV[8] ~= '' then redis.call('ZADD', KEYS[5], ARGV[8], ARGV[4]) end
redis.call('HSET', KEYS[1], 'state', ARGV[3], unpack(ARGV, 12))
if ARGV[3] ~= 'PENDING' then redis.call('ZREM', KEYS[2], ARGV[4]) end
if ARGV[9] == 'add' then redis.call('ZADD', KEYS[3], ARGV[1], ARGV[4]) end
if ARGV[9] == 'remove' then redis.call('ZREM', KEYS[3], ARGV[4]) end
return {'moved', state, redis.call('HGETALL', KEYS[1])}
"""

# KEYS: offer link, new approval, pending. ARGV: new id, expires, keep seconds, approval key
# prefix, open states (comma-separated), then the record's field/value pairs.
_CREATE = """
local existing = redis.call('GET', KEYS[1])
if existing then
  local state = redis.call('HGET', ARGV[4] .. existing, 'state')
  for open in string.gmatch(ARGV[5], '[^,]+') do
    if state == open then return {0, existing} end
  end
end
redis.call('HSET', KEYS[2], unpack(ARGV, 6))
redis.call('EXPIRE', KEYS[2], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[2], ARGV[1])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[3])
return {1, ARGV[1]}
"""

# KEYS: retry, jobs. ARGV: now, maxlen, limit. Due retries go back on the stream.
_PROMOTE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, id in ipairs(due) do
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'approval', id)
  redis.call('ZREM', KEYS[1], id)
end
return #due
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
        self._clock = clock
        self._ttl = ttl
        self._keys = keys = Keys(prefix)
        self._key = keys.approval_prefix
        self._pending = keys.pending
        self._attention = keys.attention
        self.jobs = keys.jobs
        self._retry = keys.retries
        self._move = redis.register_script(_MOVE)
        self._create = redis.register_script(_CREATE)
        self._promote = redis.register_script(_PROMOTE)

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
        fields: dict[str, Any] = {
            "state": State.PENDING.value,
            "plan": plan.to_json(),
            "digest": plan.digest(),
            "requester": requester,
            "channel": channel,
            "thread_ts": thread_ts or "",
            "created": now,
            "expires": expires,
            "bulk": bulk,
        }
        keep = int(self._ttl) + KEEP_FOR
        args: list[Any] = [approval_id, expires, keep, self._key, ",".join(sorted(OPEN))]
        for name, value in fields.items():
            args += [name, value]
        new, found = await self._create(
            keys=[
                self._keys.offer_request(offer_id),
                self._key + approval_id,
                self._pending,
            ],
            args=args,
        )
        return Created(as_text(found), bool(new))

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
        move: Move,
        *,
        lease: tuple[str, str] | None = None,
        entry: str = "",
        retry_at: float | None = None,
        **fields: str | int,
    ) -> Moved:
        """Make `move` if the request is in one of its source states (a PENDING request past
        its expiry is EXPIRED first). `lease` is (key, value) of the run's lease for a fenced
        move; `entry` the stream entry a finishing move acknowledges."""
        if move.fenced and lease is None:
            raise ValueError(f"moving to {move.to} needs the run's lease")
        attention = {True: "add", False: "remove", None: ""}[move.attention]
        args: list[Any] = [
            self._now(),
            ",".join(sorted(move.sources)) or "-",
            move.to.value,
            approval_id,
            lease[1] if lease else "",
            "1" if move.enqueue else "0",
            entry if move.ack else "",
            f"{retry_at:.3f}" if move.retry and retry_at is not None else "",
            attention,
            JOBS_MAXLEN,
            GROUP,
        ]
        for name, value in fields.items():
            args += [name, value]
        keys = [
            self._key + approval_id,
            self._pending,
            self._attention,
            self.jobs,
            self._retry,
            lease[0] if lease else "",
        ]
        outcome, found, *record = await self._move(keys=keys, args=args)
        said = as_text(outcome)
        approval = _record(approval_id, record[0]) if record else None
        state = State(as_text(found)) if found else None
        return Moved(said == "moved", state, approval, said == "expired", said == "fenced")

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
        return int(
            await self._promote(
                keys=[self._retry, self.jobs], args=[self._now(), JOBS_MAXLEN, limit]
            )
        )

    async def _states(
        self, ids: Sequence[Any], states: frozenset[State] | set[State]
    ) -> list[Approval]:
        found = await asyncio.gather(*(self.get(as_text(i)) for i in ids))
        return [a for a in found if a is not None and a.state in states]


def _record(approval_id: str, flat: Sequence[Any]) -> Approval | None:
    raw = dict(zip(flat[::2], flat[1::2], strict=True))
    return Approval.from_redis(approval_id, raw) if raw else None


def describe(approval: Approval) -> str:
    """The plan's calls as one JSON document, for the audit trail."""
    return json.dumps([step.call() for step in approval.plan.steps])
