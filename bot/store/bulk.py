"""Bulk fixes in Redis: `bulk:<id>` (hash: the record, with `a:<i>` naming the approval made
for the i-th user), `bulk:<id>:users` (list of `user_id,login`), `bulk:<id>:outcomes` (CSV
rows, one per user done) and `bulk-open:<scan>:<check>` (the open bulk fix of a scan's cause).

    PENDING -> CANARY -> CONFIRM -> RUNNING -> DONE | STOPPED | FAILED
    PENDING | CONFIRM -> REJECTED          CANARY -> FAILED | STOPPED

Approving (PENDING -> CANARY, CONFIRM -> RUNNING) queues the bulk's job in the same script,
which also checks that the canary is the one the approver was shown and, where the rest need
another approver, that the confirmer did not approve the canary. The worker's moves and its
record of each user are fenced by the bulk's lease.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from redis.asyncio import Redis

from bot.store.approvals import JOBS_MAXLEN
from bot.store.codec import as_text, pairs
from bot.store.keys import Keys

KEEP_FOR = 30 * 86400


# KEYS: bulk, users. ARGV: user id. The user goes first (the canary) while the bulk is PENDING;
# `canary_changed` tells an approval that cannot say which canary it saw that it may not be
# this one.
_CANARY = """
local state = redis.call('HGET', KEYS[1], 'state')
if state ~= 'PENDING' then return state or '' end
local prefix = ARGV[1] .. ','
for i, row in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
  if string.sub(row, 1, #prefix) == prefix then
    if i > 1 then
      redis.call('LREM', KEYS[2], 1, row)
      redis.call('LPUSH', KEYS[2], row)
      redis.call('HSET', KEYS[1], 'canary_changed', '1')
    end
    return 'moved'
  end
end
return 'unknown'
"""


class BulkState(StrEnum):
    PENDING = "PENDING"
    CANARY = "CANARY"
    CONFIRM = "CONFIRM"
    RUNNING = "RUNNING"
    DONE = "DONE"
    STOPPED = "STOPPED"
    FAILED = "FAILED"
    REJECTED = "REJECTED"

    @property
    def ended(self) -> bool:
        return self in (BulkState.DONE, BulkState.STOPPED, BulkState.FAILED, BulkState.REJECTED)


APPROVABLE = {BulkState.PENDING: BulkState.CANARY, BulkState.CONFIRM: BulkState.RUNNING}
"""What an approval moves a bulk fix to: the canary, then the rest."""

# KEYS: open link, bulk, users. ARGV: id, keep, then '--' separated: fields, users.
_CREATE = """
local existing = redis.call('GET', KEYS[1])
if existing then
  local state = redis.call('HGET', ARGV[3] .. existing, 'state')
  if state and state ~= 'DONE' and state ~= 'STOPPED' and state ~= 'FAILED'
     and state ~= 'REJECTED' then
    return {0, existing}
  end
end
local split = 0
for i = 4, #ARGV do if ARGV[i] == '--' then split = i break end end
redis.call('HSET', KEYS[2], unpack(ARGV, 4, split - 1))
redis.call('RPUSH', KEYS[3], unpack(ARGV, split + 1))
redis.call('EXPIRE', KEYS[2], ARGV[2])
redis.call('EXPIRE', KEYS[3], ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return {1, ARGV[1]}
"""

# KEYS: bulk, jobs, lease ('' unfenced), users. ARGV: from (comma-separated), to, lease value,
# enqueue (0|1), id, maxlen, canary (the user id that must be first, '' any), canary unchanged
# (1: the canary first proposed), not by (the canary's approver may not be this user, ''
# anyone), then field/value pairs. Returns the state found, 'canary' or 'same'. The canary is
# checked here, not before: it may change between a read and the move.
_MOVE = """
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return '' end
local allowed = false
for source in string.gmatch(ARGV[1], '[^,]+') do
  if state == source then allowed = true end
end
if not allowed then return state end
if KEYS[3] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[3] then return 'fenced' end
if ARGV[7] ~= '' then
  local first = redis.call('LINDEX', KEYS[4], 0) or ''
  if string.sub(first, 1, #ARGV[7] + 1) ~= ARGV[7] .. ',' then return 'canary' end
end
if ARGV[8] == '1' and redis.call('HGET', KEYS[1], 'canary_changed') then return 'canary' end
if ARGV[9] ~= '' and redis.call('HGET', KEYS[1], 'approver') == ARGV[9] then return 'same' end
if ARGV[4] == '1' then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', 'bulk', ARGV[5])
end
redis.call('HSET', KEYS[1], 'state', ARGV[2], unpack(ARGV, 10))
return 'moved'
"""

# KEYS: bulk, outcomes, lease. ARGV: lease value, index done, outcome row, ok|failed|skipped.
_RECORD = """
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return 0 end
if tonumber(redis.call('HGET', KEYS[1], 'done') or '0') ~= tonumber(ARGV[2]) then return 1 end
redis.call('RPUSH', KEYS[2], ARGV[3])
redis.call('HINCRBY', KEYS[1], ARGV[4], 1)
redis.call('HSET', KEYS[1], 'done', tonumber(ARGV[2]) + 1)
redis.call('EXPIRE', KEYS[2], redis.call('TTL', KEYS[1]))
return 1
"""


@dataclass(frozen=True, slots=True)
class Target:
    user_id: str
    login: str


@dataclass(frozen=True, slots=True)
class BulkRecord:
    id: str
    scan_id: str
    check: str
    fix_id: str
    app_id: str
    app_label: str
    channel: str
    thread_ts: str
    message_ts: str
    requester: str
    state: BulkState
    total: int
    done: int = 0
    """Users finished (fixed, failed or skipped), in order; the next one is users[done]."""
    ok: int = 0
    failed: int = 0
    skipped: int = 0
    approver: str | None = None
    """Who approved the canary."""
    confirmer: str | None = None
    """Who approved the rest, once the canary was verified."""
    stop_by: str | None = None
    result: str | None = None
    approvals: tuple[tuple[int, str], ...] = ()

    def approval_for(self, index: int) -> str | None:
        return next((a for i, a in self.approvals if i == index), None)

    @classmethod
    def from_redis(cls, bulk_id: str, raw: dict[Any, Any]) -> BulkRecord:
        data = {as_text(k): as_text(v) for k, v in raw.items()}
        made = tuple(sorted((int(k[2:]), v) for k, v in data.items() if k.startswith("a:")))
        return cls(
            id=bulk_id,
            scan_id=data["scan_id"],
            check=data["check"],
            fix_id=data["fix_id"],
            app_id=data["app_id"],
            app_label=data["app_label"],
            channel=data["channel"],
            thread_ts=data["thread_ts"],
            message_ts=data.get("message_ts", ""),
            requester=data["requester"],
            state=BulkState(data["state"]),
            total=int(data["total"]),
            done=int(data.get("done") or 0),
            ok=int(data.get("ok") or 0),
            failed=int(data.get("failed") or 0),
            skipped=int(data.get("skipped") or 0),
            approver=data.get("approver") or None,
            confirmer=data.get("confirmer") or None,
            stop_by=data.get("stop") or None,
            result=data.get("result") or None,
            approvals=made,
        )


@dataclass(frozen=True, slots=True)
class BulkCreated:
    bulk_id: str
    new: bool


class Bulks:
    def __init__(self, redis: Redis, prefix: str) -> None:
        self._redis = redis
        self._keys = Keys(prefix)
        self._create = redis.register_script(_CREATE)
        self._move = redis.register_script(_MOVE)
        self._record = redis.register_script(_RECORD)
        self._canary = redis.register_script(_CANARY)

    async def create(
        self,
        *,
        scan_id: str,
        check: str,
        fix_id: str,
        app_id: str,
        app_label: str,
        channel: str,
        thread_ts: str,
        requester: str,
        targets: Sequence[Target],
    ) -> BulkCreated:
        """A PENDING bulk fix of a scan's cause, unless one is open for it already."""
        bulk_id = secrets.token_hex(8)
        fields = {
            "scan_id": scan_id,
            "check": check,
            "fix_id": fix_id,
            "app_id": app_id,
            "app_label": app_label,
            "channel": channel,
            "thread_ts": thread_ts,
            "requester": requester,
            "state": BulkState.PENDING.value,
            "total": str(len(targets)),
        }
        keys = self._keys
        users = [f"{t.user_id},{t.login}" for t in targets]
        created, found = await self._create(
            keys=[keys.bulk_open(scan_id, check), keys.bulk(bulk_id), keys.bulk_users(bulk_id)],
            args=[bulk_id, KEEP_FOR, keys.bulk(""), *pairs(fields), "--", *users],
        )
        return BulkCreated(as_text(found), bool(created))

    async def get(self, bulk_id: str) -> BulkRecord | None:
        raw = await self._redis.hgetall(self._keys.bulk(bulk_id))
        return BulkRecord.from_redis(bulk_id, raw) if raw else None

    async def targets(self, bulk_id: str) -> list[Target]:
        raw = await self._redis.lrange(self._keys.bulk_users(bulk_id), 0, -1)
        return [Target(*as_text(row).split(",", 1)) for row in raw]

    async def outcomes(self, bulk_id: str) -> list[str]:
        raw = await self._redis.lrange(self._keys.bulk_outcomes(bulk_id), 0, -1)
        return [as_text(row) for row in raw]

    async def note(self, bulk_id: str, **fields: str) -> None:
        await self._redis.hset(self._keys.bulk(bulk_id), mapping=dict[Any, Any](fields))

    async def claim_approval(self, bulk_id: str, index: int, approval_id: str) -> str:
        """Name the approval made for the index-th user, unless one is named already; the
        one that is named (so a user never gets two)."""
        key = self._keys.bulk(bulk_id)
        await self._redis.hsetnx(key, f"a:{index}", approval_id)
        return as_text(await self._redis.hget(key, f"a:{index}"))

    async def move(
        self,
        bulk_id: str,
        sources: Sequence[BulkState],
        to: BulkState,
        *,
        lease: tuple[str, str] | None = None,
        enqueue: bool = False,
        fields: Mapping[str, str] | None = None,
        canary: str | None = None,
        canary_unchanged: bool = False,
        not_by: str | None = None,
    ) -> str:
        """Move if the bulk is in one of `sources`: "moved", "fenced", or the state found;
        "canary" unless its canary is the user `canary` names (or, `canary_unchanged`, the
        one first proposed); "same" if `not_by` approved its canary."""
        lock, value = lease or ("", "")
        keys = [self._keys.bulk(bulk_id), self._keys.jobs, lock, self._keys.bulk_users(bulk_id)]
        args = [
            ",".join(s.value for s in sources),
            to.value,
            value,
            "1" if enqueue else "0",
            bulk_id,
            JOBS_MAXLEN,
            canary or "",
            "1" if canary_unchanged else "0",
            not_by or "",
            *pairs(fields or {}),
        ]
        return as_text(await self._move(keys=keys, args=args))

    async def record(
        self, bulk_id: str, lease: tuple[str, str], index: int, row: str, kind: str
    ) -> bool:
        """Count the index-th user's outcome once (a resumed run may record it again: the
        second time is a no-op). False when the lease is no longer ours."""
        lock, value = lease
        keys = [self._keys.bulk(bulk_id), self._keys.bulk_outcomes(bulk_id), lock]
        return bool(await self._record(keys=keys, args=[value, index, row, kind]))

    async def choose_canary(self, bulk_id: str, user_id: str) -> str:
        """Make one of the bulk's users its canary: "moved", "unknown" (not one of its users)
        or the state that forbids it (only a PENDING bulk's canary can change)."""
        keys = [self._keys.bulk(bulk_id), self._keys.bulk_users(bulk_id)]
        return as_text(await self._canary(keys=keys, args=[user_id]))

    async def request_stop(self, bulk_id: str, who: str) -> BulkState | None:
        record = await self.get(bulk_id)
        if record is None:
            return None
        if not record.state.ended:
            await self.note(bulk_id, stop=who)
        return record.state
